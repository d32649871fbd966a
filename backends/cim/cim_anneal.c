/* The CIM anneal engine: integrates the OPO network (physics/opo.h) for a
 * batch of replicas and tracks the Ising energy of sign(x) incrementally.
 *
 * Replicas are split into blocks (64 replicas for dense J: one SGEMM shape;
 * 32 for sparse J, whose steps are cheap); each thread runs the whole
 * time loop of a block without synchronising with the others (replicas are
 * independent runs, so no barrier per step is needed).  Per
 * step and block: the coupling c = K X (K = -J) of the n x Rb block matrix
 * is one cblas_sgemm (dense J) or one CSR x dense product (sparse J); one
 * fused element-wise pass updates x (and the error variables e) and detects
 * sign flips; the flips are applied per replica to exact local fields
 * f = J s + h held in double, giving H(t) for CAC, the energy-dependent AHC
 * target and the best state visited.
 * With a single thread (or a single block) the kernels themselves run
 * multi-threaded instead.  Replica r draws its initial amplitudes and
 * noise from the stream (seed, run_id, r) and its arithmetic does not depend
 * on the block it is in, so results are identical for any thread count. */
#include <cblas.h>
#include "core/threads.h"
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cim/cim.h"
#include "physics/opo.h"
#include "physopt/error.h"
#include "physopt/rng.h"
#include "solvers/sde.h"
#include "solvers/spmm.h"

typedef enum { ALG_PLAIN, ALG_AHC, ALG_CAC, ALG_CFC, ALG_SFC } cim_alg;

/* Replicas per block (one SGEMM / SpMM column block); a property of the
 * problem, never of the thread count.  Dense blocks were 64 until
 * 2026-11-23: 64 replicas (the common case) then formed one block, whose
 * element-wise step ran on one core while OpenBLAS threaded the SGEMM, and
 * two threads reached 57-81% of the bare SGEMM's rate on an idle 2-core
 * machine.  Two blocks of 32 run on the threads side by side with
 * single-threaded SGEMMs: 88% (docs/cim.md, "Speed").  Results with
 * integer couplings are unchanged; with real-valued dense couplings and
 * more than 32 replicas they differ in rounding (which flips trigger the
 * bulk field update depends on the block). */
#define CIM_BLOCK_DENSE  32
#define CIM_BLOCK_SPARSE 32

/* Shared, read-only during the run except for the per-replica rows. */
typedef struct shared {
  const po_ising *m;
  long n, K;
  int R;
  const cim_config *cfg;
  cim_alg alg;
  po_opo_params opo;
  double gamma, tau, pump_c;
  double delta; /* CAC delta in 1/energy (cim.delta, scaled per cim.delta_norm) */
  /* CFC / SFC (physics/opo.h): pump ramp p0 -> p1 over the first ramp
   * fraction of the steps, then p1; CFC alpha, beta, e_min; SFC k and the
   * linear ramps of beta (b0 -> b1) and of the tanh gain (g0 -> g1) */
  double fc_p0, fc_p1, fc_ramp, cfc_alpha, cfc_beta, cfc_emin, sfc_k, sfc_b0, sfc_b1, sfc_g0,
      sfc_g1;
  const po_schedule *sch;
  po_sde_method method;
  uint64_t seed, run;
  int exact_fields;
  po_progress_fn progress;
  void *pctx;
  po_trajectory_fn traj;
  void *tctx;
  long traj_every;
  int traj_replica;
  /* per replica, replica-major: spins, best spins, fields, flip lists */
  int8_t *s, *best;
  double *f, *E, *Ebest;
  int32_t *fl;
  /* physical device (cfg->device_on): truncated-Wigner noise in both
   * quadratures and/or feedback from the homodyne estimate of x */
  int quantum, measured;
  float dac_step, dac_fs;    /* DAC quantiser of the feedback c (physics/cim_device.h (D5)) */
  int n_blocks, blocks_done; /* progress: blocks_done updated atomically */
  int kernel_threads;        /* > 1: kernels and per-replica loops threaded */
} shared;

typedef struct block {
  shared *sh;
  int r0, Rb;
  float *x, *e, *c, *dw, *beta, *target;
  float *wl;               /* AHC energy_latched: e latched at the last flip, n x Rb */
  float *df;               /* dense J: field changes of a bulk flip update */
  float *y, *xo, *qx, *qy; /* quantum: quadrature, x at step start, noise (n x R, as x) */
  float *xm, *cring;       /* measured: x_hat, ring of delay + 2 feedback slots */
  const float *cur;        /* measured: the feedback injected now */
  int8_t *sgn;
  uint8_t *flip;
  int32_t *nfl;
  double *xi, *t_last;
  po_rng *rng;
  double pump; /* for the plain drift callback */
  int rc;      /* PO_OK, or PO_ERR_NUMERIC / PO_ERR_NOMEM (message made by the caller) */
  long bad, bad_step;
} block;

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

/* c = -J x - h x_h for the block (n x Rb). */
static void couple(const block *b, const float *x, float *c) {
  const shared *sh = b->sh;
  const po_ising *m = sh->m;
  const long n = sh->n;
  const int Rb = b->Rb;
  if (m->storage == PO_STORAGE_DENSE)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, Rb, (int)n, -1.0f, m->dense,
                (int)n, x, Rb, 0.0f, c, Rb);
  else
    po_spmm_csr(n, Rb, -1.0f, m->row_ptr, m->col, m->val, x, c);
  if (m->h) {
    const float xh = (float)sh->cfg->field_amp;
    for (long i = 0; i < n; i++)
      for (int q = 0; q < Rb; q++) c[i * Rb + q] -= m->h[i] * xh;
  }
}

