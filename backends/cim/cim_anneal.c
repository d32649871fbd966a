/* The CIM anneal engine: integrates the OPO network (physics/opo.h) for all
 * replicas at once and tracks the Ising energy of sign(x) incrementally.
 *
 * Per step: the coupling c = K X (K = -J) of the whole n x R batch is one
 * cblas_sgemm (dense J) or one CSR x dense product (sparse J); one fused
 * element-wise pass updates x (and the error variables e), detects sign
 * flips; the flips are then applied per replica to exact local fields
 * f = J s + h held in double, which gives H(t) for CAC and the best state
 * visited.  Replica r draws its noise and initial amplitudes from the stream
 * (seed, run_id, r), so results are identical for any thread count. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cim/cim.h"
#include "physics/opo.h"
#include "physopt/error.h"
#include "physopt/rng.h"
#include "solvers/sde.h"
#include "solvers/spmm.h"

typedef enum { ALG_PLAIN, ALG_AHC, ALG_CAC } cim_alg;

typedef struct engine {
  const po_ising *m;
  long n;
  int R;
  const cim_config *cfg;
  po_opo_params opo;
  float *x, *e, *c, *dw, *beta, *target;
  int8_t *sgn;
  uint8_t *flip;
  int8_t *s; /* replica-major spins R x n */
  double *f; /* replica-major local fields R x n */
  double *E, *Ebest, *xi, *t_last;
  int8_t *best; /* R x n */
  int32_t *fl;  /* per-replica flip lists R x n */
  int32_t *nfl;
  po_rng *rng;
  double pump; /* for the plain drift callback */
} engine;

static double coupling_norm(const po_ising *m, int abs_norm) {
  double acc = 0.0;
  if (m->storage == PO_STORAGE_DENSE) {
    size_t nn = (size_t)m->n * (size_t)m->n;
    for (size_t k = 0; k < nn; k++)
      acc += abs_norm ? fabs(m->dense[k]) : (double)m->dense[k] * m->dense[k];
  } else {
    for (int64_t k = 0; k < m->row_ptr[m->n]; k++)
      acc += abs_norm ? fabs(m->val[k]) : (double)m->val[k] * m->val[k];
  }
  acc /= m->n;
  return abs_norm ? acc : sqrt(acc);
}

/* c = -J x - h x_h for the whole batch. */
static void couple(engine *g, const float *x, float *c) {
  const po_ising *m = g->m;
  const long n = g->n;
  const int R = g->R;
  if (m->storage == PO_STORAGE_DENSE)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, R, (int)n, -1.0f, m->dense,
                (int)n, x, R, 0.0f, c, R);
  else
    po_spmm_csr(n, R, -1.0f, m->row_ptr, m->col, m->val, x, c);
  if (m->h) {
    const float xh = (float)g->cfg->field_amp;
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++)
      for (int r = 0; r < R; r++) c[i * R + r] -= m->h[i] * xh;
  }
}

/* Exact fields and energy of replica r from its spins. */
static void refresh_replica(engine *g, int r) {
  const long n = g->n;
  const int8_t *s = g->s + (size_t)r * n;
  double *f = g->f + (size_t)r * n;
  po_ising_local_fields(g->m, s, f);
  g->E[r] = po_ising_energy(g->m, s);
}

/* Applies the flips listed for replica r (increasing i) to s, f and E. */
static void apply_flips(engine *g, int r) {
  const po_ising *m = g->m;
  const long n = g->n;
  int8_t *s = g->s + (size_t)r * n;
  double *f = g->f + (size_t)r * n;
  const int32_t *list = g->fl + (size_t)r * n;
  double E = g->E[r];
  for (int32_t q = 0; q < g->nfl[r]; q++) {
    const int i = list[q];
    const double so = s[i];
    E += -2.0 * so * f[i];
    const double d = -2.0 * so;
    if (m->storage == PO_STORAGE_DENSE) {
      const float *Ji = m->dense + (size_t)i * n;
#pragma omp simd
      for (long j = 0; j < n; j++) f[j] += d * Ji[j];
    } else {
      for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++) f[m->col[k]] += d * m->val[k];
    }
    s[i] = (int8_t)-s[i];
  }
  g->E[r] = E;
}

/* Collects the flips of the fused step into per-replica lists (serial, in
 * increasing i, so the order of floating-point updates is fixed). */
