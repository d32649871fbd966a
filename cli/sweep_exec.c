/* One sweep run through the library (cli/sweep_exec.h). */
#include "cli/sweep_exec.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/common.h"
#include "io/h5.h"
#include "physopt/sweep.h"

/* The run configuration keys: the same as `physopt solve` (cli/cmd_solve.c,
 * docs/cli.md) so that any solve config is a one-run sweep file.  Keep in
 * step with cmd_solve.c. */
static const po_param_spec run_specs[] = {
    PO_CLI_COMMON_RUN_SPECS,
    {"backend", PO_PARAM_STRING, "cpu", 0, 0, NULL, "", "backend name (physopt backends)"},
    {"algorithm", PO_PARAM_STRING, NULL, 0, 0, NULL, "",
     "annealing algorithm of the backend (cpu: sa|pt); default: the backend's first"},
    {"replicas", PO_PARAM_INT, "64", 1, 1 << 24, NULL, "1",
     "independent runs (pt: temperatures of the chain)"},
    {"steps", PO_PARAM_INT, NULL, 1, 1e12, NULL, "1",
     "sweeps (cpu) or integration steps (cim); default cpu 20000, other backends 1000"},
    {"target_energy", PO_PARAM_DOUBLE, NULL, -1e300, 1e300, NULL, "1",
     "success when E <= target; default: the problem's known ground energy"},
    {"target_cut", PO_PARAM_DOUBLE, NULL, -1e300, 1e300, NULL, "1",
     "success when cut >= target (MaxCut problems without fields)"},
    {"run_id", PO_PARAM_INT, "0", 0, 9007199254740992.0, NULL, "1",
     "set by the sweep (the run id); not a sweep key"},
};
static const po_param_spec problem_specs[] = {
    {"spec", PO_PARAM_STRING, NULL, 0, 0, NULL, "",
     "file (G-set/rudy edge list) or sk:N:SEED[:gauss|:pm] or wishart:N:M:SEED"},
    {"duplicates", PO_PARAM_STRING, "reject", 0, 0, "reject|sum", "",
     "duplicate edges in files: reject (error naming the line) or sum the weights"},
    {"storage", PO_PARAM_STRING, "auto", 0, 0, "auto|dense|csr", "",
     "coupling storage; auto = CSR below 25% density"},
};
static const po_param_spec schedule_specs[] = {
    {"spec", PO_PARAM_STRING, NULL, 0, 0, NULL, "",
     "one-string form: default, linear:A:B, geometric:A:B, tanh:A:B:C, table:FILE"},
    {"kind", PO_PARAM_STRING, "default", 0, 0, "default|linear|geometric|tanh|table", "",
     "default: the backend derives it (cpu: geometric beta from the couplings)"},
    {"start", PO_PARAM_DOUBLE, NULL, -1e300, 1e300, NULL, "1", "control value at the first step"},
    {"end", PO_PARAM_DOUBLE, NULL, -1e300, 1e300, NULL, "1", "control value at the last step"},
    {"steepness", PO_PARAM_DOUBLE, "3", 1e-9, 1e6, NULL, "1", "tanh only"},
    {"file", PO_PARAM_STRING, NULL, 0, 0, NULL, "", "table only: lines 't value', t in [0, 1]"},
};
static const po_param_section run_sec = {"run", run_specs, PO_CLI_N(run_specs)};
static const po_param_section problem_sec = {"problem", problem_specs, PO_CLI_N(problem_specs)};
static const po_param_section schedule_sec = {"schedule", schedule_specs, PO_CLI_N(schedule_specs)};

/* The backend's algorithm: the given one must be listed in ops->algorithms;
 * the default is the first listed (as solve does). */
static int pick_algorithm(const po_backend_ops *ops, const char *given, char *out, size_t size) {
  const char *list = ops->algorithms;
  if (!list || !*list) {
    snprintf(out, size, "%s", given ? given : "default");
    return PO_OK;
  }
  if (!given) {
    snprintf(out, size, "%.*s", (int)strcspn(list, "|"), list);
    return PO_OK;
  }
  for (const char *c = list; *c;) {
    size_t len = strcspn(c, "|");
    if (len == strlen(given) && !strncmp(c, given, len)) {
      snprintf(out, size, "%s", given);
      return PO_OK;
    }
    c += len;
    if (*c) c++;
  }
  return po_error(PO_ERR_ARG, "run.algorithm = '%s' is not an algorithm of backend %s (valid: %s)",
                  given, ops->name, list);
}