/* Exact fields and energy of replica r from its spins. */
static void refresh_replica(shared *sh, int r) {
  const long n = sh->n;
  const int8_t *s = sh->s + (size_t)r * n;
  double *f = sh->f + (size_t)r * n;
  po_ising_local_fields(sh->m, s, f);
  /* E = sum_{i<j} J s s + h.s + offset = (1/2) s.(f + h) + offset */
  double e = 0.0;
  for (long i = 0; i < n; i++) e += s[i] * (f[i] + (sh->m->h ? sh->m->h[i] : 0.0));
  sh->E[r] = 0.5 * e + sh->m->offset;
}

/* Applies the cnt flips listed for replica r (increasing i) to s, f and E. */
static void apply_flips(shared *sh, int r, int32_t cnt) {
  const po_ising *m = sh->m;
  const long n = sh->n;
  int8_t *s = sh->s + (size_t)r * n;
  double *f = sh->f + (size_t)r * n;
  const int32_t *list = sh->fl + (size_t)r * n;
  double E = sh->E[r];
  for (int32_t q = 0; q < cnt; q++) {
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
  sh->E[r] = E;
}

/* Collects the flips of the fused step into per-replica lists, in
 * increasing i, so the order of floating-point updates is fixed. */
static void collect_flips(block *b) {
  const long n = b->sh->n;
  const int Rb = b->Rb;
  memset(b->nfl, 0, (size_t)Rb * sizeof *b->nfl);
  int32_t *fl = b->sh->fl + (size_t)b->r0 * n;
  for (long i = 0; i < n; i++) {
    const uint8_t *row = b->flip + i * Rb;
    int q = 0;
    for (; q + 8 <= Rb; q += 8) {
      uint64_t w;
      memcpy(&w, row + q, 8);
      if (!w) continue;
      for (int u = 0; u < 8; u++)
        if (row[q + u]) fl[(size_t)(q + u) * n + b->nfl[q + u]++] = (int32_t)i;
    }
    for (; q < Rb; q++)
      if (row[q]) fl[(size_t)q * n + b->nfl[q]++] = (int32_t)i;
  }
}

/* Bulk update of replica q of the block: f += df (column q), new spins,
 * E recomputed from the fields, E = (1/2) s.(f + h) + offset. */
static void apply_bulk(shared *sh, const block *b, int q) {
  const long n = sh->n;
  const int Rb = b->Rb, r = b->r0 + q;
  int8_t *s = sh->s + (size_t)r * n;
  double *f = sh->f + (size_t)r * n;
  double e = 0.0;
  for (long i = 0; i < n; i++) {
    f[i] += b->df[i * Rb + q];
    s[i] = b->sgn[i * Rb + q];
    e += s[i] * (f[i] + (sh->m->h ? sh->m->h[i] : 0.0));
  }
  sh->E[r] = 0.5 * e + sh->m->offset;
}

static int plain_drift(void *ctx, double t, const float *x, float *a) {
  (void)t;
  block *b = ctx;
  couple(b, x, b->c);
  po_opo_drift(b->sh->n, b->Rb, b->pump, &b->sh->opo, x, b->c, a);
  return PO_OK;
}

static void block_free(block *b) {
  free(b->x), free(b->e), free(b->c), free(b->dw), free(b->beta), free(b->target), free(b->df);
  free(b->wl);
  free(b->y), free(b->xo), free(b->qx), free(b->qy), free(b->xm), free(b->cring);
  free(b->sgn), free(b->flip), free(b->nfl), free(b->xi), free(b->t_last), free(b->rng);
}

static int block_alloc(block *b) {
  const shared *sh = b->sh;
  size_t nr = (size_t)sh->n * (size_t)b->Rb, Rb = (size_t)b->Rb;
  b->x = malloc(nr * sizeof *b->x);
  b->c = malloc(nr * sizeof *b->c);
  b->sgn = malloc(nr);
  b->flip = malloc(nr);
  b->nfl = calloc(Rb, sizeof *b->nfl);
  b->xi = calloc(Rb, sizeof *b->xi);
  b->t_last = calloc(Rb, sizeof *b->t_last);
  b->beta = malloc(Rb * sizeof *b->beta);
  b->target = malloc(Rb * sizeof *b->target);
  b->rng = malloc(Rb * sizeof *b->rng);
  if (sh->alg != ALG_PLAIN) b->e = malloc(nr * sizeof *b->e);
  if (sh->cfg->sigma > 0) b->dw = malloc(nr * sizeof *b->dw);
  if (sh->m->storage == PO_STORAGE_DENSE) b->df = malloc(nr * sizeof *b->df);
  const int latched =
      sh->alg == ALG_AHC && sh->cfg->ahc_target_mode == CIM_AHC_TARGET_ENERGY_LATCHED;
  if (latched) b->wl = malloc(nr * sizeof *b->wl);
  if (sh->quantum) {
    b->y = calloc(nr, sizeof *b->y); /* y(0) = 0; vacuum fluctuations build it up */
    b->xo = malloc(nr * sizeof *b->xo);
    b->qy = malloc(nr * sizeof *b->qy);
  }
  if (sh->quantum || sh->measured) b->qx = malloc(nr * sizeof *b->qx);
  if (sh->measured) {
    b->xm = malloc(nr * sizeof *b->xm);
    /* delay + 1 slots in turn, and one slot of zeros (nothing injected yet) */
    b->cring = calloc(nr * (size_t)(sh->cfg->dev.feedback_delay + 2), sizeof *b->cring);
  }
  if ((sh->quantum && (!b->y || !b->xo || !b->qy || !b->qx)) ||
      (sh->measured && (!b->qx || !b->xm || !b->cring)))
    return 0;
  return (sh->m->storage != PO_STORAGE_DENSE || b->df) && (!latched || b->wl) && b->x && b->c &&
         b->sgn && b->flip && b->nfl && b->xi && b->t_last && b->beta && b->target && b->rng &&
         (sh->alg == ALG_PLAIN || b->e) && (sh->cfg->sigma <= 0 || b->dw);
}

/* Energy-dependent AHC target of [CO] AHC.py (docs/cim.md, "AHC"), from
 * the exact fields f = J s + h of replica q's spins s = sign(x):
 *     a = a0 + eps (1/N) sum_i s_i c_i(s) w_i,   c(s) = K s - h x_h = -f + (1 - x_h) h,
 * w_i = 1 (energy: what AHC.py computes, its latch flag never updates) or
 * e_i latched at the last step in which a spin of the replica flipped
 * (energy_latched: what AHC.py's code is written to do).  With h = 0,
 * w = 1 the shift is -2 eps H(s) / N: the target rises as the Ising energy
 * H falls. */
static float ahc_energy_target(const shared *sh, const block *b, int q) {
  const long n = sh->n;
  const int Rb = b->Rb, r = b->r0 + q;
  const int8_t *s = sh->s + (size_t)r * n;
  const double *f = sh->f + (size_t)r * n;
  const float *h = sh->m->h;
  const double hx = 1.0 - sh->cfg->field_amp;
  double acc = 0.0;
  for (long i = 0; i < n; i++) {
    const double c = -f[i] + (h ? hx * h[i] : 0.0);
    acc += s[i] * c * (b->wl ? b->wl[i * Rb + q] : 1.0);
  }
  return (float)(sh->cfg->ahc_target + sh->opo.eps * acc / (double)n);
}

/* Hands replica traj_replica's amplitudes (column q of the block) to the
 * trajectory callback. */
static void record(block *b, int q, long k, double t) {
  const long n = b->sh->n;
  float *buf = b->c; /* c is recomputed at the start of every step */
  for (long i = 0; i < n; i++) buf[i] = b->x[i * b->Rb + q];
  b->sh->traj(b->sh->tctx, k, t, buf, (int)n);
}

/* Initial state of the block: random amplitudes from each replica's own
 * stream, their signs, e(0), exact fields and energies, best so far, and
 * the feedback's beta and target. */
static void block_init(block *b, int ahc_energy) {
  shared *sh = b->sh;
  const cim_config *cfg = sh->cfg;
  const long n = sh->n;
  const int Rb = b->Rb, r0 = b->r0;
  const size_t nr = (size_t)n * (size_t)Rb;
  for (int q = 0; q < Rb; q++) {
    po_rng_init(&b->rng[q], sh->seed, sh->run, (uint64_t)(r0 + q));
    for (long i = 0; i < n; i++)
      b->x[i * Rb + q] = (float)(cfg->init_amp * (po_rng_uniform(&b->rng[q]) - 0.5));
  }
  for (long i = 0; i < n; i++)
    for (int q = 0; q < Rb; q++) {
      int8_t s = b->x[i * Rb + q] < 0 ? -1 : 1;
      b->sgn[i * Rb + q] = s;
      sh->s[(size_t)(r0 + q) * n + i] = s;
    }
  /* e(0) = 1 (AHC, CAC, CFC); SFC: e is a low-pass copy of z and starts at 0
   * (MindQuantum SFC.py, see docs/cim.md) */
  if (b->e)
    for (size_t k = 0; k < nr; k++) b->e[k] = sh->alg == ALG_SFC ? 0.0f : 1.0f;
  if (b->wl)
    for (size_t k = 0; k < nr; k++) b->wl[k] = 1.0f; /* [CO] AHC.py etc_flag = 1 */
  /* initial fields: dense J as one SGEMM of the block's spins (a bulk
   * update from f = h), sparse J per replica */
  const int dense = sh->m->storage == PO_STORAGE_DENSE;
  if (dense) {
    for (size_t q = 0; q < nr; q++) b->c[q] = (float)b->sgn[q];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, Rb, (int)n, 1.0f, sh->m->dense,
                (int)n, b->c, Rb, 0.0f, b->df, Rb);
  }
  for (int q = 0; q < Rb; q++) {
    const int r = r0 + q;
    if (dense) {
      double *f = sh->f + (size_t)r * n;
      for (long i = 0; i < n; i++) f[i] = sh->m->h ? sh->m->h[i] : 0.0;
      apply_bulk(sh, b, q);
    } else {
      refresh_replica(sh, r);
    }
    sh->Ebest[r] = sh->E[r];
    memcpy(sh->best + (size_t)r * n, sh->s + (size_t)r * n, (size_t)n);
    b->beta[q] = sh->alg == ALG_AHC ? (float)cfg->beta : 0.0f;
    b->target[q] = sh->alg == ALG_AHC ? (float)cfg->ahc_target : (float)cfg->alpha;
    if (ahc_energy) b->target[q] = ahc_energy_target(sh, b, q);
  }
}

