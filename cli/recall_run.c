/* Associative-memory recall configured from po_params (cli/recall_run.h). */
#include "cli/recall_run.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli/common.h"
#include "physics/cavity.h"

static const po_param_spec recall_specs[] = {
    PO_CLI_COMMON_RUN_SPECS,
    PO_CLI_TASK_SPEC,
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
const po_param_section po_recall_run_section = {"run", recall_specs, PO_CLI_N(recall_specs)};

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
