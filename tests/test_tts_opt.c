/* TTS99 at the optimal run length (algorithms/tts_opt.c):
 *  - the minimum over run lengths on synthetic success curves with an
 *    analytic optimum (interior, and at the p = 0.99 clamp);
 *  - the median over instances and its minimum;
 *  - bootstrap coverage and width of the TTS interval against the binomial
 *    sampling distribution of p;
 *  - the p = 0 convention, reproducibility for a fixed seed;
 *  - end to end: a cpu sa sweep over run lengths on three SK instances,
 *    `physopt report --optimum-csv` against the optima recomputed here
 *    from the replica energies read back from the HDF5 file. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "algorithms/tts_opt.h"
#include "io/h5.h"
#include "tests/util/testutil.h"
#include "physopt/error.h"
#include "physopt/rng.h"

#define LN100 4.605170185988091

static void assert_close(double a, double b, double rel) {
  if (!(fabs(a - b) <= rel * fmax(1.0, fabs(b)))) fail_msg("%.17g != %.17g (rel %g)", a, b, rel);
}

/* Saturating success curve: 1 - p(t) = exp(-c u^2 / (1 + u^2)), u = t/tau.
 * TTS99 = ln(100) t / f(t) = (ln(100) tau / c)(u + 1/u): minimum at
 * t = tau, TTS* = 2 ln(100) tau / c (p(tau) = 1 - exp(-c/2) < 0.99 for c = 1). */
static double p_saturating(double t, double tau, double c) {
  double u = t / tau;
  return -expm1(-c * u * u / (1 + u * u));
}

/* Counts so large that h/R equals p to ~1e-12 (no bootstrap on them). */
static po_tts_cell exact_cell(double t, double p) {
  const long R = 1000000000000L;
  return (po_tts_cell){R, (long)llround(p * (double)R), t};
}

static void test_interior_optimum(void **state) {
  (void)state;
  enum { NL = 17 };
  po_tts_cell c[NL];
  const double tau = 300; /* e.g. sweeps */
  for (int k = 0; k < NL; k++) {
    double t = tau * pow(2.0, (k - 8) / 4.0);
    c[k] = exact_cell(t, p_saturating(t, tau, 1.0));
  }
  po_tts_opt o;
  assert_int_equal(po_tts_opt_compute(c, 1, NL, 0, 1, &o), PO_OK);
  assert_int_equal(o.opt_j[0], 8);
  assert_close(o.opt[0], 2 * LN100 * tau, 1e-9);
  for (int k = 0; k < NL; k++) {
    double u = pow(2.0, (k - 8) / 4.0);
    assert_close(o.tts[k], LN100 * tau * (u + 1 / u), 1e-9);
  }
  assert_int_equal(o.med_j, 8); /* one instance: the median is itself */
  assert_close(o.med_opt, o.opt[0], 0);
  po_tts_opt_free(&o);
}

/* Weibull curve p = 1 - exp(-(t/tau)^2): TTS99 = ln(100) tau^2 / t falls
 * until p reaches 0.99 at t* = tau sqrt(ln 100), where TTS99 = t (one run
 * suffices) and grows after: the optimum is t*, TTS* = t*. */
static void test_clamp_optimum(void **state) {
  (void)state;
  const double tau = 2.0, ts = tau * sqrt(LN100);
  const double u[] = {0.5, 1, 1.5, 2, sqrt(LN100), 2.5, 3, 4};
  enum { NL = sizeof u / sizeof u[0] };
  po_tts_cell c[NL];
  for (int k = 0; k < NL; k++) c[k] = exact_cell(tau * u[k], -expm1(-u[k] * u[k]));
  po_tts_opt o;
  assert_int_equal(po_tts_opt_compute(c, 1, NL, 0, 1, &o), PO_OK);
  assert_int_equal(o.opt_j[0], 4);
  assert_close(o.opt[0], ts, 1e-9);
  assert_close(o.tts[0], LN100 * tau / 0.5, 1e-9);
  assert_close(o.tts[7], tau * 4, 0); /* p >= 0.99: TTS = t */
  po_tts_opt_free(&o);
}

