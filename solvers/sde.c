/* Batched Euler-Maruyama and stochastic Heun steppers; see sde.h for the
 * schemes, their convergence orders and the Ito/Stratonovich distinction. */
#include "solvers/sde.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"

int po_sde_create(po_sde *s, long n, int replicas, po_sde_method method, po_sde_fn drift,
                  po_sde_fn diffusion, float sigma, void *ctx, uint64_t seed, uint64_t run) {
  memset(s, 0, sizeof *s);
  if (n < 1 || replicas < 1)
    return po_error(PO_ERR_ARG, "sde: n = %ld and replicas = %d must be >= 1", n, replicas);
  if (method != PO_SDE_EM && method != PO_SDE_HEUN)
    return po_error(PO_ERR_ARG, "sde: unknown method %d (valid: em, heun)", (int)method);
  if (!drift) return po_error(PO_ERR_ARG, "sde: drift function is required");
  if (!(sigma >= 0.0f) || !isfinite(sigma))
    return po_error(PO_ERR_ARG, "sde: sigma = %g must be finite and >= 0", (double)sigma);
  s->n = n;
  s->replicas = replicas;
  s->method = method;
  s->drift = drift;
  s->diffusion = diffusion;
  s->sigma = sigma;
  s->ctx = ctx;
  size_t nr = (size_t)n * (size_t)replicas;
  s->rng = malloc((size_t)replicas * sizeof *s->rng);
  s->a0 = malloc(nr * sizeof(float));
  s->dw = malloc(nr * sizeof(float));
  if (diffusion) s->b0 = malloc(nr * sizeof(float));
  if (method == PO_SDE_HEUN) {
    s->a1 = malloc(nr * sizeof(float));
    s->xp = malloc(nr * sizeof(float));
    if (diffusion) s->b1 = malloc(nr * sizeof(float));
  }
  if (!s->rng || !s->a0 || !s->dw || (diffusion && !s->b0) ||
      (method == PO_SDE_HEUN && (!s->a1 || !s->xp || (diffusion && !s->b1)))) {
    po_sde_free(s);
    return po_error(PO_ERR_NOMEM, "sde: cannot allocate work arrays for %ld x %d", n, replicas);
  }
  for (int r = 0; r < replicas; r++) po_rng_init(&s->rng[r], seed, run, (uint64_t)r);
  return PO_OK;
}

void po_sde_set_streams(po_sde *s, uint64_t seed, uint64_t run, uint64_t first) {
  for (int r = 0; r < s->replicas; r++) po_rng_init(&s->rng[r], seed, run, first + (uint64_t)r);
}

void po_sde_free(po_sde *s) {
  if (!s) return;
  free(s->rng);
  free(s->a0);
  free(s->a1);
  free(s->b0);
  free(s->b1);
  free(s->xp);
  free(s->dw);
  memset(s, 0, sizeof *s);
}

void po_sde_draw(po_sde *s, double h, float *dw) {
  const long n = s->n;
  const int R = s->replicas;
  const float sq = (float)sqrt(h);
#pragma omp parallel for schedule(static)
  for (int r = 0; r < R; r++) {
    float *d = dw + (size_t)r * (size_t)n;
    po_rng_normal_fill(&s->rng[r], d, n);
    for (long i = 0; i < n; i++) d[i] *= sq;
  }
}

/* Noise amplitude times increment for element (i, r). */
static inline float noise_term(const float *b, float sigma, const float *dw, long n, int R, long i,
                               int r) {
  float w = dw[(size_t)r * (size_t)n + (size_t)i];
  return (b ? b[(size_t)i * (size_t)R + (size_t)r] : sigma) * w;
}

int po_sde_step_dw(po_sde *s, float *x, double t, double h, const float *dw) {
  const long n = s->n;
  const int R = s->replicas;
  const float hf = (float)h;
  int rc = s->drift(s->ctx, t, x, s->a0);
  if (rc) return rc;
  const int noisy = dw && (s->diffusion || s->sigma != 0.0f);
  if (noisy && s->diffusion && (rc = s->diffusion(s->ctx, t, x, s->b0))) return rc;
  const float *b0 = s->diffusion ? s->b0 : NULL;

  if (s->method == PO_SDE_EM) {
#pragma omp parallel for collapse(2) schedule(static)
    for (long i = 0; i < n; i++) {
      for (int r = 0; r < R; r++) {
        size_t k = (size_t)i * (size_t)R + (size_t)r;
        float v = x[k] + s->a0[k] * hf;
        if (noisy) v += noise_term(b0, s->sigma, dw, n, R, i, r);
        x[k] = v;
      }
    }
    return PO_OK;
  }

  /* Heun: predictor, then trapezoidal corrector. */
#pragma omp parallel for collapse(2) schedule(static)
  for (long i = 0; i < n; i++) {
    for (int r = 0; r < R; r++) {
      size_t k = (size_t)i * (size_t)R + (size_t)r;
      float v = x[k] + s->a0[k] * hf;
      if (noisy) v += noise_term(b0, s->sigma, dw, n, R, i, r);
      s->xp[k] = v;
    }
  }
  if ((rc = s->drift(s->ctx, t + h, s->xp, s->a1))) return rc;
  if (noisy && s->diffusion && (rc = s->diffusion(s->ctx, t + h, s->xp, s->b1))) return rc;
  const float *b1 = s->diffusion ? s->b1 : NULL;
  const float half = 0.5f * hf;
#pragma omp parallel for collapse(2) schedule(static)
  for (long i = 0; i < n; i++) {
    for (int r = 0; r < R; r++) {
      size_t k = (size_t)i * (size_t)R + (size_t)r;
      float v = x[k] + (s->a0[k] + s->a1[k]) * half;
      if (noisy) {
        if (b0) {
          float w = dw[(size_t)r * (size_t)n + (size_t)i];
          v += 0.5f * (b0[k] + b1[k]) * w;
        } else {
          v += noise_term(NULL, s->sigma, dw, n, R, i, r);
        }
      }
      x[k] = v;
    }
  }
  return PO_OK;
}

int po_sde_step(po_sde *s, float *x, double t, double h) {
  if (!(h > 0.0) || !isfinite(h))
    return po_error(PO_ERR_ARG, "sde: step size h = %g must be finite and > 0", h);
  const int noisy = s->diffusion || s->sigma != 0.0f;
  if (noisy) po_sde_draw(s, h, s->dw);
  return po_sde_step_dw(s, x, t, h, noisy ? s->dw : NULL);
}

const char *po_sde_method_name(po_sde_method m) {
  return m == PO_SDE_EM ? "em" : m == PO_SDE_HEUN ? "heun" : "unknown";
}

int po_sde_method_parse(const char *name, po_sde_method *out) {
  if (name && (!strcmp(name, "em") || !strcmp(name, "euler") || !strcmp(name, "euler-maruyama"))) {
    *out = PO_SDE_EM;
    return PO_OK;
  }
  if (name && !strcmp(name, "heun")) {
    *out = PO_SDE_HEUN;
    return PO_OK;
  }
  return po_error(PO_ERR_ARG, "unknown SDE method '%s' (valid: em, heun)", name ? name : "(null)");
}
