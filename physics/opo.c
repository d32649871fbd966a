/* OPO-network drift and the fused Euler-Maruyama step with error-variable
 * feedback; equations and sources in opo.h and docs/cim.md. */
#include "physics/opo.h"

#include <math.h>
#include <omp.h>
#include <stddef.h>

void po_opo_drift(long n, int R, double p, const po_opo_params *m, const float *x, const float *c,
                  float *a) {
  const float g = (float)(p - 1.0), mu = (float)m->mu, eps = (float)m->eps;
  const long len = n * (long)R;
#pragma omp parallel for schedule(static)
  for (long k = 0; k < len; k++) {
    float v = x[k];
    a[k] = g * v - mu * v * v * v + eps * c[k];
  }
}

/* One row of the fused step; has_e / has_w are compile-time constants at
 * each call site so every variant vectorises without branches. */
static inline __attribute__((always_inline)) long
step_row(int R, long n, float h, float g, float mu, float eps, float sg, float emin, float emax,
         float xmax, float *restrict xi, float *restrict ei, const float *restrict ci,
         const float *restrict beta, const float *restrict target, const float *restrict wi,
         int8_t *restrict si, uint8_t *restrict fi, const int has_e, const int has_w) {
  int nb = 0;
  for (int r = 0; r < R; r++) {
    float v = xi[r];
    float fb = eps * ci[r];
    if (has_e) {
      float ev = ei[r];
      fb *= ev;
      float en = ev - h * beta[r] * (v * v - target[r]) * ev;
      /* emin = -emax with e_clamp_both: with dt beta (x^2 - a) > 2 the Euler step
       * flips the sign of e and grows it geometrically; else -inf (no bound) */
      ei[r] = en < emax ? (en > emin ? en : emin) : emax;
    }
    float xn = v + h * (g * v - mu * v * v * v + fb);
    if (has_w) xn += sg * wi[(long)r * n];
    nb += (xn - xn) != 0.0f; /* NaN or infinite */
    xn = xn > xmax ? xmax : (xn < -xmax ? -xmax : xn);
    xi[r] = xn;
    int8_t s = xn < 0.0f ? (int8_t)-1 : (int8_t)1;
    fi[r] = (uint8_t)(s != si[r]);
    si[r] = s;
  }
  return nb;
}

long po_opo_step_em(long n, int R, double dt, double p, const po_opo_params *m, float *x, float *e,
                    const float *c, const float *beta, const float *target, const float *dw,
                    int8_t *sgn, uint8_t *flip) {
  const float h = (float)dt, g = (float)(p - 1.0), mu = (float)m->mu, eps = (float)m->eps;
  const float sg = (float)m->sigma;
  const float emax = m->e_max > 0 ? (float)m->e_max : INFINITY;
  const float emin = m->e_clamp_both ? -emax : -INFINITY;
  const float xmax = m->x_max > 0 ? (float)m->x_max : INFINITY;
  const int has_w = dw != NULL && sg != 0.0f;
  long bad = 0;
#pragma omp parallel for schedule(static) reduction(+ : bad)
  for (long i = 0; i < n; i++) {
    float *xi = x + i * R, *ei = e ? e + i * R : NULL;
    const float *ci = c + i * R, *wi = dw ? dw + i : NULL; /* replica r at wi[r * n] */
    int8_t *si = sgn + i * R;
    uint8_t *fi = flip + i * R;
    if (e && has_w)
      bad += step_row(R, n, h, g, mu, eps, sg, emin, emax, xmax, xi, ei, ci, beta, target, wi, si,
                      fi, 1, 1);
    else if (e)
      bad += step_row(R, n, h, g, mu, eps, sg, emin, emax, xmax, xi, ei, ci, beta, target, wi, si,
                      fi, 1, 0);
    else if (has_w)
      bad += step_row(R, n, h, g, mu, eps, sg, emin, emax, xmax, xi, ei, ci, beta, target, wi, si,
                      fi, 0, 1);
    else
      bad += step_row(R, n, h, g, mu, eps, sg, emin, emax, xmax, xi, ei, ci, beta, target, wi, si,
                      fi, 0, 0);
  }
  return bad;
}

/* Finishes an element: noise, divergence count, clamp, sign flip. */
static inline __attribute__((always_inline)) long finish(float xn, float sg, const float *wi,
                                                         long r, long n, float xmax, float *xo,
                                                         int8_t *so, uint8_t *fo) {
  if (wi) xn += sg * wi[r * n];
  long nb = (xn - xn) != 0.0f; /* NaN or infinite */
  xn = xn > xmax ? xmax : (xn < -xmax ? -xmax : xn);
  *xo = xn;
  int8_t s = xn < 0.0f ? (int8_t)-1 : (int8_t)1;
  *fo = (uint8_t)(s != *so);
  *so = s;
  return nb;
}

