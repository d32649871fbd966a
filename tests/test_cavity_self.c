/* Self-interaction of a cavity ensemble, thermal widening and the pump
 * protocol (physics/cavity.h): the closed-form self term against the
 * explicit Hermite-Gauss mode sum (which does not split the Green's function
 * into local and nonlocal parts), its finite-width local term and the
 * thermally widened couplings against Monte Carlo averages over atom
 * positions, and the threshold algebra of the pump derivation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "physics/cavity.h"
#include "physopt/error.h"
#include "physopt/rng.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static void self_term_equals_mode_sum_diagonal(void **state) {
  (void)state;
  enum { N = 6 };
  double x[N], y[N], J[N * N];
  /* sigma_A = 0.15 w0 (about 900 modes per axis converge the sum). */
  assert_int_equal(po_cavity_positions(N, 1.5, 5, x, y), PO_OK);
  po_cavity_geom g = {N, 1.0, 0.15, x, y};
  assert_int_equal(po_cavity_couplings_modes(&g, 0, J), PO_OK);
  double scale = 0;
  for (int k = 0; k < N * N; k++) scale = fmax(scale, fabs(J[k]));
  for (int i = 0; i < N; i++) {
    const double want = po_cavity_self_term(x[i] * x[i] + y[i] * y[i], 0.15, 0);
    assert_true(fabs(J[i * N + i] - want) < 1e-12 * scale);
  }
  /* The local term dominates: J_ii is an order of magnitude above any
   * nonlocal coupling (1/(2 pi) at most) for sigma_A = 0.15 w0. */
  for (int i = 0; i < N; i++) assert_true(J[i * N + i] > 0.5 / (2 * M_PI) * 1.3);
}

/* Monte Carlo over pairs of atoms drawn from the same ensemble, kernel
 * (1/4)[N(u-u'; ell^2) + N(u+u'; ell^2)] + cos(2 u.u')/(2 pi). */
static void local_width_monte_carlo(void **state) {
  (void)state;
  const double ux = 0.8, uy = -0.5, s = 0.1, ell = 0.05;
  const long M = 400000;
  po_rng r;
  po_rng_init(&r, 11, 0, 0);
  double sum = 0, sum2 = 0;
  for (long k = 0; k < M; k++) {
    const double ax = ux + s * po_rng_normal(&r), ay = uy + s * po_rng_normal(&r);
    const double bx = ux + s * po_rng_normal(&r), by = uy + s * po_rng_normal(&r);
    const double dm = (ax - bx) * (ax - bx) + (ay - by) * (ay - by);
    const double dp = (ax + bx) * (ax + bx) + (ay + by) * (ay + by);
    const double nrm = 1 / (2 * M_PI * ell * ell);
    const double v = 0.25 * nrm * (exp(-dm / (2 * ell * ell)) + exp(-dp / (2 * ell * ell))) +
                     cos(2 * (ax * bx + ay * by)) / (2 * M_PI);
    sum += v;
    sum2 += v * v;
  }
  const double mean = sum / M, se = sqrt((sum2 / M - mean * mean) / M);
  const double u2 = ux * ux + uy * uy;
  assert_true(fabs(mean - po_cavity_self_term(u2, s, ell)) < 5 * se);
  /* The width matters at this precision: the ideal delta is far off. */
  assert_true(fabs(mean - po_cavity_self_term(u2, s, 0)) > 20 * se);
}

static void self_ratio_matches_closed_form(void **state) {
  (void)state;
  enum { NREF = 256 };
  double x[NREF], y[NREF], ratio, ratio_w;
  const double s = 0.1, e = 2 * s * s, d = 1 + e * e;
  assert_int_equal(po_cavity_positions(NREF, 2.0, 1, x, y), PO_OK);
  /* Diagonal from the closed form, reference from its nonlocal part. */
  static double J[NREF * NREF];
  po_cavity_geom g = {NREF, 1.0, s, x, y};
  assert_int_equal(po_cavity_couplings_closed(&g, J), PO_OK);
  double self = 0, ss = 0;
  for (int i = 0; i < NREF; i++) {
    self += J[i * NREF + i] / NREF;
    for (int j = 0; j < NREF; j++) {
      if (i == j) continue;
      const double r2 = x[i] * x[i] + y[i] * y[i] + x[j] * x[j] + y[j] * y[j];
      const double v =
          exp(-2 * s * s * r2 / d) * cos(2 * (x[i] * x[j] + y[i] * y[j]) / d) / (2 * M_PI * d);
      ss += v * v;
    }
  }
  assert_int_equal(po_cavity_self_ratio(2.0, s, 0, &ratio), PO_OK);
  assert_true(fabs(ratio - self / sqrt(ss / (NREF * (NREF - 1.0)))) < 1e-12 * ratio);
  /* Point-like limit of the local term: 1/(16 pi s^2) over the rms of
   * cos(2 u.u')/(2 pi), about 1/sqrt(2) of 1/(2 pi) in the glassy regime:
   * ratio ~ sqrt(2)/(8 s^2) = 17.7 at s = 0.1, within the Gaussian damping. */
  assert_true(ratio > 14 && ratio < 22);
  /* A finite local width lowers it by about 2 s^2 / (2 s^2 + ell^2). */
  assert_int_equal(po_cavity_self_ratio(2.0, s, 0.05, &ratio_w), PO_OK);
  assert_true(fabs(ratio_w / ratio - 0.02 / 0.0225) < 0.02);
  assert_int_equal(po_cavity_self_ratio(2.0, 0.0, 0, &ratio), PO_ERR_ARG);
  assert_int_equal(po_cavity_self_ratio(2.0, s, -1, &ratio), PO_ERR_ARG);
}

