/* physopt sweep: runs every point of a sweep file, distributed over MPI
 * ranks (dynamic, a shared counter) or Slurm array shards (static round
 * robin), into resumable per-writer HDF5 part files plus a master file
 * (docs/sweeps.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli/common.h"
#include "cli/sweep_dist.h"
#include "cli/sweep_exec.h"
#include "io/h5.h"
#include "io/sweep_store.h"
#include "physopt/sweep.h"

static const po_param_spec run_specs[] = {PO_CLI_COMMON_RUN_SPECS};
static const po_param_spec sweep_specs[] = {
    {"seed", PO_PARAM_INT, NULL, 0, 1.8446744073709552e19, NULL, "1",
     "sweep seed; run seeds are po_hash2(seed, run id) (default run.seed)"},
    {"repeats", PO_PARAM_INT, "1", 1, 1e6, NULL, "1", "independent repeats of every point"},
    {"zip", PO_PARAM_STRING, NULL, 0, 0, NULL, "",
     "keys whose lists advance together: \"a.x, b.y\"; groups separated by '|'"},
    {"resume", PO_PARAM_BOOL, "false", 0, 0, NULL, "1", "skip runs already in OUT.d/"},
    {"shard", PO_PARAM_STRING, NULL, 0, 0, NULL, "i/n",
     "run shard i of n (default SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, else 0/1)"},
    {"flush_seconds", PO_PARAM_DOUBLE, "10", 0, 1e6, NULL, "s",
     "commit a part file at least this often (0: after every run)"},
    {"dry_run", PO_PARAM_BOOL, "false", 0, 0, NULL, "1", "list the runs and exit"},
};
static const po_param_section run_sec = {"run", run_specs, PO_CLI_N(run_specs)};
static const po_param_section sweep_sec = {"sweep", sweep_specs, PO_CLI_N(sweep_specs)};
static const po_param_section *const secs[] = {&sweep_sec, &run_sec};
static const po_cli_option opts[] = {
    {"resume", "sweep.resume", NULL, "continue a sweep: skip runs already complete"},
    {"shard", "sweep.shard", "I/N", "run only shard I of N (Slurm job arrays)"},
    {"flush-seconds", "sweep.flush_seconds", "S", "commit part files at least every S seconds"},
    {"dry-run", "sweep.dry_run", NULL, "list runs, ids and seeds; run nothing"},
    {NULL, NULL, NULL, NULL}};
static const po_cli_spec spec = {
    "sweep",
    "SWEEP.ini [--out results.h5] [--resume] [--shard I/N] [options]",
    "Runs the Cartesian product of every comma-separated list in SWEEP.ini: an ordinary\n"
    "configuration of physopt solve, or of eval, train or recall with run.task set; [sweep]\n"
    "holds seed, repeats and zip groups.  Every run is validated before the first starts.\n"
    "Under mpirun the runs are handed out dynamically to the ranks; otherwise --shard I/N\n"
    "(default from Slurm array variables) runs every N-th run.  Results: OUT.d/<writer>-\n"
    "<batch>.h5 part files written by atomic rename, and OUT, a master file linking every\n"
    "run (physopt merge makes it self-contained).  Results do not depend on the rank, shard\n"
    "or thread count.\n"
#ifdef PO_HAVE_MPI
    "MPI: built with MPI (run under mpirun for dynamic distribution).",
#else
    "MPI: not in this build (make MPI=1); --shard works without it.",
#endif
    opts,
    secs,
    2,
    1};

typedef struct progress {
  double t0, last;
  long done, total, failed;
  long shown, shown_failed; /* counts on the last line written (-1: none yet) */
  int tty, enabled;
} progress;

static void progress_show(progress *p, int final) {
  if (!p->enabled) return;
  double t = po_cli_now(), el = t - p->t0;
  if (!final && t - p->last < (p->tty ? 0.25 : 30.0)) return;
  /* Without a terminal each line stands alone: the final one would only
   * repeat a line just written for the last run. */
  if (final && !p->tty && p->shown == p->done && p->shown_failed == p->failed) return;
  p->last = t;
  p->shown = p->done;
  p->shown_failed = p->failed;
  double rate = el > 0 ? (double)p->done / el : 0;
  double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;
  fprintf(stderr, "%ssweep: %ld/%ld runs", p->tty ? "\r" : "", p->done, p->total);
  if (p->failed) fprintf(stderr, " (%ld failed)", p->failed);
  fprintf(stderr, "  %.3g runs/s  elapsed %.0f s  ETA %.0f s%s", rate, el, eta,
          p->tty && !final ? "   " : "\n");
  fflush(stderr);
}

