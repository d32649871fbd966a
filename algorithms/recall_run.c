/* Associative-memory recall configured from po_params (physopt/recall_run.h). */
#include "physopt/recall_run.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "physics/cavity.h"
#include "algorithms/run_util.h"
#include "physopt/error.h"
#include "physopt/run.h"

static const po_param_spec recall_specs[] = {
    PO_RUN_COMMON_SPECS,
    PO_RUN_TASK_SPEC,
    {"backend", PO_PARAM_STRING, "cpu", 0, 0, NULL, "", "backend with recall (cpu, cavity)"},
    {"spins", PO_PARAM_INT, "500", 2, 10000, NULL, "1", "neurons N (atomic ensembles)"},
    {"patterns", PO_PARAM_INT, "25", 1, 100000, NULL, "1", "stored memories P"},
    {"rule", PO_PARAM_STRING, "hebbian", 0, 0, "hebbian|pseudoinverse|native", "",
     "storage rule; native = fixed points of the cavity connectivity ([cavity] spread, sigma_a)"},
    {"dynamics", PO_PARAM_STRING, "glauber", 0, 0, NULL, "",
     "glauber|steepest|semiclassical; a comma list compares them in a capacity sweep"},
    {"corruption", PO_PARAM_DOUBLE, "0.1", 0, 1, NULL, "1", "fraction of flipped cue bits"},
    {"trials", PO_PARAM_INT, "4", 1, 1000000, NULL, "1", "cues per stored pattern"},
    {"samples", PO_PARAM_INT, "4", 1, 100000, NULL, "1",
     "independent pattern sets per load in a capacity sweep"},
    {"max_sweeps", PO_PARAM_INT, "1000", 1, 1000000000, NULL, "1",
     "glauber sweeps / steepest flips per spin at most"},
    {"capacity_sweep", PO_PARAM_STRING, NULL, 0, 0, NULL, "",
     "alpha grid A:B:STEP: sweep the load instead of one recall"},
    {"basin_step", PO_PARAM_DOUBLE, "0", 0, 0.5, NULL, "1",
     "capacity sweep: also measure basin sizes on the corruption grid of this step (0 = no)"},
    {"plot", PO_PARAM_STRING, NULL, 0, 0, NULL, "path", "capacity sweep: PNG plot (gnuplot)"},
};
const po_param_section po_recall_run_section = {"run", recall_specs, PO_RUN_N_OF(recall_specs)};

const po_param_section *po_recall_native_section(void) {
  const po_backend_ops *cavity = po_backend_find("cavity");
  return cavity ? cavity->params : NULL;
}

static int read_native_cavity(const po_params *p, po_native_cavity *c) {
  const po_param_section *cs = po_recall_native_section();
  const char *geometry;
  long fam;
  int rc;
  if ((rc = po_params_string(p, cs, "geometry", &geometry)) ||
      (rc = po_params_double(p, cs, "length_um", &c->length_um)) ||
      (rc = po_params_double(p, cs, "mirror_radius_um", &c->mirror_radius_um)) ||
      (rc = po_params_double(p, cs, "wavelength_um", &c->wavelength_um)) ||
      (rc = po_params_double(p, cs, "pump_detuning_mhz", &c->pump_detuning_mhz)) ||
      (rc = po_params_double(p, cs, "kappa_khz", &c->kappa_khz)) ||
      (rc = po_params_double(p, cs, "z_spread_um", &c->z_spread_um)) ||
      (rc = po_params_int(p, cs, "n_families", &fam)))
    return rc;
  c->multimode = !strcmp(geometry, "multimode");
  c->n_families = (int)fam;
  return PO_OK;
}

/* Thermal motion ([cavity] temperature_nk > 0): the ensembles' couplings
 * averaged over Gaussian position jitter of rms sigma_T equal those of
 * ensembles of width sqrt(sigma_a^2 + sigma_T^2) (physics/cavity.h). */