/* Three instances tau = 1, 2, 4: at every t the TTS grows with tau, so the
 * median curve is the tau = 2 instance's and its minimum is at t = 2. */
static void test_median_over_instances(void **state) {
  (void)state;
  enum { NI = 3, NL = 25 };
  const double taus[NI] = {4, 1, 2}; /* any order */
  po_tts_cell c[NI * NL];
  for (int i = 0; i < NI; i++)
    for (int k = 0; k < NL; k++) {
      double t = pow(2.0, (k - 8) / 4.0);
      c[i * NL + k] = exact_cell(t, p_saturating(t, taus[i], 1.0));
    }
  po_tts_opt o;
  assert_int_equal(po_tts_opt_compute(c, NI, NL, 0, 1, &o), PO_OK);
  assert_int_equal(o.opt_j[0], 16);
  assert_int_equal(o.opt_j[1], 8);
  assert_int_equal(o.opt_j[2], 12);
  for (int i = 0; i < NI; i++) assert_close(o.opt[i], 2 * LN100 * taus[i], 1e-9);
  assert_int_equal(o.med_j, 12);
  assert_close(o.med_opt, 4 * LN100, 1e-9);
  for (int k = 0; k < NL; k++) assert_close(o.med[k], o.tts[2 * NL + k], 0);
  po_tts_opt_free(&o);
}

/* Finite samples of the three instances (R = 1000 replicas per cell): the
 * 95% interval of the median's minimum contains the true 4 ln(100), the
 * same seed gives the same intervals, and every interval holds its
 * estimate. */
static void test_sampled_median_interval(void **state) {
  (void)state;
  enum { NI = 3, NL = 9, R = 1000 };
  const double taus[NI] = {1, 2, 4};
  po_tts_cell c[NI * NL];
  po_rng rng;
  po_rng_init(&rng, 5, 0, 0);
  for (int i = 0; i < NI; i++)
    for (int k = 0; k < NL; k++) {
      double t = pow(2.0, (k - 4) / 2.0) * 2, p = p_saturating(t, taus[i], 1.0);
      long h = 0;
      for (int r = 0; r < R; r++) h += po_rng_uniform(&rng) < p;
      c[i * NL + k] = (po_tts_cell){R, h, t};
    }
  po_tts_opt o, o2;
  assert_int_equal(po_tts_opt_compute(c, NI, NL, 1000, 9, &o), PO_OK);
  assert_int_equal(po_tts_opt_compute(c, NI, NL, 1000, 9, &o2), PO_OK);
  assert_true(o.med_opt_lo <= 4 * LN100 && 4 * LN100 <= o.med_opt_hi);
  assert_true(o.med_opt_lo <= o.med_opt && o.med_opt <= o.med_opt_hi);
  assert_true(o.med_opt_lo == o2.med_opt_lo && o.med_opt_hi == o2.med_opt_hi);
  for (int i = 0; i < NI; i++) {
    assert_true(o.opt_lo[i] <= o.opt[i] && o.opt[i] <= o.opt_hi[i]);
    assert_true(o.opt_lo[i] == o2.opt_lo[i] && o.opt_hi[i] == o2.opt_hi[i]);
  }
  for (int k = 0; k < NI * NL; k++) assert_true(o.tts_lo[k] <= o.tts[k] && o.tts[k] <= o.tts_hi[k]);
  po_tts_opt_free(&o);
  po_tts_opt_free(&o2);
}

/* One cell of R = 400 Bernoulli(0.3) replicas, 200 times: the TTS interval
 * contains the true TTS99 in >= 88% of them (4 sigma below 95% for 200
 * trials; a percentile bootstrap of a proportion undercovers slightly), and
 * the p interval it maps back to is as wide on average as the binomial one,
 * 2 x 1.96 sqrt(p(1-p)/R) = 0.0898, within 10%. */
