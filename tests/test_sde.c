/* Convergence orders of the batched SDE steppers (solvers/sde.c).
 *
 * Ornstein-Uhlenbeck dX = -theta X dt + sigma dW (additive noise):
 *   E[X_T] = X0 e^{-theta T},  Var[X_T] = sigma^2 (1 - e^{-2 theta T}) / (2 theta).
 * Geometric Brownian motion dX = lambda X dt + mu X dW (multiplicative), exact
 * pathwise solutions  Ito: X0 exp((lambda - mu^2/2) T + mu W_T),
 *                     Stratonovich: X0 exp(lambda T + mu W_T)
 * (Kloeden & Platen 1992, sec. 4.4; Higham, SIAM Rev. 43, 525, 2001).
 *
 * Strong errors E|X_h(T) - X(T)| use one Brownian path per replica, drawn on
 * a fine grid and summed onto each coarse grid.  Measured orders are
 * least-squares slopes of log(error) against log(h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "physopt/error.h"
#include "solvers/sde.h"

static long g_len; /* elements in the batch */

typedef struct {
  double lin;   /* drift coefficient: a = lin * x */
  double noise; /* multiplicative: b = noise * x */
} lin_ctx;

static int drift_lin(void *ctx, double t, const float *x, float *a) {
  (void)t;
  const lin_ctx *c = ctx;
  for (long k = 0; k < g_len; k++) a[k] = (float)(c->lin * x[k]);
  return PO_OK;
}
static int diff_lin(void *ctx, double t, const float *x, float *b) {
  (void)t;
  const lin_ctx *c = ctx;
  for (long k = 0; k < g_len; k++) b[k] = (float)(c->noise * x[k]);
  return PO_OK;
}

/* Fine Brownian increments, replica-major per fine step: inc[s * M + r]. */
static float *fine_path(po_sde *s, int M, int steps, double hf) {
  float *inc = malloc((size_t)M * (size_t)steps * sizeof *inc);
  assert_non_null(inc);
  for (int k = 0; k < steps; k++) po_sde_draw(s, hf, inc + (size_t)k * (size_t)M);
  return inc;
}

/* Integrates all M replicas (n = 1) with `coarse` steps over [0, T] using the
 * fine increments summed in blocks; x gets the final states. */
static void integrate(po_sde *s, float *x, int M, double x0, double T, const float *inc, int fine,
                      int coarse) {
  int block = fine / coarse;
  double h = T / coarse;
  float *dw = malloc((size_t)M * sizeof *dw);
  assert_non_null(dw);
  for (int r = 0; r < M; r++) x[r] = (float)x0;
  for (int k = 0; k < coarse; k++) {
    for (int r = 0; r < M; r++) {
      double w = 0;
      for (int b = 0; b < block; b++) w += inc[(size_t)(k * block + b) * (size_t)M + (size_t)r];
      dw[r] = (float)w;
    }
    assert_int_equal(po_sde_step_dw(s, x, k * h, h, dw), PO_OK);
  }
  free(dw);
}

static double slope(const double *h, const double *e, int m) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int i = 0; i < m; i++) {
    double lx = log(h[i]), ly = log(e[i]);
    sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly;
  }
  return (m * sxy - sx * sy) / (m * sxx - sx * sx);
}

/* OU strong order: EM and Heun both order 1 for additive noise; reference is
 * Heun on the fine grid; its mean and variance match the exact ones. */