typedef struct master_ctx {
  const char *config;
  uint64_t seed;
  const po_sweep *sw;
} master_ctx;

static int master_root(hid_t root, void *vctx) {
  master_ctx *m = vctx;
  po_h5_provenance prov = {0};
  prov.command_line = po_cli_command_line();
  prov.config = (char *)m->config;
  prov.seed = m->seed;
  int rc = po_h5_write_provenance(root, &prov);
  free(prov.command_line);
  /* The swept keys, comma-separated (report groups by them by default),
   * without the instances' own targets (po_sweep_key_per_instance). */
  size_t len = 1;
  for (size_t i = 0; i < po_sweep_n_keys(m->sw); i++) len += strlen(po_sweep_key(m->sw, i)) + 1;
  char *keys = calloc(1, len);
  if (!keys) return po_error(PO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < po_sweep_n_keys(m->sw); i++) {
    if (po_sweep_key_per_instance(m->sw, i)) continue;
    if (*keys) strcat(keys, ",");
    strcat(keys, po_sweep_key(m->sw, i));
  }
  if (!rc) rc = po_h5_attr_string(root, "sweep_keys", keys);
  if (!rc) rc = po_h5_attr_int64(root, "sweep_repeats", po_sweep_repeats(m->sw));
  free(keys);
  return rc;
}

/* Every run's configuration, before any run starts: a typo in the last
 * value of a list must not surface hours into a sweep.  Repeats share their
 * configuration, so the first repeat is enough. */
static int validate_all(const po_sweep *sw) {
  size_t n = po_sweep_size(sw);
  for (size_t r = 0; r < n; r++) {
    if (po_sweep_run_repeat(sw, r) > 0) break; /* repeat is the outermost index */
    po_params *rp;
    int rc = po_sweep_run_params(sw, r, &rp);
    if (!rc) rc = po_sweep_validate_run(rp);
    po_params_destroy(rp);
    if (rc) {
      char hex[17];
      po_sweep_id_format(po_sweep_run_id(sw, r), hex);
      return po_error_wrap(rc, "run %zu (id %s) of the sweep; nothing was run", r, hex);
    }
  }
  return PO_OK;
}

/* Lists the runs shard `shard` of `shards` would run (all for 0/1), one
 * column per swept key, as wide as its longest value. */
static void dry_run(const po_sweep *sw, int shard, int shards) {
  const size_t nk = po_sweep_n_keys(sw);
  int *w = calloc(nk ? nk : 1, sizeof *w);
  for (size_t k = 0; k < nk && w; k++) {
    w[k] = (int)strlen(po_sweep_key(sw, k));
    for (size_t r = 0; r < po_sweep_size(sw); r++) {
      int len = (int)strlen(po_sweep_run_value(sw, r, k));
      if (len > w[k]) w[k] = len;
    }
  }
  printf("%6s  %-16s  %-20s  %6s", "index", "run id", "seed", "repeat");
  for (size_t k = 0; k < nk; k++) printf("  %-*s", w ? w[k] : 0, po_sweep_key(sw, k));
  printf("\n");
  for (size_t r = 0; r < po_sweep_size(sw); r++) {
    if (!po_sweep_shard_owns(r, shard, shards)) continue;
    char hex[17];
    po_sweep_id_format(po_sweep_run_id(sw, r), hex);
    printf("%6zu  %s  %-20llu  %6d", r, hex, (unsigned long long)po_sweep_run_seed(sw, r),
           po_sweep_run_repeat(sw, r));
    for (size_t k = 0; k < nk; k++)
      printf("  %-*s", w && k + 1 < nk ? w[k] : 0, po_sweep_run_value(sw, r, k));
    printf("\n");
  }
  free(w);
}

/* Exclusive POSIX record lock on OUT.d/.master.lock (blocks until free);
 * returns the descriptor to close, or -1 when locking is unavailable (the
 * master is then rewritten unlocked; physopt merge repairs a lost race). */
static int master_lock(const char *out) {
  char path[4096];
  snprintf(path, sizeof path, "%s.d/.master.lock", out);
  int fd = open(path, O_RDWR | O_CREAT, 0666);
  if (fd < 0) return -1;
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
  while (fcntl(fd, F_SETLKW, &fl) == -1) {
    if (errno != EINTR) {
      close(fd);
      return -1;
    }
  }
  return fd;
}

/* The sweep file, then --config files and command-line settings on top;
 * cli->params is replaced by the merged set. */
