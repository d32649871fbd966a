/* Adiabatic landscape annealing of the coherent-Ising-machine energy
 * landscape, and the spectral (top-eigenvector rounding) baseline.
 *
 * Model (Yamamura, Mabuchi, Ganguli, "Geometric landscape annealing as an
 * optimization principle underlying the coherent Ising machine",
 * arXiv:2309.08119, 2023; the deterministic, noiseless limit of the classical
 * OPO network of Wang et al., PRA 88, 063853, 2013): soft spins x in R^N
 * (dimensionless OPO amplitudes), pump / gain parameter a, couplings
 * K = -J (physopt convention E_ising(s) = sum_{i<j} J_ij s_i s_j + h.s, see
 * physopt/problem.h):
 *
 *   E_a(x) = (1/4) sum_i x_i^4 - (a/2) sum_i x_i^2 - (1/2) sum_ij K_ij x_i x_j + sum_i h_i x_i
 *   grad E = x^3 - a x - K x + h
 *   Hess E = diag(3 x^2 - a) - K
 *
 * For h = 0 the origin is the unique minimum while a < a_c = -lambda_max(K);
 * at a = a_c it becomes a saddle and two minima bifurcate along the top
 * eigenvector v_1 of K (the "bifurcation direction").
 *
 * Algorithm: the pump a is raised in n_steps equal steps from a_start to
 * a_end.  At each a the state relaxes to the nearest local minimum of E_a by
 * the gradient flow dx/dt = -grad E_a(x), integrated with CVODE (BDF;
 * dense direct solver with the exact Jacobian -Hess for N <= dense_max_n,
 * matrix-free SPGMR with the Hessian-vector product
 * -Hess v = -(3 x^2 - a) v + K v above), stopped when the RMS gradient
 * ||grad E||_2 / sqrt(N) <= grad_tol (stationarity).  After each relaxation the
 * Ising energy of sign(x) is recorded; the best and the final are returned.
 *
 * Initial state (documented choice): x = init_scale * sqrt(N) * v_1 (unit v_1,
 * so the RMS amplitude is init_scale), i.e. a small displacement along the
 * bifurcation direction, which the flow follows through the first
 * bifurcation; PO_CIM_INIT_RANDOM uses init_scale * N(0,1) per component from
 * po_rng(seed, 0, 0) instead.
 *
 * Couplings: dense float J products with cblas_dgemv on a double copy
 * (the flow is integrated in double so CVODE's Newton iteration is not limited
 * by float rounding), CSR products with an OpenMP row loop. */
#ifndef PHYSOPT_PHYSICS_CIM_LANDSCAPE_H
#define PHYSOPT_PHYSICS_CIM_LANDSCAPE_H

#include <stdint.h>
#include "physopt/problem.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { PO_CIM_INIT_EIGVEC = 0, PO_CIM_INIT_RANDOM = 1 } po_cim_init;

typedef struct po_cim_adiabatic_opts {
  /* Pump range.  NAN (the default) selects a_start = a_c + a_start_rel L and
   * a_end = a_c + a_end_rel L with a_c = -lambda_max(K) and L = lambda_max(K)
   * (> 0 for any nonzero K with zero diagonal; for Gaussian SK, L -> 2). */
  double a_start, a_end;
  double a_start_rel, a_end_rel; /* defaults -0.05 and 3 */
  int n_steps;                   /* pump steps, >= 1 (default 150) */
  double grad_tol;               /* stationarity: RMS gradient <= grad_tol (default 1e-5) */
  double rtol, atol;             /* CVODE tolerances (default 1e-4, 1e-6) */
  double t_max;                  /* maximal flow time per pump step (default 1e5) */
  long max_cvode_steps;          /* internal CVODE steps per pump step (default 20000) */
  int linsol;                    /* po_cvode_linsol: 0 auto, 1 dense, 2 spgmr (default auto) */
  int dense_max_n;               /* auto: dense direct solver up to this N (default 64) */
  po_cim_init init;              /* default PO_CIM_INIT_EIGVEC */
  double init_scale;             /* RMS amplitude of the initial state (default 1e-3) */
  uint64_t seed;                 /* random init and the Lanczos start vector */
} po_cim_adiabatic_opts;

/* Per pump step record (n_points = n_steps + 1: the initial relaxation at
 * a_start, then one per step) and totals. */
typedef struct po_cim_adiabatic_trace {
  int n;
  int n_points;
  double *a;            /* pump value */
  double *ising_energy; /* E_ising(sign x) after relaxation */
  double *soft_energy;  /* E_a(x) */
  double *grad_rms;     /* ||grad E_a(x)||_2 / sqrt(N) at the end of the relaxation */
  double *amp_rms;      /* sqrt(mean x_i^2) */
  double *flow_time;    /* gradient-flow time spent at this a */
  int8_t *final_spins;  /* sign(x) at a_end (n) */
  double *final_x;      /* the relaxed amplitudes x at a_end (n) */
  double final_energy;  /* = ising_energy[n_points - 1] */
  double lambda_max;    /* lambda_max(K) */
  double a_c;           /* -lambda_max(K) */
  int unconverged;      /* pump steps that hit t_max / max_cvode_steps before grad_tol */
  long mvm;             /* coupling matrix-vector products (rhs + J*v + checks + Lanczos) */
  long rhs_evals, jtv_evals, cvode_steps;
} po_cim_adiabatic_trace;

void po_cim_adiabatic_opts_default(po_cim_adiabatic_opts *o);

/* Runs the annealing.  best_spins (n, may be NULL) receives the lowest-energy
 * sign(x) seen, best_energy (may be NULL) its Ising energy.  trace may be
 * NULL; otherwise it is filled (free with po_cim_adiabatic_trace_free). */
int po_cim_adiabatic_anneal(const po_ising *m, const po_cim_adiabatic_opts *o, int8_t *best_spins,
                            double *best_energy, po_cim_adiabatic_trace *trace);

void po_cim_adiabatic_trace_free(po_cim_adiabatic_trace *t);

/* Top eigenpair of K = -J (i.e. the lowest of J) by Lanczos with full
 * reorthogonalisation (Golub & Van Loan, Matrix Computations, 4th ed.,
 * sec. 10.1), run until the Ritz residual ||K v - lambda v|| <= 1e-10 * ||K||
 * estimate or N iterations.  v (n, unit norm, may be NULL), lambda (may be
 * NULL).  mvm (may be NULL) is incremented by the products used. */
int po_cim_top_eigvec(const po_ising *m, uint64_t seed, double *v, double *lambda, long *mvm);

/* Spectral baseline: s = sign(v_1) for the top eigenvector v_1 of K (both
 * global signs tried when fields are present; the lower energy kept). */
int po_spectral_round(const po_ising *m, int8_t *spins, double *energy);

#ifdef __cplusplus
}
#endif
#endif
