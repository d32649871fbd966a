/* Simulated bifurcation on the CPU backend; see cpu_sb.h for the equations
 * and sources, docs/cpu-backend.md for defaults and measurements.
 *
 * State: per block of replicas, x and y are n x R row-major float matrices
 * (column q = replica r0 + q), so the coupling of a block is one dense or
 * sparse product per step. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/cpu_sb.h"
#include "physopt/error.h"
#include "physopt/rng.h"
#include "solvers/spmm.h"

typedef enum { SB_ADIABATIC, SB_BALLISTIC, SB_DISCRETE } sb_kind;

/* One row per algorithm name.  dt_ref is the time step of the source the
 * variant comes from, before the stability cap (docs/cpu-backend.md):
 * [G21] uses dt = 1.25 for bSB and dSB; for aSB we take [MQ]'s default
 * dt = 1 with M = 2 substeps (we could not check [G19]'s values). */
typedef struct sb_variant {
  const char *name;
  sb_kind kind;
  int heated;
  double dt_ref;
} sb_variant;

static const sb_variant sb_variants[] = {
    {"asb", SB_ADIABATIC, 0, 1.0},   {"bsb", SB_BALLISTIC, 0, 1.25}, {"dsb", SB_DISCRETE, 0, 1.25},
    {"hbsb", SB_BALLISTIC, 1, 1.25}, {"hdsb", SB_DISCRETE, 1, 1.25},
};

#define SB_A0        1.0  /* a0: time unit 1/a0 ([G21]: a0 = 1) */
#define SB_KERR      1.0  /* aSB Kerr coefficient K ([G19], [MQ]: K = 1) */
#define SB_C0_SCALE  0.5  /* c0 = 0.5 / (sqrt(N) <J>)  ([G21], Methods; [MQ] xi) */
#define SB_INIT_AMP  0.01 /* x(0), y(0) uniform in [-0.01, 0.01] ([MQ] SB.initialize) */
#define SB_DT_MARGIN 0.9  /* automatic dt: at most 0.9 x the stability limit */
#define SB_POWER_IT  100  /* power iterations for lambda_max(J) */

static const sb_variant *sb_find(const char *name) {
  for (size_t i = 0; i < sizeof sb_variants / sizeof sb_variants[0]; i++)
    if (name && !strcmp(name, sb_variants[i].name)) return &sb_variants[i];
  return NULL;
}

int po_cpu_sb_is_algorithm(const char *name) {
  return sb_find(name) != NULL;
}

/* ---- setup: c0 and the stable time step ---- */

/* <J> = sqrt(sum_{i != j} J_ij^2 / (N (N - 1))) ([G21], Methods). */
static double coupling_rms(const po_ising *m) {
  const long n = m->n;
  double acc = 0.0;
  if (m->storage == PO_STORAGE_DENSE) {
    const size_t nn = (size_t)n * (size_t)n;
    for (size_t k = 0; k < nn; k++) acc += (double)m->dense[k] * m->dense[k];
  } else {
    for (int64_t k = 0; k < m->row_ptr[n]; k++) acc += (double)m->val[k] * m->val[k];
  }
  return n > 1 ? sqrt(acc / ((double)n * (double)(n - 1))) : 0.0;
}

/* w = J v in double. */
static void coupling_apply(const po_ising *m, const double *v, double *w) {
  const long n = m->n;
  for (long i = 0; i < n; i++) {
    double acc = 0.0;
    if (m->storage == PO_STORAGE_DENSE) {
      const float *row = m->dense + (size_t)i * n;
      for (long j = 0; j < n; j++) acc += (double)row[j] * v[j];
    } else {
      for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++)
        acc += (double)m->val[k] * v[m->col[k]];
    }
    w[i] = acc;
  }
}

/* Largest (algebraic) eigenvalue of J: power iteration on J + g I, g the
 * Gershgorin bound max_i sum_j |J_ij| (which makes J + g I positive
 * semidefinite, so its dominant eigenvalue is lambda_max + g), from a fixed
 * start vector (the result depends on J only).  The Rayleigh quotient is a
 * lower bound that converges from below; SB_DT_MARGIN covers the rest. */