static void test_bootstrap_coverage_and_width(void **state) {
  (void)state;
  const double p = 0.3, t = 10, truth = t * log(0.01) / log(1 - p);
  const long R = 400;
  po_rng rng;
  po_rng_init(&rng, 42, 0, 0);
  int covered = 0;
  double width = 0;
  for (int g = 0; g < 200; g++) {
    long h = 0;
    for (long r = 0; r < R; r++) h += po_rng_uniform(&rng) < p;
    po_tts_cell c = {R, h, t};
    po_tts_opt o;
    assert_int_equal(po_tts_opt_compute(&c, 1, 1, 500, (uint64_t)g, &o), PO_OK);
    covered += o.tts_lo[0] <= truth && truth <= o.tts_hi[0];
    /* TTS = t ln(0.01)/ln(1-p)  =>  p = 1 - exp(t ln(0.01) / TTS). */
    double p_hi = -expm1(t * log(0.01) / o.tts_lo[0]), p_lo = -expm1(t * log(0.01) / o.tts_hi[0]);
    width += p_hi - p_lo;
    assert_close(o.opt[0], o.tts[0], 0);
    po_tts_opt_free(&o);
  }
  width /= 200;
  double binom = 2 * 1.959964 * sqrt(p * (1 - p) / (double)R);
  assert_true(covered >= 176);
  assert_true(fabs(width - binom) < 0.1 * binom);
}

/* p = 0: TTS = inf with interval [inf, inf]; no finite TTS: opt_j = -1.
 * A missing cell (R = 0) is NaN and left out of the median. */
static void test_zero_hits_and_missing(void **state) {
  (void)state;
  po_tts_cell c[4] = {{50, 0, 1}, {50, 0, 2}, {50, 10, 1}, {0, 0, 2}};
  po_tts_opt o;
  assert_int_equal(po_tts_opt_compute(c, 2, 2, 200, 1, &o), PO_OK);
  assert_true(isinf(o.tts[0]) && isinf(o.tts_lo[0]) && isinf(o.tts_hi[0]));
  assert_int_equal(o.opt_j[0], -1);
  assert_true(isinf(o.opt[0]));
  assert_true(isnan(o.tts[3]));
  assert_int_equal(o.opt_j[1], 0);
  assert_close(o.opt[1], log(0.01) / log(0.8), 1e-12);
  /* Length 0: median of {inf, TTS} = inf; length 1: only instance 0 (inf). */
  assert_true(isinf(o.med[0]) && isinf(o.med[1]));
  assert_int_equal(o.med_j, -1);
  po_tts_opt_free(&o);
  po_tts_cell bad = {10, 11, 1};
  assert_int_equal(po_tts_opt_compute(&bad, 1, 1, 0, 1, &o), PO_ERR_ARG);
}

/* ---- end to end ------------------------------------------------------------ */

enum { E2E_NI = 3, E2E_NL = 4 };
static const long e2e_steps[E2E_NL] = {3, 10, 40, 200};

typedef struct e2e_cells {
  char inst[E2E_NI][512];
  long reps[E2E_NI][E2E_NL], hits[E2E_NI][E2E_NL];
} e2e_cells;

static int read_cell(hid_t g, const char *name, void *ctx) {
  (void)name;
  e2e_cells *c = ctx;
  po_h5_run rec;
  if (po_h5_read_run(g, &rec)) return -1;
  int i = 0, k = 0;
  while (i < E2E_NI && strcmp(c->inst[i], rec.problem.source)) i++;
  while (k < E2E_NL && e2e_steps[k] != rec.steps) k++;
  if (i == E2E_NI || k == E2E_NL || !rec.metrics.has_target) {
    po_h5_run_free(&rec);
    return -1;
  }
  double tgt = rec.metrics.target_energy, tol = 1e-9 * fmax(1.0, fabs(tgt));
  for (int r = 0; r < rec.samples.replicas; r++)
    c->hits[i][k] += rec.samples.energy[r] <= tgt + tol;
  c->reps[i][k] += rec.samples.replicas;
  po_h5_run_free(&rec);
  return 0;
}