static int load_sweep_params(po_cli *cli) {
  return po_cli_load_file_params(cli, "sweep: expected one sweep file (physopt sweep SWEEP.ini)",
                                 &run_sec);
}

/* The master is rewritten at the end: never over a file that is not one. */
static int check_out_is_master_or_new(const char *out) {
  int kind = po_sweep_file_kind(out);
  if (kind != -1 && kind != 0 && kind != 2) return PO_OK;
  return po_error(PO_ERR_ARG,
                  "%s exists and is %s: physopt sweep would replace it with its master file; "
                  "choose another --out (run.out) or move it away",
                  out,
                  kind == 2   ? "a merged sweep file"
                  : kind == 0 ? "an HDF5 file of another kind (not a sweep master)"
                              : "not an HDF5 file");
}

/* Whether `name` is among the first n of list; if not, it is added. */
static int seen_before(const char **list, size_t *n, const char *name) {
  for (size_t i = 0; i < *n; i++)
    if (!strcmp(list[i], name)) return 1;
  list[(*n)++] = name;
  return 0;
}

/* The first run found done on each instance against the instance file as
 * it reads now (po_sweep_check_recorded): a resumed sweep never mixes runs
 * of an edited file, or of a changed ground energy, with new ones. */
static int check_reused_runs(po_sweep_cache *cache, const po_sweep *sw, const char *out,
                             const po_sweep_scan_result *scan) {
  char dir[4096];
  po_cli_dir_of(out, dir, sizeof dir);
  size_t n_runs = po_sweep_size(sw), n_seen = 0;
  const char **seen = malloc((n_runs ? n_runs : 1) * sizeof *seen);
  po_params **owner = malloc((n_runs ? n_runs : 1) * sizeof *owner); /* seen[i] lives in owner[i] */
  int rc = seen && owner ? PO_OK : po_error(PO_ERR_NOMEM, "out of memory");
  for (size_t r = 0; !rc && r < n_runs; r++) {
    size_t f = po_sweep_scan_find(scan, po_sweep_run_id(sw, r));
    if (f == (size_t)-1) continue;
    po_params *rp;
    const char *file;
    if ((rc = po_sweep_run_params(sw, r, &rp))) break;
    rc = po_params_string(rp, &po_run_problem_section, "spec", &file);
    if (rc || !file || seen_before(seen, &n_seen, file)) {
      po_params_destroy(rp);
      continue;
    }
    owner[n_seen - 1] = rp;
    char path[8192], group[32], hex[17];
    po_sweep_id_format(po_sweep_run_id(sw, r), hex);
    snprintf(path, sizeof path, "%s%s", dir, scan->files[f]);
    snprintf(group, sizeof group, "/runs/%s", hex);
    po_h5_problem rec;
    po_cli_reading(path); /* a damaged part file: an error naming it, not a crash */
    rc = po_h5_load_problem_at(path, group, &rec);
    po_cli_reading(NULL);
    if (!rc) rc = po_sweep_check_recorded(cache, rp, &rec, path);
  }
  for (size_t i = 0; i < n_seen; i++) po_params_destroy(owner[i]);
  free(owner);
  free(seen);
  return rc;
}

/* The runs of this shard not yet in OUT.d (rank 0 scans, and checks that
 * the runs found were made on the instances the files hold now; every rank
 * gets the same list and, under MPI, the shared work counter). */
static int find_pending(po_dist *d, po_sweep_cache *cache, const po_sweep *sw, const char *out,
                        int resume, long *pending, long *n_pending, long *n_done_before) {
  *n_pending = *n_done_before = 0;
  if (d->rank == 0) {
    po_sweep_scan_result scan;
    po_cli_reading(out);
    int rc = po_sweep_scan(out, &scan);
    po_cli_reading(NULL);
    if (rc) return rc;
    for (size_t r = 0; r < po_sweep_size(sw); r++) {
      if (!d->mpi && !po_sweep_shard_owns(r, d->shard, d->shards)) continue;
      if (po_sweep_scan_find(&scan, po_sweep_run_id(sw, r)) != (size_t)-1)
        (*n_done_before)++;
      else
        pending[(*n_pending)++] = (long)r;
    }
    if (*n_done_before && resume) rc = check_reused_runs(cache, sw, out, &scan);
    po_sweep_scan_free(&scan);
    if (rc) return rc;
    if (*n_done_before && !resume)
      return po_error(PO_ERR_ARG,
                      "%s.d already holds %ld runs of this %s: pass --resume to continue, or "
                      "remove %s and %s.d",
                      out, *n_done_before, d->shards > 1 ? "shard" : "sweep", out, out);
  }
  po_dist_share(d, pending, n_pending, n_done_before);
  return PO_OK;
}

