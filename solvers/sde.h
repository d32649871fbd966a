/* Batched stochastic differential equation steppers (numerics only, no physics).
 *
 * Solves the diagonal-noise SDE, component-wise,
 *
 *     dx = a(x, t) dt + b(x, t) dW,     W a vector of independent Wiener processes,
 *
 * for R replicas at once.  The state is one float matrix of n rows and R
 * columns, row-major (x[i * R + r] is variable i of replica r), so that a
 * drift containing a coupling term J x is one SGEMM (or one sparse kernel)
 * over the whole batch.
 *
 * Methods (Kloeden & Platen, "Numerical Solution of Stochastic Differential
 * Equations", Springer 1992, sections 10.2 and 11.1; Higham, SIAM Rev. 43,
 * 525, 2001):
 *   - Euler-Maruyama (PO_SDE_EM):  x' = x + a(x,t) h + b(x,t) dW.
 *     Converges to the ITO solution: strong order 1/2 (order 1 for additive
 *     noise, where it coincides with the Milstein scheme), weak order 1.
 *   - Stochastic Heun (PO_SDE_HEUN), the trapezoidal predictor-corrector
 *       x~ = x + a(x,t) h + b(x,t) dW
 *       x' = x + [a(x,t) + a(x~,t+h)] h/2 + [b(x,t) + b(x~,t+h)] dW/2.
 *     Converges to the STRATONOVICH solution: for multiplicative noise an Ito
 *     SDE must be given with the corrected drift a - (1/2) b db/dx.  With
 *     additive noise (b independent of x) Ito and Stratonovich coincide and
 *     Heun has strong order 1 and weak order 2.
 *
 * Noise increments dW = sqrt(h) N(0,1) come from one po_rng stream per
 * replica, (seed, run, replica), drawn replica by replica, so results do not
 * depend on the number of threads.  Increments are stored replica-major
 * (dw[r * n + i]); po_sde_step_dw() accepts user-supplied increments (e.g. a
 * fine Brownian path summed onto a coarse grid for convergence studies). */
#ifndef PHYSOPT_SOLVERS_SDE_H
#define PHYSOPT_SOLVERS_SDE_H

#include <stdint.h>
#include "physopt/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { PO_SDE_EM = 0, PO_SDE_HEUN = 1 } po_sde_method;

/* out = f(x, t) for the whole n x R batch (same layout as x).  Returns
 * PO_OK or an error code (the step is abandoned). */
typedef int (*po_sde_fn)(void *ctx, double t, const float *x, float *out);

typedef struct po_sde {
  long n;
  int replicas;
  po_sde_method method;
  po_sde_fn drift;     /* required */
  po_sde_fn diffusion; /* NULL: additive noise b = sigma (constant) */
  float sigma;
  void *ctx;
  po_rng *rng; /* replicas streams (seed, run, replica) */
  float *a0, *a1, *b0, *b1, *xp, *dw;
} po_sde;

/* method: PO_SDE_EM or PO_SDE_HEUN; diffusion may be NULL (additive noise
 * of amplitude sigma, sigma = 0: an ODE integrated by Euler or Heun). */
int po_sde_create(po_sde *s, long n, int replicas, po_sde_method method, po_sde_fn drift,
                  po_sde_fn diffusion, float sigma, void *ctx, uint64_t seed, uint64_t run);
void po_sde_free(po_sde *s);

/* Re-derives the streams so that local replica q uses the stream of global
 * replica first + q: a batch that is one block of a larger set of replicas
 * then draws exactly the noise it would draw in the full batch. */
void po_sde_set_streams(po_sde *s, uint64_t seed, uint64_t run, uint64_t first);

/* Draws increments sqrt(h) N(0,1) into dw (replica-major, R x n) from the
 * replicas' streams. */
void po_sde_draw(po_sde *s, double h, float *dw);

/* One step of size h from time t, x updated in place; draws its own noise
 * (none when diffusion == NULL and sigma == 0). */
int po_sde_step(po_sde *s, float *x, double t, double h);
/* One step with given increments dw (replica-major R x n, variance h each),
 * or dw == NULL for no noise. */
int po_sde_step_dw(po_sde *s, float *x, double t, double h, const float *dw);

/* Name of a method ("em", "heun") and the inverse; unknown name -> PO_ERR_ARG. */
const char *po_sde_method_name(po_sde_method m);
int po_sde_method_parse(const char *name, po_sde_method *out);

#ifdef __cplusplus
}
#endif
#endif
