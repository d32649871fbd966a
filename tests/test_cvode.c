/* CVODE wrapper (solvers/cvode.c) against analytic solutions:
 *   - stiff diagonal linear system dx_i/dt = -lambda_i x_i, lambda_i spread
 *     over 1e-1 .. 1e4 (stiffness ratio 1e5): x_i(t) = x_i(0) exp(-lambda_i t);
 *   - a non-diagonal linear system dx/dt = A x with A = Q D Q^T (Q a Givens
 *     rotation product), x(t) = Q exp(D t) Q^T x(0);
 *   - the logistic equation y' = r y (1 - y/K):
 *     y(t) = K y0 e^{rt} / (K + y0 (e^{rt} - 1)).
 * Each with the dense direct solver (finite-difference and user Jacobian) and
 * SPGMR (difference-quotient and user J*v), plus error paths. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "physopt/physopt.h"
#include "solvers/cvode.h"

/* ---- diagonal stiff system ---- */
typedef struct {
  int n;
  double *lam;
} diag_sys;

static int diag_rhs(double t, const double *y, double *yd, void *u) {
  const diag_sys *s = u;
  for (int i = 0; i < s->n; i++) yd[i] = -s->lam[i] * y[i];
  return 0;
}
static int diag_jac(double t, const double *y, const double *fy, double *J, void *u) {
  const diag_sys *s = u;
  for (int i = 0; i < s->n; i++) J[(size_t)i * s->n + i] = -s->lam[i];
  return 0;
}
static int diag_jtv(double t, const double *y, const double *fy, const double *v, double *jv,
                    void *u) {
  const diag_sys *s = u;
  for (int i = 0; i < s->n; i++) jv[i] = -s->lam[i] * v[i];
  return 0;
}

static void run_diag(int n, po_cvode_linsol ls, int user_deriv) {
  diag_sys s = {n, malloc(n * sizeof(double))};
  double *y0 = malloc(n * sizeof(double)), *y = malloc(n * sizeof(double));
  for (int i = 0; i < n; i++) {
    s.lam[i] = 0.1 * pow(1e5, (double)i / (n - 1)); /* 0.1 .. 1e4 */
    y0[i] = 1.0 + 0.01 * i;
  }
  po_cvode_opts o;
  po_cvode_opts_default(&o);
  o.rtol = 1e-8;
  o.atol = 1e-12;
  o.linsol = ls;
  if (user_deriv) {
    o.jac = diag_jac;
    o.jtv = diag_jtv;
  }
  po_cvode *c = NULL;
  assert_int_equal(po_cvode_create(n, diag_rhs, &s, 0.0, y0, &o, &c), PO_OK);
  assert_int_equal(po_cvode_linear_solver(c), ls);
  const double ts[] = {0.01, 0.5, 2.0, 10.0};
  for (int k = 0; k < 4; k++) {
    double tr = -1;
    assert_int_equal(po_cvode_integrate_to(c, ts[k], y, &tr), PO_OK);
    assert_true(fabs(tr - ts[k]) < 1e-12);
    for (int i = 0; i < n; i++) {
      double ex = y0[i] * exp(-s.lam[i] * ts[k]);
      /* local tolerance 1e-8 relative; global error allowed 100x that */
      assert_true(fabs(y[i] - ex) <= 1e-6 * fabs(y0[i]) + 1e-10);
    }
  }
  po_cvode_stats st;
  po_cvode_get_stats(c, &st);
  assert_true(st.steps > 0 && st.rhs_evals > 0);
  /* Stiff problem with BDF: far fewer steps than an explicit method would need
   * (stability of explicit Euler alone would demand t*lambda_max/2 = 5e4). */
  assert_true(st.steps < 5000);
  if (ls == PO_CVODE_SPGMR) assert_true(st.jtv_evals > 0 && st.lin_iters > 0);
  if (ls == PO_CVODE_DENSE) assert_true(st.jac_evals > 0);
  po_cvode_destroy(c);
  free(s.lam);
  free(y0);
  free(y);
}

static void test_diag_dense_fd(void **st) {
  run_diag(8, PO_CVODE_DENSE, 0);
}
static void test_diag_dense_jac(void **st) {
  run_diag(8, PO_CVODE_DENSE, 1);
}
static void test_diag_spgmr_dq(void **st) {
  run_diag(300, PO_CVODE_SPGMR, 0);
}
static void test_diag_spgmr_jtv(void **st) {
  run_diag(300, PO_CVODE_SPGMR, 1);
}

/* ---- rotated (non-diagonal) linear system ---- */
typedef struct {
  int n;
  double *A; /* row-major */
} lin_sys;