static int widen_thermally(const po_params *p, const po_native_cavity *c, double *sigma_w0) {
  const po_param_section *cs = po_recall_native_section();
  double temp, trap, w0, zr;
  int rc;
  if ((rc = po_params_double(p, cs, "temperature_nk", &temp)) ||
      (rc = po_params_double(p, cs, "trap_hz", &trap)) ||
      (rc = po_params_double(p, cs, "w0_um", &w0)))
    return rc;
  if (!(temp > 0)) return PO_OK;
  if (c->multimode) {
    po_cavity_multimode mm = {.length = c->length_um,
                              .mirror_radius = c->mirror_radius_um,
                              .wavelength = c->wavelength_um};
    if ((rc = po_cavity_multimode_waist(&mm, &w0, &zr))) return rc;
  }
  *sigma_w0 = hypot(*sigma_w0, po_cavity_thermal_sigma_um(temp, trap, PO_RB87_AMU) / w0);
  return PO_OK;
}

int po_recall_read(const po_params *p, po_recall_setup *s, long *patterns, const char **rule,
                   const char **dynamics, double *basin_step) {
  const po_param_section *r = &po_recall_run_section;
  long n;
  int rc;
  if ((rc = po_params_int(p, r, "spins", &n)) || (rc = po_params_int(p, r, "patterns", patterns)) ||
      (rc = po_params_string(p, r, "rule", rule)) ||
      (rc = po_params_string(p, r, "dynamics", dynamics)) ||
      (rc = po_params_double(p, r, "corruption", &s->F)) ||
      (rc = po_params_int(p, r, "trials", &s->trials)) ||
      (rc = po_params_int(p, r, "samples", &s->samples)) ||
      (rc = po_params_int(p, r, "max_sweeps", &s->max_sweeps)) ||
      (rc = po_params_double(p, r, "basin_step", basin_step)) ||
      (rc = po_memory_rule_parse(*rule, &s->rule)) ||
      (rc = po_params_double(p, po_recall_native_section(), "spread", &s->spread)) ||
      (rc = po_params_double(p, po_recall_native_section(), "sigma_a", &s->sigma_a)) ||
      (rc = read_native_cavity(p, &s->cav)) || (rc = widen_thermally(p, &s->cav, &s->sigma_a)))
    return rc;
  s->n = (int)n;
  return PO_OK;
}

/* Stores P patterns (set k) and returns them with W. */
static int build(const po_recall_setup *s, int P, po_recall_dynamics dyn, uint64_t set, int8_t *xi,
                 float *W) {
  const uint64_t seed = po_hash2(s->seed, set);
  if (s->rule == PO_RULE_NATIVE) {
    int rc = po_memory_native_geometry(s->n, s->spread, s->sigma_a, &s->cav, seed, W);
    /* Native memories are the fixed points of the device's own dynamics;
     * semiclassical recall uses the steepest-descent fixed points. */
    return rc ? rc
              : po_memory_native_patterns(s->b, W, s->n, P,
                                          dyn == PO_DYN_SEMICLASSICAL ? PO_DYN_STEEPEST : dyn, seed,
                                          xi);
  }
  int rc = po_memory_patterns_random(s->n, P, seed, xi);
  return rc ? rc : po_memory_store(s->rule, s->n, P, xi, W);
}

int po_recall_point(const po_recall_setup *s, int P, po_recall_dynamics dyn, uint64_t set,
                    po_recall_stats *st, double *overlaps, double *basin, double basin_step) {
  int8_t *xi = malloc((size_t)P * s->n);
  float *W = malloc(sizeof(float) * (size_t)s->n * s->n);
  int rc = (!xi || !W) ? po_error(PO_ERR_NOMEM, "recall: out of memory (N = %d)", s->n) : PO_OK;
  if (!rc) rc = build(s, P, dyn, set, xi, W);
  po_recall_task t = {.n = s->n,
                      .W = W,
                      .dynamics = dyn,
                      .max_sweeps = s->max_sweeps,
                      .seed = s->seed,
                      .run_id = set,
                      .threads = s->threads};
  if (!rc)
    rc = po_memory_recall_eval(s->b, &t, P, xi, s->F, (int)s->trials, po_hash2(s->seed, ~set), st,
                               overlaps);
  if (!rc && basin)
    rc = po_memory_basin(s->b, &t, P, xi, basin_step, (int)s->trials, po_hash2(s->seed, ~set),
                         basin);
  free(xi);
  free(W);
  return rc;
}

static int section_listed(const po_param_section *const *secs, size_t n,
                          const po_param_section *sec) {
  for (size_t i = 0; i < n; i++)
    if (secs[i] == sec) return 1;
  return 0;
}