long po_opo_step_cfc(long n, int R, double dt, double p, const po_opo_params *m, double alpha,
                     double beta, double e_min, float *x, float *e, const float *c, const float *dw,
                     int8_t *sgn, uint8_t *flip) {
  const float h = (float)dt, g = (float)(p - 1.0), mu = (float)m->mu, eps = (float)m->eps;
  const float sg = (float)m->sigma, a = (float)alpha, bt = (float)beta, emin = (float)e_min;
  const float emax = m->e_max > 0 ? (float)m->e_max : INFINITY;
  const float xmax = m->x_max > 0 ? (float)m->x_max : INFINITY;
  const int has_w = dw != NULL && sg != 0.0f;
  long bad = 0;
#pragma omp parallel for schedule(static) reduction(+ : bad)
  for (long i = 0; i < n; i++) {
    float *xi = x + i * R, *ei = e + i * R;
    const float *ci = c + i * R, *wi = has_w ? dw + i : NULL;
    for (int r = 0; r < R; r++) {
      const float v = xi[r], ev = ei[r];
      const float z = eps * ev * ci[r];
      float en = ev - h * bt * (z * z - a) * ev;
      en = en < emin ? emin : en;
      ei[r] = en < emax ? en : emax;
      bad += finish(v + h * (g * v - mu * v * v * v + z), sg, wi, r, n, xmax, &xi[r],
                    &sgn[i * R + r], &flip[i * R + r]);
    }
  }
  return bad;
}

long po_opo_step_sfc(long n, int R, double dt, double p, const po_opo_params *m, double gain,
                     double k, double beta, float *x, float *e, const float *c, const float *dw,
                     int8_t *sgn, uint8_t *flip) {
  const float h = (float)dt, g = (float)(p - 1.0), mu = (float)m->mu, eps = (float)m->eps;
  const float sg = (float)m->sigma, cg = (float)gain, kk = (float)k, bt = (float)beta;
  const float xmax = m->x_max > 0 ? (float)m->x_max : INFINITY;
  const int has_w = dw != NULL && sg != 0.0f;
  long bad = 0;
#pragma omp parallel for schedule(static) reduction(+ : bad)
  for (long i = 0; i < n; i++) {
    float *xi = x + i * R, *ei = e + i * R;
    const float *ci = c + i * R, *wi = has_w ? dw + i : NULL;
    for (int r = 0; r < R; r++) {
      const float v = xi[r], ev = ei[r];
      const float z = eps * ci[r];
      ei[r] = ev - h * bt * (ev - z);
      bad += finish(v + h * (g * v - mu * v * v * v + tanhf(cg * z) + kk * (z - ev)), sg, wi, r, n,
                    xmax, &xi[r], &sgn[i * R + r], &flip[i * R + r]);
    }
  }
  return bad;
}

/* Element k of po_opo_step_quadrature (the step of opo.h); returns 1 if
 * x or y became non-finite. */
static inline int quadrature_one(long k, float h, float gy, float m, float vac, float inv_ns,
                                 float xmax, const float *xo, float *x, float *y, const float *dwx,
                                 const float *dwy, int8_t *sgn, uint8_t *flip) {
  const float v = xo[k], u = y[k], r2 = v * v + u * u;
  const float d = sqrtf((r2 + vac) * inv_ns);
  float xn = x[k] - h * m * u * u * v + d * dwx[k];
  float yn = u + h * (gy * u - m * r2 * u) + d * dwy[k];
  /* | rather than ||: no branch, so baseline SSE2 builds vectorise it too */
  const int bad = ((xn - xn) != 0.0f) | ((yn - yn) != 0.0f);
  xn = xn > xmax ? xmax : (xn < -xmax ? -xmax : xn);
  yn = yn > xmax ? xmax : (yn < -xmax ? -xmax : yn);
  x[k] = xn;
  y[k] = yn;
  const int8_t s = xn < 0.0f ? (int8_t)-1 : (int8_t)1, so = v < 0.0f ? (int8_t)-1 : (int8_t)1;
  flip[k] = (uint8_t)(s != so);
  sgn[k] = s;
  return bad;
}

long po_opo_step_quadrature(long n, int R, double dt, double p, double mu, double n_sat,
                            double x_max, const float *xo, float *x, float *y, const float *dwx,
                            const float *dwy, int8_t *sgn, uint8_t *flip) {
  const float h = (float)dt, gy = (float)(-1.0 - p), m = (float)mu;
  const float vac = (float)(1.0 / (2.0 * mu)), inv_ns = (float)(1.0 / n_sat);
  const float xmax = x_max > 0 ? (float)x_max : INFINITY;
  long bad = 0;
  const long nr = n * (long)R; /* x, y, xo and the noise share one layout */
  /* A parallel region only when it gets more than one thread: entering
   * one costs ~2.5 us even with a team of one (libgomp makes a futex call;
   * measured on the 2-core VM), a tenth of a 64-replica N = 100 step, and
   * the backend calls this once per step (the result is the same either
   * way: element-wise, integer count). */
  if (omp_get_max_threads() > 1 && !omp_in_parallel()) {
#pragma omp parallel for simd schedule(static) reduction(+ : bad)
    for (long k = 0; k < nr; k++)
      bad += quadrature_one(k, h, gy, m, vac, inv_ns, xmax, xo, x, y, dwx, dwy, sgn, flip);
  } else {
#pragma omp simd reduction(+ : bad)
    for (long k = 0; k < nr; k++)
      bad += quadrature_one(k, h, gy, m, vac, inv_ns, xmax, xo, x, y, dwx, dwy, sgn, flip);
  }
  return bad;
}

double po_opo_steady_amplitude(double p, double mu) {
  return p > 1.0 ? sqrt((p - 1.0) / mu) : 0.0;
}
