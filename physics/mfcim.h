/* Measurement-feedback coherent Ising machine, Gaussian-state model
 * (element-wise part; the coupling is applied by the caller).
 *
 * Model: E. Ng, T. Onodera, S. Kako, P. L. McMahon, H. Mabuchi, Y. Yamamoto,
 * "Efficient sampling of ground and low-energy Ising spin configurations
 * with a coherent Ising machine", Phys. Rev. Research 4, 013009 (2022),
 * arXiv:2103.05629 ("[Ng22]").  [Ng22] formulates a discrete-time
 * Gaussian-state model (its Sec. II) and reduces it to a continuous-time
 * Gaussian model in the high-finesse limit (its Sec. II D and App. A).  We
 * implement the continuous-time model.  The paper's own equations were not
 * available to this implementation (docs/cim.md, mfcim, "Sources"); the
 * equations below are DERIVED here from the master equation they rest on,
 * and compared with the MF-CCVM form of 1QB-Information-Technologies/ccvm
 * (docs/source/mf_ccvm_sde.rst, ccvm_simulators/solvers/mf_solver.py).
 *
 * Master equation of one degenerate OPO pulse (pump adiabatically
 * eliminated), time t in units of the inverse amplitude decay rate of the
 * background loss (so the background loss alone gives <a> ~ e^{-t}):
 *
 *   d rho = -i[H, rho] dt + D[sqrt(2) a] rho dt + D[sqrt(2 j) a] rho dt
 *           + D[sqrt(2 g^2) a^2] rho dt + H[sqrt(2 j) a] rho dW,
 *   H = (i p / 2)(a^+2 - a^2),   D[c] = c . c^+ - {c^+ c, .}/2,
 *   H[c] rho = c rho + rho c^+ - <c + c^+> rho     (homodyne, efficiency 1)
 *
 * p: parametric gain, j: out-coupling rate to the homodyne detector (the
 * measurement strength), g^2: two-photon loss (gain saturation).  With
 * X = (a + a^+)/sqrt(2), P = (a - a^+)/(i sqrt(2)) (vacuum variances 1/2) and
 * a Gaussian state with mean <X> = mu, <P> = 0, Var X = sigma, Var P = v,
 * Cov(X, P) = 0 (kept by the P -> -P symmetry), Wick's theorem applied to
 * the moments of a^+ a a, a^+2 a^2, a^+3 a gives, with u = sigma - 1/2 and
 * w = v - 1/2 (deviations from the vacuum):
 *
 *   dmu    = [(p - 1 - j) mu - g^2 mu (mu^2 + 3 u + w) + lambda f] dt
 *            + 2 sqrt(j) u dW                                          (M1)
 *   dsigma = [2 (p - 1 - j) sigma + (1 + j) - 2 g^2 mu^2 (3 sigma - 1)
 *            - 2 g^2 (3 u^2 + u w + (u - w)/2) - 4 j u^2] dt           (M2)
 *   dv     = [-2 (p + 1 + j) v + (1 + j) - 2 g^2 mu^2 (v - 1)
 *            - 2 g^2 (3 w^2 + u w + (w - u)/2)] dt                     (M3)
 *   mu~    = mu + dW / (2 sqrt(j) dt)   (measured amplitude: homodyne
 *            current <c + c^+> dt + dW = 2 sqrt(j) mu dt + dW, rescaled)  (M4)
 *
 * dW is the innovation of the homodyne record; the same dW enters (M1) and
 * (M4).  f = sum_k K_ik mu~_k is the feedback (caller).  Consistency: the
 * deterministic variance drop in (M2), -4 j u^2, is the square of the noise
 * coefficient in (M1) (Kalman-Bucy), so E[Var_ens(mu)] + E[sigma] obeys the
 * unconditional (unmeasured) variance equation; tests/test_cim_mfcim.c
 * checks this.
 *
 * closure = 0 ("cubic") keeps only the mean-field part of the two-photon
 * loss, as ccvm does: -g^2 mu^3 in (M1), no 2 g^2 (...) fluctuation terms in
 * (M2), (M3).  ccvm writes the back-action as sqrt(j) u dW and the variance
 * term as -2 j u^2; those two are not each other's square, and with the
 * measured amplitude mu + dW / sqrt(4 j) dt (which fixes the scale of j as
 * above) the derivation gives 2 sqrt(j) u dW and -4 j u^2 (docs/cim.md). */
#ifndef PHYSOPT_PHYSICS_MFCIM_H
#define PHYSOPT_PHYSICS_MFCIM_H

#include <math.h>

/* Two-photon-loss closure: full Gaussian (M1)-(M3) or the cubic mean-field
 * part only (ccvm). */
enum { PO_MFCIM_CUBIC = 0, PO_MFCIM_GAUSSIAN = 1 };

/* One Euler-Maruyama step of size h of (M1)-(M3) for n pulses (any layout):
 * mu, sigma (Var X), v (Var P) updated in place; f = coupling field
 * sum_k K_ik mu~_k (NULL: none), multiplied by lambda; dw = innovation
 * increments sqrt(h) N(0,1) of the same layout (NULL: noiseless). */
void po_mfcim_step(long n, double h, double p, double g2, double j, double lambda, int closure,
                   float *mu, float *sigma, float *v, const float *f, const float *dw);

/* The measured amplitude (M4): mu + dw / (2 sqrt(j) h), j > 0. */
static inline float po_mfcim_measured(float mu, float dw, double h, double j) {
  return mu + (float)(dw / (2.0 * sqrt(j) * h));
}

#endif
