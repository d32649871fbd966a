/* physopt tune: searches the ranges of a sweep-like file with Hyperband
 * and TPE (algorithms/tune.c); every trial runs on the sweep machinery, one
 * sweep run per training instance (cli/sweep_exec.c into the resumable
 * part files of io/sweep_store.c, distributed by cli/sweep_dist.c), and the
 * trial record and best configuration are written after every rung
 * (docs/tune.md). */
#include <math.h>
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
#include "io/tune_store.h"
#include "physopt/sweep.h"
#include "physopt/tune.h"

#define OBJECTIVES "residual_energy|tts99_device|tts99_wall|tts99_steps|ets99"

static const po_param_spec run_specs[] = {PO_CLI_COMMON_RUN_SPECS};
static const po_param_spec tune_specs[] = {
    {"seed", PO_PARAM_INT, NULL, 0, 1.8446744073709552e19, NULL, "1",
     "tune seed: proposals and run seeds po_hash2(seed, run id) (default run.seed)"},
    {"objective", PO_PARAM_STRING, "residual_energy", 0, 0, OBJECTIVES, "",
     "minimised: mean residual energy, or median TTS99 (device, wall or steps) or ETS99 over "
     "the instances"},
    {"fidelity", PO_PARAM_STRING, "steps", 0, 0, "steps|replicas", "",
     "what the rungs grow: run.steps (then fixed for every trial), or run.replicas (then "
     "run.steps may be tuned, so the run length is part of the search)"},
    {"max_steps", PO_PARAM_INT, NULL, 1, 1e12, NULL, "steps",
     "fidelity steps: the largest fidelity, run.steps of the final rung and of the best "
     "configuration (required)"},
    {"min_steps", PO_PARAM_INT, NULL, 1, 1e12, NULL, "steps",
     "fidelity steps: the smallest fidelity (default max_steps / eta^3, at least 1)"},
    {"max_replicas", PO_PARAM_INT, NULL, 1, 1e9, NULL, "replicas",
     "fidelity replicas: the largest fidelity, run.replicas of the final rung and of the best "
     "configuration (required)"},
    {"min_replicas", PO_PARAM_INT, NULL, 1, 1e9, NULL, "replicas",
     "fidelity replicas: the smallest fidelity (default max_replicas / eta^3, at least 1)"},
    {"eta", PO_PARAM_INT, "3", 2, 100, NULL, "1",
     "successive halving keeps 1/eta of each rung (Li et al. 2018 use 3)"},
    {"brackets", PO_PARAM_INT, "0", 0, 10000, NULL, "1",
     "Hyperband brackets to run (0: one pass, s_max + 1)"},
    {"random_fraction", PO_PARAM_DOUBLE, "0.333333", 0, 1, NULL, "1",
     "share of proposals drawn at random after the first bracket (BOHB: 1/3); 1: no TPE"},
    {"best", PO_PARAM_STRING, NULL, 0, 0, NULL, "path",
     "best configuration, an INI file for --config (default OUT without .h5 + -best.ini)"},
    {"flush_seconds", PO_PARAM_DOUBLE, "10", 0, 1e6, NULL, "s",
     "commit run part files at least this often (0: after every run)"},
    {"shard", PO_PARAM_STRING, NULL, 0, 0, NULL, "i/n",
     "run shard i of n of every rung (default SLURM_ARRAY_TASK_ID/COUNT, else 0/1)"},
    {"poll_seconds", PO_PARAM_DOUBLE, "2", 0.01, 3600, NULL, "s",
     "with shards: how often a shard looks for the other shards' runs of a rung"},
};
static const po_param_section run_sec = {"run", run_specs, PO_CLI_N(run_specs)};
static const po_param_section tune_sec = {"tune", tune_specs, PO_CLI_N(tune_specs)};
static const po_param_section *const secs[] = {&tune_sec, &run_sec};
static const po_cli_option opts[] = {
    {"objective", "tune.objective", "NAME", "what to minimise"},
    {"best", "tune.best", "FILE.ini", "where to write the best configuration"},
    {"shard", "tune.shard", "I/N", "run only shard I of N of every rung (Slurm job arrays)"},
    {"flush-seconds", "tune.flush_seconds", "S", "commit run part files at least every S seconds"},
    {NULL, NULL, NULL, NULL}};
static const po_cli_spec spec = {
    "tune",
    "TUNE.ini [--out tune.h5] [--best best.ini] [options]",
    "Searches the ranges of TUNE.ini -- any key of physopt solve written as\n" PO_TUNE_RANGE_FORMS
    " --\nfor the configuration that minimises [tune] objective over the training set\n"
    "problem.spec (a list), with Hyperband (successive halving over run.steps from min_steps\n"
    "to max_steps, or with fidelity = replicas over run.replicas, run.steps then tunable) and\n"
    "TPE proposals.  Each trial is one sweep run per instance in OUT.d/; rerunning the command\n"
    "after a kill reuses every run done and gives the same result.  Writes OUT (every trial)\n"
    "and the best configuration as an INI file for physopt solve --config.  Results do not\n"
    "depend on the rank, shard or thread count.\n"
#ifdef PO_HAVE_MPI
    "MPI: built with MPI (run under mpirun to spread each rung's runs over the ranks).",
#else
    "MPI: not in this build (make MPI=1); --shard works without it.",
#endif
    opts,
    secs,
    2,
    1};