/* Pump p at step k of K: the --schedule if one is given, else the model's
 * own (CFC/SFC ramp, plain linear ramp, constant for CAC/AHC). */
static double pump_at(const shared *sh, long k) {
  const cim_config *cfg = sh->cfg;
  const long K = sh->K;
  if (sh->sch && sh->sch->kind != PO_SCHED_DEFAULT) return po_schedule_value(sh->sch, k, K);
  if (sh->alg == ALG_CFC || sh->alg == ALG_SFC) {
    const double kr = sh->fc_ramp * (double)K, u = kr > 1 ? fmin((double)k / (kr - 1), 1.0) : 1.0;
    return sh->fc_p0 + (sh->fc_p1 - sh->fc_p0) * u;
  }
  if (sh->alg == ALG_PLAIN)
    return cfg->pump_start +
           (cfg->pump_end - cfg->pump_start) * (K > 1 ? (double)k / (K - 1) : 1.0);
  return sh->pump_c;
}

/* Fills dst (the layout of x: n x Rb, element i Rb + q) with N(0, 1) scaled
 * by scale; replica q's n values come from its own stream, in order
 * (device mode: the batched Box-Muller generator, the block's streams
 * advanced in lockstep and written straight into the columns, the scale
 * fused; the dimensionless mode's cim.sigma noise keeps po_rng_normal_fill
 * so that its published results stay reproducible).  The state layout lets
 * the noise kernels run contiguously over replicas. */