static int lambda_max(const po_ising *m, double *out) {
  const long n = m->n;
  double g = 0.0;
  po_ising_coupling_scales(m, &g, NULL); /* includes |h|: only a larger shift */
  double *v = malloc((size_t)n * sizeof *v), *w = malloc((size_t)n * sizeof *w);
  if (!v || !w) {
    free(v), free(w);
    return po_error(PO_ERR_NOMEM, "cpu sb: out of memory for %ld spins", n);
  }
  po_rng r;
  po_rng_init(&r, UINT64_C(0x5342), 0, 0); /* fixed: independent of the run's seed */
  double norm = 0.0;
  for (long i = 0; i < n; i++) {
    v[i] = 1.0 + po_rng_uniform(&r); /* positive: overlaps the Perron vector of J >= 0 */
    norm += v[i] * v[i];
  }
  double rq = 0.0;
  for (int it = 0; it < SB_POWER_IT && norm > 0.0; it++) {
    const double s = 1.0 / sqrt(norm);
    for (long i = 0; i < n; i++) v[i] *= s;
    coupling_apply(m, v, w);
    rq = 0.0, norm = 0.0;
    for (long i = 0; i < n; i++) {
      w[i] += g * v[i];
      rq += v[i] * w[i];
      norm += w[i] * w[i];
    }
    memcpy(v, w, (size_t)n * sizeof *v);
  }
  free(v), free(w);
  *out = rq - g;
  return PO_OK;
}

/* Stability limit of the symplectic Euler step (docs/cpu-backend.md): at
 * a(t) = 0 the linearised motion of eigenmode mu of J is
 *   x'' = -a0 (a0 + c0 mu) x,
 * a harmonic oscillator of frequency w^2 = a0 (a0 + c0 mu); symplectic Euler
 * keeps it bounded iff w dt < 2 (its one-step map has trace 2 - w^2 dt^2).
 * The fastest mode is mu = lambda_max(J); for MaxCut (J = w >= 0) that is
 * the uniform (Perron) mode, whose instability drives all spins to one sign
 * (MindQuantum's dt = 1 on G1: cut 29). */
int po_cpu_sb_plan(const po_ising *m, const char *algorithm, double dt_user, double c0_user,
                   po_cpu_sb_setup *out) {
  const sb_variant *v = sb_find(algorithm);
  if (!v) return po_error(PO_ERR_ARG, "cpu: unknown SB algorithm '%s'", algorithm ? algorithm : "");
  if (!m || m->n < 1) return po_error(PO_ERR_ARG, "cpu sb: empty Ising model");
  memset(out, 0, sizeof *out);
  const double rms = coupling_rms(m);
  out->c0 = c0_user > 0.0 ? c0_user : rms > 0.0 ? SB_C0_SCALE / (sqrt((double)m->n) * rms) : 1.0;
  int rc = lambda_max(m, &out->lambda_max);
  if (rc) return rc;
  const double w2 = SB_A0 * (SB_A0 + out->c0 * fmax(out->lambda_max, 0.0));
  out->dt_limit = 2.0 / sqrt(w2);
  out->dt = dt_user > 0.0 ? dt_user : fmin(v->dt_ref, SB_DT_MARGIN * out->dt_limit);
  return PO_OK;
}

/* ---- the time loop ---- */

/* Replicas per block: each thread runs the whole time loop of a block
 * without synchronising with the others (replicas are independent), so a
 * step has no barrier; a block's product is one single-threaded SGEMM or
 * SpMM of fixed shape.  A property of the problem, never of the thread
 * count, so results are identical for any number of threads.  (A first
 * version ran all replicas as one matrix with threaded kernels and three
 * parallel regions per step: on the shared 2-core machine at load 10 it ran
 * 27x slower on 2 threads than on 1, sparse G22.) */
#define SB_BLOCK 32

typedef struct sb_shared {
  const po_ising *m;
  const sb_variant *v;
  long n, K;
  int substeps;
  double dt, c0, gamma;
  const po_schedule *sch;
  uint64_t seed, run_id;
  po_progress_fn progress;
  void *progress_ctx;
  int n_blocks, blocks_done; /* blocks_done updated atomically */
  int8_t *spins;             /* R x n result */
  int track_best;            /* cpu.sb_sample = best */
} sb_shared;

