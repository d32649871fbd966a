/* One anneal run, configured from po_params (physopt/run.h). */
#include "physopt/run.h"
#include "algorithms/run_util.h"
#include "physopt/error.h"
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Replicas: 128 = two 64-bit words of the cpu multi-spin kernel, one per
 * core on 2 cores; with the cpu's 5000 sweeps they reach the best-known cut
 * of G22 in about 5-10 s (docs/cpu-backend.md). */
static const po_param_spec run_specs[] = {
    PO_RUN_COMMON_SPECS,
    PO_RUN_TASK_SPEC,
    {"backend", PO_PARAM_STRING, "cpu", 0, 0, NULL, "", "backend name (physopt backends)"},
    {"algorithm", PO_PARAM_STRING, NULL, 0, 0, NULL, "",
     "annealing algorithm of the backend (physopt backends); default: the backend's first"},
    {"replicas", PO_PARAM_INT, "128", 1, 1 << 24, NULL, "1",
     "independent runs (pt: independent tempering chains)"},
    {"steps", PO_PARAM_INT, NULL, 1, 1e12, NULL, "1",
     "sweeps (cpu) or integration steps (cim); default: the algorithm's (physopt backends)"},
    {"target_energy", PO_PARAM_DOUBLE, NULL, -1e300, 1e300, NULL, "1",
     "success when E <= target; default: the problem's known ground energy"},
    {"target_cut", PO_PARAM_DOUBLE, NULL, -1e300, 1e300, NULL, "1",
     "success when cut >= target (MaxCut problems without fields)"},
    {"run_id", PO_PARAM_INT, "0", 0, 1.8446744073709552e19, NULL, "1",
     "run id: random streams are (seed, run_id, replica); physopt sweep sets it"},
    {"save_trajectories", PO_PARAM_BOOL, "false", 0, 0, NULL, "",
     "solve: record the device state of one replica (cim: amplitudes x(t)) into /trajectory "
     "of --out"},
    {"trajectory_every", PO_PARAM_INT, "10", 1, 1e12, NULL, "steps",
     "solve: steps between trajectory records"},
    {"trajectory_replica", PO_PARAM_INT, "0", 0, 16777215, NULL, "1",
     "solve: replica whose trajectory is recorded"},
};
const po_param_section po_run_section = {"run", run_specs, PO_RUN_N_OF(run_specs)};

/* problem.format's choices and help, from the one list of formats. */
#define PO_RUN_FORMAT_CHOICE(name, ext, reader, binary, summary) "|" #name
#define PO_RUN_FORMAT_EXT(name, ext, reader, binary, summary)    ext ": " #name "; "
static const po_param_spec problem_specs[] = {
    {"spec", PO_PARAM_STRING, NULL, 0, 0, NULL, "",
     "file (see problem.format) or sk:N:SEED[:gauss|:pm] or wishart:N:M:SEED; "
     "default (solve): the demonstration (G22)"},
    {"format", PO_PARAM_STRING, "auto", 0, 0, "auto" PO_PROBLEM_FORMATS(PO_RUN_FORMAT_CHOICE), "",
     "problem file format; auto: by extension (" PO_PROBLEM_FORMATS(
         PO_RUN_FORMAT_EXT) "other: gset)"},
    {"duplicates", PO_PARAM_STRING, "reject", 0, 0, "reject|sum", "",
     "duplicate edges in files: reject (error naming the line) or sum the weights"},
    {"storage", PO_PARAM_STRING, "auto", 0, 0, "auto|dense|csr", "",
     "coupling storage; auto = CSR below 25% density"},
};
const po_param_section po_run_problem_section = {"problem", problem_specs,
                                                 PO_RUN_N_OF(problem_specs)};

static const po_param_spec schedule_specs[] = {
    {"spec", PO_PARAM_STRING, NULL, 0, 0, NULL, "",
     "one-string form: default, linear:A:B, geometric:A:B, tanh:A:B:C, table:FILE"},
    {"kind", PO_PARAM_STRING, "default", 0, 0, "default|linear|geometric|tanh|table", "",
     "default: the backend derives it (cpu: geometric beta from the couplings)"},
    {"start", PO_PARAM_DOUBLE, NULL, -1e300, 1e300, NULL, "1",
     "control value at the first step (cpu: inverse temperature)"},
    {"end", PO_PARAM_DOUBLE, NULL, -1e300, 1e300, NULL, "1", "control value at the last step"},
    {"steepness", PO_PARAM_DOUBLE, "3", 1e-9, 1e6, NULL, "1", "tanh only"},
    {"file", PO_PARAM_STRING, NULL, 0, 0, NULL, "", "table only: lines 't value', t in [0, 1]"},
};
const po_param_section po_run_schedule_section = {"schedule", schedule_specs,
                                                  PO_RUN_N_OF(schedule_specs)};