static double tts_steps(long steps, long hits, long reps) {
  double p = (double)hits / (double)reps;
  return p <= 0 ? INFINITY : p >= 0.99 ? (double)steps : (double)steps * log(0.01) / log1p(-p);
}

static double median3(double a, double b, double c) {
  return fmax(fmin(a, b), fmin(fmax(a, b), c));
}

static void test_report_end_to_end(void **state) {
  (void)state;
  char dir[] = "/tmp/physopt-ttsopt-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char ini[600], h5[600], csv[600];
  snprintf(ini, sizeof ini, "%s/sweep.ini", dir);
  snprintf(h5, sizeof h5, "%s/tts.h5", dir);
  snprintf(csv, sizeof csv, "%s/opt.csv", dir);
  e2e_cells c;
  memset(&c, 0, sizeof c);
  for (int i = 0; i < E2E_NI; i++)
    snprintf(c.inst[i], sizeof c.inst[i], "%s/sk/SK1_N40_%d.txt", po_test_data_dir(), i);
  FILE *f = fopen(ini, "w");
  assert_non_null(f);
  fprintf(f,
          "[sweep]\nseed = 3\nrepeats = 2\n[problem]\nspec = %s, %s, %s\n"
          "[run]\nbackend = cpu\nsteps = 3, 10, 40, 200\nreplicas = 24\nthreads = 1\n",
          c.inst[0], c.inst[1], c.inst[2]);
  fclose(f);
  char *sw[] = {"sweep", ini, "--out", h5, NULL};
  assert_int_equal(po_test_physopt(sw, NULL, NULL), 0);
  char *rep[] = {"report", h5, "--optimum-csv", "--bootstrap", "300", NULL};
  assert_int_equal(po_test_physopt(rep, csv, NULL), 0);
  assert_int_equal(po_h5_visit_runs(h5, read_cell, &c, NULL), PO_OK);

  /* Recomputed: TTS99 in steps per cell, the argmin per instance, the
   * median curve over the three instances and its argmin. */
  double tts[E2E_NI][E2E_NL], med[E2E_NL];
  int opt[E2E_NI], mopt = 0;
  for (int i = 0; i < E2E_NI; i++) {
    opt[i] = 0;
    for (int k = 0; k < E2E_NL; k++) {
      assert_int_equal(c.reps[i][k], 48);
      tts[i][k] = tts_steps(e2e_steps[k], c.hits[i][k], c.reps[i][k]);
      if (tts[i][k] < tts[i][opt[i]]) opt[i] = k;
    }
  }
  for (int k = 0; k < E2E_NL; k++) {
    med[k] = median3(tts[0][k], tts[1][k], tts[2][k]);
    if (med[k] < med[mopt]) mopt = k;
  }
  assert_true(isfinite(med[mopt]));
  assert_true(mopt > 0 || opt[0] + opt[1] + opt[2] > 0); /* not every optimum at 3 sweeps */

  f = fopen(csv, "r");
  assert_non_null(f);
  char line[2048];
  assert_non_null(fgets(line, sizeof line, f));
  static const char head[] = "backend,algorithm,problem,opt_steps,opt_tts99_steps,";
  assert_true(strncmp(line, head, sizeof head - 1) == 0);
  int rows = 0;
  while (fgets(line, sizeof line, f)) {
    char *prob = strchr(strchr(line, ',') + 1, ',') + 1, *end = strchr(prob, ',');
    *end = '\0';
    double v[8];
    char *p = end + 1;
    for (int q = 0; q < 8; q++) {
      v[q] = strtod(p, &p);
      p++;
    }
    int i = 0;
    while (i < E2E_NI && strcmp(prob, c.inst[i])) i++;
    int k = i < E2E_NI ? opt[i] : mopt;
    double want = i < E2E_NI ? tts[i][k] : med[k];
    if (i == E2E_NI) assert_string_equal(prob, "median");
    assert_true(strncmp(line, "cpu,sa,", 7) == 0);
    assert_int_equal((long)v[0], e2e_steps[k]);
    assert_close(v[1], want, 1e-12);
    assert_true(v[2] <= v[1] && v[1] <= v[3]);
    assert_true(v[6] <= v[5] && v[5] <= v[7] && v[5] > 0);
    rows++;
  }
  fclose(f);
  assert_int_equal(rows, E2E_NI + 1);
  assert_int_equal(po_test_remove_workdir(dir), 0);
}

