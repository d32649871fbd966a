/* One sweep run through the library (cli/sweep_exec.h). */
#include "cli/sweep_exec.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/common.h"
#include "io/h5.h"
#include "physopt/sweep.h"

/* The run configuration keys (the same as `physopt solve`). */
static const po_param_spec problem_specs[] = {
    {"file", PO_PARAM_STRING, NULL, 0, 0, NULL, "path",
     "problem file (G-set/rudy edge list) or generator spec sk:N:SEED[:gauss|:pm], "
     "wishart:N:M:SEED"},
    {"target_energy", PO_PARAM_DOUBLE, NULL, -1e300, 1e300, NULL, "1",
     "success threshold on E(s) (default: the known ground energy)"},
    {"target_cut", PO_PARAM_DOUBLE, NULL, 0, 1e300, NULL, "1",
     "success threshold as a MaxCut value"},
};
static const po_param_spec backend_specs[] = {
    {"name", PO_PARAM_STRING, "cpu", 0, 0, NULL, "", "backend (physopt backends lists them)"},
};
static const po_param_spec run_specs[] = {
    {"seed", PO_PARAM_INT, "1", 0, 9007199254740992.0, NULL, "1",
     "sweep seed when [sweep] seed is unset"},
    {"threads", PO_PARAM_INT, "0", 0, 4096, NULL, "1", "OpenMP threads (0 = OMP default)"},
    {"out", PO_PARAM_STRING, NULL, 0, 0, NULL, "path", "HDF5 results file"},
    {"json", PO_PARAM_BOOL, "false", 0, 0, NULL, "1", "JSON summary on stdout"},
    {"algorithm", PO_PARAM_STRING, "sa", 0, 0, NULL, "", "backend algorithm (cpu: sa|pt)"},
    {"replicas", PO_PARAM_INT, "64", 1, 1e6, NULL, "1", "independent replicas per run"},
    {"sweeps", PO_PARAM_INT, "1000", 1, 1e12, NULL, "sweeps",
     "annealing steps (cpu: Metropolis sweeps; cim: integration steps)"},
};
static const po_param_spec schedule_specs[] = {
    {"spec", PO_PARAM_STRING, "default", 0, 0, NULL, "",
     "linear:A:B | geometric:A:B | tanh:A:B:C | table:FILE | default"},
};
static const po_param_section problem_sec = {"problem", problem_specs, 3};
static const po_param_section backend_sec = {"backend", backend_specs, 1};
static const po_param_section run_sec = {"run", run_specs, 7};
static const po_param_section schedule_sec = {"schedule", schedule_specs, 1};

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

static int cache_get(po_sweep_cache *c, const char *spec, po_ising **m) {
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
  int rc = po_problem_open(spec, NULL, &nm);
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
  const po_param_section **secs = calloc(4 + 2 * nb, sizeof *secs);
  if (!secs) return po_error(PO_ERR_NOMEM, "out of memory");
  size_t n = 0;
  secs[n++] = &problem_sec;
  secs[n++] = &backend_sec;
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
  const char *spec, *backend, *algorithm, *sched;
  long replicas, sweeps;
  int rc;
  if ((rc = po_params_string(run, &problem_sec, "file", &spec))) return rc;
  if (!spec) return po_error(PO_ERR_ARG, "problem.file is not set (a path or sk:N:SEED)");
  if ((rc = po_params_string(run, &backend_sec, "name", &backend)) ||
      (rc = po_params_string(run, &run_sec, "algorithm", &algorithm)) ||
      (rc = po_params_int(run, &run_sec, "replicas", &replicas)) ||
      (rc = po_params_int(run, &run_sec, "sweeps", &sweeps)) ||
      (rc = po_params_string(run, &schedule_sec, "spec", &sched)))
    return rc;
  po_ising *m = NULL;
  if ((rc = cache_get(c, spec, &m))) return rc;
  int has_target = m->has_ground;
  double target = m->ground_energy;
  if (po_params_get(run, "problem", "target_cut")) {
    double cut;
    if ((rc = po_params_double(run, &problem_sec, "target_cut", &cut))) return rc;
    target = po_ising_energy_of_cut(m, cut);
    has_target = 1;
  }
  if (po_params_get(run, "problem", "target_energy")) {
    if ((rc = po_params_double(run, &problem_sec, "target_energy", &target))) return rc;
    has_target = 1;
  }
  po_schedule s;
  if ((rc = po_schedule_parse(&s, sched))) return rc;
  po_backend *b = NULL;
  po_samples smp = {0};
  if ((rc = po_backend_open(backend, run, &b))) goto done;
  po_backend_set_seed(b, info->seed);
  po_anneal_opts o = {.algorithm = algorithm,
                      .replicas = (int)replicas,
                      .steps = sweeps,
                      .seed = info->seed,
                      .run_id = info->id,
                      .threads = info->threads};
  if ((rc = po_backend_ising_anneal(b, m, &s, &o, &smp))) goto done;
  po_h5_run rec;
  memset(&rec, 0, sizeof rec);
  snprintf(rec.backend, sizeof rec.backend, "%s", backend);
  snprintf(rec.algorithm, sizeof rec.algorithm, "%s", algorithm);
  snprintf(rec.schedule, sizeof rec.schedule, "%s", sched);
  rec.steps = sweeps;
  rec.threads = info->threads;
  rec.seed = info->seed;
  rec.run_id = info->id;
  po_h5_problem_from_ising(&rec.problem, m);
  rec.samples = smp;
  rec.ledger = *po_backend_ledger(b);
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
