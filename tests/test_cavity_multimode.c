/* Multimode cavity couplings (physics/cavity.h, po_cavity_couplings_multimode):
 *  - the confocal limit (L = R) at the midplane is the closed-form confocal
 *    kernel (Vaidya et al. PRX 8, 011002 (2018); Guo et al. PRL 122, 193601
 *    (2019));
 *  - off the midplane at z = z_R every even family couples with weight 1,
 *    so the kernel is the even-parity projector (1/2)[delta(u-u') +
 *    delta(u+u')] smeared by the ensembles, with no nonlocal term (analytic);
 *  - a near-confocal geometry (R = L + 5 um) with atoms off the midplane
 *    against a mode sum computed here independently: Hermite functions by
 *    their standard recurrence and the ensembles' Gaussian overlaps by
 *    quadrature (the library uses a closed recurrence for the overlaps). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "physics/cavity.h"
#include "physopt/memory.h"
#include "physopt/physopt.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

enum { NE = 6 };

/* Lengths in um, angular frequencies in rad/us; 1 cm cavity, 780 nm. */
static po_cavity_multimode geometry(double R, int n_max) {
  po_cavity_multimode mm = {.length = 1e4,
                            .mirror_radius = R,
                            .wavelength = 0.78,
                            .delta0 = -2 * M_PI * 10.0,
                            .kappa = 2 * M_PI * 0.1,
                            .c_light = 2.99792458e8,
                            .n_max = n_max};
  return mm;
}

static void positions(double w, double *x, double *y) {
  const double ux[NE] = {0.1, -0.7, 1.2, 0.4, -1.1, 0.0};
  const double uy[NE] = {0.3, 0.5, -0.2, -0.9, -0.6, 1.3};
  for (int i = 0; i < NE; i++) x[i] = ux[i] * w, y[i] = uy[i] * w;
}

static double max_abs(const double *a, int n) {
  double m = 0;
  for (int i = 0; i < n; i++) m = fmax(m, fabs(a[i]));
  return m;
}

static void test_confocal_limit_is_closed_form(void **state) {
  (void)state;
  po_cavity_multimode mm = geometry(1e4, 1200);
  double w0, zr;
  assert_int_equal(po_cavity_multimode_waist(&mm, &w0, &zr), PO_OK);
  assert_true(fabs(zr - 5e3) < 1e-9); /* confocal: z_R = L/2 */
  double x[NE], y[NE], z[NE] = {0}, J[NE * NE], Jc[NE * NE];
  positions(w0, x, y);
  po_cavity_geom g = {NE, w0, 0.15 * w0, x, y};
  assert_int_equal(po_cavity_couplings_multimode(&g, z, &mm, J), PO_OK);
  assert_int_equal(po_cavity_couplings_closed(&g, Jc), PO_OK);
  const double scale = max_abs(Jc, NE * NE);
  for (int t = 0; t < NE * NE; t++)
    if (fabs(J[t] - Jc[t]) > 1e-9 * scale) fail_msg("J[%d] = %.12g, closed %.12g", t, J[t], Jc[t]);

  /* z = z_R: (w0/w)^2 / (8 pi s^2) [exp(-|u-u'|^2/4s^2) + exp(-|u+u'|^2/4s^2)],
   * u = r / w(z), s = sigma / w(z), w = sqrt(2) w0 */
  for (int i = 0; i < NE; i++) z[i] = zr;
  assert_int_equal(po_cavity_couplings_multimode(&g, z, &mm, J), PO_OK);
  const double w = sqrt(2.0) * w0, s = g.sigma / w;
  for (int i = 0; i < NE; i++)
    for (int j = 0; j < NE; j++) {
      const double dxm = (x[i] - x[j]) / w, dym = (y[i] - y[j]) / w;
      const double dxp = (x[i] + x[j]) / w, dyp = (y[i] + y[j]) / w;
      const double want = 0.5 / (8 * M_PI * s * s) *
                          (exp(-(dxm * dxm + dym * dym) / (4 * s * s)) +
                           exp(-(dxp * dxp + dyp * dyp) / (4 * s * s)));
      if (fabs(J[i * NE + j] - want) > 1e-9 * (0.5 / (8 * M_PI * s * s)))
        fail_msg("z = z_R: J[%d,%d] = %.12g, projector %.12g", i, j, J[i * NE + j], want);
    }
}

/* Overlap of N(x0, sigma^2) with the normalised 1-D Hermite-Gauss mode of
 * order 0..K at waist w, u_l(x) = (sqrt(2)/w)^(1/2) psi_l(sqrt(2) x / w):
 * trapezoid rule over x0 +- 12 sigma (spectrally accurate for this smooth,
 * decaying integrand). */
static void overlaps_quadrature(double x0, double sigma, double w, int K, double *A) {
  const int P = 6001;
  const double a = x0 - 12 * sigma, h = 24 * sigma / (P - 1);
  double *psi = malloc(sizeof(double) * (K + 1));
  for (int l = 0; l <= K; l++) A[l] = 0;
  for (int p = 0; p < P; p++) {
    const double x = a + p * h, xi = sqrt(2.0) * x / w;
    const double wt = (p == 0 || p == P - 1 ? 0.5 : 1.0) * h *
                      exp(-(x - x0) * (x - x0) / (2 * sigma * sigma)) / (sqrt(2 * M_PI) * sigma);
    psi[0] = pow(M_PI, -0.25) * exp(-xi * xi / 2);
    if (K >= 1) psi[1] = sqrt(2.0) * xi * psi[0];
    for (int l = 1; l < K; l++)
      psi[l + 1] = sqrt(2.0 / (l + 1)) * xi * psi[l] - sqrt((double)l / (l + 1)) * psi[l - 1];
    for (int l = 0; l <= K; l++) A[l] += wt * sqrt(sqrt(2.0) / w) * psi[l];
  }
  free(psi);
}

