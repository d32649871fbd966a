/* The experiment's encoding (photonic.encoding = slm, Wang et al., Nat.
 * Commun. 13, 123 (2022)): unbiased products, the shot-noise variance
 * predicted from an independent coding of the min-max SLM map for both
 * photon budgets (per sample, per batch), thread independence, and the
 * source-light energy ledger against an independently computed mask
 * transmission. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <omp.h>
#include "physics/photonic.h"
#include "physopt/physopt.h"

/* Deterministic uniform numbers in [lo, hi) (64-bit LCG, top 24 bits). */
static float *uniform(int n, uint64_t seed, float lo, float hi) {
  float *x = malloc(sizeof(float) * n);
  uint64_t s = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  for (int i = 0; i < n; i++) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    x[i] = lo + (hi - lo) * (float)((s >> 40) / 16777216.0);
  }
  return x;
}

/* Independent coding of the map: transmissions t = t_min + (1 - t_min)
 * (a - lo) / range; inputs b~ = b / max b (b >= 0) or (b - lo_b) / range_b;
 * S_ij = sum_k t_ik b~_kj; photons per unit S: s_j = n M K / sum_i S_ij
 * (sample) or s = n M N K / sum_ij S_ij (batch).  The estimate
 * y = ca cb S^ + offsets has variance (ca cb)^2 S_ij / s_j (Poisson). */
typedef struct expect {
  double *exact, *var, *lambda, *sj, *bin;
  double ca, cb;
} expect;

static void predict(const float *A, const float *B, int M, int N, int K, double n, double tmin,
                    int per_sample, expect *e) {
  float alo = INFINITY, ahi = -INFINITY, blo = INFINITY, bhi = -INFINITY;
  for (int t = 0; t < M * K; t++) alo = fminf(alo, A[t]), ahi = fmaxf(ahi, A[t]);
  for (int t = 0; t < K * N; t++) blo = fminf(blo, B[t]), bhi = fmaxf(bhi, B[t]);
  const double arange = (double)ahi - alo;
  const int bsigned = blo < 0;
  const double b0 = bsigned ? blo : 0.0, brange = bsigned ? (double)bhi - blo : bhi;
  e->ca = arange / (1 - tmin);
  e->cb = brange;
  double *S = calloc((size_t)M * N, sizeof(double)), *col = calloc(N, sizeof(double));
  e->exact = calloc((size_t)M * N, sizeof(double));
  e->var = calloc((size_t)M * N, sizeof(double));
  e->lambda = calloc((size_t)M * N, sizeof(double));
  e->sj = calloc(N, sizeof(double));
  e->bin = calloc(N, sizeof(double));
  double tot = 0;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      for (int k = 0; k < K; k++) {
        double a = A[i * K + k], b = B[k * N + j];
        double t = tmin + (1 - tmin) * (a - alo) / arange, bt = (b - b0) / brange;
        S[i * N + j] += t * bt;
        e->exact[i * N + j] += a * b;
      }
      col[j] += S[i * N + j];
      tot += S[i * N + j];
    }
  for (int j = 0; j < N; j++)
    for (int k = 0; k < K; k++) e->bin[j] += (B[k * N + j] - b0) / brange;
  for (int j = 0; j < N; j++) e->sj[j] = per_sample ? n * M * K / col[j] : n * M * N * K / tot;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      e->lambda[i * N + j] = e->sj[j] * S[i * N + j];
      e->var[i * N + j] = e->ca * e->cb * e->ca * e->cb * S[i * N + j] / e->sj[j];
    }
  free(S);
  free(col);
}

static void expect_free(expect *e) {
  free(e->exact);
  free(e->var);
  free(e->lambda);
  free(e->sj);
  free(e->bin);
}

static po_photonic_model slm_model(double n, double tmin, po_ph_budget budget) {
  po_photonic_model m;
  po_photonic_model_default(&m);
  m.photons_per_mac = n;
  m.bits_in = m.bits_w = m.bits_out = 0;
  m.encoding = PO_PH_SLM;
  m.slm_t_min = tmin;
  m.budget = budget;
  return m;
}

/* Columns of B of very different brightness (1, 0.3, 0.05, 1): with the
 * per-sample budget every column gets n photons per multiplication, with
 * the per-batch budget the dim column gets far fewer; the empirical mean
 * and variance over R noise realisations must match the prediction for the
 * budget in use (mean within 5 standard errors, variance within 6 standard
 * errors of a Poisson sample variance). */