static void test_ou_strong(void **state) {
  (void)state;
  const int M = 1000, fine = 1024;
  const double theta = 1.0, sigma = 1.0, T = 1.0, x0 = 1.0;
  lin_ctx c = {-theta, 0};
  g_len = M;
  po_sde em, he;
  assert_int_equal(po_sde_create(&em, 1, M, PO_SDE_EM, drift_lin, NULL, (float)sigma, &c, 7, 0),
                   PO_OK);
  assert_int_equal(po_sde_create(&he, 1, M, PO_SDE_HEUN, drift_lin, NULL, (float)sigma, &c, 7, 0),
                   PO_OK);
  float *inc = fine_path(&em, M, fine, T / fine);
  float *ref = malloc(M * sizeof *ref), *x = malloc(M * sizeof *x);
  integrate(&he, ref, M, x0, T, inc, fine, fine);
  double m1 = 0, m2 = 0;
  for (int r = 0; r < M; r++) m1 += ref[r], m2 += (double)ref[r] * ref[r];
  m1 /= M;
  double var = m2 / M - m1 * m1;
  double ev = sigma * sigma * (1 - exp(-2 * theta * T)) / (2 * theta);
  assert_true(fabs(m1 - x0 * exp(-theta * T)) < 5 * sqrt(ev / M));
  assert_true(fabs(var - ev) < 5 * ev * sqrt(2.0 / M));

  int levels[] = {16, 32, 64, 128};
  double hs[4], eem[4], ehe[4];
  for (int l = 0; l < 4; l++) {
    hs[l] = T / levels[l];
    integrate(&em, x, M, x0, T, inc, fine, levels[l]);
    double e = 0;
    for (int r = 0; r < M; r++) e += fabs(x[r] - ref[r]);
    eem[l] = e / M;
    integrate(&he, x, M, x0, T, inc, fine, levels[l]);
    e = 0;
    for (int r = 0; r < M; r++) e += fabs(x[r] - ref[r]);
    ehe[l] = e / M;
  }
  double pem = slope(hs, eem, 4), phe = slope(hs, ehe, 4);
  printf("OU strong: EM order %.3f (err %.2e..%.2e), Heun order %.3f (err %.2e..%.2e)\n", pem,
         eem[0], eem[3], phe, ehe[0], ehe[3]);
  assert_true(pem > 0.8 && pem < 1.25);
  assert_true(phe > 0.8 && phe < 1.4);
  free(inc), free(ref), free(x);
  po_sde_free(&em), po_sde_free(&he);
}

/* OU weak order on E[X_T^2] (checks the sqrt(h) noise scaling too):
 * EM order 1, Heun order 2.  Errors are estimated against the fine Heun
 * reference on the same paths (common random numbers), whose second moment
 * matches the exact value within 5 standard errors. */
static void test_ou_weak(void **state) {
  (void)state;
  const int M = 20000, fine = 256;
  const double theta = 1.0, sigma = 1.0, T = 1.0, x0 = 1.0;
  lin_ctx c = {-theta, 0};
  g_len = M;
  po_sde em, he;
  assert_int_equal(po_sde_create(&em, 1, M, PO_SDE_EM, drift_lin, NULL, (float)sigma, &c, 11, 0),
                   PO_OK);
  assert_int_equal(po_sde_create(&he, 1, M, PO_SDE_HEUN, drift_lin, NULL, (float)sigma, &c, 11, 0),
                   PO_OK);
  float *inc = fine_path(&em, M, fine, T / fine);
  float *ref = malloc(M * sizeof *ref), *x = malloc(M * sizeof *x);
  integrate(&he, ref, M, x0, T, inc, fine, fine);
  double m2 = 0, m4 = 0;
  for (int r = 0; r < M; r++) {
    double q = (double)ref[r] * ref[r];
    m2 += q, m4 += q * q;
  }
  m2 /= M, m4 /= M;
  double mean = x0 * exp(-theta * T);
  double ex2 = mean * mean + sigma * sigma * (1 - exp(-2 * theta * T)) / (2 * theta);
  assert_true(fabs(m2 - ex2) < 5 * sqrt((m4 - m2 * m2) / M));

  int lem[] = {4, 8, 16, 32}, lhe[] = {2, 4, 8, 16};
  double hem[4], hhe[4], eem[4], ehe[4];
  for (int l = 0; l < 4; l++) {
    hem[l] = T / lem[l];
    hhe[l] = T / lhe[l];
    integrate(&em, x, M, x0, T, inc, fine, lem[l]);
    double d = 0;
    for (int r = 0; r < M; r++) d += (double)x[r] * x[r] - (double)ref[r] * ref[r];
    eem[l] = fabs(d / M);
    integrate(&he, x, M, x0, T, inc, fine, lhe[l]);
    d = 0;
    for (int r = 0; r < M; r++) d += (double)x[r] * x[r] - (double)ref[r] * ref[r];
    ehe[l] = fabs(d / M);
  }
  double pem = slope(hem, eem, 4), phe = slope(hhe, ehe, 4);
  printf("OU weak (E X^2): EM order %.3f (err %.2e..%.2e), Heun order %.3f (err %.2e..%.2e)\n", pem,
         eem[0], eem[3], phe, ehe[0], ehe[3]);
  assert_true(pem > 0.8 && pem < 1.3);
  assert_true(phe > 1.7 && phe < 2.4);
  free(inc), free(ref), free(x);
  po_sde_free(&em), po_sde_free(&he);
}

/* GBM: EM strong order 1/2 to the Ito solution; Heun strong order 1 to the
 * Stratonovich solution and NOT convergent to the Ito one. */