typedef struct sb_block {
  const sb_shared *sh;
  int r0, R;              /* first replica, replicas in the block */
  float *x, *y, *c, *sgn; /* n x R; sgn: dsb only */
  /* sb_sample = best: signs s and J s (n x R; dsb uses sgn and c), each
   * replica's lowest energy so far and its signs (R x n) */
  float *ts, *tj;
  double *e, *ebest;
  int8_t *best;
  int rc; /* PO_OK, PO_ERR_NOMEM or PO_ERR_NUMERIC */
  long bad, bad_step;
} sb_block;

/* c = J u for the block's n x R matrix u (single-threaded kernels). */
static void sb_couple(const sb_block *b, const float *u, float *c) {
  const po_ising *m = b->sh->m;
  const int n = (int)b->sh->n;
  if (m->storage == PO_STORAGE_DENSE)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, b->R, n, 1.0f, m->dense, n, u, b->R,
                0.0f, c, b->R);
  else
    po_spmm_csr(n, b->R, 1.0f, m->row_ptr, m->col, m->val, u, c); /* serial when nested */
}

/* Signs of x (n x R, +-1) into s. */
static void sb_sign_matrix(const sb_block *b, float *s) {
  const long nr = b->sh->n * (long)b->R;
  for (long q = 0; q < nr; q++) s[q] = b->x[q] < 0.0f ? -1.0f : 1.0f;
}

/* sb_sample = best: E = s.(J s)/2 + h.s (po_ising_energy's form; the
 * offset is the same for every state) of each replica's signs s, given
 * js = J s, accumulated in double over the float products; a lower E than
 * before keeps the signs.  The returned energies are recomputed exactly. */
static void sb_track(sb_block *b, const float *sv, const float *js) {
  const long n = b->sh->n;
  const int R = b->R;
  const float *h = b->sh->m->h;
  for (int q = 0; q < R; q++) b->e[q] = 0.0;
  for (long i = 0; i < n; i++) {
    const double hi = h ? (double)h[i] : 0.0;
    for (int q = 0; q < R; q++)
      b->e[q] += (double)sv[i * R + q] * (0.5 * (double)js[i * R + q] + hi);
  }
  for (int q = 0; q < R; q++) {
    if (!(b->e[q] < b->ebest[q])) continue;
    b->ebest[q] = b->e[q];
    for (long i = 0; i < n; i++) b->best[(size_t)q * n + i] = sv[i * R + q] < 0.0f ? -1 : 1;
  }
}

/* sb_track of the current signs, with one coupling product. */
static void sb_track_now(sb_block *b) {
  sb_sign_matrix(b, b->ts);
  sb_couple(b, b->ts, b->tj);
  sb_track(b, b->ts, b->tj);
}

static double sb_pump(const sb_shared *sh, long k) {
  if (sh->sch && sh->sch->kind != PO_SCHED_DEFAULT)
    return SB_A0 * po_schedule_value(sh->sch, k, sh->K);
  return SB_A0 * (sh->K > 1 ? (double)k / (double)(sh->K - 1) : 1.0); /* [G21]: 0 -> a0 */
}

/* bSB / dSB (heated with gamma > 0): momentum, position, walls ([G21]). */
static void sb_step_ballistic(sb_block *b, double a) {
  const sb_shared *sh = b->sh;
  const long n = sh->n;
  const int R = b->R;
  const float dt = (float)sh->dt, c0 = (float)sh->c0, lin = (float)(SB_A0 - a),
              a0dt = (float)(SB_A0 * sh->dt), heat = (float)(sh->gamma * sh->dt);
  const float *h = sh->m->h;
  for (long i = 0; i < n; i++) {
    float *restrict x = b->x + i * R, *restrict y = b->y + i * R;
    const float *restrict c = b->c + i * R;
    const float hi = h ? h[i] : 0.0f;
    for (int q = 0; q < R; q++) {
      const float force = -lin * x[q] - c0 * (c[q] + hi);
      float yq = y[q] + force * dt + heat * y[q];
      float xq = x[q] + a0dt * yq;
      if (fabsf(xq) > 1.0f) { /* perfectly inelastic wall */
        xq = xq > 0.0f ? 1.0f : -1.0f;
        yq = 0.0f;
      }
      x[q] = xq;
      y[q] = yq;
    }
  }
}

