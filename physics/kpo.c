/* Classical KPO network: the exact sub-flows and their symmetric
 * composition; equations, sources and the choice of integrator in
 * physics/kpo.h. */
#include "physics/kpo.h"

#include <math.h>

void po_kpo_rotate(size_t len, double t, double kerr, double delta, float *x, float *y) {
  for (size_t k = 0; k < len; k++) {
    const double a = x[k], b = y[k];
    const double th = (kerr * (a * a + b * b) + delta) * t;
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

void po_kpo_step(long n, int R, double h, double p, const po_kpo_params *prm,
                 po_kpo_couple_fn couple, void *ctx, const float *field, float *x, float *y,
                 float *work) {
  const size_t len = (size_t)n * (size_t)R;
  po_kpo_rotate(len, 0.5 * h, prm->kerr, prm->delta, x, y);
  po_kpo_squeeze(len, 0.5 * h, p, x, y);
  if (prm->xi0 != 0.0) {
    kick_x(n, R, 0.5 * h, prm, couple, ctx, y, x, work);
    kick_y(n, R, h, prm, couple, ctx, field, x, y, work);
    kick_x(n, R, 0.5 * h, prm, couple, ctx, y, x, work);
  }
  po_kpo_squeeze(len, 0.5 * h, p, x, y);
  po_kpo_rotate(len, 0.5 * h, prm->kerr, prm->delta, x, y);
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