/* Median rows of `report --optimum-csv` (one per series) for a sweep whose
 * [sweep] keys, [problem] section and [run] section are body (it ends in
 * [run], which gets backend, steps and replicas). */
static int report_series(const char *dir, const char *name, const char *body) {
  static const char *const ext[] = {"ini", "h5", "csv"};
  char path[3][600];
  for (int k = 0; k < 3; k++) snprintf(path[k], sizeof path[k], "%s/%s.%s", dir, name, ext[k]);
  char *ini = path[0], *h5 = path[1], *csv = path[2];
  FILE *f = fopen(ini, "w");
  assert_non_null(f);
  fprintf(f, "[sweep]\nseed = 3\n%sbackend = cpu\nsteps = 10, 40\nreplicas = 16\n", body);
  fclose(f);
  char *sw[] = {"sweep", ini, "--out", h5, NULL};
  assert_int_equal(po_test_physopt(sw, NULL, NULL), 0);
  char *rep[] = {"report", h5, "--optimum-csv", "--bootstrap", "50", NULL};
  assert_int_equal(po_test_physopt(rep, csv, NULL), 0);
  f = fopen(csv, "r");
  assert_non_null(f);
  char line[2048];
  int medians = 0;
  while (fgets(line, sizeof line, f)) medians += strstr(line, ",median,") != NULL;
  fclose(f);
  return medians;
}

/* Targets zipped with the instances (one per instance, as the G-set's
 * best-known cuts) are the instances' data: the default grouping keeps
 * the instances in one series with one median.  Two targets for the same
 * instance, on an axis of their own, stay two series. */
static void test_report_zipped_targets(void **state) {
  (void)state;
  char dir[] = "/tmp/physopt-ttszip-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char spec[3][512], body[4096];
  for (int i = 0; i < 3; i++)
    snprintf(spec[i], sizeof spec[i], "%s/sk/SK1_N40_%d.txt", po_test_data_dir(), i);
  /* targets any short run reaches (the grouping, not the physics, is tested) */
  snprintf(body, sizeof body,
           "zip = problem.spec, run.target_energy\n[problem]\nspec = %s, %s, %s\n"
           "[run]\ntarget_energy = -10, -11, -12\n",
           spec[0], spec[1], spec[2]);
  assert_int_equal(report_series(dir, "zipped", body), 1);
  snprintf(body, sizeof body, "[problem]\nspec = %s\n[run]\ntarget_energy = -10, -20\n", spec[0]);
  assert_int_equal(report_series(dir, "two_targets", body), 2);
  assert_int_equal(po_test_remove_workdir(dir), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_interior_optimum),
      cmocka_unit_test(test_clamp_optimum),
      cmocka_unit_test(test_median_over_instances),
      cmocka_unit_test(test_sampled_median_interval),
      cmocka_unit_test(test_bootstrap_coverage_and_width),
      cmocka_unit_test(test_zero_hits_and_missing),
      cmocka_unit_test(test_report_end_to_end),
      cmocka_unit_test(test_report_zipped_targets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
