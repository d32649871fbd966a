/* A small wrapper around SUNDIALS CVODE (6.x) for stiff ODE systems
 * dy/dt = f(t, y) with a serial N_Vector (numerics only, no physics).
 *
 * BDF with Newton iterations; the linear systems use either
 *   - PO_ODE_DENSE:  a dense direct solver (SUNLinSol_Dense); the Jacobian
 *                    comes from `jac` or, when NULL, difference quotients;
 *   - PO_ODE_KRYLOV: matrix-free SPGMR without preconditioner; J v comes
 *                    from `jtv` or, when NULL, difference quotients.
 * Every object lives in its own SUNContext (no global state), so several
 * integrators can run in different threads.  CVODE's error messages are
 * captured and returned through po_error() instead of being printed. */
#ifndef PHYSOPT_SOLVERS_CVODE_H
#define PHYSOPT_SOLVERS_CVODE_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { PO_ODE_DENSE = 0, PO_ODE_KRYLOV = 1 } po_ode_linsol;

typedef int (*po_ode_rhs_fn)(void *ctx, double t, const double *y, double *ydot);
/* Dense Jacobian, column-major: J[i + j n] = d f_i / d y_j. */
typedef int (*po_ode_jac_fn)(void *ctx, double t, const double *y, double *J);
/* Jacobian times vector: jv = (d f / d y) v. */
typedef int (*po_ode_jtv_fn)(void *ctx, double t, const double *y, const double *v, double *jv);

typedef struct po_ode po_ode;

int po_ode_create(po_ode **out, long n, po_ode_linsol ls, po_ode_rhs_fn rhs, po_ode_jac_fn jac,
                  po_ode_jtv_fn jtv, void *ctx, double rtol, double atol);
/* (Re)starts the integration at (t0, y0). */
int po_ode_reset(po_ode *o, double t0, const double *y0);
/* Integrates to tout; y receives the state there.  Returns PO_ERR_NUMERIC
 * with CVODE's message on failure. */
int po_ode_advance(po_ode *o, double tout, double *y);
/* Work counters: right-hand sides, linear-solver iterations, steps. */
void po_ode_stats(const po_ode *o, long *nfe, long *nli, long *nst);
void po_ode_destroy(po_ode *o);

#ifdef __cplusplus
}
#endif
#endif
