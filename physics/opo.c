/* OPO-network drift and the fused Euler-Maruyama step with error-variable
 * feedback; equations and sources in opo.h and docs/cim.md. */
#include "physics/opo.h"

#include <math.h>
#include <stddef.h>
#include "core/threads.h"

void po_opo_drift(long n, int R, double p, const po_opo_params *m, const float *x, const float *c,
                  float *a) {
  const float g = (float)(p - 1.0), mu = (float)m->mu, eps = (float)m->eps;
  const long len = n * (long)R;
  if (po_omp_team_useful()) {
#pragma omp parallel for schedule(static)
    for (long k = 0; k < len; k++) a[k] = g * x[k] - mu * x[k] * x[k] * x[k] + eps * c[k];
  } else {
    for (long k = 0; k < len; k++) a[k] = g * x[k] - mu * x[k] * x[k] * x[k] + eps * c[k];
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

/* The arguments of po_opo_step_em, for its row function. */
typedef struct {
  long n;
  int R, has_w;
  float h, g, mu, eps, sg, emin, emax, xmax;
  float *x, *e;
  const float *c, *beta, *target, *dw;
  int8_t *sgn;
  uint8_t *flip;
} em_args;

/* Row i of po_opo_step_em, in the variant for the feedback and noise given. */
static inline __attribute__((always_inline)) long em_row(const em_args *a, long i) {
  const long n = a->n;
  const int R = a->R;
  float *xi = a->x + i * R, *ei = a->e ? a->e + i * R : NULL;
  const float *ci = a->c + i * R, *wi = a->dw ? a->dw + i : NULL; /* replica r at wi[r * n] */
  int8_t *si = a->sgn + i * R;
  uint8_t *fi = a->flip + i * R;
  if (ei && a->has_w)
    return step_row(R, n, a->h, a->g, a->mu, a->eps, a->sg, a->emin, a->emax, a->xmax, xi, ei, ci,
                    a->beta, a->target, wi, si, fi, 1, 1);
  if (ei)
    return step_row(R, n, a->h, a->g, a->mu, a->eps, a->sg, a->emin, a->emax, a->xmax, xi, ei, ci,
                    a->beta, a->target, wi, si, fi, 1, 0);
  if (a->has_w)
    return step_row(R, n, a->h, a->g, a->mu, a->eps, a->sg, a->emin, a->emax, a->xmax, xi, ei, ci,
                    a->beta, a->target, wi, si, fi, 0, 1);
  return step_row(R, n, a->h, a->g, a->mu, a->eps, a->sg, a->emin, a->emax, a->xmax, xi, ei, ci,
                  a->beta, a->target, wi, si, fi, 0, 0);
}

long po_opo_step_em(long n, int R, double dt, double p, const po_opo_params *m, float *x, float *e,
                    const float *c, const float *beta, const float *target, const float *dw,
                    int8_t *sgn, uint8_t *flip) {
  const float sg = (float)m->sigma, emax = m->e_max > 0 ? (float)m->e_max : INFINITY;
  const em_args a = {.n = n,
                     .R = R,
                     .has_w = dw != NULL && sg != 0.0f,
                     .h = (float)dt,
                     .g = (float)(p - 1.0),
                     .mu = (float)m->mu,
                     .eps = (float)m->eps,
                     .sg = sg,
                     .emin = m->e_clamp_both ? -emax : -INFINITY,
                     .emax = emax,
                     .xmax = m->x_max > 0 ? (float)m->x_max : INFINITY,
                     .x = x,
                     .e = e,
                     .c = c,
                     .beta = beta,
                     .target = target,
                     .dw = dw,
                     .sgn = sgn,
                     .flip = flip};
  long bad = 0;
  if (po_omp_team_useful()) {
#pragma omp parallel for schedule(static) reduction(+ : bad)
    for (long i = 0; i < n; i++) bad += em_row(&a, i);
  } else {
    for (long i = 0; i < n; i++) bad += em_row(&a, i);
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

/* The pointers of row i of the n x R state layout (replica r's noise at
 * w[r * n]), shared by the row kernels below. */
typedef struct {
  float *x, *e;
  const float *c, *w;
  int8_t *s;
  uint8_t *f;
} row_ptrs;

static inline __attribute__((always_inline)) row_ptrs row_at(long i, int R, float *x, float *e,
                                                             const float *c, const float *dw,
                                                             int8_t *sgn, uint8_t *flip) {
  return (row_ptrs){x + i * R, e + i * R, c + i * R, dw ? dw + i : NULL, sgn + i * R, flip + i * R};
}

/* Row i of po_opo_step_cfc. */
static inline __attribute__((always_inline)) long cfc_row(row_ptrs p, long n, int R, float h,
                                                          float g, float mu, float eps, float sg,
                                                          float a, float bt, float emin, float emax,
                                                          float xmax) {
  long bad = 0;
  for (int r = 0; r < R; r++) {
    const float v = p.x[r], ev = p.e[r];
    const float z = eps * ev * p.c[r];
    float en = ev - h * bt * (z * z - a) * ev;
    en = en < emin ? emin : en;
    p.e[r] = en < emax ? en : emax;
    bad += finish(v + h * (g * v - mu * v * v * v + z), sg, p.w, r, n, xmax, &p.x[r], &p.s[r],
                  &p.f[r]);
  }
  return bad;
}

long po_opo_step_cfc(long n, int R, double dt, double p, const po_opo_params *m, double alpha,
                     double beta, double e_min, float *x, float *e, const float *c, const float *dw,
                     int8_t *sgn, uint8_t *flip) {
  const float h = (float)dt, g = (float)(p - 1.0), mu = (float)m->mu, eps = (float)m->eps;
  const float sg = (float)m->sigma, a = (float)alpha, bt = (float)beta, emin = (float)e_min;
  const float emax = m->e_max > 0 ? (float)m->e_max : INFINITY;
  const float xmax = m->x_max > 0 ? (float)m->x_max : INFINITY;
  const float *w = dw != NULL && sg != 0.0f ? dw : NULL;
  long bad = 0;
  if (po_omp_team_useful()) {
#pragma omp parallel for schedule(static) reduction(+ : bad)
    for (long i = 0; i < n; i++)
      bad += cfc_row(row_at(i, R, x, e, c, w, sgn, flip), n, R, h, g, mu, eps, sg, a, bt, emin,
                     emax, xmax);
  } else {
    for (long i = 0; i < n; i++)
      bad += cfc_row(row_at(i, R, x, e, c, w, sgn, flip), n, R, h, g, mu, eps, sg, a, bt, emin,
                     emax, xmax);
  }
  return bad;
}

/* Row i of po_opo_step_sfc. */
static inline __attribute__((always_inline)) long sfc_row(row_ptrs p, long n, int R, float h,
                                                          float g, float mu, float eps, float sg,
                                                          float cg, float kk, float bt,
                                                          float xmax) {
  long bad = 0;
  for (int r = 0; r < R; r++) {
    const float v = p.x[r], ev = p.e[r];
    const float z = eps * p.c[r];
    p.e[r] = ev - h * bt * (ev - z);
    bad += finish(v + h * (g * v - mu * v * v * v + tanhf(cg * z) + kk * (z - ev)), sg, p.w, r, n,
                  xmax, &p.x[r], &p.s[r], &p.f[r]);
  }
  return bad;
}

long po_opo_step_sfc(long n, int R, double dt, double p, const po_opo_params *m, double gain,
                     double k, double beta, float *x, float *e, const float *c, const float *dw,
                     int8_t *sgn, uint8_t *flip) {
  const float h = (float)dt, g = (float)(p - 1.0), mu = (float)m->mu, eps = (float)m->eps;
  const float sg = (float)m->sigma, cg = (float)gain, kk = (float)k, bt = (float)beta;
  const float xmax = m->x_max > 0 ? (float)m->x_max : INFINITY;
  const float *w = dw != NULL && sg != 0.0f ? dw : NULL;
  long bad = 0;
  if (po_omp_team_useful()) {
#pragma omp parallel for schedule(static) reduction(+ : bad)
    for (long i = 0; i < n; i++)
      bad +=
          sfc_row(row_at(i, R, x, e, c, w, sgn, flip), n, R, h, g, mu, eps, sg, cg, kk, bt, xmax);
  } else {
    for (long i = 0; i < n; i++)
      bad +=
          sfc_row(row_at(i, R, x, e, c, w, sgn, flip), n, R, h, g, mu, eps, sg, cg, kk, bt, xmax);
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
  if (po_omp_team_useful()) {  /* element-wise, integer count: same result either way */
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
