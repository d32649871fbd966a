/* Work distribution shared by physopt sweep and physopt tune: MPI ranks
 * take runs one at a time from a counter in an MPI-3 window on rank 0
 * (dynamic), or, without mpirun, a Slurm array shard takes every N-th run
 * (static round robin).  Part-file tags name the writer (docs/sweeps.md). */
#ifndef PHYSOPT_CLI_SWEEP_DIST_H
#define PHYSOPT_CLI_SWEEP_DIST_H

#include <stddef.h>
#ifdef PO_HAVE_MPI
#include <mpi.h>
#endif

typedef struct po_dist {
  int rank, size; /* MPI */
  int shard, shards;
  int mpi, have_win;
  int mpi_inited; /* this process called MPI_Init_thread */
#ifdef PO_HAVE_MPI
  MPI_Win win;
  long *counter;
#endif
} po_dist;

#define PO_DIST_INIT                                                                               \
  { .size = 1, .shards = 1 }

/* MPI ranks when started by mpirun, else the shard of shard_spec (or the
 * Slurm array variables). */
int po_dist_init(po_dist *d, const char *shard_spec);
/* Rank 0's list of pending runs to every rank, and a fresh shared counter
 * (call po_dist_end_round before the next round). */
void po_dist_share(po_dist *d, long *pending, long *n_pending, long *n_done_before);
/* Next position in the pending list, or -1 when none is left. */
long po_dist_next(po_dist *d, long *local, long n_pending);
/* Frees the round's counter window (collective). */
void po_dist_end_round(po_dist *d);
/* Sum of x over ranks (x itself without MPI); also a barrier. */
long po_dist_sum(po_dist *d, long x);
void po_dist_barrier(po_dist *d);
/* A fatal error on one rank aborts the job instead of hanging the others. */
void po_dist_fatal(po_dist *d, int rc);
/* Frees the window and finalises MPI if po_dist_init initialised it. */
void po_dist_finish(po_dist *d);
/* Name of this process's part files: rank, shard or solo. */
void po_dist_part_tag(const po_dist *d, char *tag, size_t size);

#endif
