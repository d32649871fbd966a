/* Photonic multiplier: photon statistics, shot-noise scaling, encodings,
 * determinism, backend parameters and energy ledger. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <gsl/gsl_cdf.h>
#include <omp.h>
#include "physics/photonic.h"
#include "physopt/physopt.h"

static po_photonic_model ideal(double n) {
  po_photonic_model m;
  po_photonic_model_default(&m);
  m.photons_per_mac = n;
  m.bits_in = m.bits_w = m.bits_out = 0;
  return m;
}

/* K = 1, all-ones operands: every output is one detector count with mean
 * exactly n (the calibration puts n photons on each multiplication). */
static void counts_at(const po_photonic_model *m, int M, int N, uint64_t call, long *c) {
  float *A = malloc(sizeof(float) * M), *B = malloc(sizeof(float) * N);
  float *C = malloc(sizeof(float) * M * N);
  for (int i = 0; i < M; i++) A[i] = 1.0f;
  for (int j = 0; j < N; j++) B[j] = 1.0f;
  assert_int_equal(
      po_photonic_matmul(m, 42, call, 0, 0, M, N, 1, 1.0f, A, 1, B, N, 0.0f, C, N, NULL, NULL),
      PO_OK);
  for (int t = 0; t < M * N; t++) c[t] = lround(C[t] * m->photons_per_mac);
  free(A);
  free(B);
  free(C);
}

/* Mean and variance within 5 standard errors of Poisson(n); chi-square
 * goodness of fit against the Poisson pmf with p > 1e-4. */
static void test_counts_are_poisson(void **state) {
  (void)state;
  const double budgets[] = {0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000};
  const int M = 200, N = 250, S = M * N;
  long *c = malloc(sizeof(long) * S);
  for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
    double lam = budgets[b];
    po_photonic_model m = ideal(lam);
    counts_at(&m, M, N, b, c);
    double mean = 0, var = 0;
    for (int t = 0; t < S; t++) mean += (double)c[t];
    mean /= S;
    for (int t = 0; t < S; t++) var += (c[t] - mean) * (c[t] - mean);
    var /= S - 1;
    double se_mean = sqrt(lam / S), se_var = sqrt((lam + 2 * lam * lam) / S);
    if (fabs(mean - lam) > 5 * se_mean || fabs(var - lam) > 5 * se_var)
      fail_msg("n = %g: mean %g var %g (se %g, %g)", lam, mean, var, se_mean, se_var);
    /* chi-square over bins k = 0..kmax, merged so that expected >= 5 */
    int kmax = (int)(lam + 12 * sqrt(lam) + 12);
    double *obs = calloc(kmax + 1, sizeof(double));
    for (int t = 0; t < S; t++) obs[c[t] > kmax ? kmax : c[t]] += 1;
    double chi2 = 0, eacc = 0, oacc = 0, cdf = 0;
    int dof = -1;
    for (int k = 0; k <= kmax; k++) {
      double p = exp(-lam + k * log(lam) - lgamma(k + 1.0));
      if (k == kmax) p = 1 - cdf; /* tail */
      cdf += p;
      eacc += p * S;
      oacc += obs[k];
      if (eacc >= 5 && (k == kmax || (1 - cdf) * S >= 5)) {
        chi2 += (oacc - eacc) * (oacc - eacc) / eacc;
        dof++;
        eacc = oacc = 0;
      }
    }
    if (eacc > 0) chi2 += (oacc - eacc) * (oacc - eacc) / (eacc > 1e-12 ? eacc : 1e-12);
    free(obs);
    if (dof >= 1) {
      double pval = gsl_cdf_chisq_Q(chi2, dof);
      if (pval < 1e-4) fail_msg("n = %g: chi2 %g dof %d p %g", lam, chi2, dof, pval);
    }
  }
  /* Gaussian regime above gauss_threshold: moments still Poisson */
  po_photonic_model m = ideal(5000);
  counts_at(&m, M, N, 99, c);
  double mean = 0, var = 0;
  for (int t = 0; t < S; t++) mean += (double)c[t];
  mean /= S;
  for (int t = 0; t < S; t++) var += (c[t] - mean) * (c[t] - mean);
  var /= S - 1;
  assert_true(fabs(mean - 5000) < 5 * sqrt(5000.0 / S));
  assert_true(fabs(var - 5000) < 5 * sqrt((5000 + 2 * 5000.0 * 5000) / S));
  free(c);
}

