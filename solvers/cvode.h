/* CVODE wrapper: stiff/non-stiff ODE integration dy/dt = f(t, y) with
 * SUNDIALS CVODE (Hindmarsh et al., ACM TOMS 31, 363, 2005; Gardner et al.,
 * ACM TOMS 48, 31, 2022), numerics only, no physics.
 *
 * - Serial N_Vector, double precision, y has n components.
 * - BDF (default; variable order 1..5) with Newton iteration, or Adams-Moulton.
 * - Linear solver of the Newton systems (I - gamma df/dy) d = r:
 *     PO_CVODE_DENSE  dense direct LU (SUNLinSol_Dense); the Jacobian comes
 *                     from the optional user callback `jac`, else from
 *                     CVODE's internal finite differences (n extra f calls);
 *     PO_CVODE_SPGMR  matrix-free GMRES (SUNLinSol_SPGMR, no preconditioner);
 *                     Jacobian-times-vector from the optional callback `jtv`,
 *                     else from CVODE's directional difference quotient;
 *     PO_CVODE_AUTO   dense for n <= dense_max_n, SPGMR above.
 * - Each integrator owns its SUNContext (no global state); SUNDIALS error
 *   messages are captured and returned through po_error (never printed, never
 *   abort()).
 *
 * Callbacks return 0 on success, > 0 for a recoverable failure (CVODE retries
 * with a smaller step) and < 0 for an unrecoverable one (the integration
 * stops with PO_ERR_NUMERIC). */
#ifndef PHYSOPT_SOLVERS_CVODE_H
#define PHYSOPT_SOLVERS_CVODE_H

#ifdef __cplusplus
extern "C" {
#endif

/* ydot = f(t, y). */
typedef int (*po_ode_rhs)(double t, const double *y, double *ydot, void *user);
/* Dense Jacobian df_i/dy_j written COLUMN-major: jac[j * n + i] (the array is
 * zero on entry). */
typedef int (*po_ode_jac)(double t, const double *y, const double *fy, double *jac, void *user);
/* jv = (df/dy)(t, y) v. */
typedef int (*po_ode_jtv)(double t, const double *y, const double *fy, const double *v, double *jv,
                          void *user);

typedef enum { PO_CVODE_AUTO = 0, PO_CVODE_DENSE = 1, PO_CVODE_SPGMR = 2 } po_cvode_linsol;
typedef enum { PO_CVODE_BDF = 0, PO_CVODE_ADAMS = 1 } po_cvode_method;

typedef struct po_cvode_opts {
  double rtol;            /* relative tolerance, > 0 (default 1e-6) */
  double atol;            /* absolute tolerance, > 0 (default 1e-8) */
  po_cvode_method method; /* default PO_CVODE_BDF */
  po_cvode_linsol linsol; /* default PO_CVODE_AUTO */
  int dense_max_n;        /* AUTO switches to SPGMR above this n (default 200) */
  int krylov_dim;         /* SPGMR maximum Krylov dimension, 0 = SUNDIALS default (5) */
  long max_steps;         /* internal steps per integrate_to call (default 100000) */
  po_ode_jac jac;         /* optional, dense solver only */
  po_ode_jtv jtv;         /* optional, SPGMR only */
} po_cvode_opts;

typedef struct po_cvode_stats {
  long steps;      /* internal time steps */
  long rhs_evals;  /* calls of f (including those for finite-difference Jacobians) */
  long jac_evals;  /* dense Jacobian evaluations (user or finite differences) */
  long jtv_evals;  /* Jacobian-times-vector products (user or difference quotient) */
  long lin_iters;  /* Krylov iterations */
  long nonlin_its; /* Newton iterations */
} po_cvode_stats;

typedef struct po_cvode po_cvode; /* opaque */

void po_cvode_opts_default(po_cvode_opts *o);

/* Creates an integrator for n >= 1 unknowns starting at (t0, y0).  o may be
 * NULL (defaults).  The callbacks see `user` as their last argument. */
int po_cvode_create(int n, po_ode_rhs f, void *user, double t0, const double *y0,
                    const po_cvode_opts *o, po_cvode **out);

/* Integrates to tout (> current time) and copies y(tout) into y (may be
 * NULL).  t_reached (may be NULL) receives the time reached, = tout on
 * success. */
int po_cvode_integrate_to(po_cvode *c, double tout, double *y, double *t_reached);

/* Takes ONE internal step towards tout (CVODE one-step mode) and copies the
 * state at the time reached (which may overshoot tout) into y. */
int po_cvode_step(po_cvode *c, double tout, double *y, double *t_reached);

/* Restarts at (t0, y0) with the same options; needed whenever f changes
 * discontinuously (e.g. a parameter of f was changed by the caller). */
int po_cvode_reinit(po_cvode *c, double t0, const double *y0);

/* Cumulative counters since creation (reinit does not reset them). */
void po_cvode_get_stats(const po_cvode *c, po_cvode_stats *s);

/* Which linear solver was chosen (DENSE or SPGMR, never AUTO). */
po_cvode_linsol po_cvode_linear_solver(const po_cvode *c);

void po_cvode_destroy(po_cvode *c);

#ifdef __cplusplus
}
#endif
#endif
