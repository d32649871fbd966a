/* One sweep run through the library (cli/sweep_exec.h). */
#include "cli/sweep_exec.h"
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/common.h"
#include "cli/learn_run.h"
#include "cli/recall_run.h"
#include "cli/run_config.h"
#include "io/h5.h"
#include "physopt/sweep.h"

#define CACHE_SLOTS 4
struct po_sweep_cache {
  char *spec[CACHE_SLOTS];
  po_ising *m[CACHE_SLOTS];
  unsigned long used[CACHE_SLOTS], clock;
  /* Learning runs: the last data set split and model file, by name. */
  char data_key[2][600];
  po_dataset *data[2]; /* [0] train, [1] test */
  char model_path[512];
  po_mlp *model;
};

int po_sweep_cache_create(po_sweep_cache **out) {
  *out = calloc(1, sizeof **out);
  return *out ? PO_OK : po_error(PO_ERR_NOMEM, "out of memory");
}

void po_sweep_cache_destroy(po_sweep_cache *c) {
  if (!c) return;
  for (int i = 0; i < CACHE_SLOTS; i++) {
    free(c->spec[i]);
    po_ising_destroy(c->m[i]);
  }
  po_dataset_destroy(c->data[0]);
  po_dataset_destroy(c->data[1]);
  po_mlp_destroy(c->model);
  free(c);
}

static int cache_get(po_sweep_cache *c, const char *spec, const po_load_opts *lo, po_ising **m) {
  c->clock++;
  int lru = 0;
  for (int i = 0; i < CACHE_SLOTS; i++) {
    if (c->spec[i] && !strcmp(c->spec[i], spec)) {
      c->used[i] = c->clock;
      *m = c->m[i];
      return PO_OK;
    }
    if (c->used[i] < c->used[lru]) lru = i;
  }
  po_ising *nm;
  int rc = po_problem_open(spec, lo, &nm);
  if (rc) return rc;
  char *dup = malloc(strlen(spec) + 1);
  if (!dup) {
    po_ising_destroy(nm);
    return po_error(PO_ERR_NOMEM, "out of memory");
  }
  strcpy(dup, spec);
  free(c->spec[lru]);
  po_ising_destroy(c->m[lru]);
  c->spec[lru] = dup;
  c->m[lru] = nm;
  c->used[lru] = c->clock;
  *m = nm;
  return PO_OK;
}

/* The sections a run may use: its task's [run] table (with [problem] and
 * [schedule] for anneal runs) plus every backend's device and cost
 * sections.  *secs is malloc'd. */
static int run_sections(const po_params *run, const po_param_section ***secs, size_t *n) {
  size_t nb = po_backend_count();
  *secs = calloc(3 + 2 * nb, sizeof **secs);
  if (!*secs) return po_error(PO_ERR_NOMEM, "out of memory");
  const po_param_section **s = *secs;
  size_t k = 0;
  const char *task = po_params_get(run, "run", "task");
  if (task && !strcmp(task, "eval")) {
    s[k++] = &po_eval_run_section;
  } else if (task && !strcmp(task, "train")) {
    s[k++] = &po_train_run_section;
  } else if (task && !strcmp(task, "recall")) {
    s[k++] = &po_recall_run_section;
  } else {
    s[k++] = &po_run_problem_section;
    s[k++] = &po_run_section;
    s[k++] = &po_run_schedule_section;
  }
  for (size_t i = 0; i < nb; i++) {
    const po_backend_ops *ops = po_backend_ops_at(i);
    if (ops->params) s[k++] = ops->params;
    if (ops->energy) s[k++] = ops->energy;
  }
  *n = k;
  return PO_OK;
}

int po_sweep_check_params(const po_params *run) {
  const char *task = po_params_get(run, "run", "task");
  if (task && strcmp(task, "anneal") && strcmp(task, "eval") && strcmp(task, "train") &&
      strcmp(task, "recall"))
    return po_error(PO_ERR_ARG, "run.task = %s is not one of anneal, eval, train, recall", task);
  if (po_params_get(run, "run", "run_id"))
    return po_error(PO_ERR_ARG,
                    "run.run_id is set by the sweep (the run id of each run); remove it");
  const po_param_section **secs = NULL;
  size_t n = 0;
  int rc = run_sections(run, &secs, &n);
  if (rc) return rc;
  rc = po_params_check_values(run, secs, n);
  free(secs);
  return rc;
}