static float *uniform(int n, uint64_t seed, float lo, float hi) {
  float *x = malloc(sizeof(float) * n);
  po_rng r;
  po_rng_init(&r, seed, 0, 0);
  for (int i = 0; i < n; i++) x[i] = lo + (hi - lo) * po_rng_uniformf(&r);
  return x;
}

/* Non-negative dot products of length K at n photons per MAC: the relative
 * error is 1/sqrt(lambda) with lambda ~ n K, so log(rms) against log(n K)
 * has slope -1/2 and rms sqrt(n K) ~ 1. */
static void test_dot_product_error_scaling(void **state) {
  (void)state;
  const int Ks[] = {16, 64, 256, 1024};
  const double ns[] = {0.3, 3};
  const int M = 2000;
  double xs[8], ys[8];
  int np = 0;
  for (int a = 0; a < 4; a++)
    for (int b = 0; b < 2; b++) {
      int K = Ks[a];
      po_photonic_model m = ideal(ns[b]);
      float *A = uniform(M * K, 1 + a, 0.1f, 1.0f), *B = uniform(K, 7 + a, 0.1f, 1.0f);
      float *C = malloc(sizeof(float) * M), *E = malloc(sizeof(float) * M);
      assert_int_equal(po_photonic_matmul(&m, 3, a * 2 + b, 0, 0, M, 1, K, 1.0f, A, K, B, 1, 0.0f,
                                          C, 1, NULL, NULL),
                       PO_OK);
      double mean_exact = 0;
      for (int i = 0; i < M; i++) {
        double e = 0;
        for (int k = 0; k < K; k++) e += (double)A[(size_t)i * K + k] * B[k];
        E[i] = (float)e;
        mean_exact += e / M;
      }
      /* predicted relative variance 1/lambda_i, lambda_i = n K E_i / mean(E) */
      double se = 0, pred = 0;
      for (int i = 0; i < M; i++) {
        double rel = (C[i] - E[i]) / E[i];
        se += rel * rel / M;
        pred += mean_exact / (ns[b] * K * E[i]) / M;
      }
      double rms = sqrt(se);
      assert_true(fabs(se / pred - 1) < 0.15); /* 2000 samples: se of var ~ 3% */
      xs[np] = log(ns[b] * K);
      ys[np] = log(rms);
      np++;
      free(A);
      free(B);
      free(C);
      free(E);
    }
  double mx = 0, my = 0, sxx = 0, sxy = 0;
  for (int i = 0; i < np; i++) mx += xs[i] / np, my += ys[i] / np;
  for (int i = 0; i < np; i++)
    sxx += (xs[i] - mx) * (xs[i] - mx), sxy += (xs[i] - mx) * (ys[i] - my);
  double slope = sxy / sxx;
  if (fabs(slope + 0.5) > 0.03) fail_msg("slope %g, expected -0.5", slope);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Signed operands: the standardised error (y - exact) / sigma_pred has unit
 * variance for differential (sigma^2 = s sum|a||b|), offset (sigma^2 = s S
 * times the offset-removal gain) and homodyne encodings. */
static void check_signed(po_photonic_model m) {
  const int M = 300, N = 40, K = 128;
  float *A = uniform(M * K, 11, -1.0f, 1.0f), *B = uniform(K * N, 12, -1.0f, 1.0f);
  float *C = malloc(sizeof(float) * M * N);
  assert_int_equal(
      po_photonic_matmul(&m, 5, 0, 0, 0, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N, NULL, NULL), PO_OK);
  float amax = 0, bmax = 0;
  for (int t = 0; t < M * K; t++) amax = fmaxf(amax, fabsf(A[t]));
  for (int t = 0; t < K * N; t++) bmax = fmaxf(bmax, fabsf(B[t]));
  double n = m.photons_per_mac, macs = (double)M * N * K;
  /* totals for the calibration */
  double tot = 0, sa2 = 0, sb2 = 0;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++)
      for (int k = 0; k < K; k++) {
        double a = A[i * K + k] / amax, b = B[k * N + j] / bmax;
        if (m.detection == PO_PH_HOMODYNE)
          ;
        else if (m.encoding == PO_PH_OFFSET)
          tot += (a + 1) / 2 * (b + 1) / 2;
        else
          tot += fabs(a) * fabs(b);
      }
  for (int t = 0; t < M * K; t++) sa2 += (double)A[t] * A[t] / ((double)amax * amax);
  for (int t = 0; t < K * N; t++) sb2 += (double)B[t] * B[t] / ((double)bmax * bmax);
  double s = n * macs / tot;
  double ga2 = n * M * K / (2 * sa2), gb2 = n * N * K / (2 * sb2);
  double z2 = 0;
  double *zs = malloc(sizeof(double) * M * N);
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double ex = 0, var = 0, ra = 0, cb = 0;
      for (int k = 0; k < K; k++) {
        double a = A[i * K + k] / amax, b = B[k * N + j] / bmax;
        ex += a * b;
        ra += a * a;
        cb += b * b;
        if (m.encoding == PO_PH_OFFSET)
          var += (a + 1) / 2 * (b + 1) / 2;
        else
          var += fabs(a) * fabs(b);
      }
      double y = C[i * N + j] / (amax * bmax);
      if (m.detection == PO_PH_HOMODYNE) {
        double sd = sqrt(ga2 * ra + gb2 * cb) / (2 * sqrt(ga2 * gb2));
        z2 += pow((y - ex) / sd, 2);
        zs[i * N + j] = (y - ex) / sd;
      } else if (m.encoding == PO_PH_OFFSET) {
        /* y = 4 S_hat - ..., Var(S_hat) = S / s */
        z2 += pow((y - ex) / (4 * sqrt(var / s)), 2);
      } else {
        z2 += pow((y - ex) / sqrt(var / s), 2);
      }
    }
  z2 /= M * N; /* 12000 samples: se ~ 1.3% */
  if (fabs(z2 - 1) > 0.06)
    fail_msg("det %d enc %d: standardised variance %g", m.detection, m.encoding, z2);
  if (m.detection == PO_PH_HOMODYNE) {
    /* Gaussian noise: Kolmogorov-Smirnov against N(0, 1), p > 0.001 */
    int ns = M * N;
    qsort(zs, (size_t)ns, sizeof(double), cmp_double);
    double dmax = 0;
    for (int t = 0; t < ns; t++) {
      double F = gsl_cdf_ugaussian_P(zs[t]);
      dmax = fmax(dmax, fmax(fabs(F - (double)t / ns), fabs(F - (double)(t + 1) / ns)));
    }
    if (dmax * sqrt((double)ns) > 1.95) fail_msg("homodyne noise: KS statistic %g", dmax);
  }
  free(zs);
  free(A);
  free(B);
  free(C);
}