typedef enum { OBJ_RESIDUAL, OBJ_TTS_DEVICE, OBJ_TTS_WALL, OBJ_TTS_STEPS, OBJ_ETS } objective_kind;

typedef struct tune_ctx {
  const po_params *params; /* the merged configuration */
  po_tune_space space;
  po_tune_options opt;
  char **instances;
  size_t n_instances;
  /* Per instance: a run read back has been checked against the file as it
   * reads now (po_sweep_check_recorded; once per instance and process). */
  unsigned char *instance_checked;
  objective_kind objective;
  const char *objective_name;
  const char *fidelity; /* "steps" or "replicas": the run key the rungs set */
  const char *out, *best_path;
  double flush_s, poll_s;
  int threads, quiet;
  po_dist d;
  po_sweep_cache *cache;
  /* Per trial, in evaluation order (the order of po_tune_result). */
  double *per_instance;
  uint64_t *run_ids;
  size_t n_rec, cap;
  long runs_run, runs_reused;
  double t0;
} tune_ctx;

/* ---- configuration ---------------------------------------------------------- */

static int load_tune_params(po_cli *cli) {
  return po_cli_load_file_params(cli, "tune: expected one tune file (physopt tune TUNE.ini)",
                                 &run_sec);
}

/* [tune] keys: known names, typed values. */
static int check_tune_section(const po_params *p) {
  for (size_t i = 0; i < po_params_count(p); i++) {
    const char *sec, *key, *val;
    po_params_entry(p, i, &sec, &key, &val);
    if (strcmp(sec, "tune") || po_cli_find_spec(secs, 1, "tune", key)) continue;
    char list[1024] = "";
    for (size_t k = 0; k < PO_CLI_N(tune_specs); k++) {
      if (k) strncat(list, ", ", sizeof list - strlen(list) - 1);
      strncat(list, tune_specs[k].key, sizeof list - strlen(list) - 1);
    }
    return po_error(PO_ERR_ARG, "unknown key tune.%s (valid: %s)", key, list);
  }
  return PO_OK; /* values: the typed getters of read_options check type and range */
}

/* The ranges become the space; the fidelity's run key, lists and a
 * non-anneal task are errors. */
static int read_space(tune_ctx *t) {
  const po_params *p = t->params;
  for (size_t i = 0; i < po_params_count(p); i++) {
    const char *sec, *key, *val;
    po_params_entry(p, i, &sec, &key, &val);
    if (!strcmp(sec, "tune") || !val) continue;
    char name[512];
    snprintf(name, sizeof name, "%s.%s", sec, key);
    if (!strcmp(sec, "run") && !strcmp(key, t->fidelity))
      return po_error(PO_ERR_ARG,
                      "run.%s is the fidelity of physopt tune (tune.fidelity = %s): set "
                      "tune.min_%s and tune.max_%s instead",
                      key, key, key, key);
    if (!strcmp(name, "run.task") && strcmp(val, "anneal"))
      return po_error(PO_ERR_ARG, "run.task = %s: physopt tune tunes anneal runs only", val);
    if (!strcmp(name, "run.seed") || !strcmp(name, "problem.spec")) continue;
    if (po_tune_is_range(val)) {
      int rc = po_tune_space_add(&t->space, name, val);
      if (rc) return rc;
    } else if (strchr(val, ',') && strcmp(sec, "run") != 0) {
      /* A list is a sweep's, not a tune's: say what to write instead. */
      char **items;
      size_t n;
      int rc = po_sweep_split(val, &items, &n);
      free(items);
      if (!rc && n > 1)
        return po_error(PO_ERR_ARG,
                        "%s = %s: physopt tune takes ranges, not lists; write "
                        "choice(%s)",
                        name, val, val);
    }
  }
  if (!t->space.n)
    return po_error(PO_ERR_ARG, "nothing to tune: give at least one key a range such as "
                                "schedule.end = log(0.5, 20)");
  return PO_OK;
}

static int read_instances(tune_ctx *t) {
  const char *set = po_params_get(t->params, "problem", "spec");
  if (!set || !*set)
    return po_error(PO_ERR_ARG, "problem.spec: the training set (one instance or a list) is "
                                "required");
  int rc = po_sweep_split(set, &t->instances, &t->n_instances);
  if (rc) return rc;
  t->instance_checked = calloc(t->n_instances ? t->n_instances : 1, 1);
  return t->instance_checked ? PO_OK : po_error(PO_ERR_NOMEM, "out of memory");
}

/* tune.fidelity, and its ladder tune.min_F .. tune.max_F (F = steps or
 * replicas; the other kind's keys are an error, not silently ignored). */
