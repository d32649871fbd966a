/* Measurement-feedback CIM, Gaussian-state model: see physics/mfcim.h. */
#include "physics/mfcim.h"

#include <math.h>

void po_mfcim_step(long n, double h, double p, double g2, double j, double lambda, float *mu,
                   float *sigma, const float *f, const float *dw) {
  const double loss = 1.0 + j, sj = sqrt(j);
  for (long i = 0; i < n; i++) {
    const double m = mu[i], s = sigma[i], m2 = m * m;
    double dm = ((-loss + p - g2 * m2) * m + (f ? lambda * f[i] : 0.0)) * h;
    if (dw) dm += sj * (s - 0.5) * dw[i];
    const double ds = (2.0 * (-loss + p - 3.0 * g2 * m2) * s - 2.0 * j * (s - 0.5) * (s - 0.5) +
                       loss + 2.0 * g2 * m2) *
                      h;
    mu[i] = (float)(m + dm);
    sigma[i] = (float)(s + ds);
  }
}
