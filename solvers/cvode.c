/* CVODE wrapper (see solvers/cvode.h).  SUNDIALS 6.4 API. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cvode/cvode.h>
#include <cvode/cvode_ls.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_context.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunlinsol/sunlinsol_spgmr.h>
#include <sunmatrix/sunmatrix_dense.h>

#include "physopt/error.h"
#include "solvers/cvode.h"

struct po_cvode {
  int n;
  po_ode_rhs f;
  po_ode_jac jac;
  po_ode_jtv jtv;
  void *user;
  po_cvode_opts opts;
  po_cvode_linsol linsol; /* resolved */
  SUNContext sunctx;
  N_Vector y;
  SUNMatrix A;
  SUNLinearSolver LS;
  void *mem;
  char msg[512];       /* last SUNDIALS error message */
  po_cvode_stats base; /* counters accumulated before the last reinit */
};

void po_cvode_opts_default(po_cvode_opts *o) {
  memset(o, 0, sizeof *o);
  o->rtol = 1e-6;
  o->atol = 1e-8;
  o->method = PO_CVODE_BDF;
  o->linsol = PO_CVODE_AUTO;
  o->dense_max_n = 200;
  o->krylov_dim = 0;
  o->max_steps = 100000;
}

static void err_handler(int code, const char *module, const char *function, char *msg, void *data) {
  po_cvode *c = data;
  snprintf(c->msg, sizeof c->msg, "%s/%s (code %d): %s", module ? module : "?",
           function ? function : "?", code, msg ? msg : "");
}

static int rhs_tramp(realtype t, N_Vector y, N_Vector ydot, void *data) {
  po_cvode *c = data;
  return c->f(t, N_VGetArrayPointer(y), N_VGetArrayPointer(ydot), c->user);
}

static int jac_tramp(realtype t, N_Vector y, N_Vector fy, SUNMatrix J, void *data, N_Vector t1,
                     N_Vector t2, N_Vector t3) {
  po_cvode *c = data;
  /* SUNDenseMatrix storage is column-major, n*n contiguous. */
  double *a = SUNDenseMatrix_Data(J);
  memset(a, 0, (size_t)c->n * c->n * sizeof *a);
  return c->jac(t, N_VGetArrayPointer(y), N_VGetArrayPointer(fy), a, c->user);
}

static int jtv_tramp(N_Vector v, N_Vector jv, realtype t, N_Vector y, N_Vector fy, void *data,
                     N_Vector tmp) {
  po_cvode *c = data;
  return c->jtv(t, N_VGetArrayPointer(y), N_VGetArrayPointer(fy), N_VGetArrayPointer(v),
                N_VGetArrayPointer(jv), c->user);
}

static int fail(po_cvode *c, int flag, const char *what) {
  return po_error(PO_ERR_NUMERIC, "cvode: %s failed (flag %d)%s%s", what, flag,
                  c->msg[0] ? ": " : "", c->msg);
}

/* Checks the options and that y0 is finite. */
static int check_create_args(int n, const double *y0, const po_cvode_opts *o) {
  if (!(o->rtol > 0 && o->rtol < 1))
    return po_error(PO_ERR_ARG, "cvode.rtol = %g, accepted (0, 1)", o->rtol);
  if (!(o->atol > 0 && isfinite(o->atol)))
    return po_error(PO_ERR_ARG, "cvode.atol = %g, accepted > 0", o->atol);
  if (o->linsol < PO_CVODE_AUTO || o->linsol > PO_CVODE_SPGMR)
    return po_error(PO_ERR_ARG, "cvode.linsol = %d, accepted auto(0), dense(1), spgmr(2)",
                    (int)o->linsol);
  if (o->method != PO_CVODE_BDF && o->method != PO_CVODE_ADAMS)
    return po_error(PO_ERR_ARG, "cvode.method = %d, accepted bdf(0), adams(1)", (int)o->method);
  if (o->krylov_dim < 0 || o->krylov_dim > 1000)
    return po_error(PO_ERR_ARG, "cvode.krylov_dim = %d, accepted 0..1000", o->krylov_dim);
  if (o->max_steps < 0)
    return po_error(PO_ERR_ARG, "cvode.max_steps = %ld, accepted >= 0", o->max_steps);
  for (int i = 0; i < n; i++)
    if (!isfinite(y0[i]))
      return po_error(PO_ERR_ARG, "po_cvode_create: y0[%d] = %g is not finite", i, y0[i]);
  return PO_OK;
}