/* A file named by a run must be readable before the sweep starts. */
static int check_readable(const char *key, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return po_error(PO_ERR_IO, "%s = %s: cannot open: %s", key, path, strerror(errno));
  fclose(f);
  return PO_OK;
}

static int validate_anneal(const po_params *run) {
  const char *spec;
  const po_backend_ops *ops;
  po_run_config cfg;
  int rc;
  if ((rc = po_params_string(run, &po_run_problem_section, "spec", &spec))) return rc;
  if (!spec) return po_error(PO_ERR_ARG, "problem.spec is not set (a file or sk:N:SEED)");
  if ((rc = po_problem_check(spec))) return po_error_wrap(rc, "problem.spec");
  if ((rc = po_run_find_backend(run, &ops)) || (rc = po_run_config_read(run, ops, &cfg))) return rc;
  po_schedule s;
  char desc[256];
  rc = po_run_make_schedule(run, &s, desc, sizeof desc);
  if (!rc) po_schedule_free(&s);
  return rc;
}

static int validate_learn(const po_params *run, int train) {
  const char *backend;
  int rc = po_params_string(run, train ? &po_train_run_section : &po_eval_run_section, "backend",
                            &backend);
  if (rc) return rc;
  if (!po_backend_find(backend)) {
    po_backend *b = NULL;
    rc = po_backend_open(backend, NULL, &b); /* the error lists the backends */
    po_backend_close(b);
    return rc ? rc : po_error(PO_ERR_NOT_FOUND, "unknown backend '%s'", backend);
  }
  if (train) {
    po_learn_train_config c;
    if ((rc = po_learn_train_read(run, &c)) || (rc = po_dataset_check(c.data, "train")) ||
        (rc = po_dataset_check(c.data, "test")))
      return rc;
    return c.init ? check_readable("run.init", c.init) : PO_OK;
  }
  if (po_params_get(run, "run", "sweep_photons") || po_params_get(run, "run", "plot"))
    return po_error(PO_ERR_ARG,
                    "run.sweep_photons and run.plot belong to physopt eval; in a sweep give "
                    "photonic.photons_per_mac a list and plot with physopt report --plots");
  const char *model = po_params_get(run, "run", "model"), *data;
  if (!model)
    return po_error(PO_ERR_ARG, "run.task = eval needs run.model (a physopt train --out file)");
  if ((rc = po_params_string(run, &po_eval_run_section, "data", &data)) ||
      (rc = po_dataset_check(data, "test")))
    return rc;
  /* "RESULTS.h5:/runs/ID/model" names a model inside a sweep file. */
  const char *colon = strstr(model, ":/");
  if (colon && access(model, F_OK) != 0) {
    char file[4096];
    snprintf(file, sizeof file, "%.*s", (int)(colon - model), model);
    return check_readable("run.model", file);
  }
  return check_readable("run.model", model);
}

/* The recall settings of a run, checked like physopt recall checks them
 * for one experiment (a single dynamics; no capacity sweep or plot). */
static int read_recall(const po_params *run, po_recall_setup *s, long *P, po_recall_dynamics *dyn,
                       const char **dyn_name, double *basin_step) {
  const char *rule;
  int rc = po_recall_read(run, s, P, &rule, dyn_name, basin_step);
  if (rc) return rc;
  if (po_params_get(run, "run", "capacity_sweep") || po_params_get(run, "run", "plot"))
    return po_error(PO_ERR_ARG,
                    "run.capacity_sweep and run.plot belong to physopt recall; in a sweep give "
                    "run.patterns a list and plot with physopt report --plots");
  if ((rc = po_recall_dynamics_parse(*dyn_name, dyn)))
    return po_error_wrap(rc, "run.dynamics (one dynamics per run; a list of runs is a "
                             "comma-separated list in the sweep file)");
  if (s->rule == PO_RULE_PSEUDOINVERSE && *P >= s->n)
    return po_error(PO_ERR_ARG, "run.patterns = %ld: the pseudoinverse rule needs P < N = %d", *P,
                    s->n);
  return PO_OK;
}

