/* OPO-network drift and the fused Euler-Maruyama step with error-variable
 * feedback; equations and sources in opo.h and docs/cim.md. */
#include "physics/opo.h"

#include <math.h>

void po_opo_drift(long n, int R, double p, const po_opo_params *m, const float *x,
                  const float *c, float *a) {
  const float g = (float)(p - 1.0), mu = (float)m->mu, eps = (float)m->eps;
  const long len = n * (long)R;
#pragma omp parallel for schedule(static)
  for (long k = 0; k < len; k++) {
    float v = x[k];
    a[k] = g * v - mu * v * v * v + eps * c[k];
  }
}

long po_opo_step_em(long n, int R, double dt, double p, const po_opo_params *m, float *x, float *e,
                    const float *c, const float *beta, const float *target, const float *dw,
                    int8_t *sgn, uint8_t *flip) {
  const float h = (float)dt, g = (float)(p - 1.0), mu = (float)m->mu, eps = (float)m->eps;
  const float sg = (float)m->sigma, emax = m->e_max > 0 ? (float)m->e_max : INFINITY;
  const float xmax = m->x_max > 0 ? (float)m->x_max : INFINITY;
  long bad = 0;
#pragma omp parallel for schedule(static) reduction(+ : bad)
  for (long i = 0; i < n; i++) {
    float *xi = x + i * R;
    const float *ci = c + i * R;
    int8_t *si = sgn + i * R;
    uint8_t *fi = flip + i * R;
    if (e) {
      float *ei = e + i * R;
#pragma omp simd
      for (int r = 0; r < R; r++) {
        float v = xi[r], ev = ei[r];
        float xn = v + h * (g * v - mu * v * v * v + eps * ev * ci[r]);
        float en = ev - h * beta[r] * (v * v - target[r]) * ev;
        ei[r] = en < emax ? en : emax;
        xi[r] = xn;
      }
    } else {
#pragma omp simd
      for (int r = 0; r < R; r++) {
        float v = xi[r];
        xi[r] = v + h * (g * v - mu * v * v * v + eps * ci[r]);
      }
    }
    if (dw && sg != 0.0f)
      for (int r = 0; r < R; r++) xi[r] += sg * dw[(long)r * n + i];
    for (int r = 0; r < R; r++) {
      float v = xi[r];
      if (!isfinite(v)) bad++;
      v = v > xmax ? xmax : v < -xmax ? -xmax : v;
      xi[r] = v;
      int8_t s = v < 0.0f ? -1 : 1;
      fi[r] = (uint8_t)(s != si[r]);
      si[r] = s;
    }
  }
  return bad;
}

double po_opo_steady_amplitude(double p, double mu) { return p > 1.0 ? sqrt((p - 1.0) / mu) : 0.0; }