static void draw_normals(block *b, float *dst, float scale) {
  po_rng_normal_fill_bm_lanes(b->rng, b->Rb, dst, b->sh->n, b->Rb, scale);
}

/* Measured feedback (physics/cim_device.h (D4), (D5)): once per round trip
 * (every steps_per_measurement steps) the block's x is estimated by
 * homodyne detection of the tapped fraction (shot noise meas_sigma),
 * digitised by the ADC, multiplied by K (the same SGEMM / SpMM as the
 * noiseless step) and quantised by the DAC; the result is injected during
 * the round trip feedback_delay round trips later (zero before).  The
 * back-action of the tap is the vacuum noise of the loss in (D3); its
 * correlation with the measurement noise is not modelled (docs/cim.md). */
static const float *measured_feedback(block *b, long k) {
  const shared *sh = b->sh;
  const cim_config *cfg = sh->cfg;
  const long spm = cfg->model.steps_per_measurement, D = cfg->dev.feedback_delay;
  if (k % spm) return b->cur;
  const long m = k / spm;
  const size_t nr = (size_t)sh->n * (size_t)b->Rb;
  const int Rb = b->Rb;
  draw_normals(b, b->qx, (float)cfg->model.meas_sigma);
  const float astep = (float)cfg->model.adc_step, afs = (float)cfg->dev.adc_full_scale;
  for (long i = 0; i < sh->n; i++)
    for (int q = 0; q < Rb; q++)
      b->xm[i * Rb + q] = po_cim_quantize(b->x[i * Rb + q] + b->qx[i * Rb + q], astep, afs);
  float *slot = b->cring + (size_t)(m % (D + 1)) * nr;
  couple(b, b->xm, slot);
  for (size_t e = 0; e < nr; e++) slot[e] = po_cim_quantize(slot[e], sh->dac_step, sh->dac_fs);
  b->cur = m >= D ? b->cring + (size_t)((m - D) % (D + 1)) * nr : b->cring + (size_t)(D + 1) * nr;
  return b->cur;
}

/* The quadrature and the vacuum noise of both quadratures after a fused
 * step (physics/opo.h po_opo_step_quadrature). */
static long quantum_pass(block *b, double p) {
  const shared *sh = b->sh;
  const double dt = sh->cfg->dt;
  draw_normals(b, b->qx, (float)sqrt(dt));
  draw_normals(b, b->qy, (float)sqrt(dt));
  return po_opo_step_quadrature(sh->n, b->Rb, dt, p, sh->opo.mu, sh->cfg->dev.n_sat, sh->opo.x_max,
                                b->xo, b->x, b->y, b->qx, b->qy, b->sgn, b->flip);
}

/* One time step of the amplitudes (and error variables) of the block at
 * pump p; updates signs and flip marks.  Returns the count of non-finite
 * amplitudes. */