static int validate_recall(const po_params *run) {
  const char *backend;
  int rc = po_params_string(run, &po_recall_run_section, "backend", &backend);
  if (rc) return rc;
  po_backend_info info;
  if ((rc = po_backend_info_get(backend, &info))) return rc; /* the error lists the backends */
  const po_backend_ops *ops = info.ops, *server = info.serves[PO_OP_RECALL];
  if (!server) return po_error(PO_ERR_UNSUPPORTED, "run.backend = %s has no recall", backend);
  po_recall_setup s = {0};
  long P;
  po_recall_dynamics dyn;
  const char *dyn_name;
  double basin_step;
  if ((rc = read_recall(run, &s, &P, &dyn, &dyn_name, &basin_step))) return rc;
  const char *list = server->recall_dynamics;
  for (const char *c = list; c && *c;) {
    size_t len = strcspn(c, "|");
    if (len == strlen(dyn_name) && !strncmp(c, dyn_name, len)) return PO_OK;
    c += len + (c[len] == '|');
  }
  if (!list) return PO_OK; /* undeclared: the recall op decides */
  if (server != ops)
    return po_error(PO_ERR_UNSUPPORTED,
                    "run.dynamics = %s: backend %s recalls through %s, which has %s only", dyn_name,
                    backend, server->name, list);
  return po_error(PO_ERR_UNSUPPORTED, "run.dynamics = %s: backend %s has %s only", dyn_name,
                  backend, list);
}

int po_sweep_validate_run(const po_params *run) {
  int rc = po_sweep_check_params(run);
  if (rc) return rc;
  const char *task = po_params_get(run, "run", "task");
  if (task && !strcmp(task, "eval")) return validate_learn(run, 0);
  if (task && !strcmp(task, "train")) return validate_learn(run, 1);
  if (task && !strcmp(task, "recall")) return validate_recall(run);
  return validate_anneal(run);
}

static int write_sweep_attrs(hid_t g, const po_params *run, const po_sweep_run_info *info) {
  char hex[17];
  po_sweep_id_format(info->id, hex);
  int rc = po_h5_attr_string(g, "run_id_hex", hex);
  if (!rc) rc = po_h5_attr_int64(g, "sweep_index", info->index);
  if (!rc) rc = po_h5_attr_int64(g, "repeat", info->repeat);
  if (!rc) rc = po_h5_attr_double(g, "run_wall_s", info->wall_s);
  char *ini = po_params_to_ini(run);
  if (!rc && ini) rc = po_h5_attr_string(g, "config", ini);
  free(ini);
  /* Every parameter as an attribute "param.section.key" (what `report --by` groups on). */
  size_t n = po_params_count(run);
  for (size_t i = 0; !rc && i < n; i++) {
    const char *sec, *key, *val;
    po_params_entry(run, i, &sec, &key, &val);
    if (!strcmp(sec, "run") && (!strcmp(key, "out") || !strcmp(key, "json"))) continue;
    char name[256];
    snprintf(name, sizeof name, "param.%s.%s", sec, key);
    rc = po_h5_attr_string(g, name, val ? val : "");
  }
  return rc;
}

