/* The CVODE wrapper (solvers/cvode.c) on a linear system with a known
 * solution, dense and matrix-free Krylov, with and without user Jacobians:
 *   dy/dt = -A y,  A = Q diag(lambda) Q^T (stiff: lambda from 1 to 1e4),
 *   y(t) = Q exp(-lambda t) Q^T y0. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "physopt/error.h"
#include "solvers/cvode.h"

#define N 6
static double Q[N][N], lam[N], A[N][N];

static void setup_system(void) {
  /* Q: normalised Householder reflection I - 2 v v^T / v.v (orthogonal) */
  double v[N] = {1, -2, 0.5, 3, -1, 2}, vv = 0;
  for (int i = 0; i < N; i++) vv += v[i] * v[i];
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) Q[i][j] = (i == j) - 2 * v[i] * v[j] / vv;
  for (int k = 0; k < N; k++) lam[k] = pow(10.0, 4.0 * k / (N - 1));
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      A[i][j] = 0;
      for (int k = 0; k < N; k++) A[i][j] += Q[i][k] * lam[k] * Q[j][k];
    }
}

static int rhs(void *ctx, double t, const double *y, double *dy) {
  (void)ctx, (void)t;
  for (int i = 0; i < N; i++) {
    dy[i] = 0;
    for (int j = 0; j < N; j++) dy[i] -= A[i][j] * y[j];
  }
  return PO_OK;
}
static int jac(void *ctx, double t, const double *y, double *J) {
  (void)ctx, (void)t, (void)y;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) J[i + j * N] = -A[i][j];
  return PO_OK;
}
static int jtv(void *ctx, double t, const double *y, const double *v, double *jv) {
  (void)y;
  return rhs(ctx, t, v, jv);
}

static void exact(const double *y0, double t, double *y) {
  double c[N];
  for (int k = 0; k < N; k++) {
    c[k] = 0;
    for (int j = 0; j < N; j++) c[k] += Q[j][k] * y0[j];
    c[k] *= exp(-lam[k] * t);
  }
  for (int i = 0; i < N; i++) {
    y[i] = 0;
    for (int k = 0; k < N; k++) y[i] += Q[i][k] * c[k];
  }
}

static void run_case(po_ode_linsol ls, int with_jac) {
  po_ode *o;
  assert_int_equal(po_ode_create(&o, N, ls, rhs, with_jac ? jac : NULL, with_jac ? jtv : NULL, NULL,
                                 1e-8, 1e-12),
                   PO_OK);
  double y0[N] = {1, 0.5, -0.25, 2, -1, 0.75}, y[N], ye[N];
  assert_int_equal(po_ode_reset(o, 0.0, y0), PO_OK);
  const double touts[] = {1e-4, 1e-2, 0.3, 1.0};
  for (int q = 0; q < 4; q++) {
    assert_int_equal(po_ode_advance(o, touts[q], y), PO_OK);
    exact(y0, touts[q], ye);
    for (int i = 0; i < N; i++) assert_true(fabs(y[i] - ye[i]) < 1e-5 * (1 + fabs(ye[i])));
  }
  long nfe, nli, nst;
  po_ode_stats(o, &nfe, &nli, &nst);
  assert_true(nst > 0 && nst < 5000); /* BDF handles the stiffness */
  if (ls == PO_ODE_KRYLOV) assert_true(nli > 0);
  /* restart from a new state */
  assert_int_equal(po_ode_reset(o, 0.0, ye), PO_OK);
  assert_int_equal(po_ode_advance(o, 0.5, y), PO_OK);
  double ye2[N];
  exact(ye, 0.5, ye2);
  for (int i = 0; i < N; i++) assert_true(fabs(y[i] - ye2[i]) < 1e-5 * (1 + fabs(ye2[i])));
  po_ode_destroy(o);
}

static void test_dense(void **s) {
  (void)s;
  run_case(PO_ODE_DENSE, 1);
  run_case(PO_ODE_DENSE, 0);
}
static void test_krylov(void **s) {
  (void)s;
  run_case(PO_ODE_KRYLOV, 1);
  run_case(PO_ODE_KRYLOV, 0);
}

static int failing_rhs(void *ctx, double t, const double *y, double *dy) {
  (void)ctx, (void)y;
  for (int i = 0; i < N; i++) dy[i] = 1.0;
  return t > 0.5 ? PO_ERR_NUMERIC : PO_OK;
}
static void test_errors(void **s) {
  (void)s;
  po_ode *o;
  assert_int_equal(po_ode_create(&o, 0, PO_ODE_DENSE, rhs, NULL, NULL, NULL, 1e-6, 1e-9),
                   PO_ERR_ARG);
  assert_int_equal(po_ode_create(&o, N, PO_ODE_DENSE, rhs, NULL, NULL, NULL, -1, 1e-9), PO_ERR_ARG);
  assert_int_equal(po_ode_create(&o, N, PO_ODE_DENSE, failing_rhs, NULL, NULL, NULL, 1e-6, 1e-9),
                   PO_OK);
  double y[N] = {0};
  assert_int_equal(po_ode_reset(o, 0.0, y), PO_OK);
  assert_int_equal(po_ode_advance(o, 2.0, y), PO_ERR_NUMERIC);
  assert_non_null(strstr(po_last_error(), "CVODE"));
  po_ode_destroy(o);
}

int main(void) {
  setup_system();
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_dense), cmocka_unit_test(test_krylov),
                                     cmocka_unit_test(test_errors)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