static long block_advance(block *b, po_sde *sde, double p, double t, long k) {
  const shared *sh = b->sh;
  const long n = sh->n, K = sh->K;
  const int Rb = b->Rb;
  const size_t nr = (size_t)n * (size_t)Rb;
  const double dt = sh->cfg->dt;
  long bad = 0;
  if (sde) {
    b->pump = p;
    po_sde_step(sde, b->x, t, dt);
    for (size_t q = 0; q < nr; q++) {
      float v = b->x[q];
      bad += (v - v) != 0.0f;
      int8_t s = v < 0.0f ? -1 : 1;
      b->flip[q] = (uint8_t)(s != b->sgn[q]);
      b->sgn[q] = s;
    }
    return bad;
  }
  const float *c = b->c;
  if (sh->measured)
    c = measured_feedback(b, k);
  else
    couple(b, b->x, b->c);
  if (sh->quantum) memcpy(b->xo, b->x, nr * sizeof *b->x);
  if (b->dw) {
    const float sq = (float)sqrt(dt);
    for (int q = 0; q < Rb; q++) {
      float *d = b->dw + (size_t)q * n;
      po_rng_normal_fill(&b->rng[q], d, n);
      for (long i = 0; i < n; i++) d[i] *= sq;
    }
  }
  const double u = K > 1 ? (double)k / (double)(K - 1) : 1.0;
  if (sh->alg == ALG_CFC)
    bad = po_opo_step_cfc(n, Rb, dt, p, &sh->opo, sh->cfc_alpha, sh->cfc_beta, sh->cfc_emin, b->x,
                          b->e, c, b->dw, b->sgn, b->flip);
  else if (sh->alg == ALG_SFC)
    bad = po_opo_step_sfc(n, Rb, dt, p, &sh->opo, sh->sfc_g0 + (sh->sfc_g1 - sh->sfc_g0) * u,
                          sh->sfc_k, sh->sfc_b0 + (sh->sfc_b1 - sh->sfc_b0) * u, b->x, b->e, c,
                          b->dw, b->sgn, b->flip);
  else
    bad = po_opo_step_em(n, Rb, dt, p, &sh->opo, b->x, b->e, c, b->beta, b->target, b->dw, b->sgn,
                         b->flip);
  return sh->quantum ? bad + quantum_pass(b, p) : bad;
}

/* Many flips at once (the bifurcation transient): update all fields with
 * one SGEMM, df = J ds, ds = 2 s_new on flipped spins, instead of one row
 * of J per flip.  Exact for integer J; else float-rounded, and the
 * periodic refresh bounds the drift.  Returns whether it did. */
static int block_bulk_fields(block *b) {
  const shared *sh = b->sh;
  const long n = sh->n;
  const int Rb = b->Rb;
  long total = 0;
  for (int q = 0; q < Rb; q++) total += b->nfl[q];
  if (sh->m->storage != PO_STORAGE_DENSE || total * 8 <= (long)Rb * n) return 0;
  const size_t nr = (size_t)n * (size_t)Rb;
  for (size_t q = 0; q < nr; q++) b->c[q] = b->flip[q] ? 2.0f * b->sgn[q] : 0.0f;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, Rb, (int)n, 1.0f, sh->m->dense,
              (int)n, b->c, Rb, 0.0f, b->df, Rb);
  return 1;
}

/* Replica q after a step: fields and energy, best state, and the feedback
 * that depends on the energy (CAC error rate and target, AHC target). */
static void block_update_replica(block *b, int q, int bulk, int refresh, double tn,
                                 int ahc_energy) {
  shared *sh = b->sh;
  const cim_config *cfg = sh->cfg;
  const long n = sh->n;
  const int r = b->r0 + q, Rb = b->Rb;
  if (bulk)
    apply_bulk(sh, b, q);
  else if (b->nfl[q])
    apply_flips(sh, r, b->nfl[q]);
  if (refresh) refresh_replica(sh, r);
  if (sh->E[r] < sh->Ebest[r] - 1e-9 * (fabs(sh->Ebest[r]) + 1.0)) {
    sh->Ebest[r] = sh->E[r];
    memcpy(sh->best + (size_t)r * n, sh->s + (size_t)r * n, (size_t)n);
    b->t_last[q] = tn;
  }
  if (sh->alg == ALG_CAC) {
    b->xi[q] += sh->gamma * cfg->dt;
    if (tn - b->t_last[q] > sh->tau) {
      b->xi[q] = 0.0;
      b->t_last[q] = tn;
    }
    b->beta[q] = (float)b->xi[q];
    b->target[q] = (float)po_cac_target(cfg->alpha, cfg->rho, sh->delta, sh->E[r], sh->Ebest[r]);
  } else if (ahc_energy) {
    if (b->wl && b->nfl[q]) /* a spin flipped: latch the current e */
      for (long i = 0; i < n; i++) b->wl[i * Rb + q] = b->e[i * Rb + q];
    b->target[q] = ahc_energy_target(sh, b, q);
  }
}

static void report_progress(shared *sh, long k) {
  int done;
#pragma omp atomic read
  done = sh->blocks_done;
  sh->progress(sh->pctx, (done + (double)(k + 1) / (double)sh->K) / sh->n_blocks);
}

