/* Kerr-parametric-oscillator (KPO) network, classical mean-field model
 * (element-wise part and the step composition; the coupling product is the
 * caller's).
 *
 * Model: H. Goto, "Bifurcation-based adiabatic quantum computation with a
 * nonlinear oscillator network", Sci. Rep. 6, 21686 (2016) ("[G16]"):
 *
 *   H/hbar = sum_i [K/2 a_i^+2 a_i^2 - p(t)/2 (a_i^+2 + a_i^2) + Delta a_i^+ a_i]
 *            - xi0 sum_ij J^G_ij a_i^+ a_j,
 *
 * and its classical limit, H. Goto, K. Tatsumura, A. R. Dixon, Sci. Adv. 5,
 * eaav2372 (2019) ("[G19]") Eqs. (1)-(2): with a_i -> x_i + i y_i (so
 * {x_i, y_i} = 1/2 and the equations of motion follow from H/2),
 *
 *   H_c = sum_i [K/4 (x_i^2 + y_i^2)^2 - p/2 (x_i^2 - y_i^2) + Delta/2 (x_i^2 + y_i^2)]
 *         - xi0/2 sum_ij J^G_ij (x_i x_j + y_i y_j)
 *   dx_i/dt =  dH_c/dy_i = (K r_i^2 + p + Delta) y_i - xi0 sum_j J^G_ij y_j      (K1)
 *   dy_i/dt = -dH_c/dx_i = -(K r_i^2 - p + Delta) x_i + xi0 sum_j J^G_ij x_j     (K2)
 *
 * r_i^2 = x_i^2 + y_i^2.  [G16]/[G19] find the ground state of
 * -1/2 sum J^G s s; physopt minimises E = 1/2 sum J s s + h.s, so J^G = -J
 * and we add the field as xi0 x_h sum_i h_i x_i to H_c (x_h: reference
 * amplitude, cim.field_amp; an assumption, [G16] has no fields).
 *
 * Analytic facts the tests check: an isolated KPO (xi0 = 0) bifurcates at
 * p = Delta (linearised: d^2x/dt^2 = (p^2 - Delta^2) x, growth rate
 * sqrt(p^2 - Delta^2)); its nonzero fixed points are y = 0,
 * x^2 = (p - Delta)/K.  In the network, the eigenmode of J with eigenvalue mu
 * grows for p > Delta + xi0 mu at rate sqrt((p + Delta + xi0 mu)(p - Delta
 * - xi0 mu)), so the network bifurcates first at p_th = Delta - xi0
 * lambda_max(-J).
 *
 * Integrator (po_kpo_step): symmetric (Strang) composition of exactly
 * solvable flows, H_c = H_local + H_pump + H_x + H_y,
 *   H_local = K/4 r^4 + Delta/2 r^2  (r^2 conserved: a rotation by (K r^2 + Delta) t)
 *   H_pump  = -p/2 (x^2 - y^2)       (hyperbolic rotation by p t)
 *   H_x     =  xi0/2 x.J x + xi0 x_h h.x   (kick: y -= t xi0 (J x + x_h h))
 *   H_y     =  xi0/2 y.J y           (kick: x += t xi0 J y)
 * step(h) = L(h/2) P(h/2) Y(h/2) X(h) Y(h/2) P(h/2) L(h/2), p at mid-step.
 * Each factor is a Hamiltonian flow, so the step is symplectic and
 * time-symmetric (second order); the Kerr term, stiff for explicit schemes
 * (the CIM's Euler step needs |x| <= 1/sqrt(mu dt)), is integrated exactly
 * at any step, and the only step limit is that of the coupling kicks
 * (Stoermer-Verlet on the coupling modes: h xi0 rho(J) < 2).  RK4 would
 * need four coupling products of x and y per step (8 n x R products, not
 * 3) and drifts in energy; the composition conserves H_c to O(h^2) with no
 * secular drift at constant p (tests/test_cim_kpo.c). */
#ifndef PHYSOPT_PHYSICS_KPO_H
#define PHYSOPT_PHYSICS_KPO_H

#include <stddef.h>

typedef struct po_kpo_params {
  double kerr;  /* K */
  double delta; /* Delta (detuning) */
  double xi0;   /* coupling strength */
  double x_h;   /* reference amplitude of the fields */
} po_kpo_params;

/* out (n x R, row-major) = J v for the n x R matrix v.  ctx: the caller's. */
typedef void (*po_kpo_couple_fn)(void *ctx, const float *v, float *out);

/* Exact flow of H_local for time t on `len` oscillators (any layout). */
void po_kpo_rotate(size_t len, double t, double kerr, double delta, float *x, float *y);
/* Exact flow of H_pump (pump p) for time t. */
void po_kpo_squeeze(size_t len, double t, double p, float *x, float *y);

/* One step of size h at pump p (see above) for n KPOs x R replicas
 * (row-major n x R); couple computes J v; field (n, may be NULL) the h_i;
 * work: 1 buffer of n x R floats. */
void po_kpo_step(long n, int R, double h, double p, const po_kpo_params *prm,
                 po_kpo_couple_fn couple, void *ctx, const float *field, float *x, float *y,
                 float *work);

/* The same step as part of a chain: the closing L(h/2) of one step and the
 * opening L(h/2) of the next are one exact flow L(h), so a chain of steps
 * rotates once per step; first: open with L(h/2); last: close with L(h/2)
 * (otherwise L(h), which is the next step's opening half too).  A chain
 * first = 1, ..., last = 1 equals the sequence of po_kpo_step calls up to
 * rounding. */
void po_kpo_step_chain(long n, int R, double h, double p, const po_kpo_params *prm,
                       po_kpo_couple_fn couple, void *ctx, const float *field, float *x, float *y,
                       float *work, int first, int last);

/* H_c of replica column r (physopt convention, with the field term), given
 * jx = J x and jy = J y of the same layout. */
double po_kpo_energy(long n, int R, int r, double p, const po_kpo_params *prm, const float *field,
                     const float *x, const float *y, const float *jx, const float *jy);

#endif
