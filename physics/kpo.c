/* Classical KPO network: the exact sub-flows and their symmetric
 * composition; equations, sources and the choice of integrator in
 * physics/kpo.h. */
#include "physics/kpo.h"

#include <math.h>

/* cos and sin of |t| <= KPO_POLY_MAX by their Taylor polynomials to t^10
 * and t^11: the remainder is below 0.8^12 / 12! = 1.4e-10, far under float
 * rounding, so the rotation is exact to the state's precision; the
 * polynomials vectorise where libm's sin/cos (per element, ~10x the cost of
 * the rest of the step) do not.  Larger angles take libm in a second pass. */
#define KPO_POLY_MAX 0.8

static inline void small_sincos(double t, double *c, double *s) {
  const double t2 = t * t;
  *c = 1 + t2 * (-1.0 / 2 +
                 t2 * (1.0 / 24 + t2 * (-1.0 / 720 + t2 * (1.0 / 40320 + t2 * (-1.0 / 3628800)))));
  *s = t * (1 + t2 * (-1.0 / 6 +
                      t2 * (1.0 / 120 +
                            t2 * (-1.0 / 5040 + t2 * (1.0 / 362880 + t2 * (-1.0 / 39916800))))));
}

void po_kpo_rotate(size_t len, double t, double kerr, double delta, float *x, float *y) {
  size_t big = 0;
  for (size_t k = 0; k < len; k++) {
    const double a = x[k], b = y[k];
    const double th = (kerr * (a * a + b * b) + delta) * t;
    double c, s;
    small_sincos(th, &c, &s);
    big += fabs(th) > KPO_POLY_MAX;
    const float xn = (float)(a * c + b * s), yn = (float)(b * c - a * s);
    x[k] = fabs(th) > KPO_POLY_MAX ? x[k] : xn;
    y[k] = fabs(th) > KPO_POLY_MAX ? y[k] : yn;
  }
  if (!big) return;
  for (size_t k = 0; k < len; k++) {
    const double a = x[k], b = y[k];
    const double th = (kerr * (a * a + b * b) + delta) * t;
    if (fabs(th) <= KPO_POLY_MAX) continue;
    const double c = cos(th), s = sin(th);
    x[k] = (float)(a * c + b * s);
    y[k] = (float)(b * c - a * s);
  }
}

void po_kpo_squeeze(size_t len, double t, double p, float *x, float *y) {
  const double ch = cosh(p * t), sh = sinh(p * t);
  for (size_t k = 0; k < len; k++) {
    const double a = x[k], b = y[k];
    x[k] = (float)(a * ch + b * sh);
    y[k] = (float)(a * sh + b * ch);
  }
}

/* Kick of H_y for time t: x += t xi0 J y. */
static void kick_x(long n, int R, double t, const po_kpo_params *prm, po_kpo_couple_fn couple,
                   void *ctx, const float *y, float *x, float *work) {
  couple(ctx, y, work);
  const double g = t * prm->xi0;
  const size_t len = (size_t)n * (size_t)R;
  for (size_t k = 0; k < len; k++) x[k] += (float)(g * work[k]);
}

/* Kick of H_x for time t: y -= t xi0 (J x + x_h h). */
static void kick_y(long n, int R, double t, const po_kpo_params *prm, po_kpo_couple_fn couple,
                   void *ctx, const float *field, const float *x, float *y, float *work) {
  couple(ctx, x, work);
  const double g = t * prm->xi0;
  for (long i = 0; i < n; i++) {
    const double hf = field ? prm->x_h * field[i] : 0.0;
    for (int r = 0; r < R; r++) {
      const size_t k = (size_t)i * R + r;
      y[k] -= (float)(g * (work[k] + hf));
    }
  }
}

void po_kpo_step_chain(long n, int R, double h, double p, const po_kpo_params *prm,
                       po_kpo_couple_fn couple, void *ctx, const float *field, float *x, float *y,
                       float *work, int first, int last) {
  const size_t len = (size_t)n * (size_t)R;
  if (first) po_kpo_rotate(len, 0.5 * h, prm->kerr, prm->delta, x, y);
  po_kpo_squeeze(len, 0.5 * h, p, x, y);
  if (prm->xi0 != 0.0) {
    kick_x(n, R, 0.5 * h, prm, couple, ctx, y, x, work);
    kick_y(n, R, h, prm, couple, ctx, field, x, y, work);
    kick_x(n, R, 0.5 * h, prm, couple, ctx, y, x, work);
  }
  po_kpo_squeeze(len, 0.5 * h, p, x, y);
  po_kpo_rotate(len, last ? 0.5 * h : h, prm->kerr, prm->delta, x, y);
}

void po_kpo_step(long n, int R, double h, double p, const po_kpo_params *prm,
                 po_kpo_couple_fn couple, void *ctx, const float *field, float *x, float *y,
                 float *work) {
  po_kpo_step_chain(n, R, h, p, prm, couple, ctx, field, x, y, work, 1, 1);
}

double po_kpo_energy(long n, int R, int r, double p, const po_kpo_params *prm, const float *field,
                     const float *x, const float *y, const float *jx, const float *jy) {
  double e = 0.0;
  for (long i = 0; i < n; i++) {
    const size_t k = (size_t)i * R + r;
    const double a = x[k], b = y[k], r2 = a * a + b * b;
    e += 0.25 * prm->kerr * r2 * r2 - 0.5 * p * (a * a - b * b) + 0.5 * prm->delta * r2;
    e += 0.5 * prm->xi0 * (a * jx[k] + b * jy[k]);
    if (field) e += prm->xi0 * prm->x_h * field[i] * a;
  }
  return e;
}