static void test_near_confocal_against_independent_mode_sum(void **state) {
  (void)state;
  const int K = 40;
  po_cavity_multimode mm = geometry(1e4 + 5.0, K);
  double w0, zr;
  assert_int_equal(po_cavity_multimode_waist(&mm, &w0, &zr), PO_OK);
  double x[NE], y[NE], J[NE * NE];
  const double z[NE] = {0, 150, -400, 900, 2500, -60};
  positions(w0, x, y);
  po_cavity_geom g = {NE, w0, 0.2 * w0, x, y};
  assert_int_equal(po_cavity_couplings_multimode(&g, z, &mm, J), PO_OK);

  const double L = mm.length, R = mm.mirror_radius, theta = acos(1 - L / R);
  const double re0 = mm.delta0 / (mm.delta0 * mm.delta0 + mm.kappa * mm.kappa);
  double Ax[NE][K + 1], Ay[NE][K + 1];
  for (int i = 0; i < NE; i++) {
    const double w = w0 * sqrt(1 + z[i] * z[i] / (zr * zr));
    overlaps_quadrature(x[i], g.sigma, w, K, Ax[i]);
    overlaps_quadrature(y[i], g.sigma, w, K, Ay[i]);
  }
  double Jref[NE * NE];
  for (int i = 0; i < NE; i++)
    for (int j = 0; j < NE; j++) {
      double sum = 0;
      for (int n = 0; n <= K; n += 2) {
        const double dn = mm.delta0 - mm.c_light / L * n * (theta - M_PI / 2);
        const double D = dn / (dn * dn + mm.kappa * mm.kappa) / re0;
        const double phi_i = n * (atan(z[i] / zr) + M_PI / 4 - (theta - M_PI / 2) * z[i] / L);
        const double phi_j = n * (atan(z[j] / zr) + M_PI / 4 - (theta - M_PI / 2) * z[j] / L);
        double fam = 0;
        for (int l = 0; l <= n; l++) fam += Ax[i][l] * Ay[i][n - l] * Ax[j][l] * Ay[j][n - l];
        sum += D * cos(phi_i) * cos(phi_j) * fam;
      }
      Jref[i * NE + j] = w0 * w0 * sum;
    }
  const double scale = max_abs(Jref, NE * NE);
  assert_true(scale > 0);
  for (int t = 0; t < NE * NE; t++)
    if (fabs(J[t] - Jref[t]) > 1e-8 * scale)
      fail_msg("J[%d] = %.12g, independent mode sum %.12g", t, J[t], Jref[t]);
  /* the geometry matters: the confocal kernel differs by far more */
  double Jc[NE * NE];
  assert_int_equal(po_cavity_couplings_closed(&g, Jc), PO_OK);
  double dmax = 0;
  for (int t = 0; t < NE * NE; t++) dmax = fmax(dmax, fabs(Jc[t] - J[t]));
  assert_true(dmax > 1e-3 * scale);
  /* parameter errors name the key */
  mm.mirror_radius = 0.4 * L;
  assert_int_equal(po_cavity_couplings_multimode(&g, z, &mm, J), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "cavity.mirror_radius"));
}

/* The native connectivity of the recall experiments: the multimode
 * geometry with L = R at the midplane (configs/devices/cavity-confocal.ini)
 * gives the confocal W of po_memory_native; a near-confocal cavity does not. */
static void test_native_connectivity_confocal_preset(void **state) {
  (void)state;
  const int n = 16;
  float W[16 * 16], Wm[16 * 16];
  po_native_cavity cav = {.multimode = 1,
                          .length_um = 1e4,
                          .mirror_radius_um = 1e4,
                          .wavelength_um = 0.78,
                          .pump_detuning_mhz = -10,
                          .kappa_khz = 150,
                          .z_spread_um = 0,
                          .n_families = 1000};
  assert_int_equal(po_memory_native(n, 2.0, 0.1, 7, W), PO_OK);
  assert_int_equal(po_memory_native_geometry(n, 2.0, 0.1, &cav, 7, Wm), PO_OK);
  float mx = 0, d = 0;
  for (int t = 0; t < n * n; t++) mx = fmaxf(mx, fabsf(W[t])), d = fmaxf(d, fabsf(W[t] - Wm[t]));
  if (!(d < 1e-5f * mx)) fail_msg("confocal preset: max |dW| = %g (max |W| %g)", d, mx);
  cav.mirror_radius_um = 1e4 - 20;
  cav.z_spread_um = 500;
  assert_int_equal(po_memory_native_geometry(n, 2.0, 0.1, &cav, 7, Wm), PO_OK);
  d = 0;
  for (int t = 0; t < n * n; t++) d = fmaxf(d, fabsf(W[t] - Wm[t]));
  assert_true(d > 0.05f * mx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_confocal_limit_is_closed_form),
      cmocka_unit_test(test_near_confocal_against_independent_mode_sum),
      cmocka_unit_test(test_native_connectivity_confocal_preset),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