/* aSB: M substeps of the on-site Kerr motion ([MQ]). */
static void sb_step_adiabatic_local(sb_block *b, double a) {
  const sb_shared *sh = b->sh;
  const long nr = sh->n * (long)b->R;
  const int M = sh->substeps;
  const float dm = (float)(sh->dt / M), a0 = (float)SB_A0, lin = (float)(SB_A0 - a),
              kerr = (float)SB_KERR;
  for (long q = 0; q < nr; q++) {
    float xq = b->x[q], yq = b->y[q];
    for (int k = 0; k < M; k++) {
      xq += dm * a0 * yq;
      yq -= (kerr * xq * xq * xq + lin * xq) * dm;
    }
    b->x[q] = xq;
    b->y[q] = yq;
  }
}

/* aSB: the coupling kick after the substeps ([MQ]). */
static void sb_step_adiabatic_kick(sb_block *b) {
  const sb_shared *sh = b->sh;
  const long n = sh->n;
  const int R = b->R;
  const float c0dt = (float)(sh->c0 * sh->dt);
  const float *h = sh->m->h;
  for (long i = 0; i < n; i++) {
    const float hi = h ? h[i] : 0.0f;
    for (int q = 0; q < R; q++) b->y[i * R + q] -= c0dt * (b->c[i * R + q] + hi);
  }
}

static long sb_nonfinite(const sb_block *b) {
  const long nr = b->sh->n * (long)b->R;
  long bad = 0;
  for (long q = 0; q < nr; q++) bad += !isfinite(b->x[q]) || !isfinite(b->y[q]);
  return bad;
}

/* x(0), y(0) of replica r0 + q from its own stream (seed, run_id, r0 + q). */
static void sb_block_init(sb_block *b) {
  const sb_shared *sh = b->sh;
  const long n = sh->n;
  const int R = b->R;
  for (int q = 0; q < R; q++) {
    po_rng r;
    po_rng_init(&r, sh->seed, sh->run_id, (uint64_t)(b->r0 + q));
    for (long i = 0; i < n; i++)
      b->x[i * R + q] = (float)(SB_INIT_AMP * (2.0 * po_rng_uniform(&r) - 1.0));
    for (long i = 0; i < n; i++)
      b->y[i * R + q] = (float)(SB_INIT_AMP * (2.0 * po_rng_uniform(&r) - 1.0));
  }
}

static void sb_block_free(sb_block *b) {
  free(b->x), free(b->y), free(b->c), free(b->sgn), free(b->ts), free(b->tj);
  free(b->e), free(b->ebest), free(b->best);
  b->x = b->y = b->c = b->sgn = b->ts = b->tj = NULL;
  b->e = b->ebest = NULL;
  b->best = NULL;
}

static void sb_report(sb_shared *sh, long k) {
  int done;
#pragma omp atomic read
  done = sh->blocks_done;
  sh->progress(sh->progress_ctx, (done + (double)(k + 1) / (double)sh->K) / sh->n_blocks);
}

/* The whole time loop of one block; the final signs (or, with track_best,
 * each replica's lowest-energy signs) go to sh->spins. */