/* The whole time loop of one block of replicas. */
static void run_block(block *b) {
  shared *sh = b->sh;
  const cim_config *cfg = sh->cfg;
  const long n = sh->n, K = sh->K;
  const int Rb = b->Rb, r0 = b->r0;
  if (!block_alloc(b)) {
    b->rc = PO_ERR_NOMEM;
    return;
  }
  const int ahc_energy = sh->alg == ALG_AHC && cfg->ahc_target_mode != CIM_AHC_TARGET_CONSTANT;
  block_init(b, ahc_energy);

  po_sde sde;
  int have_sde = 0;
  const uint64_t sde_run = sh->run ^ 0x5344455f6e6f6973ULL; /* its own noise streams */
  if (sh->alg == ALG_PLAIN && sh->method == PO_SDE_HEUN) {
    if (po_sde_create(&sde, n, Rb, PO_SDE_HEUN, plain_drift, NULL, (float)cfg->sigma, b, sh->seed,
                      sde_run)) {
      b->rc = PO_ERR_NOMEM;
      block_free(b);
      return;
    }
    po_sde_set_streams(&sde, sh->seed, sde_run, (uint64_t)r0);
    have_sde = 1;
  }

  const double dt = cfg->dt;
  const int tq =
      sh->traj && sh->traj_replica >= r0 && sh->traj_replica < r0 + Rb ? sh->traj_replica - r0 : -1;
  if (tq >= 0) record(b, tq, 0, 0.0);
  const long progress_every = K / 100 > 0 ? K / 100 : 1;
  for (long k = 0; k < K; k++) {
    const double t = (double)k * dt, tn = t + dt;
    long bad = block_advance(b, have_sde ? &sde : NULL, pump_at(sh, k), t, k);
    if (bad) {
      b->rc = PO_ERR_NUMERIC;
      b->bad = bad;
      b->bad_step = k;
      break;
    }
    collect_flips(b);
    const int refresh = !sh->exact_fields && (k + 1) % cfg->refresh == 0;
    const int bulk = block_bulk_fields(b);
    /* replicas are independent: threaded when the kernels are (single
     * block), else serial without a region (core/threads.h: even a team of
     * one costs a futex call per step) */
    if (sh->kernel_threads > 1) {
#pragma omp parallel for schedule(dynamic, 4)
      for (int q = 0; q < Rb; q++) block_update_replica(b, q, bulk, refresh, tn, ahc_energy);
    } else {
      for (int q = 0; q < Rb; q++) block_update_replica(b, q, bulk, refresh, tn, ahc_energy);
    }
    if (tq >= 0 && (k + 1) % sh->traj_every == 0) record(b, tq, k + 1, tn);
    if (sh->progress && omp_get_thread_num() == 0 && (k + 1) % progress_every == 0)
      report_progress(sh, k);
    if (po_stop_requested()) break; /* the run fails with PO_ERR_INTERRUPTED */
  }
#pragma omp atomic update
  sh->blocks_done++;
  if (have_sde) po_sde_free(&sde);
  block_free(b);
}

/* Device mode (cim.device set): which parts of the physical model run, and
 * the DAC range, the largest feedback the ADC range allows:
 * adc_full_scale x max_i (sum_j |J_ij| + |h_i| x_h). */
static int device_setup(shared *sh, const po_ising *m) {
  const cim_config *cfg = sh->cfg;
  if (!cfg->device_on) return PO_OK;
  sh->quantum = cfg->dev.quantum_noise;
  sh->measured = cfg->dev.measured_feedback;
  if ((sh->quantum || sh->measured) && sh->alg == ALG_PLAIN && sh->method == PO_SDE_HEUN)
    return po_error(PO_ERR_ARG,
                    "backend cim: cim.method = heun is not available with a device "
                    "(cim.device = %s): its noise and measured feedback use the fused "
                    "Euler-Maruyama step; use cim.method = em",
                    cfg->dev.name);
  double row_max = 0.0;
  for (long i = 0; i < m->n; i++) {
    double acc = m->h ? fabs(m->h[i]) * cfg->field_amp : 0.0;
    if (m->storage == PO_STORAGE_DENSE)
      for (long j = 0; j < m->n; j++) acc += fabs(m->dense[(size_t)i * m->n + j]);
    else
      for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++) acc += fabs(m->val[k]);
    row_max = fmax(row_max, acc);
  }
  sh->dac_fs = (float)(cfg->dev.adc_full_scale * row_max);
  sh->dac_step = cfg->dev.dac_bits > 0 && row_max > 0
                     ? (float)(2.0 * sh->dac_fs / ldexp(1.0, (int)cfg->dev.dac_bits))
                     : 0.0f;
  return PO_OK;
}

static int cim_anneal(po_backend *be, const po_ising *m, const po_schedule *sch,
                      const po_anneal_opts *o, cim_alg alg, po_samples *out);

/* The table's entry points: one per feedback scheme, all one integrator. */
#define CIM_FEEDBACK_ALGORITHM(fn, alg)                                                            \
  int fn(po_backend *be, const po_ising *m, const po_schedule *sch, const po_anneal_opts *o,       \
         po_samples *out) {                                                                        \
    return cim_anneal(be, m, sch, o, alg, out);                                                    \
  }
CIM_FEEDBACK_ALGORITHM(cim_cac_anneal, ALG_CAC)
CIM_FEEDBACK_ALGORITHM(cim_ahc_anneal, ALG_AHC)
CIM_FEEDBACK_ALGORITHM(cim_plain_anneal, ALG_PLAIN)
CIM_FEEDBACK_ALGORITHM(cim_cfc_anneal, ALG_CFC)
CIM_FEEDBACK_ALGORITHM(cim_sfc_anneal, ALG_SFC)

/* The run's shared state from the options (trajectory and progress hooks,
 * streams) before any parameter is read. */
static int shared_from_opts(shared *sh, const po_ising *m, const po_schedule *sch,
                            const po_anneal_opts *o, cim_alg alg, const cim_config *cfg) {
  sh->m = m;
  sh->n = m->n;
  sh->K = o->steps;
  sh->R = o->replicas;
  sh->cfg = cfg;
  sh->alg = alg;
  sh->sch = sch;
  sh->seed = o->seed;
  sh->run = o->run_id;
  sh->exact_fields = m->integer_weights;
  sh->progress = o->progress;
  sh->pctx = o->progress_ctx;
  sh->traj = o->trajectory;
  sh->tctx = o->trajectory_ctx;
  sh->traj_every = o->trajectory_every > 0 ? o->trajectory_every : 1;
  sh->traj_replica = o->trajectory_replica;
  if (sh->traj && (sh->traj_replica < 0 || sh->traj_replica >= sh->R))
    return po_error(PO_ERR_ARG, "trajectory replica %d is outside [0, %d]", sh->traj_replica,
                    sh->R - 1);
  return PO_OK;
}