static void test_signed_encodings_noise(void **state) {
  (void)state;
  po_photonic_model m = ideal(2.0);
  check_signed(m);
  m.encoding = PO_PH_OFFSET;
  check_signed(m);
  m.encoding = PO_PH_DIFFERENTIAL;
  m.detection = PO_PH_HOMODYNE;
  check_signed(m);
}

/* Same seed and call => identical output for 1 and 2 threads; another call
 * counter => different noise.  Quantisation and ADC limit the levels. */
static void test_determinism_and_quantisation(void **state) {
  (void)state;
  const int M = 64, N = 33, K = 50;
  float *A = uniform(M * K, 1, -1, 1), *B = uniform(K * N, 2, 0, 1);
  float *C1 = malloc(sizeof(float) * M * N), *C2 = malloc(sizeof(float) * M * N);
  po_photonic_model m;
  po_photonic_model_default(&m);
  m.photons_per_mac = 0.5;
  omp_set_num_threads(1);
  po_photonic_matmul(&m, 9, 4, 0, 0, M, N, K, 1, A, K, B, N, 0, C1, N, NULL, NULL);
  omp_set_num_threads(2);
  po_photonic_matmul(&m, 9, 4, 0, 0, M, N, K, 1, A, K, B, N, 0, C2, N, NULL, NULL);
  assert_memory_equal(C1, C2, sizeof(float) * M * N);
  po_photonic_matmul(&m, 9, 5, 0, 0, M, N, K, 1, A, K, B, N, 0, C2, N, NULL, NULL);
  assert_memory_not_equal(C1, C2, sizeof(float) * M * N);
  /* transposed operands give the same result as the materialised ones */
  float *At = malloc(sizeof(float) * M * K);
  for (int i = 0; i < M; i++)
    for (int k = 0; k < K; k++) At[k * M + i] = A[i * K + k];
  po_photonic_matmul(&m, 9, 4, 1, 0, M, N, K, 1, At, M, B, N, 0, C2, N, NULL, NULL);
  assert_memory_equal(C1, C2, sizeof(float) * M * N);
  /* products large enough for the parallel path (>= 2^24 MACs): fixed row
   * chunks with single-threaded SGEMM, bit-identical for 1, 2 and 3
   * threads.  The second shape is the first layer of the MLP (784 -> 100,
   * batch 1000; B transposed), where a whole-matrix SGEMM for one thread
   * used to round differently. */
  const int shapes[2][4] = {{256, 256, 256, 0}, {100, 1000, 784, 1}};
  for (int sh = 0; sh < 2; sh++) {
    const int PM = shapes[sh][0], PN = shapes[sh][1], PK = shapes[sh][2], tb = shapes[sh][3];
    const int ldb = tb ? PK : PN;
    float *Ap = uniform(PM * PK, 3, -1, 1), *Bp = uniform(PK * PN, 4, -1, 1);
    float *P1 = malloc(sizeof(float) * PM * PN), *P2 = malloc(sizeof(float) * PM * PN);
    omp_set_num_threads(1);
    po_photonic_matmul(&m, 9, 4, 0, tb, PM, PN, PK, 1, Ap, PK, Bp, ldb, 0, P1, PN, NULL, NULL);
    for (int t = 2; t <= 3; t++) {
      omp_set_num_threads(t);
      po_photonic_matmul(&m, 9, 4, 0, tb, PM, PN, PK, 1, Ap, PK, Bp, ldb, 0, P2, PN, NULL, NULL);
      assert_memory_equal(P1, P2, sizeof(float) * PM * PN);
    }
    free(Ap);
    free(Bp);
    free(P1);
    free(P2);
  }
  omp_set_num_threads(2);
  /* 2-bit ADC at a huge budget: at most 4 levels per detector */
  po_photonic_model q = ideal(1e6);
  q.bits_out = 2;
  float one = 1.0f;
  float *Bv = uniform(N, 3, 0, 1);
  po_photonic_matmul(&q, 1, 0, 0, 0, 1, N, 1, 1, &one, 1, Bv, N, 0, C1, N, NULL, NULL);
  int distinct = 0;
  for (int j = 0; j < N; j++) {
    int seen = 0;
    for (int i = 0; i < j; i++) seen |= C1[i] == C1[j];
    distinct += !seen;
  }
  assert_true(distinct <= 4 && distinct >= 2);
  /* errors name the parameter */
  q.eta = 1.5;
  assert_int_equal(
      po_photonic_matmul(&q, 1, 0, 0, 0, 1, N, 1, 1, &one, 1, Bv, N, 0, C1, N, NULL, NULL),
      PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "photonic.eta"));
  free(A);
  free(B);
  free(At);
  free(Bv);
  free(C1);
  free(C2);
}