static int read_fidelity(tune_ctx *t, long eta) {
  const po_params *p = t->params;
  int rc = po_params_string(p, &tune_sec, "fidelity", &t->fidelity);
  if (rc) return rc;
  const char *other = strcmp(t->fidelity, "steps") ? "steps" : "replicas";
  char mx[32], mn[32];
  for (int k = 0; k < 2; k++) {
    snprintf(mx, sizeof mx, k ? "min_%s" : "max_%s", other);
    if (po_params_get(p, "tune", mx))
      return po_error(PO_ERR_ARG, "tune.%s is for tune.fidelity = %s (here: %s)", mx, other,
                      t->fidelity);
  }
  snprintf(mx, sizeof mx, "max_%s", t->fidelity);
  snprintf(mn, sizeof mn, "min_%s", t->fidelity);
  long hi = 0, lo = 0;
  if (!po_params_get(p, "tune", mx))
    return po_error(PO_ERR_ARG,
                    "tune.%s (the largest fidelity, run.%s of the best "
                    "configuration) is required",
                    mx, t->fidelity);
  if ((rc = po_params_int(p, &tune_sec, mx, &hi))) return rc;
  if (po_params_get(p, "tune", mn)) {
    if ((rc = po_params_int(p, &tune_sec, mn, &lo))) return rc;
  } else {
    lo = (long)floor((double)hi / (double)(eta * eta * eta));
    if (lo < 1) lo = 1;
  }
  if (lo > hi)
    return po_error(PO_ERR_ARG, "tune.%s = %ld must be <= tune.%s = %ld", mn, lo, mx, hi);
  t->opt.min_fidelity = (double)lo;
  t->opt.max_fidelity = (double)hi;
  return PO_OK;
}

static int read_options(tune_ctx *t, po_cli *cli) {
  const po_params *p = t->params;
  long eta = 3, brackets = 0;
  const char *obj = NULL, *best = NULL, *shard = NULL;
  int rc;
  if ((rc = po_params_int(p, &tune_sec, "eta", &eta)) ||
      (rc = po_params_int(p, &tune_sec, "brackets", &brackets)) ||
      (rc = po_params_double(p, &tune_sec, "random_fraction", &t->opt.random_fraction)) ||
      (rc = po_params_double(p, &tune_sec, "flush_seconds", &t->flush_s)) ||
      (rc = po_params_double(p, &tune_sec, "poll_seconds", &t->poll_s)) ||
      (rc = po_params_string(p, &tune_sec, "objective", &obj)) ||
      (rc = po_params_string(p, &tune_sec, "best", &best)) ||
      (rc = po_params_string(p, &tune_sec, "shard", &shard)) || (rc = read_fidelity(t, eta)))
    return rc;
  t->opt.seed = cli->seed;
  if (po_params_get(p, "tune", "seed") &&
      (rc = po_cli_param_u64(p, &tune_sec, "seed", &t->opt.seed)))
    return rc;
  t->opt.eta = (int)eta;
  t->opt.brackets = (int)brackets;
  static const char *const names[] = {"residual_energy", "tts99_device", "tts99_wall",
                                      "tts99_steps", "ets99"};
  for (int k = 0; k < 5; k++)
    if (!strcmp(obj, names[k])) t->objective = (objective_kind)k, t->objective_name = names[k];
  t->out = cli->out ? cli->out : "tune.h5";
  t->threads = cli->threads;
  t->quiet = cli->quiet;
  if (best) {
    t->best_path = strdup(best);
  } else {
    size_t len = strlen(t->out);
    char *b = malloc(len + 16);
    if (b) {
      memcpy(b, t->out, len + 1);
      if (len > 3 && !strcmp(b + len - 3, ".h5")) b[len - 3] = 0;
      strcat(b, "-best.ini");
    }
    t->best_path = b;
  }
  if (!t->best_path) return po_error(PO_ERR_NOMEM, "out of memory");
  if ((rc = po_cli_check_out(t->best_path, "tune.best"))) return rc;
  return po_dist_init(&t->d, shard);
}

/* The configuration of one run: the file's keys (ranges, [tune] and the
 * training set left out), the trial's values, its fidelity and instance;
 * `for_ini` leaves out what a solve configuration should not carry. */
/* A shared run key (PO_RUN_COMMON_SPECS) that directs the tune's own
 * output, not a trial's: everything there but the seed (which makes the
 * trial's streams) and the thread count (which the trials run with). */
static int is_output_key(const char *key) {
  static const po_param_spec common[] = {PO_RUN_COMMON_SPECS};
  if (!strcmp(key, "seed") || !strcmp(key, "threads")) return 0;
  for (size_t i = 0; i < sizeof common / sizeof *common; i++)
    if (!strcmp(common[i].key, key)) return 1;
  return 0;
}