int po_run_find_backend(const po_params *p, const po_backend_ops **ops) {
  const char *name;
  po_backend_info info;
  int rc = po_params_string(p, &po_run_section, "backend", &name);
  if (!rc) rc = po_backend_info_get(name, &info); /* unknown names: the error lists them */
  *ops = rc ? NULL : info.ops;
  return rc;
}

int po_run_check_task(const po_params *p, const char *task, const char *command) {
  const char *t = po_params_get(p, "run", "task");
  if (!t || !strcmp(t, task)) return PO_OK;
  return po_error(PO_ERR_ARG,
                  "run.task = %s: physopt %s runs task %s (a configuration with task = %s is for "
                  "physopt %s, or physopt sweep)",
                  t, command, task, t, !strcmp(t, "anneal") ? "solve" : t);
}

size_t po_run_sections(const po_backend_info *info, const po_param_section **secs, size_t n,
                       size_t cap) {
  for (int i = 0; i < info->n_sections && n < cap; i++) secs[n++] = info->sections[i];
  return n;
}

/* Optional double key of [run]: *has = 0 when unset. */
static int optional_double(const po_params *p, const char *key, int *has, double *v) {
  *has = po_params_get(p, "run", key) != NULL;
  return *has ? po_params_double(p, &po_run_section, key, v) : PO_OK;
}

int po_run_config_read(const po_params *p, const po_backend_ops *ops, po_run_config *c) {
  memset(c, 0, sizeof *c);
  c->backend = ops;
  int rc;
  const po_algorithm *alg;
  if ((rc = po_backend_info_get(ops->name, &c->info)) ||
      (rc = po_backend_algorithm(&c->info, po_params_get(p, "run", "algorithm"), &alg)) ||
      (rc = po_params_int(p, &po_run_section, "replicas", &c->replicas)) ||
      (rc = po_params_u64(p, &po_run_section, "run_id", &c->run_id)))
    return rc;
  c->annealer = c->info.serves[PO_OP_ANNEAL];
  snprintf(c->algorithm, sizeof c->algorithm, "%s", alg->name);
  if (po_params_get(p, "run", "steps")) {
    if ((rc = po_params_int(p, &po_run_section, "steps", &c->steps))) return rc;
  } else {
    c->steps = alg->default_steps;
  }
  if ((rc = optional_double(p, "target_energy", &c->has_target_energy, &c->target_energy)) ||
      (rc = optional_double(p, "target_cut", &c->has_target_cut, &c->target_cut)))
    return rc;
  if (c->has_target_energy && c->has_target_cut)
    return po_error(PO_ERR_ARG, "run.target_energy and run.target_cut are both set; give one");
  const char *dup, *storage;
  if ((rc = po_params_string(p, &po_run_problem_section, "format", &c->load.format)) ||
      (rc = po_params_string(p, &po_run_problem_section, "duplicates", &dup)) ||
      (rc = po_params_string(p, &po_run_problem_section, "storage", &storage)))
    return rc;
  c->load.duplicates = !strcmp(dup, "sum") ? PO_DUP_SUM : PO_DUP_REJECT;
  c->load.storage = !strcmp(storage, "dense") ? PO_STORAGE_DENSE
                    : !strcmp(storage, "csr") ? PO_STORAGE_CSR
                                              : -1;
  return PO_OK;
}

int po_run_resolve_target(po_run_config *c, const po_ising *m) {
  c->has_target = 0;
  c->target = NAN;
  c->target_note[0] = '\0';
  if (c->has_target_energy) {
    c->target = c->target_energy;
    snprintf(c->target_note, sizeof c->target_note, "run.target_energy");
  } else if (c->has_target_cut) {
    if (m->h)
      return po_error(PO_ERR_ARG,
                      "run.target_cut needs a MaxCut problem without fields (%s has "
                      "fields); use run.target_energy",
                      m->source);
    c->target = po_ising_energy_of_cut(m, c->target_cut);
    snprintf(c->target_note, sizeof c->target_note, "cut >= %.10g", c->target_cut);
  } else if (m->has_ground) {
    c->target = m->ground_energy;
    snprintf(c->target_note, sizeof c->target_note, "known ground energy");
  } else {
    return PO_OK;
  }
  c->has_target = 1;
  return PO_OK;
}