int po_recall_config_read(const po_params *p, po_recall_config *c) {
  const po_param_section *r = &po_recall_run_section;
  memset(c, 0, sizeof *c);
  int rc = po_params_string(p, r, "backend", &c->backend);
  if (rc) return rc;
  if ((rc = po_backend_info_get(c->backend, &c->info))) return rc; /* the error lists names */
  if (!c->info.serves[PO_OP_RECALL])
    return po_error(PO_ERR_UNSUPPORTED, "backend %s has no recall", c->backend);
  const po_param_section *secs[PO_BACKEND_MAX_SECTIONS + 2] = {r};
  size_t nsec = po_run_sections(&c->info, secs, 1, PO_RUN_N_OF(secs) - 1);
  if (!section_listed(secs, nsec, po_recall_native_section()))
    secs[nsec++] = po_recall_native_section();
  long threads;
  po_recall_setup *s = &c->setup;
  if ((rc = po_params_check(p, secs, nsec)) || (rc = po_params_u64(p, r, "seed", &s->seed)) ||
      (rc = po_params_int(p, r, "threads", &threads)) ||
      (rc = po_run_check_task(p, "recall", "recall")) ||
      (rc = po_recall_read(p, s, &c->patterns, &c->rule, &c->dynamics, &c->basin_step)))
    return rc;
  s->threads = (int)threads;
  c->capacity_sweep = po_run_optional(p, "capacity_sweep");
  c->plot = po_run_optional(p, "plot");
  if (c->plot && !c->capacity_sweep)
    return po_error(PO_ERR_ARG, "--plot (run.plot) needs --capacity-sweep");
  if (!c->capacity_sweep && c->patterns >= s->n && s->rule == PO_RULE_PSEUDOINVERSE)
    return po_error(PO_ERR_ARG, "run.patterns = %ld: the pseudoinverse rule needs P < N = %d",
                    c->patterns, s->n);
  return PO_OK;
}

int po_recall_open(const po_params *p, po_recall_config *c) {
  int rc = po_backend_open(c->backend, p, &c->setup.b);
  if (rc) return rc;
  po_backend_set_seed(c->setup.b, c->setup.seed);
  if (!(po_backend_caps(c->setup.b) & PO_CAP_RECALL))
    return po_error(PO_ERR_UNSUPPORTED, "backend %s has no recall", c->backend);
  return PO_OK;
}

int po_recall_run(const po_params *p, po_recall_result *r) {
  po_recall_config c;
  po_recall_dynamics dyn;
  memset(r, 0, sizeof *r);
  int rc = po_recall_config_read(p, &c);
  if (rc) return rc;
  if (c.capacity_sweep || c.plot)
    return po_error(PO_ERR_ARG, "run.capacity_sweep and run.plot belong to the command physopt "
                                "recall; here recall once per run.patterns");
  if ((rc = po_recall_dynamics_parse(c.dynamics, &dyn)))
    return po_error_wrap(rc, "run.dynamics (one dynamics; a list only with a capacity sweep)");
  const po_recall_setup *s = &c.setup;
  snprintf(r->backend, sizeof r->backend, "%s", c.backend);
  snprintf(r->rule, sizeof r->rule, "%s", c.rule);
  snprintf(r->dynamics, sizeof r->dynamics, "%s", c.dynamics);
  r->spins = s->n;
  r->patterns = c.patterns;
  r->trials_per_pattern = s->trials;
  r->alpha = (double)c.patterns / s->n;
  r->corruption = s->F;
  r->seed = s->seed;
  r->overlaps = malloc(sizeof(double) * (size_t)c.patterns * (size_t)s->trials);
  if (!r->overlaps) return po_error(PO_ERR_NOMEM, "recall: out of memory");
  if (!(rc = po_recall_open(p, &c)))
    rc = po_recall_point(s, (int)c.patterns, dyn, 0, &r->stats, r->overlaps, NULL, 0);
  if (!rc && po_stop_requested())
    rc = po_error(PO_ERR_INTERRUPTED, "interrupted: the recall was stopped by a stop request "
                                      "(Ctrl-C); nothing was returned");
  if (!rc) r->ledger = *po_backend_ledger(s->b);
  po_backend_close(c.setup.b);
  return rc;
}

void po_recall_result_free(po_recall_result *r) {
  if (!r) return;
  free(r->overlaps);
  r->overlaps = NULL;
}