static void test_gbm_multiplicative(void **state) {
  (void)state;
  const int M = 1000, fine = 2048;
  const double lambda = 2.0, mu = 1.0, T = 1.0, x0 = 1.0; /* Higham 2001 */
  lin_ctx c = {lambda, mu};
  g_len = M;
  po_sde em, he;
  assert_int_equal(po_sde_create(&em, 1, M, PO_SDE_EM, drift_lin, diff_lin, 0, &c, 3, 0), PO_OK);
  assert_int_equal(po_sde_create(&he, 1, M, PO_SDE_HEUN, drift_lin, diff_lin, 0, &c, 3, 0), PO_OK);
  float *inc = fine_path(&em, M, fine, T / fine);
  double *ito = malloc(M * sizeof *ito), *str = malloc(M * sizeof *str);
  float *x = malloc(M * sizeof *x);
  for (int r = 0; r < M; r++) {
    double w = 0;
    for (int k = 0; k < fine; k++) w += inc[(size_t)k * M + r];
    ito[r] = x0 * exp((lambda - 0.5 * mu * mu) * T + mu * w);
    str[r] = x0 * exp(lambda * T + mu * w);
  }
  int levels[] = {32, 64, 128, 256, 512};
  double hs[5], eem[5], ehe[5], ehe_ito = 0;
  for (int l = 0; l < 5; l++) {
    hs[l] = T / levels[l];
    integrate(&em, x, M, x0, T, inc, fine, levels[l]);
    double e = 0;
    for (int r = 0; r < M; r++) e += fabs(x[r] - ito[r]);
    eem[l] = e / M;
    integrate(&he, x, M, x0, T, inc, fine, levels[l]);
    e = 0;
    double ei = 0;
    for (int r = 0; r < M; r++) e += fabs(x[r] - str[r]), ei += fabs(x[r] - ito[r]);
    ehe[l] = e / M;
    ehe_ito = ei / M;
  }
  double pem = slope(hs, eem, 5), phe = slope(hs, ehe, 5);
  printf("GBM strong: EM->Ito order %.3f (err %.2e..%.2e), Heun->Stratonovich order %.3f "
         "(err %.2e..%.2e), Heun->Ito err %.2e\n",
         pem, eem[0], eem[4], phe, ehe[0], ehe[4], ehe_ito);
  assert_true(pem > 0.35 && pem < 0.75);
  assert_true(phe > 0.8 && phe < 1.3);
  assert_true(ehe_ito > 20 * ehe[4]);
  free(inc), free(ito), free(str), free(x);
  po_sde_free(&em), po_sde_free(&he);
}

/* Same seed gives identical noise whatever the thread count: the streams
 * belong to replicas.  Also rejects bad arguments with an error. */
static void test_streams_and_errors(void **state) {
  (void)state;
  lin_ctx c = {-1, 0};
  g_len = 8 * 5;
  po_sde a;
  assert_int_equal(po_sde_create(&a, 8, 5, PO_SDE_EM, drift_lin, NULL, 1, &c, 42, 1), PO_OK);
  float d1[40], d2[40];
  po_sde_draw(&a, 0.25, d1);
  po_sde_free(&a);
  /* replica 3 alone, drawn from its own stream, equals replica 3 of the batch */
  po_rng r3;
  po_rng_init(&r3, 42, 1, 3);
  po_rng_normal_fill(&r3, d2, 8);
  for (int i = 0; i < 8; i++) assert_float_equal(d1[3 * 8 + i], 0.5f * d2[i], 1e-7);
  assert_int_equal(po_sde_create(&a, 0, 5, PO_SDE_EM, drift_lin, NULL, 1, &c, 1, 1), PO_ERR_ARG);
  assert_int_equal(po_sde_create(&a, 1, 5, PO_SDE_EM, NULL, NULL, 1, &c, 1, 1), PO_ERR_ARG);
  assert_int_equal(po_sde_create(&a, 1, 5, PO_SDE_EM, drift_lin, NULL, -1, &c, 1, 1), PO_ERR_ARG);
  assert_int_equal(po_sde_create(&a, 1, 5, PO_SDE_EM, drift_lin, NULL, 1, &c, 1, 1), PO_OK);
  float x = 1;
  assert_int_equal(po_sde_step(&a, &x, 0, -0.1), PO_ERR_ARG);
  po_sde_method m;
  assert_int_equal(po_sde_method_parse("rk4", &m), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "heun"));
  po_sde_free(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ou_strong),
      cmocka_unit_test(test_ou_weak),
      cmocka_unit_test(test_gbm_multiplicative),
      cmocka_unit_test(test_streams_and_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