/* Atoms of two ensembles (and two atoms of one ensemble) with Gaussian
 * density of width s plus independent thermal displacements of rms t:
 * the nonlocal coupling averaged over them equals the closed form at
 * width sqrt(s^2 + t^2), and not the one at width s. */
static void thermal_widening_monte_carlo(void **state) {
  (void)state;
  const double s = 0.08, t = 0.1, se2 = s * s + t * t;
  const double ui[2] = {1.1, 0.4}, uj[2] = {-0.6, 1.2};
  const long M = 200000;
  po_rng r;
  po_rng_init(&r, 12, 0, 0);
  for (int self = 0; self <= 1; self++) {
    const double *vj = self ? ui : uj;
    double sum = 0, sum2 = 0;
    for (long k = 0; k < M; k++) {
      const double ax = ui[0] + s * po_rng_normal(&r) + t * po_rng_normal(&r);
      const double ay = ui[1] + s * po_rng_normal(&r) + t * po_rng_normal(&r);
      const double bx = vj[0] + s * po_rng_normal(&r) + t * po_rng_normal(&r);
      const double by = vj[1] + s * po_rng_normal(&r) + t * po_rng_normal(&r);
      const double v = cos(2 * (ax * bx + ay * by)) / (2 * M_PI);
      sum += v;
      sum2 += v * v;
    }
    const double mean = sum / M, err = sqrt((sum2 / M - mean * mean) / M);
    const double r2 = ui[0] * ui[0] + ui[1] * ui[1] + vj[0] * vj[0] + vj[1] * vj[1];
    const double dot = ui[0] * vj[0] + ui[1] * vj[1];
    double want[2];
    for (int w = 0; w < 2; w++) {
      const double s2 = w ? se2 : s * s, e = 2 * s2, d = 1 + e * e;
      want[w] = exp(-2 * s2 * r2 / d) * cos(2 * dot / d) / (2 * M_PI * d);
    }
    assert_true(fabs(mean - want[1]) < 5 * err);
    assert_true(fabs(mean - want[0]) > 10 * err);
  }
  /* sqrt(k_B T / (m omega^2)) for 87Rb, 100 nK, 1 kHz: 0.49227 um (by hand:
   * 1.380649e-30 J / (1.44316e-25 kg x (2 pi 1e3 / s)^2)). */
  assert_true(fabs(po_cavity_thermal_sigma_um(100, 1e3, PO_RB87_AMU) / 0.49227 - 1) < 1e-4);
}

static void pump_threshold_algebra(void **state) {
  (void)state;
  /* Rates in 2 pi x MHz; values of the order of a transversely pumped
   * confocal cavity (illustrative, not a device). */
  po_cavity_pump_in in = {.g0 = 1.5,
                          .omega_p = 10,
                          .delta_a = -1e5,
                          .delta_c = -10,
                          .kappa = 0.15,
                          .omega_z = 0.0075,
                          .n_atoms = 1e5,
                          .overlap = 0.5};
  po_cavity_pump_out out;
  assert_int_equal(po_cavity_pump_derive(&in, &out), PO_OK);
  /* Dicke threshold (1/2) sqrt(omega_z (Delta_C^2 + kappa^2) / |Delta_C|). */
  const double dc2 = 100 + 0.0225;
  assert_true(fabs(out.lambda_c - 0.5 * sqrt(0.0075 * dc2 / 10)) < 1e-12);
  /* At the threshold Rabi frequency the pump is at threshold power and the
   * cavity-mediated self-coupling G equals omega_z. */
  in.omega_p = out.omega_c;
  assert_int_equal(po_cavity_pump_derive(&in, &out), PO_OK);
  assert_true(fabs(out.power_ratio - 1) < 1e-12);
  assert_true(fabs(out.alpha - 0.0075 * out.tau) < 1e-15);
  in.omega_p = 2 * out.omega_c;
  assert_int_equal(po_cavity_pump_derive(&in, &out), PO_OK);
  assert_true(fabs(out.power_ratio - 4) < 1e-12);
  assert_true(fabs(out.tau - 2 * 0.15 / dc2) < 1e-15);
  /* The retardation damping vanishes without cavity loss. */
  in.kappa = 0;
  assert_int_equal(po_cavity_pump_derive(&in, &out), PO_OK);
  assert_true(out.alpha == 0);
  in.delta_c = 10; /* blue detuning: no superradiant threshold of this form */
  assert_int_equal(po_cavity_pump_derive(&in, &out), PO_ERR_ARG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(self_term_equals_mode_sum_diagonal),
      cmocka_unit_test(local_width_monte_carlo),
      cmocka_unit_test(self_ratio_matches_closed_form),
      cmocka_unit_test(thermal_widening_monte_carlo),
      cmocka_unit_test(pump_threshold_algebra),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