/* CFC's and SFC's own ramps and gains ([R21]). */
static int read_feedback_control(po_backend *be, cim_alg alg, shared *sh) {
  const char *pre = alg == ALG_CFC ? "cfc" : "sfc";
  char key[64];
  int rc;
  struct {
    const char *name;
    double *dst;
  } fc[] = {{"pump_start", &sh->fc_p0}, {"pump_end", &sh->fc_p1}, {"ramp", &sh->fc_ramp}};
  for (size_t q = 0; q < sizeof fc / sizeof fc[0]; q++) {
    snprintf(key, sizeof key, "%s_%s", pre, fc[q].name);
    if ((rc = po_backend_param_double(be, key, fc[q].dst))) return rc;
  }
  if (alg == ALG_CFC) {
    double xm;
    if ((rc = po_backend_param_double(be, "cfc_alpha", &sh->cfc_alpha)) ||
        (rc = po_backend_param_double(be, "cfc_beta", &sh->cfc_beta)) ||
        (rc = po_backend_param_double(be, "cfc_e_min", &sh->cfc_emin)) ||
        (rc = po_backend_param_double(be, "cfc_x_max", &xm)))
      return rc;
    if (xm > 0) sh->opo.x_max = xm;
    return PO_OK;
  }
  if ((rc = po_backend_param_double(be, "sfc_k", &sh->sfc_k)) ||
      (rc = po_backend_param_double(be, "sfc_beta_start", &sh->sfc_b0)) ||
      (rc = po_backend_param_double(be, "sfc_beta_end", &sh->sfc_b1)) ||
      (rc = po_backend_param_double(be, "sfc_gain_start", &sh->sfc_g0)) ||
      (rc = po_backend_param_double(be, "sfc_gain_end", &sh->sfc_g1)))
    return rc;
  return PO_OK;
}

/* The algorithm's pump and coupling scale, the OPO parameters, and the
 * error-correction rates (gamma, tau grow with N as configured). */
static int read_algorithm_params(po_backend *be, cim_alg alg, const cim_config *cfg, shared *sh) {
  double eps_scale;
  int rc;
  if ((rc = po_backend_param_double(be,
                                    alg == ALG_CAC   ? "cac_pump"
                                    : alg == ALG_AHC ? "ahc_pump"
                                    : alg == ALG_CFC ? "cfc_pump_end"
                                    : alg == ALG_SFC ? "sfc_pump_end"
                                                     : "pump_end",
                                    &sh->pump_c)))
    return rc;
  if ((rc = po_backend_param_double(be,
                                    alg == ALG_CAC   ? "cac_eps_scale"
                                    : alg == ALG_AHC ? "ahc_eps_scale"
                                    : alg == ALG_CFC ? "cfc_eps_scale"
                                    : alg == ALG_SFC ? "sfc_eps_scale"
                                                     : "plain_eps_scale",
                                    &eps_scale)))
    return rc;
  if ((rc = po_sde_method_parse(cfg->method, &sh->method))) return rc;
  const double norm = coupling_norm(sh->m, cfg->eps_abs_norm);
  sh->opo.mu = cfg->mu;
  sh->opo.eps = cfg->eps > 0 ? cfg->eps : (norm > 0 ? eps_scale / norm : 0.0);
  sh->opo.sigma = cfg->sigma;
  sh->opo.e_max = cfg->e_max;
  const char *eclamp;
  if ((rc = po_backend_param_string(be, "e_clamp", &eclamp))) return rc;
  sh->opo.e_clamp_both = !strcmp(eclamp, "both");
  sh->opo.x_max = cfg->x_max >= 0
                      ? cfg->x_max
                      : (cfg->mu > 0 && cfg->dt > 0 ? 1.0 / sqrt(cfg->mu * cfg->dt) : 0.0);
  if ((alg == ALG_CFC || alg == ALG_SFC) && (rc = read_feedback_control(be, alg, sh))) return rc;
  sh->gamma = cfg->gamma + cfg->gamma_n / (double)sh->n;
  sh->tau = cfg->tau + cfg->tau_n * (double)sh->n;
  const char *dnorm;
  if ((rc = po_backend_param_string(be, "delta_norm", &dnorm))) return rc;
  sh->delta = cfg->delta;
  if (!strcmp(dnorm, "weight")) {
    po_ising_stats st;
    po_ising_stats_get(sh->m, &st);
    if (st.weight_rms > 0) sh->delta = cfg->delta / st.weight_rms;
  }
  return PO_OK;
}

/* Runs every block: blocks in parallel (BLAS and kernels single-threaded)
 * when there are threads for several, else in turn with the threads given
 * to the kernels when a step has enough work (>= 1e7 multiply-adds) to
 * amortise a few barriers.  Returns the wall time. */
