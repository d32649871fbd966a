/* CVODE wrapper; see cvode.h. */
#include "solvers/cvode.h"

#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sundials/sundials_context.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunlinsol/sunlinsol_spgmr.h>
#include <sunmatrix/sunmatrix_dense.h>

#include "physopt/error.h"

struct po_ode {
  long n;
  SUNContext sctx;
  void *mem;
  N_Vector y;
  SUNMatrix A;
  SUNLinearSolver LS;
  po_ode_rhs_fn rhs;
  po_ode_jac_fn jac;
  po_ode_jtv_fn jtv;
  void *ctx;
  char msg[256];
};

static int rhs_cb(realtype t, N_Vector y, N_Vector ydot, void *ud) {
  po_ode *o = ud;
  return o->rhs(o->ctx, t, N_VGetArrayPointer(y), N_VGetArrayPointer(ydot)) ? -1 : 0;
}

static int jac_cb(realtype t, N_Vector y, N_Vector fy, SUNMatrix J, void *ud, N_Vector t1,
                  N_Vector t2, N_Vector t3) {
  (void)fy, (void)t1, (void)t2, (void)t3;
  po_ode *o = ud;
  /* SUNDenseMatrix data is column-major with leading dimension n */
  return o->jac(o->ctx, t, N_VGetArrayPointer(y), SUNDenseMatrix_Data(J)) ? -1 : 0;
}

static int jtv_cb(N_Vector v, N_Vector Jv, realtype t, N_Vector y, N_Vector fy, void *ud,
                  N_Vector tmp) {
  (void)fy, (void)tmp;
  po_ode *o = ud;
  return o->jtv(o->ctx, t, N_VGetArrayPointer(y), N_VGetArrayPointer(v), N_VGetArrayPointer(Jv))
             ? -1
             : 0;
}

static void err_cb(int code, const char *module, const char *function, char *msg, void *ud) {
  po_ode *o = ud;
  snprintf(o->msg, sizeof o->msg, "%s/%s (code %d): %s", module, function, code, msg);
}

void po_ode_destroy(po_ode *o) {
  if (!o) return;
  if (o->mem) CVodeFree(&o->mem);
  if (o->LS) SUNLinSolFree(o->LS);
  if (o->A) SUNMatDestroy(o->A);
  if (o->y) N_VDestroy(o->y);
  if (o->sctx) SUNContext_Free(&o->sctx);
  free(o);
}

int po_ode_create(po_ode **out, long n, po_ode_linsol ls, po_ode_rhs_fn rhs, po_ode_jac_fn jac,
                  po_ode_jtv_fn jtv, void *ctx, double rtol, double atol) {
  *out = NULL;
  if (n < 1 || !rhs) return po_error(PO_ERR_ARG, "ode: n = %ld must be >= 1 and rhs given", n);
  if (!(rtol > 0) || !(atol > 0))
    return po_error(PO_ERR_ARG, "ode: tolerances rtol = %g, atol = %g must be > 0", rtol, atol);
  po_ode *o = calloc(1, sizeof *o);
  if (!o) return po_error(PO_ERR_NOMEM, "ode: out of memory");
  o->n = n;
  o->rhs = rhs;
  o->jac = jac;
  o->jtv = jtv;
  o->ctx = ctx;
  if (SUNContext_Create(NULL, &o->sctx)) goto fail;
  if (!(o->y = N_VNew_Serial((sunindextype)n, o->sctx))) goto fail;
  N_VConst(0.0, o->y);
  if (!(o->mem = CVodeCreate(CV_BDF, o->sctx))) goto fail;
  CVodeSetErrHandlerFn(o->mem, err_cb, o);
  if (CVodeInit(o->mem, rhs_cb, 0.0, o->y) || CVodeSetUserData(o->mem, o) ||
      CVodeSStolerances(o->mem, rtol, atol) || CVodeSetMaxNumSteps(o->mem, 100000))
    goto fail;
  if (ls == PO_ODE_DENSE) {
    if (!(o->A = SUNDenseMatrix((sunindextype)n, (sunindextype)n, o->sctx))) goto fail;
    if (!(o->LS = SUNLinSol_Dense(o->y, o->A, o->sctx))) goto fail;
    if (CVodeSetLinearSolver(o->mem, o->LS, o->A)) goto fail;
    if (jac && CVodeSetJacFn(o->mem, jac_cb)) goto fail;
  } else {
    if (!(o->LS = SUNLinSol_SPGMR(o->y, SUN_PREC_NONE, 0, o->sctx))) goto fail;
    if (CVodeSetLinearSolver(o->mem, o->LS, NULL)) goto fail;
    if (jtv && CVodeSetJacTimes(o->mem, NULL, jtv_cb)) goto fail;
  }
  *out = o;
  return PO_OK;
fail : {
  int rc = po_error(PO_ERR_NUMERIC, "ode: cannot set up CVODE for n = %ld%s%s", n,
                    o->msg[0] ? ": " : "", o->msg);
  po_ode_destroy(o);
  return rc;
}
}

int po_ode_reset(po_ode *o, double t0, const double *y0) {
  memcpy(N_VGetArrayPointer(o->y), y0, (size_t)o->n * sizeof *y0);
  o->msg[0] = 0;
  if (CVodeReInit(o->mem, t0, o->y))
    return po_error(PO_ERR_NUMERIC, "ode: CVodeReInit failed: %s", o->msg);
  return PO_OK;
}

int po_ode_advance(po_ode *o, double tout, double *y) {
  realtype t;
  o->msg[0] = 0;
  int flag = CVode(o->mem, tout, o->y, &t, CV_NORMAL);
  memcpy(y, N_VGetArrayPointer(o->y), (size_t)o->n * sizeof *y);
  if (flag < 0)
    return po_error(PO_ERR_NUMERIC, "ode: CVODE failed at t = %g (flag %d): %s", (double)t, flag,
                    o->msg);
  return PO_OK;
}

void po_ode_stats(const po_ode *o, long *nfe, long *nli, long *nst) {
  long v = 0;
  if (nfe) {
    CVodeGetNumRhsEvals(o->mem, &v);
    *nfe = v;
  }
  if (nli) {
    v = 0;
    CVodeGetNumLinIters(o->mem, &v);
    *nli = v;
  }
  if (nst) {
    v = 0;
    CVodeGetNumSteps(o->mem, &v);
    *nst = v;
  }
}