static void sb_block_run(sb_shared *sh, sb_block *b) {
  const long n = sh->n, K = sh->K, nr = n * (long)b->R;
  const sb_kind kind = sh->v->kind;
  const int track = sh->track_best;
  b->x = malloc((size_t)nr * sizeof *b->x);
  b->y = malloc((size_t)nr * sizeof *b->y);
  b->c = malloc((size_t)nr * sizeof *b->c);
  if (kind == SB_DISCRETE) b->sgn = malloc((size_t)nr * sizeof *b->sgn);
  if (track) {
    b->ts = malloc((size_t)nr * sizeof *b->ts);
    b->tj = malloc((size_t)nr * sizeof *b->tj);
    b->e = malloc((size_t)b->R * sizeof *b->e);
    b->ebest = malloc((size_t)b->R * sizeof *b->ebest);
    b->best = malloc((size_t)nr);
  }
  if (!b->x || !b->y || !b->c || (kind == SB_DISCRETE && !b->sgn) ||
      (track && (!b->ts || !b->tj || !b->e || !b->ebest || !b->best))) {
    b->rc = PO_ERR_NOMEM;
    sb_block_free(b);
    return;
  }
  sb_block_init(b);
  for (int q = 0; track && q < b->R; q++) b->ebest[q] = INFINITY;
  const long every = K / 100 > 0 ? K / 100 : 1;
  for (long k = 0; k < K; k++) {
    const double a = sb_pump(sh, k);
    if (kind == SB_ADIABATIC) {
      sb_step_adiabatic_local(b, a);
      sb_couple(b, b->x, b->c);
      sb_step_adiabatic_kick(b);
      /* no walls: check that the block stayed finite */
      if ((k + 1) % 64 == 0 || k + 1 == K) {
        const long bad = sb_nonfinite(b);
        if (bad) {
          b->rc = PO_ERR_NUMERIC, b->bad = bad, b->bad_step = k + 1;
          break;
        }
      }
    } else {
      if (kind == SB_DISCRETE) sb_sign_matrix(b, b->sgn);
      sb_couple(b, kind == SB_DISCRETE ? b->sgn : b->x, b->c);
      /* dsb's product is J s of the state after the previous step */
      if (track && kind == SB_DISCRETE && k > 0) sb_track(b, b->sgn, b->c);
      sb_step_ballistic(b, a);
    }
    if (track && (kind != SB_DISCRETE || k + 1 == K)) sb_track_now(b);
    if (sh->progress && omp_get_thread_num() == 0 && (k + 1) % every == 0) sb_report(sh, k);
    if (po_stop_requested()) break; /* the run fails with PO_ERR_INTERRUPTED */
  }
  if (b->rc == PO_OK) {
    if (track) {
      memcpy(sh->spins + (size_t)b->r0 * n, b->best, (size_t)nr);
    } else {
      for (long i = 0; i < n; i++)
        for (int q = 0; q < b->R; q++)
          sh->spins[(size_t)(b->r0 + q) * n + i] = b->x[i * b->R + q] < 0.0f ? -1 : 1;
    }
  }
#pragma omp atomic update
  sh->blocks_done++;
  sb_block_free(b);
}

static double cost(po_backend *b, const char *key) {
  double j = 0.0;
  if (b && b->ops && b->ops->energy && po_backend_energy_cost(b, key, &j) != PO_OK) j = 0.0;
  return j;
}

/* cpu.sb_* parameters (declared in cpu.c's table); defaults when b has none. */
static int sb_params(po_backend *b, double *dt, double *c0, double *gamma, long *substeps,
                     int *track_best) {
  *dt = 0.0, *c0 = 0.0, *gamma = 0.0, *substeps = 2, *track_best = 0;
  if (!b || !b->ops || !b->ops->params) return PO_OK;
  int rc;
  const char *sample = NULL;
  if ((rc = po_backend_param_double(b, "sb_dt", dt)) ||
      (rc = po_backend_param_double(b, "sb_c0", c0)) ||
      (rc = po_backend_param_double(b, "sb_heat", gamma)) ||
      (rc = po_backend_param_int(b, "sb_substeps", substeps)) ||
      (rc = po_backend_param_string(b, "sb_sample", &sample)))
    return rc;
  *track_best = sample && !strcmp(sample, "best");
  return PO_OK;
}

/* Runs the blocks: threads take whole blocks (BLAS single-threaded). */
static int sb_run_blocks(sb_shared *sh, sb_block *blocks, int threads) {
  const int nb = sh->n_blocks;
  const int T = threads < nb ? threads : nb;
  const int blas_saved = openblas_get_num_threads(), omp_saved = omp_get_max_threads();
  openblas_set_num_threads(1);
  /* one thread: the SpMM inside a block must not open a parallel region of
   * its own (a barrier per step; nested regions are inactive when T > 1) */
  omp_set_num_threads(1);
#pragma omp parallel for schedule(dynamic, 1) num_threads(T)
  for (int t = 0; t < nb; t++) sb_block_run(sh, &blocks[t]);
  omp_set_num_threads(omp_saved);
  openblas_set_num_threads(blas_saved);
  for (int t = 0; t < nb; t++) {
    const sb_block *b = &blocks[t];
    if (b->rc == PO_ERR_NOMEM)
      return po_error(PO_ERR_NOMEM, "cpu %s: out of memory for %ld spins x %d replicas",
                      sh->v->name, sh->n, b->R);
    if (b->rc == PO_ERR_NUMERIC)
      return po_error(PO_ERR_NUMERIC,
                      "cpu %s: %ld amplitudes became non-finite by step %ld; reduce cpu.sb_dt "
                      "(now %g) or cpu.sb_c0 (now %g)",
                      sh->v->name, b->bad, b->bad_step, sh->dt, sh->c0);
  }
  return PO_OK;
}

