/* Classical (c-number) model of a network of degenerate optical parametric
 * oscillators (OPOs), the coherent Ising machine, and its feedback schemes.
 * Pure functions of state and parameters: no I/O, no global state.
 *
 * Units: amplitudes x are normalised so that a single OPO saturates at
 * |x| = sqrt((p - 1)/mu); time is in units of the signal-field decay time
 * (photon lifetime; one unit ~ one cavity round trip for a fibre-ring CIM
 * with ~ unit round-trip loss, McMahon et al. 2016 supplement).
 *
 * Plain OPO network (Wang, Marandi, Wen, Byer, Yamamoto, PRA 88, 063853,
 * 2013; McMahon et al., Science 354, 614, 2016), Ito SDE:
 *
 *     dx_i = [ (p(t) - 1) x_i - mu x_i^3 + eps c_i ] dt + sigma dW_i,
 *     c_i  = sum_j K_ij x_j - h_i x_h,      K = -J  (physopt's E = sum_{i<j} J_ij s_i s_j),
 *
 * spins s_i = sign(x_i).  The noise (vacuum fluctuations / measurement noise)
 * enters with the Ito scaling sigma sqrt(dt) N(0,1).  Fields h_i couple to a
 * reference amplitude x_h (see cim.md).
 *
 * Amplitude heterogeneity correction, AHC (Leleu, Yamamoto, McMahon, Aihara,
 * PRL 122, 040607, 2019):
 *
 *     dx_i/dt = (p - 1) x_i - mu x_i^3 + eps e_i c_i,
 *     de_i/dt = -beta (x_i^2 - a) e_i,           e_i(0) = 1, target a > 0,
 *
 * with a constant (the PRL equations) or, by default in the cim backend,
 * a = a0 + eps mean_i s_i (K s)_i of the spins s = sign(x) (cim-optimizer
 * AHC.py; computed per replica in backends/cim/cim_anneal.c, docs/cim.md).
 *
 * Chaotic amplitude control, CAC (Leleu, Khoyratee, Levi et al.,
 * Commun. Phys. 4, 266, 2021): the same equations with
 *
 *     a(t)  = alpha + rho tanh(delta (H(t) - H_opt(t))),
 *     beta(t) = xi(t),  dxi/dt = gamma, xi reset to 0 when H_opt (the best
 *                        Ising energy so far) has not improved for a time tau,
 *
 * where H(t) is the Ising energy of sign(x(t)) (per replica).
 *
 * Chaotic feedback control, CFC, and separated feedback control, SFC
 * (Reifenstein, Kako, Khoyratee, Leleu, Yamamoto, "Coherent Ising machines
 * with optical error correction circuits", Adv. Quantum Technol. 4, 2100077
 * (2021), Eqs. (3)-(5) and (6)-(8)), written with physopt's sign, c = K x,
 * K = -J (the paper's "- z_i" with its J is "+ z_i" here):
 *
 *   CFC: z_i = eps e_i c_i,  dx_i/dt = (p-1) x_i - mu x_i^3 + z_i,
 *        de_i/dt = -beta e_i (z_i^2 - alpha),      e_i(0) = 1;
 *   SFC: z_i = eps c_i,      dx_i/dt = (p-1) x_i - mu x_i^3 + tanh(g z_i) + k (z_i - e_i),
 *        de_i/dt = -beta (e_i - z_i),              e_i(0) = 0
 *
 * (the paper's c is called g here; the paper has mu = 1; in SFC e_i is a
 * low-pass copy of z_i, sign included).
 *
 * Layout: x, e, c, sgn are n x R row-major (column r = replica r); per-replica
 * quantities are arrays of R; noise increments dw are replica-major R x n
 * (solvers/sde.h).  Element-wise loops run under OpenMP over rows. */
#ifndef PHYSOPT_PHYSICS_OPO_H
#define PHYSOPT_PHYSICS_OPO_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct po_opo_params {
  double mu;        /* gain saturation coefficient of the x^3 term (1) */
  double eps;       /* coupling (feedback) strength (1/time) */
  double sigma;     /* noise amplitude, units of x / sqrt(time) */
  double e_max;     /* clamp of the error variables (0 = none) */
  int e_clamp_both; /* 1: e in [-e_max, e_max]; 0: e <= e_max only ([CO]) */
  double x_max;     /* clamp of |x| (0 = none): numerical safeguard, see cim.md */
} po_opo_params;