static int trial_params(const tune_ctx *t, const double *x, long fidelity, const char *instance,
                        int for_ini, po_params **out) {
  po_params *rp;
  int rc = po_params_create(&rp);
  if (rc) return rc;
  const po_params *p = t->params;
  for (size_t i = 0; !rc && i < po_params_count(p); i++) {
    const char *sec, *key, *val;
    po_params_entry(p, i, &sec, &key, &val);
    if (!strcmp(sec, "tune") || (val && po_tune_is_range(val))) continue;
    if (!strcmp(sec, "problem") && !strcmp(key, "spec")) continue;
    if (!strcmp(sec, "run") && (is_output_key(key) || (for_ini && !strcmp(key, "seed")))) continue;
    char name[512];
    snprintf(name, sizeof name, "%s.%s", sec, key);
    rc = po_params_set(rp, name, val ? val : "");
  }
  char buf[512];
  for (size_t d = 0; !rc && d < t->space.n; d++) {
    po_tune_format(&t->space, d, x, buf, sizeof buf);
    rc = po_params_set(rp, t->space.dims[d].key, buf);
  }
  snprintf(buf, sizeof buf, "%ld", fidelity);
  char fkey[32];
  snprintf(fkey, sizeof fkey, "run.%s", t->fidelity);
  if (!rc) rc = po_params_set(rp, fkey, buf);
  if (!rc && instance) rc = po_params_set(rp, "problem.spec", instance);
  if (rc) {
    po_params_destroy(rp);
    return rc;
  }
  *out = rp;
  return PO_OK;
}

/* Every corner of the space on every instance, before any run: a value
 * outside a key's accepted range fails now, not hours into the tune. */
static int validate_space(const tune_ctx *t) {
  size_t n = t->space.n;
  double *x = malloc(n * sizeof *x);
  if (!x) return po_error(PO_ERR_NOMEM, "out of memory");
  int rc = PO_OK;
  for (size_t d = 0; !rc && d < n; d++) {
    const po_tune_dim *dim = &t->space.dims[d];
    long n_vals = dim->kind == PO_TUNE_CHOICE ? (long)dim->n_choices : 2;
    for (long v = 0; !rc && v < n_vals; v++) {
      for (size_t e = 0; e < n; e++) x[e] = t->space.dims[e].lo;
      x[d] = dim->kind == PO_TUNE_CHOICE ? (double)v : v ? dim->hi : dim->lo;
      for (size_t i = 0; !rc && i < t->n_instances; i++) {
        po_params *rp;
        rc = trial_params(t, x, (long)t->opt.max_fidelity, t->instances[i], 0, &rp);
        if (!rc) {
          rc = po_sweep_validate_run(rp);
          po_params_destroy(rp);
        }
        if (rc) {
          char buf[512];
          po_tune_format(&t->space, d, x, buf, sizeof buf);
          rc = po_error_wrap(rc, "%s = %s on %s (a corner of the space); nothing was run", dim->key,
                             buf, t->instances[i]);
        }
      }
    }
  }
  free(x);
  return rc;
}

/* ---- one rung: runs on the sweep machinery ------------------------------------ */

typedef struct rung_runs {
  size_t m;       /* trials x instances */
  uint64_t *ids;  /* [m] */
  size_t *unique; /* positions of the first occurrence of each id */
  size_t n_unique;
} rung_runs;

static void rung_runs_free(rung_runs *r) {
  free(r->ids);
  free(r->unique);
}

static int rung_ids(const tune_ctx *t, const po_tune_trial *tr, size_t n, rung_runs *r) {
  r->m = n * t->n_instances;
  r->ids = malloc((r->m ? r->m : 1) * sizeof *r->ids);
  r->unique = malloc((r->m ? r->m : 1) * sizeof *r->unique);
  r->n_unique = 0;
  if (!r->ids || !r->unique) return po_error(PO_ERR_NOMEM, "out of memory");
  for (size_t j = 0; j < r->m; j++) {
    po_params *rp;
    int rc = trial_params(t, tr[j / t->n_instances].x, lround(tr[j / t->n_instances].fidelity),
                          t->instances[j % t->n_instances], 0, &rp);
    if (rc) return rc;
    r->ids[j] = po_sweep_config_id(rp, 0);
    po_params_destroy(rp);
    size_t k = 0;
    while (k < r->n_unique && r->ids[r->unique[k]] != r->ids[j]) k++;
    if (k == r->n_unique) r->unique[r->n_unique++] = j;
  }
  return PO_OK;
}

/* A run that diverged is a bad configuration, not a broken tune: it is
 * stored as such (po_tune_store_mark_diverged) and scores the worst
 * objective.  Other errors (I/O, a parameter out of range) still end the
 * tune. */
static int record_diverged(tune_ctx *t, po_sweep_store *store, const po_sweep_run_info *info,
                           size_t j) {
  char msg[512], hex[17];
  snprintf(msg, sizeof msg, "%s", po_last_error());
  po_sweep_id_format(info->id, hex);
  if (!t->quiet)
    fprintf(stderr, "tune: run %s (%s) diverged, scored as the worst objective: %s\n", hex,
            t->instances[j % t->n_instances], msg);
  hid_t g = -1;
  int rc = po_sweep_store_begin_run(store, info->id, &g);
  if (!rc && (rc = po_tune_store_mark_diverged(g, msg)))
    po_sweep_store_abort_run(store, g, info->id);
  if (!rc) rc = po_sweep_store_end_run(store, g);
  return rc;
}