static int lin_rhs(double t, const double *y, double *yd, void *u) {
  const lin_sys *s = u;
  for (int i = 0; i < s->n; i++) {
    double a = 0;
    for (int j = 0; j < s->n; j++) a += s->A[i * s->n + j] * y[j];
    yd[i] = a;
  }
  return 0;
}
static int lin_jac(double t, const double *y, const double *fy, double *J, void *u) {
  const lin_sys *s = u;
  for (int i = 0; i < s->n; i++)
    for (int j = 0; j < s->n; j++) J[(size_t)j * s->n + i] = s->A[i * s->n + j];
  return 0;
}
static int lin_jtv(double t, const double *y, const double *fy, const double *v, double *jv,
                   void *u) {
  return lin_rhs(t, v, jv, u);
}

/* Q = product of Givens rotations (i, i+1) by angle theta_i; returns Q row-major. */
static void make_q(int n, double *Q) {
  memset(Q, 0, (size_t)n * n * sizeof *Q);
  for (int i = 0; i < n; i++) Q[i * n + i] = 1;
  for (int k = 0; k < n - 1; k++) {
    double th = 0.3 + 0.7 * k, c = cos(th), s = sin(th);
    for (int r = 0; r < n; r++) { /* Q <- Q G_k, columns k, k+1 */
      double a = Q[r * n + k], b = Q[r * n + k + 1];
      Q[r * n + k] = c * a - s * b;
      Q[r * n + k + 1] = s * a + c * b;
    }
  }
}

static void run_lin(po_cvode_linsol ls, int user_deriv) {
  const int n = 6;
  double Q[36], A[36], d[6] = {-0.5, -2, -10, -100, -1000, -3000}, y0[6], y[6];
  make_q(n, Q);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double a = 0;
      for (int k = 0; k < n; k++) a += Q[i * n + k] * d[k] * Q[j * n + k];
      A[i * n + j] = a;
    }
  for (int i = 0; i < n; i++) y0[i] = 1.0 - 0.3 * i;
  lin_sys s = {n, A};
  po_cvode_opts o;
  po_cvode_opts_default(&o);
  o.rtol = 1e-9;
  o.atol = 1e-12;
  o.linsol = ls;
  if (user_deriv) {
    o.jac = lin_jac;
    o.jtv = lin_jtv;
  }
  po_cvode *c = NULL;
  assert_int_equal(po_cvode_create(n, lin_rhs, &s, 0.0, y0, &o, &c), PO_OK);
  const double T = 1.5;
  assert_int_equal(po_cvode_integrate_to(c, T, y, NULL), PO_OK);
  double z[6]; /* z = Q^T y0, then exact = Q exp(D T) z */
  for (int k = 0; k < n; k++) {
    z[k] = 0;
    for (int i = 0; i < n; i++) z[k] += Q[i * n + k] * y0[i];
    z[k] *= exp(d[k] * T);
  }
  for (int i = 0; i < n; i++) {
    double ex = 0;
    for (int k = 0; k < n; k++) ex += Q[i * n + k] * z[k];
    assert_true(fabs(y[i] - ex) < 1e-7);
  }
  po_cvode_destroy(c);
}
static void test_lin_dense(void **st) {
  run_lin(PO_CVODE_DENSE, 0);
  run_lin(PO_CVODE_DENSE, 1);
}
static void test_lin_spgmr(void **st) {
  run_lin(PO_CVODE_SPGMR, 0);
  run_lin(PO_CVODE_SPGMR, 1);
}

/* ---- logistic equation, one independent copy per component ---- */
typedef struct {
  int n;
  double r, K;
} logi_sys;
static int logi_rhs(double t, const double *y, double *yd, void *u) {
  const logi_sys *s = u;
  for (int i = 0; i < s->n; i++) yd[i] = s->r * y[i] * (1 - y[i] / s->K);
  return 0;
}
static int logi_jtv(double t, const double *y, const double *fy, const double *v, double *jv,
                    void *u) {
  const logi_sys *s = u;
  for (int i = 0; i < s->n; i++) jv[i] = s->r * (1 - 2 * y[i] / s->K) * v[i];
  return 0;
}