/* schedule.spec, or kind/start/end/steepness/file (as solve). */
static int make_schedule(const po_params *p, po_schedule *s, char *desc, size_t size) {
  memset(s, 0, sizeof *s);
  const char *sp = po_params_get(p, "schedule", "spec");
  if (sp) {
    snprintf(desc, size, "%s", sp);
    int rc = po_schedule_parse(s, sp);
    return rc ? po_error_wrap(rc, "schedule.spec") : PO_OK;
  }
  const char *kind;
  int rc = po_params_string(p, &schedule_sec, "kind", &kind);
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
  if ((rc = po_params_double(p, &schedule_sec, "start", &a)) ||
      (rc = po_params_double(p, &schedule_sec, "end", &b)) ||
      (rc = po_params_double(p, &schedule_sec, "steepness", &c)))
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

#define CACHE_SLOTS 4
struct po_sweep_cache {
  char *spec[CACHE_SLOTS];
  po_ising *m[CACHE_SLOTS];
  unsigned long used[CACHE_SLOTS], clock;
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

int po_sweep_check_params(const po_params *run) {
  size_t nb = po_backend_count();
  if (po_params_get(run, "run", "run_id"))
    return po_error(PO_ERR_ARG,
                    "run.run_id is set by the sweep (the run id of each run); remove it");
  const po_param_section **secs = calloc(3 + 2 * nb, sizeof *secs);
  if (!secs) return po_error(PO_ERR_NOMEM, "out of memory");
  size_t n = 0;
  secs[n++] = &problem_sec;
  secs[n++] = &run_sec;
  secs[n++] = &schedule_sec;
  for (size_t i = 0; i < nb; i++) {
    const po_backend_ops *ops = po_backend_ops_at(i);
    if (ops->params) secs[n++] = ops->params;
    if (ops->energy) secs[n++] = ops->energy;
  }
  int rc = po_params_check(run, secs, n);
  free(secs);
  return rc;
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

int po_sweep_exec(po_sweep_cache *c, const po_params *run, po_sweep_run_info *info, hid_t group) {
  double t0 = po_cli_now();
  const char *spec, *backend, *dup, *storage;
  long replicas, steps;
  char algorithm[64], sched[256];
  int rc;
  if ((rc = po_params_string(run, &problem_sec, "spec", &spec))) return rc;
  if (!spec) return po_error(PO_ERR_ARG, "problem.spec is not set (a file or sk:N:SEED)");
  if ((rc = po_params_string(run, &run_sec, "backend", &backend)) ||
      (rc = po_params_int(run, &run_sec, "replicas", &replicas)) ||
      (rc = po_params_string(run, &problem_sec, "duplicates", &dup)) ||
      (rc = po_params_string(run, &problem_sec, "storage", &storage)))
    return rc;
  const po_backend_ops *ops = po_backend_find(backend);
  if (!ops) {
    po_backend *tmp = NULL;
    rc = po_backend_open(backend, NULL, &tmp); /* phrases the error with the list */
    po_backend_close(tmp);
    return rc ? rc : po_error(PO_ERR_NOT_FOUND, "unknown backend '%s'", backend);
  }
  if ((rc = pick_algorithm(ops, po_params_get(run, "run", "algorithm"), algorithm,
                           sizeof algorithm)))
    return rc;
  if (po_params_get(run, "run", "steps")) {
    if ((rc = po_params_int(run, &run_sec, "steps", &steps))) return rc;
  } else
    steps = !strcmp(ops->name, "cpu") ? 20000 : 1000;
  po_load_opts lo = {!strcmp(dup, "sum") ? PO_DUP_SUM : PO_DUP_REJECT,
                     !strcmp(storage, "dense") ? PO_STORAGE_DENSE
                     : !strcmp(storage, "csr") ? PO_STORAGE_CSR
                                               : -1};
  po_ising *m = NULL;
  if ((rc = cache_get(c, spec, &lo, &m))) return rc;
  int has_target = m->has_ground;
  double target = m->ground_energy;
  int has_te = po_params_get(run, "run", "target_energy") != NULL;
  int has_tc = po_params_get(run, "run", "target_cut") != NULL;
  if (has_te && has_tc)
    return po_error(PO_ERR_ARG, "run.target_energy and run.target_cut are both set; give one");
  if (has_tc) {
    double cut;
    if ((rc = po_params_double(run, &run_sec, "target_cut", &cut))) return rc;
    if (m->h)
      return po_error(PO_ERR_ARG, "run.target_cut needs a MaxCut problem without fields (%s)",
                      m->source);
    target = po_ising_energy_of_cut(m, cut);
    has_target = 1;
  }
  if (has_te) {
    if ((rc = po_params_double(run, &run_sec, "target_energy", &target))) return rc;
    has_target = 1;
  }
  po_schedule s;
  if ((rc = make_schedule(run, &s, sched, sizeof sched))) return rc;
  po_backend *b = NULL;
  po_samples smp = {0};
  if ((rc = po_backend_open(ops->name, run, &b))) goto done;
  po_backend_set_seed(b, info->seed);
  po_anneal_opts o = {.algorithm = algorithm,
                      .replicas = (int)replicas,
                      .steps = steps,
                      .seed = info->seed,
                      .run_id = info->id,
                      .threads = info->threads};
  double ta = po_cli_now();
  if ((rc = po_backend_ising_anneal(b, m, &s, &o, &smp))) goto done;
  double wall = po_cli_now() - ta;
  po_ledger *led = po_backend_ledger(b);
  /* Backends book their own times; fill what one left out (as solve). */
  if (led->wall_s <= 0) led->wall_s = wall;
  if (led->device_s <= 0) led->device_s = led->wall_s;
  if (led->run_s <= 0) led->run_s = led->device_s;
  po_h5_run rec;
  memset(&rec, 0, sizeof rec);
  snprintf(rec.backend, sizeof rec.backend, "%s", ops->name);
  snprintf(rec.algorithm, sizeof rec.algorithm, "%s", algorithm);
  snprintf(rec.schedule, sizeof rec.schedule, "%s", sched);
  rec.steps = steps;
  rec.threads = info->threads;
  rec.seed = info->seed;
  rec.run_id = info->id;
  po_h5_problem_from_ising(&rec.problem, m);
  rec.samples = smp;
  rec.ledger = *led;
  if ((rc = po_metrics_compute(&smp, m, has_target, target, rec.ledger.run_s, &rec.metrics)))
    goto done;
  info->wall_s = po_cli_now() - t0;
  if ((rc = po_h5_write_run(group, &rec))) goto done;
  rc = write_sweep_attrs(group, run, info);
done:
  if (rc) po_error_wrap(rc, "%s on %s", backend, spec);
  po_samples_free(&smp);
  po_backend_close(b);
  po_schedule_free(&s);
  return rc;
}