int po_cpu_sb_anneal(po_backend *b, const po_ising *m, const po_schedule *sch,
                     const po_anneal_opts *o, po_samples *out) {
  if (!m || !o || !out) return po_error(PO_ERR_ARG, "cpu sb: model, options and output needed");
  const sb_variant *v = sb_find(o->algorithm);
  if (!v)
    return po_error(PO_ERR_ARG, "cpu: unknown SB algorithm '%s' (valid: asb|bsb|dsb|hbsb|hdsb)",
                    o->algorithm ? o->algorithm : "");
  if (m->n < 1) return po_error(PO_ERR_ARG, "cpu %s: the model has no spins", v->name);
  if (o->replicas < 1) return po_error(PO_ERR_ARG, "replicas = %d must be >= 1", o->replicas);
  if (o->steps < 1) return po_error(PO_ERR_ARG, "steps = %ld must be >= 1", o->steps);
  if (o->threads < 0) return po_error(PO_ERR_ARG, "threads = %d must be >= 0", o->threads);
  double dt_user, c0_user, gamma;
  long substeps;
  int track_best;
  int rc = sb_params(b, &dt_user, &c0_user, &gamma, &substeps, &track_best);
  if (rc) return rc;
  po_cpu_sb_setup plan;
  const double t0 = omp_get_wtime();
  if ((rc = po_cpu_sb_plan(m, v->name, dt_user, c0_user, &plan))) return rc;
  if ((rc = po_samples_alloc(out, o->replicas, m->n))) return rc;

  sb_shared sh = {0};
  sh.m = m, sh.v = v, sh.n = m->n, sh.K = o->steps, sh.sch = sch, sh.substeps = (int)substeps;
  sh.dt = plan.dt, sh.c0 = plan.c0, sh.gamma = v->heated ? gamma : 0.0;
  sh.seed = o->seed, sh.run_id = o->run_id, sh.progress = o->progress;
  sh.progress_ctx = o->progress_ctx, sh.spins = out->spins, sh.track_best = track_best;
  sh.n_blocks = (o->replicas + SB_BLOCK - 1) / SB_BLOCK;
  sb_block *blocks = calloc((size_t)sh.n_blocks, sizeof *blocks);
  if (!blocks) {
    po_samples_free(out);
    return po_error(PO_ERR_NOMEM, "cpu %s: out of memory for %d replica blocks", v->name,
                    sh.n_blocks);
  }
  for (int t = 0; t < sh.n_blocks; t++) {
    blocks[t].sh = &sh;
    blocks[t].r0 = t * SB_BLOCK;
    blocks[t].R = o->replicas - t * SB_BLOCK < SB_BLOCK ? o->replicas - t * SB_BLOCK : SB_BLOCK;
  }
  const int threads = o->threads > 0 ? o->threads : omp_get_max_threads();
  rc = sb_run_blocks(&sh, blocks, threads);
  free(blocks);
  if (rc) {
    po_samples_free(out);
    return rc;
  }
  if (o->progress) o->progress(o->progress_ctx, 1.0);
  po_samples_recompute(out, m);

  if (b) {
    const double wall = omp_get_wtime() - t0;
    const double nnz =
        m->storage == PO_STORAGE_DENSE ? (double)m->n * (double)m->n : (double)m->row_ptr[m->n];
    const int used = threads < sh.n_blocks ? threads : sh.n_blocks;
    po_ledger *l = &b->ledger;
    l->wall_s += wall;
    l->device_s += wall;
    /* replicas run side by side on the threads: one replica's share */
    l->run_s += wall * used / (double)o->replicas;
    po_ledger_add(l, "macs", "MAC",
                  nnz * (double)o->replicas * (double)o->steps + nnz * SB_POWER_IT,
                  cost(b, "mac_j"));
    po_ledger_add(l, "sb_steps", "replica-steps", (double)o->replicas * (double)o->steps, 0.0);
    if (track_best) {
      /* the energy of the signs after every step: s.(J s) per replica, J s
       * reused from dsb's own product (one more at the end), an extra
       * product per step for the others */
      const double R = (double)o->replicas, K = (double)o->steps, n = (double)m->n;
      const double products = v->kind == SB_DISCRETE ? 1.0 : K;
      po_ledger_add(l, "best_state_macs", "MAC", nnz * R * products + n * R * K, cost(b, "mac_j"));
    }
  }
  return PO_OK;
}