/* One run (position j of the rung) into the store. */
static int run_one(tune_ctx *t, po_sweep_store *store, const po_tune_trial *tr, const rung_runs *r,
                   size_t j) {
  po_sweep_run_info info = {r->ids[j], po_hash2(t->opt.seed, r->ids[j]), (long)j, 0, t->threads, 0};
  po_params *rp = NULL;
  hid_t g = -1;
  int rc = trial_params(t, tr[j / t->n_instances].x, lround(tr[j / t->n_instances].fidelity),
                        t->instances[j % t->n_instances], 0, &rp);
  if (!rc) rc = po_sweep_store_begin_run(store, info.id, &g);
  if (!rc) {
    rc = po_sweep_exec(t->cache, rp, &info, g);
    if (rc)
      po_sweep_store_abort_run(store, g, info.id);
    else
      rc = po_sweep_store_end_run(store, g);
  }
  if (rc == PO_ERR_NUMERIC) rc = record_diverged(t, store, &info, j);
  po_params_destroy(rp);
  return rc;
}

/* Rank 0 (or each shard) lists the runs of the rung not yet in OUT.d/:
 * positions in r->unique.  A shard owns every shards-th unique run, so the
 * split does not depend on what the other shards have finished. */
static int pending_runs(tune_ctx *t, const rung_runs *r, long *pending, long *n_pending,
                        long *n_done) {
  *n_pending = *n_done = 0;
  if (t->d.rank == 0) {
    po_sweep_scan_result scan;
    po_cli_reading(t->out);
    int rc = po_sweep_scan(t->out, &scan);
    po_cli_reading(NULL);
    if (rc) return rc;
    for (size_t u = 0; u < r->n_unique; u++) {
      if (!t->d.mpi && !po_sweep_shard_owns(u, t->d.shard, t->d.shards)) continue;
      if (po_sweep_scan_find(&scan, r->ids[r->unique[u]]) != (size_t)-1)
        (*n_done)++;
      else
        pending[(*n_pending)++] = (long)u;
    }
    po_sweep_scan_free(&scan);
  }
  po_dist_share(&t->d, pending, n_pending, n_done);
  return PO_OK;
}

/* With shards: waits until every run of the rung is in OUT.d/. */
static int wait_for_shards(tune_ctx *t, const rung_runs *r) {
  int said = 0;
  for (;;) {
    po_sweep_scan_result scan;
    int rc = po_sweep_scan(t->out, &scan);
    if (rc) return rc;
    size_t missing = 0;
    for (size_t u = 0; u < r->n_unique; u++)
      missing += po_sweep_scan_find(&scan, r->ids[r->unique[u]]) == (size_t)-1;
    po_sweep_scan_free(&scan);
    if (!missing) return PO_OK;
    if (!said && !t->quiet)
      fprintf(stderr, "tune: shard %d/%d waiting for %zu runs of the other shards\n", t->d.shard,
              t->d.shards, missing);
    said = 1;
    struct timespec ts = {(time_t)t->poll_s, (long)((t->poll_s - floor(t->poll_s)) * 1e9)};
    nanosleep(&ts, NULL);
  }
}

static int execute_rung(tune_ctx *t, const po_tune_trial *tr, const rung_runs *r) {
  long *pending = malloc((r->n_unique ? r->n_unique : 1) * sizeof *pending);
  if (!pending) return po_error(PO_ERR_NOMEM, "out of memory");
  long n_pending, n_done;
  int rc = pending_runs(t, r, pending, &n_pending, &n_done);
  char tag[64];
  po_dist_part_tag(&t->d, tag, sizeof tag);
  po_sweep_store *store = NULL;
  if (!rc) rc = po_sweep_store_open(t->out, tag, t->flush_s, &store);
  if (rc) {
    free(pending);
    po_dist_fatal(&t->d, rc);
    return rc;
  }
  long local = 0, k, failed = 0, mine = 0;
  int last_err = PO_OK;
  while ((k = po_dist_next(&t->d, &local, n_pending)) >= 0) {
    size_t j = r->unique[pending[k]];
    int e = run_one(t, store, tr, r, j);
    mine++;
    if (e) {
      char hex[17];
      po_sweep_id_format(r->ids[j], hex);
      fprintf(stderr, "physopt: run %s (%s) failed: %s\n", hex, t->instances[j % t->n_instances],
              po_last_error());
      failed++;
      last_err = e;
    }
  }
  free(pending);
  rc = po_sweep_store_close(store);
  if (rc) po_dist_fatal(&t->d, rc);
  po_dist_end_round(&t->d);
  failed = po_dist_sum(&t->d, failed);
  mine = po_dist_sum(&t->d, mine);
  t->runs_run += mine - failed;
  t->runs_reused += n_done;
  if (!rc && failed)
    rc = po_error(last_err ? last_err : PO_ERR_IO,
                  "%ld runs of this rung failed (messages above); fix the cause and rerun the "
                  "same command: the runs already done are reused",
                  failed);
  if (!rc && !t->d.mpi && t->d.shards > 1) rc = wait_for_shards(t, r);
  return rc;
}