/* The ziggurat normals: 10^6 samples, Kolmogorov-Smirnov p > 0.001 and
 * chi-square over 40 equiprobable bins p > 1e-4, moments. */
static void test_normal_generator(void **state) {
  (void)state;
  const int n = 1000000;
  double *x = malloc(sizeof(double) * n);
  po_rng r;
  po_rng_init(&r, 2024, 0, 0);
  double m1 = 0, m2 = 0, m4 = 0;
  long bins[40] = {0};
  for (int i = 0; i < n; i++) {
    x[i] = po_photonic_normal(&r);
    m1 += x[i];
    m2 += x[i] * x[i];
    m4 += x[i] * x[i] * x[i] * x[i];
    int b = (int)(gsl_cdf_ugaussian_P(x[i]) * 40);
    bins[b > 39 ? 39 : b]++;
  }
  m1 /= n, m2 /= n, m4 /= n;
  assert_true(fabs(m1) < 5e-3 && fabs(m2 - 1) < 1e-2 && fabs(m4 - 3) < 0.05);
  double chi2 = 0, e = n / 40.0;
  for (int b = 0; b < 40; b++) chi2 += (bins[b] - e) * (bins[b] - e) / e;
  if (gsl_cdf_chisq_Q(chi2, 39) < 1e-4) fail_msg("normal chi2 %g", chi2);
  qsort(x, n, sizeof(double), cmp_double);
  double dmax = 0;
  for (int t = 0; t < n; t++) {
    double F = gsl_cdf_ugaussian_P(x[t]);
    dmax = fmax(dmax, fmax(fabs(F - (double)t / n), fabs(F - (double)(t + 1) / n)));
  }
  if (dmax * sqrt((double)n) > 1.95) fail_msg("normal KS statistic %g", dmax * sqrt((double)n));
  free(x);
}