static void run_logistic(po_cvode_linsol ls, po_cvode_method m, int n) {
  logi_sys s = {n, 3.0, 2.5};
  double *y0 = malloc(n * sizeof(double)), *y = malloc(n * sizeof(double));
  for (int i = 0; i < n; i++) y0[i] = 0.001 * (1 + i % 7) + (i % 3 == 0 ? 4.0 : 0.0);
  po_cvode_opts o;
  po_cvode_opts_default(&o);
  o.rtol = 1e-9;
  o.atol = 1e-12;
  o.linsol = ls;
  o.method = m;
  o.jtv = logi_jtv;
  po_cvode *c = NULL;
  assert_int_equal(po_cvode_create(n, logi_rhs, &s, 0.0, y0, &o, &c), PO_OK);
  for (double T = 0.5; T <= 6.0; T += 0.5) {
    assert_int_equal(po_cvode_integrate_to(c, T, y, NULL), PO_OK);
    for (int i = 0; i < n; i++) {
      double e = exp(s.r * T), ex = s.K * y0[i] * e / (s.K + y0[i] * (e - 1));
      assert_true(fabs(y[i] - ex) < 2e-7 * s.K);
    }
  }
  po_cvode_destroy(c);
  free(y0);
  free(y);
}
static void test_logistic(void **st) {
  run_logistic(PO_CVODE_DENSE, PO_CVODE_BDF, 5);
  run_logistic(PO_CVODE_SPGMR, PO_CVODE_BDF, 250);
  run_logistic(PO_CVODE_AUTO, PO_CVODE_ADAMS, 5);
}

/* One-step mode advances monotonically and reinit restarts from a new state. */
static void test_step_reinit(void **st) {
  logi_sys s = {1, 1.0, 1.0};
  double y0 = 0.1, y = 0, t = 0, tprev = 0;
  po_cvode *c = NULL;
  assert_int_equal(po_cvode_create(1, logi_rhs, &s, 0.0, &y0, NULL, &c), PO_OK);
  assert_int_equal(po_cvode_linear_solver(c), PO_CVODE_DENSE); /* auto, n = 1 */
  int k = 0;
  while (t < 1.0 && k < 10000) {
    assert_int_equal(po_cvode_step(c, 1.0, &y, &t), PO_OK);
    assert_true(t > tprev);
    tprev = t;
    k++;
  }
  assert_true(k > 1 && k < 10000);
  double ex = y0 * exp(t) / (1 + y0 * (exp(t) - 1));
  assert_true(fabs(y - ex) < 1e-5);
  po_cvode_stats a, b;
  po_cvode_get_stats(c, &a);
  double y1 = 0.9;
  assert_int_equal(po_cvode_reinit(c, 5.0, &y1), PO_OK);
  assert_int_equal(po_cvode_integrate_to(c, 6.0, &y, &t), PO_OK);
  ex = y1 * exp(1.0) / (1 + y1 * (exp(1.0) - 1));
  assert_true(fabs(y - ex) < 1e-5);
  po_cvode_get_stats(c, &b);
  assert_true(b.steps > a.steps); /* counters accumulate across reinit */
  po_cvode_destroy(c);
}

static int bad_rhs(double t, const double *y, double *yd, void *u) {
  yd[0] = -y[0];
  return t > 0.5 ? -1 : 0; /* unrecoverable failure after t = 0.5 */
}

static void test_errors(void **st) {
  double y0 = 1, y;
  po_cvode *c = (po_cvode *)1;
  assert_int_equal(po_cvode_create(0, bad_rhs, NULL, 0, &y0, NULL, &c), PO_ERR_ARG);
  assert_null(c);
  assert_non_null(strstr(po_last_error(), "n = 0"));
  po_cvode_opts o;
  po_cvode_opts_default(&o);
  o.rtol = -1;
  assert_int_equal(po_cvode_create(1, bad_rhs, NULL, 0, &y0, &o, &c), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "rtol"));
  double nan0 = NAN;
  assert_int_equal(po_cvode_create(1, bad_rhs, NULL, 0, &nan0, NULL, &c), PO_ERR_ARG);
  assert_int_equal(po_cvode_create(1, bad_rhs, NULL, 0, &y0, NULL, &c), PO_OK);
  assert_int_equal(po_cvode_integrate_to(c, 2.0, &y, NULL), PO_ERR_NUMERIC);
  assert_non_null(strstr(po_last_error(), "cvode"));
  po_cvode_destroy(c);
  /* max_steps exhausted is an error, not a hang */
  logi_sys s = {1, 1.0, 1.0};
  o.rtol = 1e-10;
  o.atol = 1e-14;
  o.max_steps = 3;
  y0 = 0.1;
  assert_int_equal(po_cvode_create(1, logi_rhs, &s, 0, &y0, &o, &c), PO_OK);
  assert_int_equal(po_cvode_integrate_to(c, 50.0, &y, NULL), PO_ERR_NUMERIC);
  po_cvode_destroy(c);
  po_cvode_destroy(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_diag_dense_fd), cmocka_unit_test(test_diag_dense_jac),
      cmocka_unit_test(test_diag_spgmr_dq), cmocka_unit_test(test_diag_spgmr_jtv),
      cmocka_unit_test(test_lin_dense),     cmocka_unit_test(test_lin_spgmr),
      cmocka_unit_test(test_logistic),      cmocka_unit_test(test_step_reinit),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