static void check_moments(int bsigned, po_ph_budget budget) {
  const int M = 8, N = 4, K = 32, R = 3000;
  const double n = 2.0, tmin = 0.05;
  float *A = uniform(M * K, 11, -0.3f, 0.7f);
  float *B = uniform(K * N, 12, bsigned ? -0.4f : 0.0f, 1.0f);
  const float colscale[4] = {1.0f, 0.3f, 0.05f, 1.0f};
  for (int k = 0; k < K; k++)
    for (int j = 0; j < N; j++) B[k * N + j] *= colscale[j];
  po_photonic_model m = slm_model(n, tmin, budget);
  expect e;
  predict(A, B, M, N, K, n, tmin, budget == PO_PH_BUDGET_SAMPLE, &e);
  double *s1 = calloc(M * N, sizeof(double)), *s2 = calloc(M * N, sizeof(double));
  float *C = malloc(sizeof(float) * M * N);
  for (int r = 0; r < R; r++) {
    assert_int_equal(
        po_photonic_matmul(&m, 5, r, 0, 0, M, N, K, 1, A, K, B, N, 0, C, N, NULL, NULL), PO_OK);
    for (int t = 0; t < M * N; t++) s1[t] += C[t], s2[t] += (double)C[t] * C[t];
  }
  for (int t = 0; t < M * N; t++) {
    double mean = s1[t] / R, var = (s2[t] - s1[t] * s1[t] / R) / (R - 1);
    double se_mean = sqrt(e.var[t] / R);
    double rel_se_var = sqrt((2 + 1 / e.lambda[t]) / R);
    if (fabs(mean - e.exact[t]) > 5 * se_mean)
      fail_msg("signed B %d budget %d out %d: mean %g exact %g (se %g)", bsigned, budget, t, mean,
               e.exact[t], se_mean);
    if (fabs(var / e.var[t] - 1) > 6 * rel_se_var)
      fail_msg("signed B %d budget %d out %d: variance %g predicted %g (rel se %g)", bsigned,
               budget, t, var, e.var[t], rel_se_var);
  }
  /* per sample: every column detects n M K photons */
  if (budget == PO_PH_BUDGET_SAMPLE)
    for (int j = 0; j < N; j++) {
      double det = 0;
      for (int i = 0; i < M; i++) det += e.lambda[i * N + j];
      assert_true(fabs(det - n * M * K) < 1e-9 * det);
    }
  expect_free(&e);
  free(A);
  free(B);
  free(C);
  free(s1);
  free(s2);
}

static void test_slm_mean_and_variance(void **state) {
  (void)state;
  check_moments(0, PO_PH_BUDGET_SAMPLE);
  check_moments(0, PO_PH_BUDGET_BATCH);
  check_moments(1, PO_PH_BUDGET_SAMPLE);
}

/* Bit-identical for 1, 2 and 3 threads on a product that takes the
 * parallel path (2^24 MACs), with the per-sample calibration and 8-bit
 * converters. */
static void test_slm_thread_independent(void **state) {
  (void)state;
  const int M = 256, N = 256, K = 256;
  float *A = uniform(M * K, 3, -1, 0.5f), *B = uniform(K * N, 4, 0, 1);
  float *P1 = malloc(sizeof(float) * M * N), *P2 = malloc(sizeof(float) * M * N);
  po_photonic_model m = slm_model(0.7, 0.01, PO_PH_BUDGET_SAMPLE);
  m.bits_in = m.bits_w = 8;
  omp_set_num_threads(1);
  po_photonic_matmul(&m, 9, 4, 0, 0, M, N, K, 1, A, K, B, N, 0, P1, N, NULL, NULL);
  for (int t = 2; t <= 3; t++) {
    omp_set_num_threads(t);
    po_photonic_matmul(&m, 9, 4, 0, 0, M, N, K, 1, A, K, B, N, 0, P2, N, NULL, NULL);
    assert_memory_equal(P1, P2, sizeof(float) * M * N);
  }
  omp_set_num_threads(2);
  /* the per-sample budget is refused with homodyne detection, naming it */
  m.detection = PO_PH_HOMODYNE;
  assert_int_equal(po_photonic_matmul(&m, 9, 4, 0, 0, M, N, K, 1, A, K, B, N, 0, P2, N, NULL, NULL),
                   PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "photonic.budget"));
  free(A);
  free(B);
  free(P1);
  free(P2);
}

static const po_ledger_entry *entry(po_backend *b, const char *name) {
  const po_ledger_entry *e = po_ledger_find(po_backend_ledger(b), name);
  if (!e) fail_msg("ledger has no %s", name);
  return e;
}

static void close_to(double got, double want, const char *what) {
  if (!(fabs(got - want) <= 1e-6 * fabs(want))) fail_msg("%s: %g, expected %g", what, got, want);
}

