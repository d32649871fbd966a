/* Measurement-feedback CIM, Gaussian-state model: equations (M1)-(M4) and
 * their derivation in physics/mfcim.h. */
#include "physics/mfcim.h"

#include <math.h>

void po_mfcim_step(long n, double h, double p, double g2, double j, double lambda, int closure,
                   float *mu, float *sigma, float *v, const float *f, const float *dw) {
  const double lin = p - 1.0 - j, loss = 1.0 + j, back = 2.0 * sqrt(j);
  const double c = closure == PO_MFCIM_GAUSSIAN ? 1.0 : 0.0;
  for (long i = 0; i < n; i++) {
    const double m = mu[i], s = sigma[i], vp = v[i], m2 = m * m;
    const double u = s - 0.5, w = vp - 0.5;
    double dm = (lin * m - g2 * m * (m2 + c * (3.0 * u + w)) + (f ? lambda * f[i] : 0.0)) * h;
    if (dw) dm += back * u * dw[i];
    const double ds = (2.0 * lin * s + loss - 2.0 * g2 * m2 * (3.0 * s - 1.0) -
                       c * 2.0 * g2 * (3.0 * u * u + u * w + 0.5 * (u - w)) - 4.0 * j * u * u) *
                      h;
    const double dv = (-2.0 * (p + loss) * vp + loss - 2.0 * g2 * m2 * (vp - 1.0) -
                       c * 2.0 * g2 * (3.0 * w * w + u * w + 0.5 * (w - u))) *
                      h;
    mu[i] = (float)(m + dm);
    sigma[i] = (float)(s + ds);
    v[i] = (float)(vp + dv);
  }
}