/* ---- objectives ------------------------------------------------------------------ */

/* The objective of one run, and its residual energy (the tiebreak). */
static int run_objective(const tune_ctx *t, const po_h5_run *run, double *value, double *residual,
                         const char *instance) {
  const po_metrics *m = &run->metrics;
  if (!m->has_target)
    return po_error(PO_ERR_ARG,
                    "%s has no known ground energy and the configuration sets no "
                    "target: set run.target_energy (or target_cut) for the %s objective, or "
                    "give its ground energy in a ground_energies.txt beside it",
                    instance, t->objective_name);
  double p = m->success_probability, R = run->samples.replicas;
  *residual = m->residual_energy;
  switch (t->objective) {
  case OBJ_RESIDUAL:
    *value = m->residual_energy;
    break;
  case OBJ_TTS_DEVICE:
    *value = po_tts99(run->ledger.run_s, p);
    break;
  case OBJ_TTS_WALL:
    *value = po_tts99(run->ledger.wall_s / R, p);
    break;
  case OBJ_TTS_STEPS:
    *value = po_tts99((double)run->steps, p);
    break;
  case OBJ_ETS:
    *value = po_tts99(po_ledger_total_joules(&run->ledger) / R, p);
    break;
  }
  return PO_OK;
}

/* A run reused from OUT.d/ was made on the instance the file holds now
 * (the first run read of each instance, per process). */
static int check_instance(tune_ctx *t, const po_tune_trial *tr, size_t k,
                          const po_h5_problem *rec) {
  po_params *rp;
  int rc = trial_params(t, tr->x, lround(tr->fidelity), t->instances[k], 0, &rp);
  if (rc) return rc;
  char where[4200];
  snprintf(where, sizeof where, "%s.d/", t->out);
  rc = po_sweep_check_recorded(t->cache, rp, rec, where);
  po_params_destroy(rp);
  if (!rc) t->instance_checked[k] = 1;
  return rc;
}

static int read_rung(tune_ctx *t, po_tune_trial *tr, size_t n, const rung_runs *r) {
  size_t need = t->n_rec + n;
  if (need > t->cap) {
    size_t cap = need * 2;
    double *pi = realloc(t->per_instance, cap * t->n_instances * sizeof *pi);
    if (pi) t->per_instance = pi;
    uint64_t *ids = realloc(t->run_ids, cap * t->n_instances * sizeof *ids);
    if (ids) t->run_ids = ids;
    if (!pi || !ids) return po_error(PO_ERR_NOMEM, "out of memory");
    t->cap = cap;
  }
  po_sweep_scan_result scan;
  po_cli_reading(t->out);
  int rc = po_sweep_scan(t->out, &scan);
  po_cli_reading(NULL);
  if (rc) return rc;
  char dir[4096];
  po_cli_dir_of(t->out, dir, sizeof dir);
  double *res = malloc(t->n_instances * sizeof *res);
  if (!res) rc = po_error(PO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; !rc && i < n; i++) {
    double *vals = t->per_instance + (t->n_rec + i) * t->n_instances;
    for (size_t k = 0; !rc && k < t->n_instances; k++) {
      size_t j = i * t->n_instances + k, f = po_sweep_scan_find(&scan, r->ids[j]);
      char hex[17], path[8192], group[32];
      po_sweep_id_format(r->ids[j], hex);
      if (f == (size_t)-1) {
        rc = po_error(PO_ERR_IO, "run %s is missing from %s.d/ after its rung", hex, t->out);
        break;
      }
      snprintf(path, sizeof path, "%s%s", dir, scan.files[f]);
      snprintf(group, sizeof group, "/runs/%s", hex);
      t->run_ids[(t->n_rec + i) * t->n_instances + k] = r->ids[j];
      char why[8];
      int diverged = po_tune_store_diverged(path, group, why, sizeof why);
      if (diverged < 0) {
        rc = PO_ERR_IO; /* the message is set */
        break;
      }
      if (diverged) { /* the worst objective, and the worst residual */
        vals[k] = res[k] = INFINITY;
        continue;
      }
      po_h5_run run;
      memset(&run, 0, sizeof run);
      po_cli_reading(path);
      rc = po_h5_load_run_at(path, group, NULL, &run);
      po_cli_reading(NULL);
      if (!rc && !t->instance_checked[k]) rc = check_instance(t, &tr[i], k, &run.problem);
      if (!rc) rc = run_objective(t, &run, &vals[k], &res[k], t->instances[k]);
      po_h5_run_free(&run);
    }
    if (rc) break;
    /* Median over instances for TTS and ETS (robust to one hard
     * instance), mean for the residual energy; the mean residual orders
     * trials whose TTS is infinite everywhere. */
    double mean = 0;
    for (size_t k = 0; k < t->n_instances; k++) mean += res[k];
    mean /= (double)t->n_instances;
    tr[i].objective = t->objective == OBJ_RESIDUAL ? mean : po_tune_median(vals, t->n_instances);
    tr[i].tiebreak = t->objective == OBJ_RESIDUAL ? NAN : mean;
  }
  free(res);
  po_sweep_scan_free(&scan);
  if (!rc) t->n_rec += n;
  return rc;
}