/* encoding = slm through the backend: the ledger charges the light the
 * laser must emit, detected / (transmission x coupling x eta), at h nu /
 * wall_plug; the transmission is computed here from the map.  The default
 * encoding keeps charging detected photons only (its documented figures
 * stand). */
static void test_slm_source_energy_ledger(void **state) {
  (void)state;
  const int M = 12, N = 5, K = 20;
  const double n = 3, eta = 0.8, coupling = 0.5, wall = 0.2, tmin = 0.01;
  float *A = uniform(M * K, 21, -1, 0.6f), *B = uniform(K * N, 22, 0, 1);
  float *C = calloc(M * N, sizeof(float));
  po_params *p;
  po_params_create(&p);
  po_params_set(p, "photonic.encoding", "slm");
  po_params_set(p, "photonic.photons_per_mac", "3");
  po_params_set(p, "photonic.bits_in", "0");
  po_params_set(p, "photonic.bits_w", "0");
  po_params_set(p, "energy.photonic.coupling_efficiency", "0.5");
  po_backend *b;
  if (po_backend_open("photonic", p, &b) != PO_OK) fail_msg("%s", po_last_error());
  assert_int_equal(po_backend_matmul(b, PO_NO_TRANS, PO_NO_TRANS, M, N, K, 1, A, K, B, N, 0, C, N),
                   PO_OK);
  expect e;
  predict(A, B, M, N, K, n, tmin, 1, &e);
  double mask = 0;
  for (int j = 0; j < N; j++) mask += e.sj[j] * M * e.bin[j];
  const double hnu = po_photonic_photon_energy(532);
  close_to(entry(b, "detected_photons")->count, n * M * N * K, "detected photons");
  assert_true(entry(b, "detected_photons")->joules == 0.0);
  const po_ledger_entry *src = entry(b, "source_light");
  close_to(src->count, mask / (eta * coupling), "source photons");
  close_to(src->joules, mask / (eta * coupling) * hnu / wall, "source light J");
  /* the mask's mean transmission is below 1, so the source light exceeds
   * detected / (eta coupling) */
  assert_true(src->count > n * M * N * K / (eta * coupling));
  close_to(entry(b, "detector_readouts")->count, (double)M * N, "read-outs");
  close_to(entry(b, "adc_conversions")->count, (double)M * N, "ADC conversions");
  close_to(entry(b, "digital_ops")->count, 2.0 * M * N + (double)M * K + (double)K * N,
           "digital multiply-adds");
  close_to(entry(b, "digital_ops")->joules, entry(b, "digital_ops")->count * 4.6e-12, "digital J");
  po_backend_close(b);
  expect_free(&e);

  /* default encoding (differential), auto: detected photons only */
  po_params_set(p, "photonic.encoding", "differential");
  assert_int_equal(po_backend_open("photonic", p, &b), PO_OK);
  assert_int_equal(po_backend_matmul(b, PO_NO_TRANS, PO_NO_TRANS, M, N, K, 1, A, K, B, N, 0, C, N),
                   PO_OK);
  assert_null(po_ledger_find(po_backend_ledger(b), "source_light"));
  close_to(entry(b, "detected_photons")->joules, n * M * N * K * hnu / (eta * wall), "detected J");
  po_backend_close(b);
  /* differential with source accounting: each input element meets the
   * pixels of both channels (signed weights), transmission |a'| / 2 */
  po_params_set(p, "photonic.optical_energy", "source");
  assert_int_equal(po_backend_open("photonic", p, &b), PO_OK);
  assert_int_equal(po_backend_matmul(b, PO_NO_TRANS, PO_NO_TRANS, M, N, K, 1, A, K, B, N, 0, C, N),
                   PO_OK);
  double amax = 0, bmax = 0, sab = 0, sb = 0;
  for (int t = 0; t < M * K; t++) amax = fmax(amax, fabs(A[t]));
  for (int t = 0; t < K * N; t++) bmax = fmax(bmax, B[t]);
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++)
      for (int k = 0; k < K; k++) sab += fabs(A[i * K + k]) / amax * B[k * N + j] / bmax;
  for (int t = 0; t < K * N; t++) sb += B[t] / bmax;
  const double s = n * M * N * K / sab;
  close_to(entry(b, "source_light")->count, s * 2 * M * sb / (eta * coupling),
           "differential source photons");
  po_backend_close(b);
  po_params_destroy(p);
  free(A);
  free(B);
  free(C);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_slm_mean_and_variance),
      cmocka_unit_test(test_slm_thread_independent),
      cmocka_unit_test(test_slm_source_energy_ledger),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