/* Drift of the plain OPO network for the generic steppers of solvers/sde.h:
 * a = (p - 1) x - mu x^3 + eps c  (c = K x - h x_h precomputed). */
void po_opo_drift(long n, int R, double p, const po_opo_params *m, const float *x, const float *c,
                  float *a);

/* One fused Euler-Maruyama step of the OPO network with error-variable
 * feedback (AHC / CAC): for every element
 *   x' = x + dt [(p-1) x - mu x^3 + eps e c] + sigma dw
 *   e' = e - dt beta_r (x^2 - a_r) e        (clamped to e_max when > 0, and from below
 *                                            to -e_max when e_clamp_both)
 * and |x'| clamped to x_max when x_max > 0,
 * with per-replica beta_r = beta[r], a_r = target[r]; e == NULL gives the
 * plain model (no error variables).  dw (replica-major) may be NULL (no
 * noise).  sgn holds sign(x) (+1/-1) and is updated; flip[k] is set to 1
 * where the sign changed, else 0.  Returns the number of non-finite
 * amplitudes produced (0 when all is well). */
long po_opo_step_em(long n, int R, double dt, double p, const po_opo_params *m, float *x, float *e,
                    const float *c, const float *beta, const float *target, const float *dw,
                    int8_t *sgn, uint8_t *flip);

/* One fused Euler-Maruyama step of CFC (equations above) for every element:
 *   z = eps e c,  x' = x + dt [(p-1) x - mu x^3 + z] + sigma dw,
 *   e' = e - dt beta (z^2 - alpha) e, clamped to [e_min, e_max (if > 0)],
 * |x'| clamped to x_max when > 0.  Other arguments and the return value as
 * po_opo_step_em. */
long po_opo_step_cfc(long n, int R, double dt, double p, const po_opo_params *m, double alpha,
                     double beta, double e_min, float *x, float *e, const float *c, const float *dw,
                     int8_t *sgn, uint8_t *flip);

/* One fused Euler-Maruyama step of SFC (equations above):
 *   z = eps c,  x' = x + dt [(p-1) x - mu x^3 + tanh(g z) + k (z - e)] + sigma dw,
 *   e' = e - dt beta (e - z),
 * |x'| clamped to x_max when > 0.  As po_opo_step_em otherwise. */
long po_opo_step_sfc(long n, int R, double dt, double p, const po_opo_params *m, double g, double k,
                     double beta, float *x, float *e, const float *c, const float *dw, int8_t *sgn,
                     uint8_t *flip);

/* Quantum-noise completion of a fused step (truncated Wigner, Ito; Wang
 * et al. PRA 88, 063853 (2013); physics/cim_device.h (D3), docs/cim.md).
 * The in-phase amplitude x was advanced by one of the steps above from xo
 * (drift (p-1) x - mu x^3 + feedback); this adds what the quadrature y
 * contributes and advances y, all from the values at the start of the step:
 *   x' += dt (-mu y^2 x) + D dwx,
 *   y'  = y + dt [-(1 + p) y - mu (x^2 + y^2) y] + D dwy,
 *   D   = sqrt((x^2 + y^2 + 1/(2 mu)) / n_sat),
 * so x sees -mu (x^2 + y^2) x in total; the feedback is injected in phase
 * only (measurement-feedback CIM), so y has no coupling term.  dwx and dwy
 * are increments ~ N(0, dt) in the layout of x (n x R, element i R + r).  |x'|, |y'| are clamped
 * to x_max when > 0; sgn and flip are recomputed against sign(xo).
 * Returns the count of non-finite results. */
long po_opo_step_quadrature(long n, int R, double dt, double p, double mu, double n_sat,
                            double x_max, const float *xo, float *x, float *y, const float *dwx,
                            const float *dwy, int8_t *sgn, uint8_t *flip);

/* Steady amplitude of a single uncoupled, noiseless OPO: sqrt((p-1)/mu)
 * above threshold (p > 1), 0 below. */
double po_opo_steady_amplitude(double p, double mu);

/* CAC target amplitude alpha + rho tanh(delta (H - H_opt)). */
static inline double po_cac_target(double alpha, double rho, double delta, double h, double h_opt) {
  double d = delta * (h - h_opt);
  return alpha + rho * (d > 20 ? 1.0 : d < -20 ? -1.0 : __builtin_tanh(d));
}

#ifdef __cplusplus
}
#endif
#endif