/* One run into its group of the part file; a failed run leaves no group. */
static int run_one(po_sweep_cache *cache, po_sweep_store *store, const po_sweep *sw, size_t r,
                   int threads) {
  po_sweep_run_info info = {po_sweep_run_id(sw, r),
                            po_sweep_run_seed(sw, r),
                            (long)r,
                            po_sweep_run_repeat(sw, r),
                            threads,
                            0};
  po_params *rp = NULL;
  hid_t g = -1;
  int rc = po_sweep_run_params(sw, r, &rp);
  if (!rc) rc = po_sweep_store_begin_run(store, info.id, &g);
  if (!rc) {
    rc = po_sweep_exec(cache, rp, &info, g);
    if (rc)
      po_sweep_store_abort_run(store, g, info.id);
    else
      rc = po_sweep_store_end_run(store, g);
  }
  po_params_destroy(rp);
  return rc;
}

/* Takes runs until none is left; a failed run is reported and counted, the
 * others go on.  Returns the status of the last failure (PO_OK if none). */
static int run_pending(po_dist *d, po_sweep_cache *cache, po_sweep_store *store, const po_sweep *sw,
                       const long *pending, long n_pending, int threads, progress *pr) {
  long local = 0, k, mine = 0;
  int last_err = PO_OK;
  while ((k = po_dist_next(d, &local, n_pending)) >= 0) {
    size_t r = (size_t)pending[k];
    int rc = run_one(cache, store, sw, r, threads);
    mine++;
    if (rc) {
      char hex[17];
      po_sweep_id_format(po_sweep_run_id(sw, r), hex);
      fprintf(stderr, "%sphysopt: run %zu (%s) failed: %s\n", pr->tty ? "\n" : "", r, hex,
              po_last_error());
      pr->failed++;
      last_err = rc;
    }
    pr->done = d->mpi ? k + 1 : mine;
    progress_show(pr, 0);
  }
  return last_err;
}

typedef struct sweep_summary {
  const char *out, *config;
  long n_pending, n_done_before, failed;
  double seconds;
  int json;
} sweep_summary;

static void print_summary(const sweep_summary *s, const po_dist *d, size_t n, long present,
                          size_t n_files) {
  if (s->json) {
    po_json j;
    po_json_begin(&j, stdout);
    po_json_string(&j, "out", s->out);
    po_json_int(&j, "runs_total", (long long)n);
    po_json_int(&j, "runs_present", present);
    po_json_int(&j, "runs_done_before", s->n_done_before);
    po_json_int(&j, "runs_run_now", s->n_pending - s->failed);
    po_json_int(&j, "runs_failed", s->failed);
    po_json_int(&j, "ranks", d->size);
    po_json_int(&j, "shard", d->shard);
    po_json_int(&j, "shards", d->shards);
    po_json_number(&j, "seconds", s->seconds);
    po_json_end(&j);
    return;
  }
  printf("sweep: %ld runs run now (%ld failed), %ld were already complete; %ld of %zu "
         "runs present\n",
         s->n_pending - s->failed, s->failed, s->n_done_before, present, n);
  printf("results: %s (master, external links) + %s.d/ (%zu part files); %.2f s\n", s->out, s->out,
         n_files, s->seconds);
}

/* Rank 0: rewrites the master over every part file present and prints the
 * summary.  Concurrent shards serialise scan + rewrite on a lock file, so
 * the shard that finishes last writes a master linking every run. */
static int write_master(const po_sweep *sw, const sweep_summary *s, const po_dist *d,
                        long *missing_mine) {
  int lock_fd = master_lock(s->out);
  po_sweep_scan_result scan;
  po_cli_reading(s->out);
  int rc = po_sweep_scan(s->out, &scan);
  po_cli_reading(NULL);
  if (!rc) {
    size_t n = po_sweep_size(sw);
    master_ctx mc = {s->config, po_sweep_seed(sw), sw};
    rc = po_sweep_write_master(s->out, &scan, (long)n, master_root, &mc);
    long present = 0;
    *missing_mine = 0;
    for (size_t r = 0; r < n; r++) {
      int here = po_sweep_scan_find(&scan, po_sweep_run_id(sw, r)) != (size_t)-1;
      present += here;
      if (!here && (d->mpi || po_sweep_shard_owns(r, d->shard, d->shards))) (*missing_mine)++;
    }
    if (!rc) print_summary(s, d, n, present, scan.n_files);
    po_sweep_scan_free(&scan);
  }
  if (lock_fd >= 0) close(lock_fd); /* releases the lock */
  return rc;
}