static double run_blocks(shared *sh, block *blocks, int nb, int T, int block_size, int threads) {
  const po_ising *m = sh->m;
  const long n = sh->n;
  const double w0 = omp_get_wtime();
  if (T > 1) {
    po_blas_threads_enter(1);
#pragma omp parallel for schedule(dynamic, 1) num_threads(T)
    for (int t = 0; t < nb; t++) run_block(&blocks[t]);
    po_blas_threads_leave();
    return omp_get_wtime() - w0;
  }
  const double work =
      (m->storage == PO_STORAGE_DENSE ? (double)n * (double)n : (double)m->row_ptr[n]) *
      (sh->R < block_size ? sh->R : block_size);
  const int kt = work >= 1e7 ? po_threads_resolve(threads) : 1;
  /* dense: the SGEMM dominates, so the threads go to OpenBLAS only; OpenMP
   * regions between its calls would make both thread pools spin against
   * each other (measured: 5x slower on a loaded 2-core box) */
  sh->kernel_threads = m->storage == PO_STORAGE_DENSE ? 1 : kt;
  const int omp_caller = po_omp_threads_push(sh->kernel_threads);
  po_blas_threads_enter(m->storage == PO_STORAGE_DENSE ? kt : 1);
  for (int t = 0; t < nb; t++) run_block(&blocks[t]);
  po_blas_threads_leave();
  po_omp_threads_pop(omp_caller);
  return omp_get_wtime() - w0;
}

/* The first failed block's error, phrased on the calling thread. */
static int block_errors(const block *blocks, int nb, const cim_config *cfg) {
  for (int t = 0; t < nb; t++) {
    const block *b = &blocks[t];
    if (b->rc == PO_ERR_NOMEM)
      return po_error(PO_ERR_NOMEM, "backend cim: cannot allocate a block of %d replicas", b->Rb);
    if (b->rc == PO_ERR_NUMERIC)
      return po_error(PO_ERR_NUMERIC,
                      "backend cim: %ld amplitudes became non-finite at step %ld (t = %g); "
                      "reduce cim.dt (now %g) or the coupling cim.eps",
                      b->bad, b->bad_step, b->bad_step * cfg->dt, cfg->dt);
  }
  return PO_OK;
}

/* Results: the best state visited by each replica, energies recomputed
 * exactly. */
static int collect_best(const shared *sh, po_samples *out) {
  const long n = sh->n;
  int rc = po_samples_alloc(out, sh->R, (int)n);
  if (rc) return rc;
#pragma omp parallel for schedule(dynamic, 1)
  for (int r = 0; r < sh->R; r++) {
    memcpy(out->spins + (size_t)r * n, sh->best + (size_t)r * n, (size_t)n);
    out->energy[r] = po_ising_energy(sh->m, out->spins + (size_t)r * n);
  }
  return PO_OK;
}

static int cim_anneal(po_backend *be, const po_ising *m, const po_schedule *sch,
                      const po_anneal_opts *o, cim_alg alg, po_samples *out) {
  if (!m || m->n < 1) return po_error(PO_ERR_ARG, "backend cim: empty Ising model");

  cim_config cfg;
  int rc = cim_config_read(be, &cfg);
  if (rc) return rc;
  const long n = m->n;
  const int R = o->replicas;

  /* Device time: one step = round_trips_per_step ring round trips. */
  double t_rt;
  if ((rc = cim_ring_round_trip(&cfg, n, &t_rt))) return rc;

  shared sh = {0};
  if ((rc = shared_from_opts(&sh, m, sch, o, alg, &cfg)) ||
      (rc = read_algorithm_params(be, alg, &cfg, &sh)) || (rc = device_setup(&sh, m)))
    return rc;

  size_t nr = (size_t)n * (size_t)R;
  sh.s = malloc(nr);
  sh.best = malloc(nr);
  sh.f = malloc(nr * sizeof *sh.f);
  sh.fl = malloc(nr * sizeof *sh.fl);
  sh.E = malloc((size_t)R * sizeof *sh.E);
  sh.Ebest = malloc((size_t)R * sizeof *sh.Ebest);
  /* Fixed-size blocks of replicas (independent of the thread count, so that
   * every replica's arithmetic, including the SGEMM shape, is the same for
   * any number of threads); threads take whole blocks. */
  const int CIM_BLOCK = m->storage == PO_STORAGE_DENSE ? CIM_BLOCK_DENSE : CIM_BLOCK_SPARSE;
  const int nb = (R + CIM_BLOCK - 1) / CIM_BLOCK;
  int T = po_threads_resolve(o->threads);
  if (T > nb) T = nb;
  if (T < 1) T = 1;
  block *blocks = calloc((size_t)nb, sizeof *blocks);
  if (!sh.s || !sh.best || !sh.f || !sh.fl || !sh.E || !sh.Ebest || !blocks) {
    rc = po_error(PO_ERR_NOMEM, "backend cim: cannot allocate state for N = %ld x %d replicas", n,
                  R);
    goto done;
  }
  for (int t = 0; t < nb; t++) {
    blocks[t].sh = &sh;
    blocks[t].r0 = t * CIM_BLOCK;
    blocks[t].Rb = R - t * CIM_BLOCK < CIM_BLOCK ? R - t * CIM_BLOCK : CIM_BLOCK;
  }
  sh.n_blocks = nb;

  const double wall = run_blocks(&sh, blocks, nb, T, CIM_BLOCK, o->threads);
  if ((rc = block_errors(blocks, nb, &cfg)) || (rc = collect_best(&sh, out))) goto done;
  cim_book_ledger(be, &cfg, m, R, o->steps, t_rt, wall);
  cim_describe_model(&be->ledger, &cfg, sh.quantum, sh.measured);

done:
  free(sh.s), free(sh.best), free(sh.f), free(sh.fl), free(sh.E), free(sh.Ebest);
  free(blocks);
  return rc;
}