/* The context, state vector and CVODE memory with its tolerances and step limit. */
static int init_integrator(po_cvode *c, double t0, const double *y0) {
  const po_cvode_opts *o = &c->opts;
  const int n = c->n;
  int flag;
  if ((flag = SUNContext_Create(NULL, &c->sunctx)) != 0)
    return po_error(PO_ERR_NUMERIC, "cvode: SUNContext_Create failed (flag %d)", flag);
  c->y = N_VNew_Serial(n, c->sunctx);
  if (!c->y) return po_error(PO_ERR_NOMEM, "cvode: N_VNew_Serial(%d) failed", n);
  memcpy(N_VGetArrayPointer(c->y), y0, (size_t)n * sizeof *y0);
  c->mem = CVodeCreate(o->method == PO_CVODE_ADAMS ? CV_ADAMS : CV_BDF, c->sunctx);
  if (!c->mem) return po_error(PO_ERR_NOMEM, "cvode: CVodeCreate failed");
  CVodeSetErrHandlerFn(c->mem, err_handler, c);
  if ((flag = CVodeInit(c->mem, rhs_tramp, t0, c->y)) != CV_SUCCESS)
    return fail(c, flag, "CVodeInit");
  CVodeSetUserData(c->mem, c);
  if ((flag = CVodeSStolerances(c->mem, o->rtol, o->atol)) != CV_SUCCESS)
    return fail(c, flag, "CVodeSStolerances");
  CVodeSetMaxNumSteps(c->mem, o->max_steps > 0 ? o->max_steps : 100000);
  return PO_OK;
}

/* Dense LU with an optional user Jacobian, or matrix-free SPGMR with an
 * optional Jacobian-times-vector. */
static int attach_linear_solver(po_cvode *c) {
  const int n = c->n;
  int flag;
  if (c->linsol == PO_CVODE_DENSE) {
    c->A = SUNDenseMatrix(n, n, c->sunctx);
    c->LS = c->A ? SUNLinSol_Dense(c->y, c->A, c->sunctx) : NULL;
  } else {
    c->LS = SUNLinSol_SPGMR(c->y, SUN_PREC_NONE, c->opts.krylov_dim, c->sunctx);
  }
  if (!c->LS)
    return po_error(PO_ERR_NOMEM, "cvode: cannot create the %s linear solver for n = %d",
                    c->linsol == PO_CVODE_DENSE ? "dense" : "SPGMR", n);
  if ((flag = CVodeSetLinearSolver(c->mem, c->LS, c->A)) != CV_SUCCESS)
    return fail(c, flag, "CVodeSetLinearSolver");
  if (c->linsol == PO_CVODE_DENSE && c->jac) CVodeSetJacFn(c->mem, jac_tramp);
  if (c->linsol == PO_CVODE_SPGMR && c->jtv) CVodeSetJacTimes(c->mem, NULL, jtv_tramp);
  return PO_OK;
}

int po_cvode_create(int n, po_ode_rhs f, void *user, double t0, const double *y0,
                    const po_cvode_opts *o, po_cvode **out) {
  if (!out) return po_error(PO_ERR_ARG, "po_cvode_create: out is NULL");
  *out = NULL;
  if (n < 1) return po_error(PO_ERR_ARG, "po_cvode_create: n = %d, accepted n >= 1", n);
  if (!f || !y0) return po_error(PO_ERR_ARG, "po_cvode_create: rhs and y0 are required");
  po_cvode_opts def;
  po_cvode_opts_default(&def);
  if (!o) o = &def;
  int rc = check_create_args(n, y0, o);
  if (rc) return rc;

  po_cvode *c = calloc(1, sizeof *c);
  if (!c) return po_error(PO_ERR_NOMEM, "po_cvode_create: out of memory");
  c->n = n;
  c->f = f;
  c->user = user;
  c->opts = *o;
  c->jac = o->jac;
  c->jtv = o->jtv;
  c->linsol = o->linsol;
  if (c->linsol == PO_CVODE_AUTO)
    c->linsol = n <= (o->dense_max_n > 0 ? o->dense_max_n : 200) ? PO_CVODE_DENSE : PO_CVODE_SPGMR;
  if ((rc = init_integrator(c, t0, y0)) != PO_OK || (rc = attach_linear_solver(c)) != PO_OK) {
    po_cvode_destroy(c);
    return rc;
  }
  *out = c;
  return PO_OK;
}