int po_cmd_sweep(int argc, char **argv) {
  po_cli cli;
  int rc = po_cli_parse(&cli, &spec, argc, argv);
  if (rc == PO_CLI_HELP) return 0;
  if (rc) return po_cli_exit(rc);
  po_sweep *sw = NULL;
  char *config = NULL;
  po_sweep_store *store = NULL;
  po_sweep_cache *cache = NULL;
  long *pending = NULL;
  po_dist d = PO_DIST_INIT;
  if ((rc = load_sweep_params(&cli))) goto out;
  int resume = 0, dry = 0;
  const char *shard_spec = NULL;
  double flush_s = 10;
  if ((rc = po_params_bool(cli.params, &sweep_sec, "resume", &resume)) ||
      (rc = po_params_bool(cli.params, &sweep_sec, "dry_run", &dry)) ||
      (rc = po_params_string(cli.params, &sweep_sec, "shard", &shard_spec)) ||
      (rc = po_params_double(cli.params, &sweep_sec, "flush_seconds", &flush_s)))
    goto out;
  if ((rc = po_sweep_expand(cli.params, &sw)) || (rc = validate_all(sw))) goto out;
  if (dry) {
    if ((rc = po_sweep_parse_shard(shard_spec, &d.shard, &d.shards))) goto out;
    dry_run(sw, d.shard, d.shards);
    goto out;
  }
  const char *out = cli.out ? cli.out : "results.h5";
  config = po_params_to_ini(cli.params);
  if ((rc = check_out_is_master_or_new(out)) || (rc = po_dist_init(&d, shard_spec))) goto out;

  long n_pending, n_done_before;
  pending = malloc(po_sweep_size(sw) * sizeof *pending);
  if (!pending) {
    rc = po_error(PO_ERR_NOMEM, "out of memory");
    goto out;
  }
  char tag[64];
  po_dist_part_tag(&d, tag, sizeof tag);
  if ((rc = po_sweep_cache_create(&cache)) ||
      (rc = find_pending(&d, cache, sw, out, resume, pending, &n_pending, &n_done_before)) ||
      (rc = po_sweep_store_open(out, tag, flush_s, &store))) {
    po_dist_fatal(&d, rc);
    goto out;
  }
  progress pr = {po_cli_now(), 0, 0, n_pending, 0, -1, -1, isatty(2), d.rank == 0 && !cli.quiet};
  po_cli_interrupt_note("runs committed so far are in %s.d/ (part files are committed at least "
                        "every %g s); continue with the same command and --resume",
                        out, flush_s);
  if (pr.enabled && n_done_before)
    fprintf(stderr, "sweep: %ld of %ld runs already complete, %ld to do\n", n_done_before,
            n_done_before + n_pending, n_pending);
  double t_start = po_cli_now();
  int last_err = run_pending(&d, cache, store, sw, pending, n_pending, cli.threads, &pr);
  rc = po_sweep_store_close(store);
  store = NULL;
  if (rc) {
    po_dist_fatal(&d, rc);
    goto out;
  }
  sweep_summary sum = {.out = out,
                       .config = config,
                       .n_pending = n_pending,
                       .n_done_before = n_done_before,
                       .failed = pr.failed,
                       .seconds = po_cli_now() - t_start,
                       .json = cli.json};
  sum.failed = po_dist_sum(&d, sum.failed);
  pr.done = n_pending;
  pr.failed = sum.failed;
  if (n_pending) progress_show(&pr, 1);
  long missing = 0;
  if (d.rank == 0) rc = write_master(sw, &sum, &d, &missing);
  /* The part files on disk are the truth, not the runs counted here: a
   * sweep never exits 0 while one of its runs is absent. */
  if (!rc && missing > sum.failed)
    rc = po_error(PO_ERR_IO,
                  "%ld runs of this %s are missing from %s.d/ after the sweep although they ran "
                  "(part files lost: another process writing there, or a write error); rerun "
                  "with --resume",
                  missing - sum.failed, d.shards > 1 ? "shard" : "sweep", out);
  if (!rc && sum.failed)
    rc = po_error(last_err ? last_err : PO_ERR_IO,
                  "%ld of %ld runs failed (messages above); fix the cause and rerun with --resume",
                  sum.failed, n_pending);
out:
  if (store) po_sweep_store_close(store);
  po_sweep_cache_destroy(cache);
  free(pending);
  free(config);
  po_sweep_destroy(sw);
  po_cli_free(&cli);
  po_dist_finish(&d);
  return po_cli_exit(rc);
}