static void test_backend_ledger_and_energy(void **state) {
  (void)state;
  assert_true(fabs(po_photonic_photon_energy(1550) - 1.28e-19) < 0.01e-19);
  assert_true(fabs(po_photonic_photon_energy(532) - 3.73e-19) < 0.01e-19);
  po_params *p;
  po_params_create(&p);
  po_params_set(p, "photonic.photons_per_mac", "4");
  po_params_set(p, "photonic.wavelength_nm", "1550");
  po_backend *b;
  assert_int_equal(po_backend_open("photonic", p, &b), PO_OK);
  assert_true(po_backend_caps(b) & PO_CAP_MATMUL);
  const int M = 20, N = 30, K = 40;
  float *A = uniform(M * K, 1, -1, 1), *B = uniform(K * N, 2, -1, 1);
  float *C = calloc(M * N, sizeof(float));
  assert_int_equal(po_backend_matmul(b, PO_NO_TRANS, PO_NO_TRANS, M, N, K, 1, A, K, B, N, 0, C, N),
                   PO_OK);
  const po_ledger_entry *ph = po_ledger_find(po_backend_ledger(b), "detected_photons");
  assert_non_null(ph);
  assert_true(fabs(ph->count - 4.0 * M * N * K) < 1e-6 * ph->count);
  /* h nu / (eta wall_plug) with defaults eta 0.8, wall-plug 0.2 */
  assert_true(fabs(ph->joules / ph->count - 1.2816e-19 / 0.16) < 1e-3 * 1.28e-19 / 0.16);
  const po_ledger_entry *adc = po_ledger_find(po_backend_ledger(b), "adc_conversions");
  assert_non_null(adc);
  assert_true(adc->count == 2.0 * M * N); /* differential: two detectors */
  po_backend_close(b);
  /* out-of-range parameter names key and range */
  po_params_set(p, "photonic.eta", "3");
  assert_int_not_equal(po_backend_open("photonic", p, &b), PO_OK);
  assert_non_null(strstr(po_last_error(), "eta"));
  po_params_destroy(p);
  free(A);
  free(B);
  free(C);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_counts_are_poisson),
      cmocka_unit_test(test_dot_product_error_scaling),
      cmocka_unit_test(test_signed_encodings_noise),
      cmocka_unit_test(test_determinism_and_quantisation),
      cmocka_unit_test(test_normal_generator),
      cmocka_unit_test(test_backend_ledger_and_energy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