static int evaluate(void *ctx, const po_tune_space *s, po_tune_trial *tr, size_t n) {
  tune_ctx *t = ctx;
  (void)s;
  rung_runs r = {0};
  int rc = rung_ids(t, tr, n, &r);
  if (!rc) rc = execute_rung(t, tr, &r);
  po_dist_barrier(&t->d);
  if (!rc) rc = read_rung(t, tr, n, &r);
  rung_runs_free(&r);
  return rc;
}

/* ---- outputs ---------------------------------------------------------------------- */

static char *best_ini_text(const tune_ctx *t, const po_tune_result *res) {
  if (res->best < 0) return NULL;
  const po_tune_trial *b = &res->trials[res->best];
  po_params *bp;
  if (trial_params(t, b->x, lround(b->fidelity), NULL, 1, &bp)) return NULL;
  char *ini = po_params_to_ini(bp);
  po_params_destroy(bp);
  if (!ini) return NULL;
  size_t len = strlen(ini) + 1024 + t->space.n * 64;
  for (size_t i = 0; i < t->n_instances; i++) len += strlen(t->instances[i]) + 3;
  char *text = malloc(len);
  if (!text) {
    free(ini);
    return NULL;
  }
  int w = snprintf(text, len, "; physopt tune: best of %zu trials, %s = %.17g", res->n,
                   t->objective_name, b->objective);
  if (!isnan(b->tiebreak))
    w += snprintf(text + w, len - (size_t)w, " (mean residual energy %.17g)", b->tiebreak);
  w += snprintf(text + w, len - (size_t)w,
                " at %ld %s,\n; trial %ld (bracket %d, configuration %ld).  Training set:",
                lround(b->fidelity), t->fidelity, res->best, b->bracket, b->config);
  for (size_t i = 0; i < t->n_instances; i++)
    w += snprintf(text + w, len - (size_t)w, "%s %s", i ? "," : "", t->instances[i]);
  size_t il = strlen(ini);
  snprintf(text + w, len - (size_t)w,
           "\n; use: physopt solve --config THIS.ini --problem INSTANCE\n%s%s", ini,
           il && ini[il - 1] != '\n' ? "\n" : "");
  free(ini);
  return text;
}

static int write_text_file(const char *path, const char *text) {
  po_atomic_file a;
  int rc = po_atomic_begin(&a, path);
  if (rc) return rc;
  FILE *f = fopen(a.tmp_path, "w");
  int ok = f && fputs(text, f) >= 0;
  if (f && fclose(f)) ok = 0;
  if (!ok) {
    po_atomic_abort(&a);
    return po_error(PO_ERR_IO, "cannot write %s", path);
  }
  return po_atomic_commit(&a);
}

/* The trial record and the best configuration, written by one process
 * (rank 0, shard 0) after every rung, so both always reflect the search so
 * far; resume recomputes them from OUT.d/. */
static int write_outputs(tune_ctx *t, const po_tune_result *res) {
  if (t->d.rank != 0 || t->d.shard != 0) return PO_OK;
  char *best = best_ini_text(t, res);
  po_h5_provenance prov = {0};
  prov.command_line = po_cli_command_line();
  prov.config = po_params_to_ini(t->params);
  prov.seed = t->opt.seed;
  po_tune_record rec = {.space = &t->space,
                        .options = &t->opt,
                        .result = res,
                        .objective = t->objective_name,
                        .fidelity = t->fidelity,
                        .n_instances = t->n_instances,
                        .instances = t->instances,
                        .per_instance = t->per_instance,
                        .run_ids = t->run_ids,
                        .best_config = best};
  int rc = po_tune_store_write(t->out, &rec, &prov);
  if (!rc && best) rc = write_text_file(t->best_path, best);
  free(prov.command_line);
  free(prov.config);
  free(best);
  return rc;
}

/* "schedule.end=3.2 run.algorithm=sa" */
static void format_config(const tune_ctx *t, const double *x, char *buf, size_t size) {
  size_t w = 0;
  buf[0] = 0;
  for (size_t d = 0; d < t->space.n && w < size; d++) {
    char v[256];
    po_tune_format(&t->space, d, x, v, sizeof v);
    w += (size_t)snprintf(buf + w, size - w, "%s%s=%s", d ? " " : "", t->space.dims[d].key, v);
  }
}

