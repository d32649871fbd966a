/* Confocal-cavity couplings: the closed form, the explicit Hermite-Gauss mode
 * sum and the FFT propagation on a grid must agree to numerical precision;
 * limits of the closed form (point-like ensembles, ferromagnet near the
 * axis, frustration of random signs far from it). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "physics/cavity.h"
#include "physopt/error.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static double max_abs(int n, const double *A) {
  double m = 0;
  for (long k = 0; k < (long)n * n; k++) m = fmax(m, fabs(A[k]));
  return m;
}
static double max_diff(int n, const double *A, const double *B) {
  double m = 0;
  for (long k = 0; k < (long)n * n; k++) m = fmax(m, fabs(A[k] - B[k]));
  return m;
}

static void three_ways_agree(void **state) {
  (void)state;
  enum { N = 12 };
  double x[N], y[N], A[N * N], B[N * N], C[N * N];
  /* w0 = 35 um (Vaidya et al. 2018), sigma_A = 0.15 w0, spread 1.5 w0 (the
   * spin-glass side of the crossover, where cos(2 r.r'/w0^2) changes sign). */
  assert_int_equal(po_cavity_positions(N, 1.5 * 35.0, 3, x, y), PO_OK);
  po_cavity_geom g = {N, 35.0, 0.15 * 35.0, x, y};
  assert_int_equal(po_cavity_couplings_closed(&g, A), PO_OK);
  assert_int_equal(po_cavity_couplings_modes(&g, 0, B), PO_OK);
  assert_int_equal(po_cavity_couplings_grid(&g, 512, C), PO_OK);
  const double scale = max_abs(N, A);
  assert_true(max_diff(N, A, B) < 1e-12 * scale);
  assert_true(max_diff(N, A, C) < 1e-12 * scale);
  /* Signs of the off-diagonal couplings are mixed on this side. */
  int neg = 0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) neg += i != j && A[i * N + j] < 0;
  assert_true(neg > 0);
  /* A truncated mode sum is not converged: the test can fail. */
  assert_int_equal(po_cavity_couplings_modes(&g, 20, B), PO_OK);
  assert_true(max_diff(N, A, B) > 1e-6 * scale);
}

static void point_like_limit(void **state) {
  (void)state;
  /* Two well-separated small ensembles: J -> cos(2 r1.r2/w0^2)/(2 pi). */
  double x[2] = {0.7, -0.4}, y[2] = {0.3, 0.9}, J[4];
  po_cavity_geom g = {2, 1.0, 1e-3, x, y};
  assert_int_equal(po_cavity_couplings_closed(&g, J), PO_OK);
  const double want = cos(2 * (0.7 * -0.4 + 0.3 * 0.9)) / (2 * M_PI);
  assert_true(fabs(J[1] - want) < 1e-5);
  assert_true(fabs(J[1] - J[2]) < 1e-15);
}

static void ferromagnet_to_spin_glass(void **state) {
  (void)state;
  enum { N = 24 };
  double x[N], y[N], J[N * N];
  /* Near the axis all couplings are positive: no frustration. */
  assert_int_equal(po_cavity_positions(N, 0.3, 1, x, y), PO_OK);
  po_cavity_geom g = {N, 1.0, 0.05, x, y};
  assert_int_equal(po_cavity_couplings_closed(&g, J), PO_OK);
  assert_true(po_cavity_frustration(N, J) == 0.0);
  /* Far out the signs are pseudo-random: close to 1/2 of the triangles. */
  assert_int_equal(po_cavity_positions(N, 4.0, 1, x, y), PO_OK);
  assert_int_equal(po_cavity_couplings_closed(&g, J), PO_OK);
  const double f = po_cavity_frustration(N, J);
  assert_true(f > 0.35 && f < 0.6);
}

static void emission_readin_roundtrip(void **state) {
  (void)state;
  /* Reading the emitted field back in gives J s (the field is G applied to
   * the spin-weighted density), to the precision of the grid. */
  enum { N = 5, M = 256 };
  double x[N], y[N], J[N * N], s[N] = {1, -1, 1, 1, -1}, out[N], d;
  assert_int_equal(po_cavity_positions(N, 1.2, 9, x, y), PO_OK);
  po_cavity_geom g = {N, 1.0, 0.2, x, y};
  double *field = malloc(sizeof(double) * M * M);
  assert_int_equal(po_cavity_emission(&g, s, M, field, &d), PO_OK);
  assert_int_equal(po_cavity_readin(&g, field, M, out), PO_OK);
  assert_int_equal(po_cavity_couplings_closed(&g, J), PO_OK);
  for (int i = 0; i < N; i++) {
    double want = 0;
    for (int j = 0; j < N; j++) want += J[i * N + j] * s[j];
    assert_true(fabs(out[i] - want) < 1e-10);
  }
  free(field);
}

static void bad_input(void **state) {
  (void)state;
  double x[1] = {0}, y[1] = {0}, J[1];
  po_cavity_geom g = {1, 1.0, 2.0, x, y};
  assert_int_equal(po_cavity_couplings_closed(&g, J), PO_ERR_ARG);
  g.sigma = 0.1;
  assert_int_equal(po_cavity_couplings_grid(&g, 15, J), PO_ERR_ARG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(three_ways_agree),
      cmocka_unit_test(point_like_limit),
      cmocka_unit_test(ferromagnet_to_spin_glass),
      cmocka_unit_test(emission_readin_roundtrip),
      cmocka_unit_test(bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