static int exec_anneal(po_sweep_cache *c, const po_params *run, po_sweep_run_info *info,
                       hid_t group) {
  double t0 = po_cli_now();
  const char *spec;
  char sched[256];
  int rc;
  if ((rc = po_params_string(run, &po_run_problem_section, "spec", &spec))) return rc;
  if (!spec) return po_error(PO_ERR_ARG, "problem.spec is not set (a file or sk:N:SEED)");
  const po_backend_ops *ops;
  po_run_config cfg;
  if ((rc = po_run_find_backend(run, &ops)) || (rc = po_run_config_read(run, ops, &cfg))) return rc;
  cfg.run_id = info->id;
  po_ising *m = NULL;
  if ((rc = cache_get(c, spec, &cfg.load, &m)) || (rc = po_run_resolve_target(&cfg, m))) return rc;
  po_schedule s;
  if ((rc = po_run_make_schedule(run, &s, sched, sizeof sched))) return rc;
  po_run_result res = {0};
  po_anneal_opts o = {.seed = info->seed, .threads = info->threads};
  if ((rc = po_run_anneal(&cfg, run, m, &s, &o, &res))) goto done;
  po_h5_run rec;
  memset(&rec, 0, sizeof rec);
  snprintf(rec.backend, sizeof rec.backend, "%s", ops->name);
  snprintf(rec.algorithm, sizeof rec.algorithm, "%s", cfg.algorithm);
  snprintf(rec.schedule, sizeof rec.schedule, "%s", sched);
  rec.steps = cfg.steps;
  rec.threads = res.threads;
  rec.seed = info->seed;
  rec.run_id = info->id;
  po_h5_problem_from_ising(&rec.problem, m);
  rec.samples = res.samples;
  rec.ledger = *res.ledger;
  rec.metrics = res.metrics;
  info->wall_s = po_cli_now() - t0;
  if ((rc = po_h5_write_run(group, &rec))) goto done;
  rc = write_sweep_attrs(group, run, info);
done:
  if (rc) po_error_wrap(rc, "%s on %s", ops->name, spec);
  po_run_result_free(&res);
  po_schedule_free(&s);
  return rc;
}

/* ---- learning runs (run.task = eval | train) ------------------------------ */

static int cached_data(po_sweep_cache *c, const char *name, int test, long n, po_dataset **d) {
  char key[600];
  snprintf(key, sizeof key, "%s\n%ld", name, n);
  if (c->data[test] && !strcmp(c->data_key[test], key)) {
    *d = c->data[test];
    return PO_OK;
  }
  po_dataset_destroy(c->data[test]);
  c->data[test] = NULL;
  int rc = po_dataset_load(name, test ? "test" : "train", (int)n, &c->data[test]);
  if (rc) return rc;
  snprintf(c->data_key[test], sizeof c->data_key[test], "%s", key);
  *d = c->data[test];
  return PO_OK;
}

static int cached_model(po_sweep_cache *c, const char *path, const po_mlp **m) {
  if (!c->model || strcmp(c->model_path, path)) {
    po_mlp_destroy(c->model);
    c->model = NULL;
    po_cli_reading(path);
    int rc = po_mlp_load(path, &c->model);
    po_cli_reading(NULL);
    if (rc) return rc;
    snprintf(c->model_path, sizeof c->model_path, "%s", path);
  }
  *m = c->model;
  return PO_OK;
}

static void learn_record_test(po_h5_learn_run *rec, const po_learn_point *pt) {
  rec->test_accuracy = pt->accuracy;
  rec->test_accuracy_sd = pt->accuracy_sd;
  rec->test_loss = pt->loss;
  rec->photons_per_mac = pt->photons;
  rec->macs = pt->macs;
  rec->energy_per_mac_j = pt->e_mac;
  rec->optical_energy_per_mac_j = pt->e_optical;
  rec->ledger = pt->ledger;
}

/* The sweep's own seed and threads, not run.seed / run.threads. */
static void learn_record_init(po_h5_learn_run *rec, const char *task, const char *backend,
                              const char *data, const po_sweep_run_info *info) {
  memset(rec, 0, sizeof *rec);
  snprintf(rec->task, sizeof rec->task, "%s", task);
  snprintf(rec->backend, sizeof rec->backend, "%s", backend);
  snprintf(rec->data, sizeof rec->data, "%s", data);
  rec->seed = info->seed;
  rec->run_id = info->id;
  rec->threads = info->threads > 0 ? info->threads : omp_get_max_threads();
  rec->train_loss = rec->train_accuracy = rec->train_joules = rec->train_s = NAN;
}