static void progress(void *ctx, const po_tune_space *s, const po_tune_result *r, int bracket,
                     int rung) {
  tune_ctx *t = ctx;
  (void)s;
  if (write_outputs(t, r)) {
    fprintf(stderr, "physopt: warning: %s\n", po_last_error());
  }
  if (t->quiet || t->d.rank != 0) return;
  int nb = po_tune_n_brackets(&t->opt), smax = po_tune_s_max(&t->opt);
  (void)smax;
  fprintf(stderr,
          "tune: bracket %d/%d rung %d/%d: %ld trials at %ld %s; %ld runs run, %ld "
          "reused; %.0f s",
          bracket + 1, nb, rung + 1, po_tune_bracket_s(&t->opt, bracket) + 1,
          po_tune_rung_size(&t->opt, bracket, rung),
          lround(po_tune_rung_fidelity(&t->opt, bracket, rung)), t->fidelity, t->runs_run,
          t->runs_reused, po_cli_now() - t->t0);
  if (r->best >= 0) {
    char cfg[1024];
    format_config(t, r->trials[r->best].x, cfg, sizeof cfg);
    fprintf(stderr, "; best %s %.6g (%s)", t->objective_name, r->trials[r->best].objective, cfg);
  } else if (r->best_any >= 0) {
    fprintf(stderr, "; best so far %.6g at %ld %s", r->trials[r->best_any].objective,
            lround(r->trials[r->best_any].fidelity), t->fidelity);
  }
  fprintf(stderr, "\n");
}

static void print_summary(const tune_ctx *t, const po_tune_result *r, int json) {
  if (t->d.rank != 0 || t->d.shard != 0) return;
  const po_tune_trial *b = r->best >= 0 ? &r->trials[r->best] : NULL;
  if (json) {
    po_json j;
    po_json_begin(&j, stdout);
    po_json_string(&j, "out", t->out);
    po_json_string(&j, "best_config", t->best_path);
    po_json_string(&j, "objective", t->objective_name);
    po_json_int(&j, "trials", (long long)r->n);
    po_json_int(&j, "runs_run", t->runs_run);
    po_json_int(&j, "runs_reused", t->runs_reused);
    po_json_int(&j, "best_trial", r->best);
    po_json_number(&j, "best_objective", b ? b->objective : NAN);
    po_json_number(&j, "best_tiebreak", b ? b->tiebreak : NAN);
    po_json_object(&j, "best");
    for (size_t d = 0; b && d < t->space.n; d++) {
      char v[256];
      po_tune_format(&t->space, d, b->x, v, sizeof v);
      po_json_string(&j, t->space.dims[d].key, v);
    }
    po_json_close(&j);
    po_json_end(&j);
    return;
  }
  char cfg[1024] = "";
  if (b) format_config(t, b->x, cfg, sizeof cfg);
  printf("tune: %zu trials (%ld runs run now, %ld reused); best %s = %.6g at %ld %s: %s\n", r->n,
         t->runs_run, t->runs_reused, t->objective_name, b ? b->objective : NAN,
         lround(t->opt.max_fidelity), t->fidelity, cfg);
  printf("results: %s (trials) + %s.d/ (runs); best configuration: %s\n", t->out, t->out,
         t->best_path);
}

static void tune_ctx_free(tune_ctx *t) {
  po_tune_space_free(&t->space);
  free(t->instances);
  free(t->instance_checked);
  free((char *)t->best_path);
  free(t->per_instance);
  free(t->run_ids);
  po_sweep_cache_destroy(t->cache);
}

int po_cmd_tune(int argc, char **argv) {
  po_cli cli;
  int rc = po_cli_parse(&cli, &spec, argc, argv);
  if (rc == PO_CLI_HELP) return 0;
  if (rc) return po_cli_exit(rc);
  tune_ctx t;
  memset(&t, 0, sizeof t);
  t.d = (po_dist)PO_DIST_INIT;
  po_tune_result res = {0};
  if ((rc = load_tune_params(&cli))) goto out;
  t.params = cli.params;
  if ((rc = check_tune_section(t.params)) || (rc = read_options(&t, &cli)) ||
      (rc = read_space(&t)) || (rc = read_instances(&t)) || (rc = validate_space(&t)))
    goto out;
  if (po_sweep_file_kind(t.out) != -2 && !po_tune_store_is_record(t.out)) {
    rc = po_error(PO_ERR_ARG, "%s exists and is not a tune record; choose another --out", t.out);
    goto out;
  }
  if ((rc = po_sweep_cache_create(&t.cache))) goto out;
  po_cli_interrupt_note("runs committed so far are in %s.d/ (part files are committed at least "
                        "every %g s); rerun the same command to continue: finished runs are "
                        "reused and the result is the same",
                        t.out, t.flush_s);
  t.t0 = po_cli_now();
  po_tune_callbacks cb = {evaluate, progress, &t};
  rc = po_tune_run(&t.space, &t.opt, &cb, &res);
  if (!rc) rc = write_outputs(&t, &res);
  if (!rc) print_summary(&t, &res, cli.json);
out:
  po_tune_result_free(&res);
  tune_ctx_free(&t);
  po_dist_finish(&t.d);
  po_cli_free(&cli);
  return po_cli_exit(rc);
}