static void collect_flips(engine *g) {
  const long n = g->n;
  const int R = g->R;
  memset(g->nfl, 0, (size_t)R * sizeof *g->nfl);
  const uint8_t *fl = g->flip;
  for (long i = 0; i < n; i++) {
    const uint8_t *row = fl + i * R;
    int r = 0;
    for (; r + 8 <= R; r += 8) {
      uint64_t w;
      memcpy(&w, row + r, 8);
      if (!w) continue;
      for (int q = 0; q < 8; q++)
        if (row[r + q]) g->fl[(size_t)(r + q) * n + g->nfl[r + q]++] = (int32_t)i;
    }
    for (; r < R; r++)
      if (row[r]) g->fl[(size_t)r * n + g->nfl[r]++] = (int32_t)i;
  }
}

static int plain_drift(void *ctx, double t, const float *x, float *a) {
  (void)t;
  engine *g = ctx;
  couple(g, x, g->c);
  po_opo_drift(g->n, g->R, g->pump, &g->opo, x, g->c, a);
  return PO_OK;
}

static void engine_free(engine *g) {
  free(g->x), free(g->e), free(g->c), free(g->dw), free(g->beta), free(g->target);
  free(g->sgn), free(g->flip), free(g->s), free(g->f), free(g->E), free(g->Ebest);
  free(g->xi), free(g->t_last), free(g->best), free(g->fl), free(g->nfl), free(g->rng);
}

