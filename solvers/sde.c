/* Batched Euler-Maruyama and stochastic Heun steppers; see sde.h for the
 * schemes, their convergence orders and the Ito/Stratonovich distinction. */
#include "solvers/sde.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/threads.h"
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

/* Replica r's increments: its own stream, spin order. */
static void draw_replica(po_sde *s, int r, float sq, float *dw) {
  const long n = s->n;
  float *d = dw + (size_t)r * (size_t)n;
  po_rng_normal_fill(&s->rng[r], d, n);
  for (long i = 0; i < n; i++) d[i] *= sq;
}

void po_sde_draw(po_sde *s, double h, float *dw) {
  const int R = s->replicas;
  const float sq = (float)sqrt(h);
  if (po_omp_team_useful()) {
#pragma omp parallel for schedule(static)
    for (int r = 0; r < R; r++) draw_replica(s, r, sq, dw);
  } else {
    for (int r = 0; r < R; r++) draw_replica(s, r, sq, dw);
  }
}

/* Noise amplitude times increment for element (i, r). */
static inline float noise_term(const float *b, float sigma, const float *dw, long n, int R, long i,
                               int r) {
  float w = dw[(size_t)r * (size_t)n + (size_t)i];
  return (b ? b[(size_t)i * (size_t)R + (size_t)r] : sigma) * w;
}

/* The operands of one step's element loops. */
typedef struct {
  const po_sde *s;
  float *x, *out;
  const float *dw, *b0, *b1;
  float hf;
  int noisy;
} step_rows;

/* Row i of the Euler-Maruyama update, or of Heun's predictor (into out). */
static void euler_row(const step_rows *a, long i) {
  const po_sde *s = a->s;
  const long n = s->n;
  const int R = s->replicas;
  for (int r = 0; r < R; r++) {
    size_t k = (size_t)i * (size_t)R + (size_t)r;
    float v = a->x[k] + s->a0[k] * a->hf;
    if (a->noisy) v += noise_term(a->b0, s->sigma, a->dw, n, R, i, r);
    a->out[k] = v;
  }
}

/* Row i of Heun's trapezoidal corrector. */
static void heun_row(const step_rows *a, long i) {
  const po_sde *s = a->s;
  const long n = s->n;
  const int R = s->replicas;
  const float half = 0.5f * a->hf;
  for (int r = 0; r < R; r++) {
    size_t k = (size_t)i * (size_t)R + (size_t)r;
    float v = a->x[k] + (s->a0[k] + s->a1[k]) * half;
    if (a->noisy) {
      if (a->b0) {
        float w = a->dw[(size_t)r * (size_t)n + (size_t)i];
        v += 0.5f * (a->b0[k] + a->b1[k]) * w;
      } else {
        v += noise_term(NULL, s->sigma, a->dw, n, R, i, r);
      }
    }
    a->x[k] = v;
  }
}

/* row(a, i) for every row, on the caller's team when it has more than one
 * thread (core/threads.h: a region of one costs more than a small step). */
static void for_rows(const step_rows *a, void (*row)(const step_rows *, long)) {
  const long n = a->s->n;
  if (po_omp_team_useful()) {
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) row(a, i);
  } else {
    for (long i = 0; i < n; i++) row(a, i);
  }
}

int po_sde_step_dw(po_sde *s, float *x, double t, double h, const float *dw) {
  int rc = s->drift(s->ctx, t, x, s->a0);
  if (rc) return rc;
  const int noisy = dw && (s->diffusion || s->sigma != 0.0f);
  if (noisy && s->diffusion && (rc = s->diffusion(s->ctx, t, x, s->b0))) return rc;
  step_rows a = {.s = s,
                 .x = x,
                 .out = s->method == PO_SDE_EM ? x : s->xp,
                 .dw = dw,
                 .b0 = s->diffusion ? s->b0 : NULL,
                 .hf = (float)h,
                 .noisy = noisy};
  for_rows(&a, euler_row);
  if (s->method == PO_SDE_EM) return PO_OK;

  /* Heun: the predictor above, then the trapezoidal corrector. */
  if ((rc = s->drift(s->ctx, t + h, s->xp, s->a1))) return rc;
  if (noisy && s->diffusion && (rc = s->diffusion(s->ctx, t + h, s->xp, s->b1))) return rc;
  a.b1 = s->diffusion ? s->b1 : NULL;
  for_rows(&a, heun_row);
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