int po_run_make_schedule(const po_params *p, po_schedule *s, char *desc, size_t size) {
  memset(s, 0, sizeof *s);
  const char *sp = po_params_get(p, "schedule", "spec");
  static const char *const parts[] = {"kind", "start", "end", "steepness", "file"};
  if (sp) {
    for (size_t i = 0; i < PO_RUN_N_OF(parts); i++)
      if (po_params_get(p, "schedule", parts[i]))
        return po_error(PO_ERR_ARG,
                        "schedule.spec = '%s' and schedule.%s are both set; use one form", sp,
                        parts[i]);
    snprintf(desc, size, "%s", sp);
    int rc = po_schedule_parse(s, sp);
    return rc ? po_error_wrap(rc, "schedule.spec") : PO_OK;
  }
  const char *kind;
  int rc = po_params_string(p, &po_run_schedule_section, "kind", &kind);
  if (rc) return rc;
  if (!strcmp(kind, "default")) {
    snprintf(desc, size, "default");
    return PO_OK;
  }
  if (!strcmp(kind, "table")) {
    const char *file = po_params_get(p, "schedule", "file");
    if (!file) return po_error(PO_ERR_ARG, "schedule.kind = table needs schedule.file");
    snprintf(desc, size, "table:%s", file);
    return po_schedule_load_table(s, file);
  }
  double a, b, c = 0;
  if (!po_params_get(p, "schedule", "start") || !po_params_get(p, "schedule", "end"))
    return po_error(PO_ERR_ARG, "schedule.kind = %s needs schedule.start and schedule.end", kind);
  if ((rc = po_params_double(p, &po_run_schedule_section, "start", &a)) ||
      (rc = po_params_double(p, &po_run_schedule_section, "end", &b)) ||
      (rc = po_params_double(p, &po_run_schedule_section, "steepness", &c)))
    return rc;
  po_schedule_kind k = !strcmp(kind, "linear")      ? PO_SCHED_LINEAR
                       : !strcmp(kind, "geometric") ? PO_SCHED_GEOMETRIC
                                                    : PO_SCHED_TANH;
  if (k == PO_SCHED_TANH)
    snprintf(desc, size, "tanh:%g:%g:%g", a, b, c);
  else
    snprintf(desc, size, "%s:%g:%g", kind, a, b);
  return po_schedule_init(s, k, a, b, c);
}

void po_run_fill_ledger_times(po_ledger *l, double wall_s) {
  if (l->wall_s <= 0) l->wall_s = wall_s;
  if (l->device_s <= 0) l->device_s = l->wall_s;
  if (l->run_s <= 0) l->run_s = l->device_s;
}

int po_run_anneal(const po_run_config *c, const po_params *p, const po_ising *m,
                  const po_schedule *s, const po_anneal_opts *o, po_run_result *r) {
  memset(r, 0, sizeof *r);
  po_params *rp = NULL; /* p with the recipe's defaults, when one applies */
  int rc = po_run_recipe_resolve(p, c->backend->name, c->algorithm, m, &rp, &r->recipe);
  if (rc) return rc;
  rc = po_backend_open(c->backend->name, rp ? rp : p, &r->backend);
  po_params_destroy(rp);
  if (rc) return rc;
  po_backend_set_seed(r->backend, o->seed); /* device noise outside ising_anneal */
  po_anneal_opts ao = *o;
  ao.algorithm = c->algorithm;
  ao.replicas = (int)c->replicas;
  ao.steps = c->steps;
  ao.run_id = c->run_id;
  ao.threads = r->threads = o->threads > 0 ? o->threads : omp_get_max_threads();
  double t0 = po_run_now_s();
  rc = po_backend_ising_anneal(r->backend, m, s, &ao, &r->samples);
  double wall = po_run_now_s() - t0;
  if (rc) return rc;
  if (po_stop_requested()) /* the samples are incomplete (po_request_stop) */
    return po_error(PO_ERR_INTERRUPTED, "interrupted: the anneal was stopped by a stop request "
                                        "(Ctrl-C); nothing was returned");
  r->ledger = po_backend_ledger(r->backend);
  po_run_fill_ledger_times(r->ledger, wall);
  if (strcmp(r->recipe.name, "none")) { /* recorded with the model (JSON, HDF5 model/) */
    char logical[256];
    po_recipe_path(c->backend->name, r->recipe.name, logical, sizeof logical);
    po_ledger_model_set(r->ledger, "recipe", PO_MODEL_TEXT, r->recipe.name, 0);
    po_ledger_model_set(r->ledger, "recipe_file", PO_MODEL_TEXT, logical, 0);
  }
  return po_metrics_compute(&r->samples, m, c->has_target, c->target, r->ledger->run_s,
                            &r->metrics);
}