static int exec_eval(po_sweep_cache *c, const po_params *run, po_sweep_run_info *info,
                     hid_t group) {
  const po_param_section *s = &po_eval_run_section;
  double t0 = po_cli_now();
  const char *backend, *data, *model;
  long ntest, batch, repeats;
  int rc;
  if ((rc = validate_learn(run, 0)) || (rc = po_params_string(run, s, "backend", &backend)) ||
      (rc = po_params_string(run, s, "data", &data)) ||
      (rc = po_params_string(run, s, "model", &model)) ||
      (rc = po_params_int(run, s, "test_samples", &ntest)) ||
      (rc = po_params_int(run, s, "batch", &batch)) ||
      (rc = po_params_int(run, s, "repeats", &repeats)))
    return rc;
  const po_mlp *m;
  po_dataset *te;
  if ((rc = cached_model(c, model, &m)) || (rc = cached_data(c, data, 1, ntest, &te))) return rc;
  if (info->threads > 0) omp_set_num_threads(info->threads);
  po_learn_point pt;
  if ((rc = po_learn_eval_on(backend, run, info->seed, (int)repeats, m, te, (int)batch, &pt)))
    return po_error_wrap(rc, "eval of %s on %s", model, backend);
  po_h5_learn_run rec;
  learn_record_init(&rec, "eval", backend, data, info);
  snprintf(rec.model, sizeof rec.model, "%s", model);
  rec.test_samples = te->n;
  learn_record_test(&rec, &pt);
  rec.wall_s = info->wall_s = po_cli_now() - t0;
  if ((rc = po_h5_write_learn_run(group, &rec))) return rc;
  return write_sweep_attrs(group, run, info);
}

static int exec_train(po_sweep_cache *c, const po_params *run, po_sweep_run_info *info,
                      hid_t group) {
  double t0 = po_cli_now();
  po_learn_train_config cfg;
  po_dataset *tr, *te;
  int rc;
  if ((rc = po_learn_train_read(run, &cfg)) ||
      (rc = cached_data(c, cfg.data, 0, cfg.train_samples, &tr)) ||
      (rc = cached_data(c, cfg.data, 1, cfg.test_samples, &te)))
    return rc;
  const po_mlp *init = NULL;
  if (cfg.init && (rc = cached_model(c, cfg.init, &init))) return rc;
  if (info->threads > 0) omp_set_num_threads(info->threads);
  po_learn_train_result r;
  rc = po_learn_train(&cfg, run, info->seed, init, tr, te, NULL, NULL, &r);
  if (!rc) {
    po_h5_learn_run rec;
    learn_record_init(&rec, "train", cfg.backend, cfg.data, info);
    snprintf(rec.model, sizeof rec.model, "%s", cfg.layers);
    rec.train_samples = r.train_samples;
    rec.test_samples = te->n;
    rec.epochs = cfg.epochs;
    rec.train_loss = r.train_loss;
    rec.train_accuracy = r.train_accuracy;
    rec.train_joules = r.train_joules;
    rec.train_s = r.train_s;
    learn_record_test(&rec, &r.test);
    rec.wall_s = info->wall_s = po_cli_now() - t0;
    rc = po_h5_write_learn_run(group, &rec);
    /* The trained model, readable as --model OUT.h5:/runs/ID/model. */
    hid_t mg = -1;
    if (!rc && po_h5_group_create(group, "model", &mg))
      rc = po_error(PO_ERR_IO, "HDF5: cannot create the model group");
    if (!rc) rc = po_mlp_write_group(mg, r.model);
    po_h5_group_close(mg);
  }
  po_mlp_destroy(r.model);
  if (rc) return po_error_wrap(rc, "training on %s", cfg.backend);
  return write_sweep_attrs(group, run, info);
}

/* ---- recall runs (run.task = recall) -------------------------------------- */

/* One recall experiment exactly as `physopt recall --seed SEED` runs it
 * (pattern set 0, device seed SEED). */
