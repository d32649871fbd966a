/* One sweep run through the library (cli/sweep_exec.h). */
#include "cli/sweep_exec.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/common.h"
#include "cli/run_config.h"
#include "io/h5.h"
#include "physopt/sweep.h"

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
  secs[n++] = &po_run_problem_section;
  secs[n++] = &po_run_section;
  secs[n++] = &po_run_schedule_section;
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