void po_run_result_free(po_run_result *r) {
  po_samples_free(&r->samples);
  po_backend_close(r->backend);
  memset(r, 0, sizeof *r);
}

struct po_solve {
  po_run_config cfg;
  po_run_result res;
  po_ising *opened; /* the model read from problem.spec, else NULL */
  const po_ising *model;
  uint64_t seed;
  char schedule[256];
};

/* The sections physopt solve accepts with this backend (cli/cmd_solve.c). */
static size_t solve_sections(const po_backend_info *info, const po_param_section **secs,
                             size_t cap) {
  secs[0] = &po_run_section;
  secs[1] = &po_run_problem_section;
  secs[2] = &po_run_schedule_section;
  return po_run_sections(info, secs, 3, cap);
}

static int solve_steps(const po_params *p, po_solve *s) {
  const po_backend_ops *ops;
  po_backend_info info;
  int rc;
  if ((rc = po_run_find_backend(p, &ops)) || (rc = po_backend_info_get(ops->name, &info)))
    return rc;
  const po_param_section *secs[3 + PO_BACKEND_MAX_SECTIONS];
  long threads;
  po_schedule sched = {0};
  if ((rc = po_params_check(p, secs, solve_sections(&info, secs, PO_RUN_N_OF(secs)))) ||
      (rc = po_params_u64(p, &po_run_section, "seed", &s->seed)) ||
      (rc = po_params_int(p, &po_run_section, "threads", &threads)) ||
      (rc = po_run_config_read(p, ops, &s->cfg)))
    return rc;
  if (!s->model) {
    const char *spec = po_params_get(p, "problem", "spec");
    if (!spec || !*spec) return po_error(PO_ERR_ARG, "no problem: give a model or problem.spec");
    if ((rc = po_problem_open(spec, &s->cfg.load, &s->opened))) return rc;
    s->model = s->opened;
  }
  if ((rc = po_run_resolve_target(&s->cfg, s->model)) ||
      (rc = po_run_make_schedule(p, &sched, s->schedule, sizeof s->schedule)))
    return rc;
  po_anneal_opts ao = {.seed = s->seed, .threads = (int)threads};
  rc = po_run_anneal(&s->cfg, p, s->model, &sched, &ao, &s->res);
  po_schedule_free(&sched);
  return rc;
}

int po_solve_run(const po_params *p, const po_ising *model, po_solve **out) {
  *out = calloc(1, sizeof **out);
  if (!*out) return po_error(PO_ERR_NOMEM, "out of memory");
  (*out)->model = model;
  return solve_steps(p, *out);
}

void po_solve_free(po_solve *s) {
  if (!s) return;
  po_run_result_free(&s->res);
  if (s->opened) po_ising_destroy(s->opened);
  free(s);
}

const po_samples *po_solve_samples(const po_solve *s) {
  return &s->res.samples;
}
const po_metrics *po_solve_metrics(const po_solve *s) {
  return &s->res.metrics;
}
const po_ledger *po_solve_ledger(const po_solve *s) {
  return s->res.ledger;
}
const po_ising *po_solve_model(const po_solve *s) {
  return s->model;
}

const char *po_solve_text(const po_solve *s, const char *what) {
  if (!strcmp(what, "algorithm")) return s->cfg.algorithm;
  if (!strcmp(what, "schedule")) return s->schedule;
  if (!strcmp(what, "target")) return s->cfg.target_note;
  if (!strcmp(what, "backend")) return s->cfg.backend ? s->cfg.backend->name : "";
  return NULL;
}

double po_solve_number(const po_solve *s, const char *what) {
  if (!strcmp(what, "steps")) return (double)s->cfg.steps;
  if (!strcmp(what, "replicas")) return (double)s->cfg.replicas;
  if (!strcmp(what, "threads")) return s->res.threads;
  if (!strcmp(what, "seed")) return (double)s->seed;
  return NAN;
}
