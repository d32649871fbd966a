/* Work distribution of physopt sweep and physopt tune (cli/sweep_dist.h). */
#include "cli/sweep_dist.h"
#include <stdio.h>
#include <stdlib.h>
#include "cli/common.h"
#include "physopt/sweep.h"

int po_dist_init(po_dist *d, const char *shard_spec) {
#ifdef PO_HAVE_MPI
  if (getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK")) {
    int provided;
    MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    d->mpi_inited = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    d->mpi = 1;
  }
#endif
  if (d->mpi && shard_spec && *shard_spec)
    return po_error(PO_ERR_ARG, "--shard and mpirun cannot be combined");
  return d->mpi ? PO_OK : po_sweep_parse_shard(shard_spec, &d->shard, &d->shards);
}

void po_dist_share(po_dist *d, long *pending, long *n_pending, long *n_done_before) {
#ifdef PO_HAVE_MPI
  if (d->mpi) {
    MPI_Bcast(n_pending, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    MPI_Bcast(n_done_before, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    if (*n_pending) MPI_Bcast(pending, (int)*n_pending, MPI_LONG, 0, MPI_COMM_WORLD);
    MPI_Win_allocate(d->rank == 0 ? (MPI_Aint)sizeof(long) : 0, sizeof(long), MPI_INFO_NULL,
                     MPI_COMM_WORLD, &d->counter, &d->win);
    d->have_win = 1;
    if (d->rank == 0) *d->counter = 0;
    MPI_Barrier(MPI_COMM_WORLD);
  }
#endif
  (void)d;
  (void)pending;
  (void)n_pending;
  (void)n_done_before;
}

long po_dist_next(po_dist *d, long *local, long n_pending) {
#ifdef PO_HAVE_MPI
  if (d->mpi) {
    long one = 1, got = 0;
    MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, d->win);
    MPI_Fetch_and_op(&one, &got, MPI_LONG, 0, 0, MPI_SUM, d->win);
    MPI_Win_unlock(0, d->win);
    return got < n_pending ? got : -1;
  }
#endif
  (void)d;
  long k = (*local)++;
  return k < n_pending ? k : -1;
}

void po_dist_end_round(po_dist *d) {
#ifdef PO_HAVE_MPI
  if (d->have_win) MPI_Win_free(&d->win);
#endif
  d->have_win = 0;
}

long po_dist_sum(po_dist *d, long x) {
#ifdef PO_HAVE_MPI
  if (d->mpi) {
    MPI_Allreduce(MPI_IN_PLACE, &x, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    MPI_Barrier(MPI_COMM_WORLD);
  }
#endif
  (void)d;
  return x;
}

void po_dist_barrier(po_dist *d) {
#ifdef PO_HAVE_MPI
  if (d->mpi) MPI_Barrier(MPI_COMM_WORLD);
#endif
  (void)d;
}

void po_dist_fatal(po_dist *d, int rc) {
#ifdef PO_HAVE_MPI
  if (d->mpi && d->size > 1) {
    fprintf(stderr, "physopt: error (rank %d): %s\n", d->rank, po_last_error());
    MPI_Abort(MPI_COMM_WORLD, po_cli_exit_code(rc));
  }
#endif
  (void)d;
  (void)rc;
}

void po_dist_finish(po_dist *d) {
#ifdef PO_HAVE_MPI
  if (d->mpi_inited) {
    po_dist_end_round(d);
    MPI_Finalize();
    d->mpi_inited = 0;
  }
#endif
  (void)d;
}

void po_dist_part_tag(const po_dist *d, char *tag, size_t size) {
  if (d->mpi)
    snprintf(tag, size, "rank-%04dof%04d", d->rank, d->size);
  else if (d->shards > 1)
    snprintf(tag, size, "shard-%04dof%04d", d->shard, d->shards);
  else
    snprintf(tag, size, "solo");
}
