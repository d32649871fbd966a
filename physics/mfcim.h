/* Measurement-feedback coherent Ising machine, Gaussian-state model
 * (element-wise part; the coupling is applied by the caller).
 *
 * Each pulse i carries the mean mu_i and the variance sigma_i of its in-phase
 * quadrature (vacuum variance 1/2).  Continuous-time Ito SDEs, time in units
 * of the photon lifetime, as stated in the MF-CCVM documentation of
 * 1QB-Information-Technologies/ccvm (docs/source/mf_ccvm_sde.rst), which
 * attributes them to Ng et al., Phys. Rev. Research 4, 013009 (2022)
 * (arXiv:2103.05629), with the background loss -(1 + j) written out
 * explicitly (see docs/cim.md, "unverified"):
 *
 *   dmu_i    = [(-(1 + j) + p - g^2 mu_i^2) mu_i + lambda f_i] dt
 *              + sqrt(j) (sigma_i - 1/2) dW_i
 *   dsigma_i = [2 (-(1 + j) + p - 3 g^2 mu_i^2) sigma_i - 2 j (sigma_i - 1/2)^2
 *              + (1 + j) + 2 g^2 mu_i^2] dt
 *   f_i      = sum_k K_ik mu~_k,  K = -J,
 *   mu~_k    = mu_k + dW_k / (sqrt(4 j) dt)   (measured amplitude)
 *
 * With p = g = 0 and no coupling, sigma = 1/2 is the fixed point (vacuum) and
 * mu relaxes as exp(-(1 + j) t). */
#ifndef PHYSOPT_PHYSICS_MFCIM_H
#define PHYSOPT_PHYSICS_MFCIM_H

#include <math.h>

/* One Euler-Maruyama step of size h for n values (any layout): mu, sigma
 * updated in place; f = coupling field sum_k K_ik mu~_k (NULL: none); dw =
 * Wiener increments sqrt(h) N(0,1) of the same layout (NULL: noiseless). */
void po_mfcim_step(long n, double h, double p, double g2, double j, double lambda, float *mu,
                   float *sigma, const float *f, const float *dw);

/* The measured amplitude mu + dw / (sqrt(4 j) h) (j > 0). */
static inline float po_mfcim_measured(float mu, float dw, double h, double j) {
  return mu + (float)(dw / (sqrt(4.0 * j) * h));
}

#endif