static int exec_recall(const po_params *run, po_sweep_run_info *info, hid_t group) {
  double t0 = po_cli_now();
  po_recall_setup s = {0};
  long P;
  po_recall_dynamics dyn;
  const char *backend, *dyn_name;
  double basin_step, basin = NAN;
  int rc;
  if ((rc = po_params_string(run, &po_recall_run_section, "backend", &backend)) ||
      (rc = read_recall(run, &s, &P, &dyn, &dyn_name, &basin_step)) ||
      (rc = po_backend_open(backend, run, &s.b)))
    return rc;
  po_backend_set_seed(s.b, info->seed);
  s.seed = info->seed;
  s.threads = info->threads;
  po_recall_stats st;
  rc = po_recall_point(&s, (int)P, dyn, 0, &st, NULL, basin_step > 0 ? &basin : NULL, basin_step);
  if (!rc) {
    po_h5_recall_run rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.backend, sizeof rec.backend, "%s", backend);
    snprintf(rec.rule, sizeof rec.rule, "%s", po_memory_rule_name(s.rule));
    snprintf(rec.dynamics, sizeof rec.dynamics, "%s", po_recall_dynamics_name(dyn));
    rec.seed = info->seed;
    rec.run_id = info->id;
    rec.threads = info->threads > 0 ? info->threads : omp_get_max_threads();
    rec.spins = s.n;
    rec.patterns = P;
    rec.trials = st.trials;
    rec.alpha = (double)P / s.n;
    rec.corruption = s.F;
    rec.overlap_mean = st.overlap_mean;
    rec.overlap_std = st.overlap_std;
    rec.recall_fraction = st.recall_fraction;
    rec.flips_mean = st.flips_mean;
    rec.basin = basin;
    rec.ledger = *po_backend_ledger(s.b);
    po_run_fill_ledger_times(&rec.ledger, po_cli_now() - t0);
    rec.wall_s = info->wall_s = po_cli_now() - t0;
    rc = po_h5_write_recall_run(group, &rec);
  }
  po_backend_close(s.b);
  if (rc) return po_error_wrap(rc, "recall on %s", backend);
  return write_sweep_attrs(group, run, info);
}

static const char *ground_text(int has, double e, char *buf, size_t size) {
  if (!has) return "none";
  snprintf(buf, size, "%.17g", e);
  return buf;
}

int po_sweep_check_recorded(po_sweep_cache *c, const po_params *run, const po_h5_problem *rec,
                            const char *where) {
  const char *task = po_params_get(run, "run", "task");
  if (task && strcmp(task, "anneal")) return PO_OK; /* no instance file */
  const char *spec;
  const po_backend_ops *ops;
  po_run_config cfg;
  po_ising *m;
  int rc;
  if ((rc = po_params_string(run, &po_run_problem_section, "spec", &spec))) return rc;
  if (!spec) return PO_OK;
  if ((rc = po_run_find_backend(run, &ops)) || (rc = po_run_config_read(run, ops, &cfg)) ||
      (rc = cache_get(c, spec, &cfg.load, &m)))
    return rc;
  if (m->content_hash != rec->content_hash || m->n != rec->n)
    return po_error(PO_ERR_ARG,
                    "%s changed since the runs in %s were written (n = %d, couplings hash "
                    "%016llx then; n = %d, %016llx now): reusing them would mix two problems; "
                    "restore the file, or write to another --out",
                    spec, where, rec->n, (unsigned long long)rec->content_hash, m->n,
                    (unsigned long long)m->content_hash);
  char then[32], now[32];
  if (m->has_ground != rec->has_ground || (m->has_ground && m->ground_energy != rec->ground_energy))
    return po_error(PO_ERR_ARG,
                    "the known ground energy of %s changed since the runs in %s were written "
                    "(%s then, %s now, from the ground_energies.txt beside it): their targets and "
                    "residual energies refer to the old value; restore "
                    "it, or write to another --out",
                    spec, where,
                    ground_text(rec->has_ground, rec->ground_energy, then, sizeof then),
                    ground_text(m->has_ground, m->ground_energy, now, sizeof now));
  return PO_OK;
}

int po_sweep_exec(po_sweep_cache *c, const po_params *run, po_sweep_run_info *info, hid_t group) {
  const char *task = po_params_get(run, "run", "task");
  if (task && !strcmp(task, "eval")) return exec_eval(c, run, info, group);
  if (task && !strcmp(task, "train")) return exec_train(c, run, info, group);
  if (task && !strcmp(task, "recall")) return exec_recall(run, info, group);
  if (task && strcmp(task, "anneal"))
    return po_error(PO_ERR_ARG, "run.task = '%s' is not one of anneal, eval, train, recall", task);
  return exec_anneal(c, run, info, group);
}