static int advance(po_cvode *c, double tout, double *y, double *t_reached, int task) {
  if (!c) return po_error(PO_ERR_ARG, "cvode: integrator is NULL");
  if (!isfinite(tout)) return po_error(PO_ERR_ARG, "cvode: tout = %g is not finite", tout);
  c->msg[0] = 0;
  realtype t = 0;
  int flag = CVode(c->mem, tout, c->y, &t, task);
  if (t_reached) *t_reached = t;
  if (flag < 0) return fail(c, flag, task == CV_NORMAL ? "CVode" : "CVode (one step)");
  if (y) memcpy(y, N_VGetArrayPointer(c->y), (size_t)c->n * sizeof *y);
  return PO_OK;
}

int po_cvode_integrate_to(po_cvode *c, double tout, double *y, double *t_reached) {
  return advance(c, tout, y, t_reached, CV_NORMAL);
}

int po_cvode_step(po_cvode *c, double tout, double *y, double *t_reached) {
  return advance(c, tout, y, t_reached, CV_ONE_STEP);
}

static void raw_stats(const po_cvode *c, po_cvode_stats *s) {
  long v;
  memset(s, 0, sizeof *s);
  if (CVodeGetNumSteps(c->mem, &v) == CV_SUCCESS) s->steps = v;
  if (CVodeGetNumRhsEvals(c->mem, &v) == CV_SUCCESS) s->rhs_evals = v;
  if (CVodeGetNumLinRhsEvals(c->mem, &v) == CV_SUCCESS) s->rhs_evals += v;
  if (CVodeGetNumJacEvals(c->mem, &v) == CV_SUCCESS) s->jac_evals = v;
  if (CVodeGetNumJtimesEvals(c->mem, &v) == CV_SUCCESS) s->jtv_evals = v;
  if (CVodeGetNumLinIters(c->mem, &v) == CV_SUCCESS) s->lin_iters = v;
  if (CVodeGetNumNonlinSolvIters(c->mem, &v) == CV_SUCCESS) s->nonlin_its = v;
}

void po_cvode_get_stats(const po_cvode *c, po_cvode_stats *s) {
  raw_stats(c, s);
  s->steps += c->base.steps;
  s->rhs_evals += c->base.rhs_evals;
  s->jac_evals += c->base.jac_evals;
  s->jtv_evals += c->base.jtv_evals;
  s->lin_iters += c->base.lin_iters;
  s->nonlin_its += c->base.nonlin_its;
}

int po_cvode_reinit(po_cvode *c, double t0, const double *y0) {
  if (!c || !y0) return po_error(PO_ERR_ARG, "po_cvode_reinit: NULL argument");
  for (int i = 0; i < c->n; i++)
    if (!isfinite(y0[i]))
      return po_error(PO_ERR_ARG, "po_cvode_reinit: y0[%d] = %g is not finite", i, y0[i]);
  po_cvode_stats tot;
  po_cvode_get_stats(c, &tot);
  c->base = tot;
  memcpy(N_VGetArrayPointer(c->y), y0, (size_t)c->n * sizeof *y0);
  c->msg[0] = 0;
  int flag = CVodeReInit(c->mem, t0, c->y);
  if (flag != CV_SUCCESS) return fail(c, flag, "CVodeReInit");
  return PO_OK;
}

po_cvode_linsol po_cvode_linear_solver(const po_cvode *c) {
  return c->linsol;
}

void po_cvode_destroy(po_cvode *c) {
  if (!c) return;
  if (c->mem) CVodeFree(&c->mem);
  if (c->LS) SUNLinSolFree(c->LS);
  if (c->A) SUNMatDestroy(c->A);
  if (c->y) N_VDestroy(c->y);
  if (c->sunctx) SUNContext_Free(&c->sunctx);
  free(c);
}