int cim_ising_anneal(po_backend *b, const po_ising *m, const po_schedule *sch,
                     const po_anneal_opts *o, po_samples *out) {
  const char *alg_name = o->algorithm && *o->algorithm ? o->algorithm : "cac";
  cim_alg alg;
  if (!strcmp(alg_name, "cac"))
    alg = ALG_CAC;
  else if (!strcmp(alg_name, "ahc"))
    alg = ALG_AHC;
  else if (!strcmp(alg_name, "plain"))
    alg = ALG_PLAIN;
  else if (!strcmp(alg_name, "adiabatic"))
    return cim_adiabatic_anneal(b, m, sch, o, out); /* backends/cim/cim_adiabatic.c */
  else if (!strcmp(alg_name, "cfc") || !strcmp(alg_name, "sfc") || !strcmp(alg_name, "mfcim"))
    return po_error(PO_ERR_UNSUPPORTED,
                    "backend cim: algorithm '%s' is not implemented yet (implemented: cac, ahc, "
                    "plain, adiabatic)",
                    alg_name);
  else
    return po_error(PO_ERR_ARG,
                    "backend cim: unknown algorithm '%s' (valid: cac|ahc|plain|cfc|sfc|mfcim|"
                    "adiabatic)",
                    alg_name);
  if (!m || m->n < 1) return po_error(PO_ERR_ARG, "backend cim: empty Ising model");

  cim_config cfg;
  int rc = cim_config_read(b, &cfg);
  if (rc) return rc;
  const long n = m->n;
  const int R = o->replicas;
  const long K = o->steps;

  /* Device time: one step = round_trips_per_step ring round trips. */
  const double t_rt = cfg.ring_length_m * cfg.group_index / 299792458.0;
  const double capacity = cfg.pulse_rate_hz * t_rt;
  if ((double)n > capacity)
    return po_error(PO_ERR_ARG,
                    "backend cim: N = %ld spins do not fit in the ring (%.0f pulses = "
                    "cim.pulse_rate_hz x round trip %.3g s); raise cim.ring_length_m or "
                    "cim.pulse_rate_hz",
                    n, capacity, t_rt);

  double pump_c, eps_scale;
  if ((rc = po_backend_param_double(b,
                                    alg == ALG_CAC   ? "cac_pump"
                                    : alg == ALG_AHC ? "ahc_pump"
                                                     : "pump_end",
                                    &pump_c)))
    return rc;
  if ((rc = po_backend_param_double(b,
                                    alg == ALG_CAC   ? "cac_eps_scale"
                                    : alg == ALG_AHC ? "ahc_eps_scale"
                                                     : "plain_eps_scale",
                                    &eps_scale)))
    return rc;
  po_sde_method method = PO_SDE_EM;
  if ((rc = po_sde_method_parse(cfg.method, &method))) return rc;

  double norm = coupling_norm(m, cfg.eps_abs_norm);
  engine g = {0};
  g.m = m;
  g.n = n;
  g.R = R;
  g.cfg = &cfg;
  g.opo.mu = cfg.mu;
  g.opo.eps = cfg.eps > 0 ? cfg.eps : (norm > 0 ? eps_scale / norm : 0.0);
  g.opo.sigma = cfg.sigma;
  g.opo.e_max = cfg.e_max;
  g.opo.x_max =
      cfg.x_max >= 0 ? cfg.x_max : (cfg.mu > 0 && cfg.dt > 0 ? 1.0 / sqrt(cfg.mu * cfg.dt) : 0.0);
  const double gamma = cfg.gamma + cfg.gamma_n / (double)n;
  const double tau = cfg.tau + cfg.tau_n * (double)n;

  size_t nr = (size_t)n * (size_t)R;
  g.x = malloc(nr * sizeof *g.x);
  g.c = malloc(nr * sizeof *g.c);
  g.sgn = malloc(nr);
  g.flip = malloc(nr);
  g.s = malloc(nr);
  g.best = malloc(nr);
  g.f = malloc(nr * sizeof *g.f);
  g.fl = malloc(nr * sizeof *g.fl);
  g.nfl = calloc((size_t)R, sizeof *g.nfl);
  g.E = malloc((size_t)R * sizeof *g.E);
  g.Ebest = malloc((size_t)R * sizeof *g.Ebest);
  g.xi = calloc((size_t)R, sizeof *g.xi);
  g.t_last = calloc((size_t)R, sizeof *g.t_last);
  g.beta = malloc((size_t)R * sizeof *g.beta);
  g.target = malloc((size_t)R * sizeof *g.target);
  g.rng = malloc((size_t)R * sizeof *g.rng);
  if (alg != ALG_PLAIN) g.e = malloc(nr * sizeof *g.e);
  if (cfg.sigma > 0) g.dw = malloc(nr * sizeof *g.dw);
  if (!g.x || !g.c || !g.sgn || !g.flip || !g.s || !g.best || !g.f || !g.fl || !g.nfl || !g.E ||
      !g.Ebest || !g.xi || !g.t_last || !g.beta || !g.target || !g.rng ||
      (alg != ALG_PLAIN && !g.e) || (cfg.sigma > 0 && !g.dw)) {
    engine_free(&g);
    return po_error(PO_ERR_NOMEM, "backend cim: cannot allocate state for N = %ld x %d replicas", n,
                    R);
  }

  double w0 = omp_get_wtime();
  int nthreads_saved = omp_get_max_threads();
  if (o->threads > 0) omp_set_num_threads(o->threads);

  /* Initial amplitudes from each replica's stream. */
  for (int r = 0; r < R; r++) {
    po_rng_init(&g.rng[r], o->seed, o->run_id, (uint64_t)r);
    for (long i = 0; i < n; i++)
      g.x[i * R + r] = (float)(cfg.init_amp * (po_rng_uniform(&g.rng[r]) - 0.5));
  }
  for (long i = 0; i < n; i++)
    for (int r = 0; r < R; r++) {
      int8_t s = g.x[i * R + r] < 0 ? -1 : 1;
      g.sgn[i * R + r] = s;
      g.s[(size_t)r * n + i] = s;
    }
  if (g.e)
    for (size_t k = 0; k < nr; k++) g.e[k] = 1.0f;
#pragma omp parallel for schedule(static)
  for (int r = 0; r < R; r++) {
    refresh_replica(&g, r);
    g.Ebest[r] = g.E[r];
    memcpy(g.best + (size_t)r * n, g.s + (size_t)r * n, (size_t)n);
    g.beta[r] = alg == ALG_AHC ? (float)cfg.beta : 0.0f;
    g.target[r] = alg == ALG_AHC ? (float)cfg.ahc_target : (float)cfg.alpha;
  }

  po_sde sde;
  int have_sde = 0;
  if (alg == ALG_PLAIN && method == PO_SDE_HEUN) {
    if ((rc = po_sde_create(&sde, n, R, PO_SDE_HEUN, plain_drift, NULL, (float)cfg.sigma, &g,
                            o->seed, o->run_id ^ 0x5344455f6e6f6973ULL)))
      goto done;
    have_sde = 1;
  }

  const int exact_fields = m->integer_weights;
  const double dt = cfg.dt;
  long progress_every = K / 100 > 0 ? K / 100 : 1;
  for (long k = 0; k < K; k++) {
    const double t = (double)k * dt;
    double p;
    if (sch && sch->kind != PO_SCHED_DEFAULT)
      p = po_schedule_value(sch, k, K);
    else if (alg == ALG_PLAIN)
      p = cfg.pump_start + (cfg.pump_end - cfg.pump_start) * (K > 1 ? (double)k / (K - 1) : 1.0);
    else
      p = pump_c;

    long bad;
    if (have_sde) {
      g.pump = p;
      if ((rc = po_sde_step(&sde, g.x, t, dt))) goto done;
      bad = 0;
#pragma omp parallel for schedule(static) reduction(+ : bad)
      for (size_t q = 0; q < nr; q++) {
        float v = g.x[q];
        if (!isfinite(v)) bad++;
        int8_t s = v < 0.0f ? -1 : 1;
        g.flip[q] = (uint8_t)(s != g.sgn[q]);
        g.sgn[q] = s;
      }
    } else {
      couple(&g, g.x, g.c);
      if (g.dw) {
        /* noise for replica r from stream r, replica-major */
#pragma omp parallel for schedule(static)
        for (int r = 0; r < R; r++) {
          float *d = g.dw + (size_t)r * n;
          po_rng_normal_fill(&g.rng[r], d, n);
          const float sq = (float)sqrt(dt);
          for (long i = 0; i < n; i++) d[i] *= sq;
        }
      }
      bad =
          po_opo_step_em(n, R, dt, p, &g.opo, g.x, g.e, g.c, g.beta, g.target, g.dw, g.sgn, g.flip);
    }
    if (bad) {
      rc = po_error(PO_ERR_NUMERIC,
                    "backend cim: %ld amplitudes became non-finite at step %ld (t = %g); "
                    "reduce cim.dt (now %g) or the coupling cim.eps",
                    bad, k, t, dt);
      goto done;
    }
    collect_flips(&g);
    const int refresh = !exact_fields && (k + 1) % cfg.refresh == 0;
    const double tn = t + dt;
#pragma omp parallel for schedule(dynamic, 1)
    for (int r = 0; r < R; r++) {
      if (g.nfl[r]) apply_flips(&g, r);
      if (refresh) refresh_replica(&g, r);
      if (g.E[r] < g.Ebest[r] - 1e-9 * (fabs(g.Ebest[r]) + 1.0)) {
        g.Ebest[r] = g.E[r];
        memcpy(g.best + (size_t)r * n, g.s + (size_t)r * n, (size_t)n);
        g.t_last[r] = tn;
      }
      if (alg == ALG_CAC) {
        g.xi[r] += gamma * dt;
        if (tn - g.t_last[r] > tau) {
          g.xi[r] = 0.0;
          g.t_last[r] = tn;
        }
        g.beta[r] = (float)g.xi[r];
        g.target[r] = (float)po_cac_target(cfg.alpha, cfg.rho, cfg.delta, g.E[r], g.Ebest[r]);
      }
    }
    if (o->progress && (k + 1) % progress_every == 0)
      o->progress(o->progress_ctx, (double)(k + 1) / K);
  }

  /* Results: best state visited by each replica, energies recomputed exactly. */
  if ((rc = po_samples_alloc(out, R, (int)n))) goto done;
  for (int r = 0; r < R; r++) {
    memcpy(out->spins + (size_t)r * n, g.best + (size_t)r * n, (size_t)n);
    out->energy[r] = po_ising_energy(m, out->spins + (size_t)r * n);
  }

  {
    /* Ledger.  Replicas are independent runs of the device, one after the
     * other: device_s = R K t_step, run_s (the t of TTS99) = K t_step. */
    const double t_step = cfg.round_trips_per_step * t_rt;
    const double rts = (double)R * (double)K * cfg.round_trips_per_step;
    const double nnz =
        m->storage == PO_STORAGE_DENSE ? (double)n * (double)(n - 1) : (double)m->row_ptr[n];
    po_ledger *l = &b->ledger;
    l->wall_s += omp_get_wtime() - w0;
    l->device_s += rts * t_rt;
    l->run_s += (double)K * t_step;
    po_ledger_add(l, "round_trips", "round trips", rts, cfg.pump_power_w * t_rt);
    const int optical = !strcmp(cfg.feedback, "optical");
    po_ledger_add(l, optical ? "feedback_optical_macs" : "feedback_digital_macs", "MAC", rts * nnz,
                  optical ? cfg.optical_mac_j : cfg.digital_mac_j);
    po_ledger_add(l, "adc_conversions", "samples", rts * (double)n, cfg.adc_j);
    po_ledger_add(l, "dac_conversions", "samples", rts * (double)n, cfg.dac_j);
  }
  rc = PO_OK;

done:
  if (have_sde) po_sde_free(&sde);
  if (o->threads > 0) omp_set_num_threads(nthreads_saved);
  engine_free(&g);
  return rc;
}
