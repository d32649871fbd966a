/* ising_anneal of the CPU backend: Metropolis SA and parallel tempering with
 * one general sweep kernel (incremental local fields), plus the dispatch to
 * the multispin kernel (cpu_multispin.c).  See cpu_anneal.h for the contract
 * and docs/cpu-backend.md for the algorithms.
 *
 * Metropolis: a flip of s_i changes E by dE = -2 s_i f_i with the local field
 * f_i = sum_j J_ij s_j + h_i (problem.h); it is accepted with probability
 * min(1, exp(-beta dE)) (Metropolis et al., J. Chem. Phys. 21, 1087, 1953).
 * After an accepted flip every neighbour's field changes by -2 s_i(old) J_ij.
 *
 * Acceptance: for integer couplings and fields dE = 2k with integer
 * k in [1, kmax], kmax = max_i sum_j |J_ij| + |h_i|; a table of thresholds
 * floor(exp(-2 beta k) 2^53) per inverse temperature turns the test into one
 * integer comparison with 53 random bits.  Real couplings evaluate exp() and
 * reject without it when beta dE > 40 (probability < 4e-18).
 *
 * Parallel tempering: Swendsen & Wang, PRL 57, 2607 (1986); Hukushima &
 * Nemoto, J. Phys. Soc. Jpn. 65, 1604 (1996).  Exchanges alternate between
 * even and odd neighbour pairs ("deterministic even-odd" scheme, Okabe et al.,
 * Chem. Phys. Lett. 335, 435 (2001); Syed et al., JRSS B 84, 321 (2022)) and
 * are accepted with probability min(1, exp((beta_t - beta_t+1)(E_t - E_t+1))). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "backends/cpu/cpu_anneal.h"
#include "physopt/error.h"
#include "physopt/rng.h"

#define PT_STREAM_BITS 20    /* pt: stream = run << 20 | chain */
#define MAX_TABLE_K    65536 /* integer acceptance table up to this kmax */
#define REFRESH_SWEEPS 64
#define TABLE_ENTRIES  (1L << 22) /* acceptance thresholds held at once (32 MB) */
#define SMALL_WORK                                                                                 \
  2.5e5 /* spin-update attempts below which one thread runs */ /* real couplings: recompute fields \
                                                                  every ... sweeps */

typedef struct model {
  int n;
  int dense;
  const float *J;    /* dense n x n */
  const int64_t *rp; /* CSR */
  const int32_t *col;
  const float *val;
  const float *h;
  double offset;
  int integer; /* acceptance by table */
  int kmax;
} model;

typedef struct walker {
  int8_t *s, *best;
  float *f;
  double e, ebest;
  po_rng rng;
  double accepted, macs;
} __attribute__((aligned(128))) walker; /* one walker per pair of cache lines */

/* ---- helpers ---- */

static void fields_exact(const model *m, walker *w) {
  const int n = m->n;
  double e2 = 0.0, eh = 0.0;
  for (int i = 0; i < n; i++) {
    double f = 0.0;
    if (m->dense) {
      const float *row = m->J + (size_t)i * n;
      for (int j = 0; j < n; j++) f += (double)row[j] * w->s[j];
    } else {
      for (int64_t k = m->rp[i]; k < m->rp[i + 1]; k++) f += (double)m->val[k] * w->s[m->col[k]];
    }
    e2 += f * w->s[i];
    if (m->h) {
      eh += (double)m->h[i] * w->s[i];
      f += m->h[i];
    }
    w->f[i] = (float)f;
  }
  w->e = 0.5 * e2 + eh + m->offset;
}

static void table_fill(uint64_t *thr, int kmax, double beta) {
  thr[0] = UINT64_C(1) << 53;
  for (int k = 1; k <= kmax; k++) {
    double p = exp(-2.0 * beta * k);
    thr[k] = (uint64_t)(p * 0x1.0p53);
  }
}

/* One sweep over spins 0..n-1 at inverse temperature beta (thr: table for
 * this beta when m->integer).  `dense` and `integer` are compile-time
 * constants in the four instances below, so the loop has no branch on them. */
static inline __attribute__((always_inline)) void sweep_any(const model *m, walker *w, double beta,
                                                            const uint64_t *thr, const int dense,
                                                            const int integer) {
  const int n = m->n;
  int8_t *restrict s = w->s;
  float *restrict f = w->f;
  double e = w->e, acc = 0.0, macs = 0.0;
  const double b2 = 2.0 * beta;
  /* Local copy: stores to s (int8_t, may alias anything) would otherwise
   * force the generator state through memory at every draw, and walkers of
   * different threads share cache lines. */
  po_rng rng = w->rng;
  for (int i = 0; i < n; i++) {
    const float half = -(float)s[i] * f[i]; /* dE / 2 */
    if (half > 0.0f) {
      if (integer) {
        if ((po_rng_u64(&rng) >> 11) >= thr[(int)half]) continue;
      } else {
        const double x = b2 * half;
        if (x > 40.0 || po_rng_uniform(&rng) >= exp(-x)) continue;
      }
    }
    e += 2.0 * half;
    const float c = -2.0f * s[i];
    s[i] = (int8_t)-s[i];
    acc += 1.0;
    if (dense) {
      const float *restrict row = m->J + (size_t)i * n;
      for (int j = 0; j < n; j++) f[j] += c * row[j];
      macs += n;
    } else {
      const int64_t a = m->rp[i], z = m->rp[i + 1];
      const int32_t *restrict col = m->col;
      const float *restrict val = m->val;
      for (int64_t k = a; k < z; k++) f[col[k]] += c * val[k];
      macs += (double)(z - a);
    }
  }
  w->rng = rng;
  w->e = e;
  w->accepted += acc;
  w->macs += macs;
}

static void sweep_csr_int(const model *m, walker *w, double b, const uint64_t *t) {
  sweep_any(m, w, b, t, 0, 1);
}
static void sweep_csr_real(const model *m, walker *w, double b, const uint64_t *t) {
  sweep_any(m, w, b, t, 0, 0);
}
static void sweep_dense_int(const model *m, walker *w, double b, const uint64_t *t) {
  sweep_any(m, w, b, t, 1, 1);
}
static void sweep_dense_real(const model *m, walker *w, double b, const uint64_t *t) {
  sweep_any(m, w, b, t, 1, 0);
}

typedef void (*sweep_fn)(const model *, walker *, double, const uint64_t *);

static sweep_fn sweep_pick(const model *m) {
  if (m->dense) return m->integer ? sweep_dense_int : sweep_dense_real;
  return m->integer ? sweep_csr_int : sweep_csr_real;
}

static void walker_track(const model *m, walker *w) {
  if (w->e < w->ebest) {
    w->ebest = w->e;
    memcpy(w->best, w->s, (size_t)m->n);
  }
}

static void walker_start(const model *m, walker *w, uint64_t seed, uint64_t run, uint64_t stream) {
  po_rng_init(&w->rng, seed, run, stream);
  for (int i = 0; i < m->n; i++) w->s[i] = (po_rng_u64(&w->rng) >> 63) ? 1 : -1;
  fields_exact(m, w);
  w->ebest = w->e;
  memcpy(w->best, w->s, (size_t)m->n);
  w->accepted = w->macs = 0.0;
}

typedef struct walkers {
  walker *w;
  int8_t *spins; /* 2 x count x n */
  float *fields; /* count x n */
  int count;
} walkers;

static void walkers_free(walkers *ws) {
  free(ws->w);
  free(ws->spins);
  free(ws->fields);
}

static int walkers_alloc(walkers *ws, int count, int n) {
  memset(ws, 0, sizeof *ws);
  ws->w = aligned_alloc(128, (size_t)count * sizeof *ws->w);
  if (ws->w) memset(ws->w, 0, (size_t)count * sizeof *ws->w);
  ws->spins = malloc((size_t)2 * count * n);
  ws->fields = malloc((size_t)count * n * sizeof(float));
  if (!ws->w || !ws->spins || !ws->fields) {
    walkers_free(ws);
    return po_error(PO_ERR_NOMEM, "cpu anneal: out of memory for %d replicas of %d spins", count,
                    n);
  }
  for (int r = 0; r < count; r++) {
    ws->w[r].s = ws->spins + (size_t)2 * r * n;
    ws->w[r].best = ws->w[r].s + n;
    ws->w[r].f = ws->fields + (size_t)r * n;
  }
  ws->count = count;
  return PO_OK;
}

/* ---- simulated annealing, general kernel ---- */

static int anneal_sa(const model *m, const po_cpu_betas *betas, long K, const po_anneal_opts *o,
                     int nt, int final_state, po_samples *out, po_cpu_counts *cnt) {
  const int n = m->n, R = o->replicas;
  walkers ws;
  int rc = walkers_alloc(&ws, R, n);
  if (rc) return rc;
  /* Acceptance tables (integer couplings) are computed once for all
   * replicas.  When the tables of all K sweeps fit in TABLE_ENTRIES, every
   * replica then runs its whole anneal without synchronisation; otherwise
   * the sweeps run in chunks whose tables are built between barriers. */
  const long kw = m->integer ? m->kmax + 1 : 0;
  long chunk = K;
  if (kw && K * kw > TABLE_ENTRIES) {
    chunk = TABLE_ENTRIES / kw > 0 ? TABLE_ENTRIES / kw : 1;
    if (chunk > K / 32) chunk = K / 32 > 0 ? K / 32 : 1; /* >= 32 progress reports */
  }
  uint64_t *tab = kw ? malloc((size_t)chunk * kw * sizeof *tab) : NULL;
  if (kw && !tab) {
    walkers_free(&ws);
    return po_error(PO_ERR_NOMEM, "cpu anneal: out of memory for acceptance tables");
  }
  const sweep_fn sweep = sweep_pick(m);
  const int refresh = !m->integer;
  const long pstep = K / 32 > 0 ? K / 32 : 1;
  long done = 0;
  int stop = 0; /* the stop request as one thread read it before a chunk */

#pragma omp parallel num_threads(nt)
  {
#pragma omp for schedule(static)
    for (int r = 0; r < R; r++) walker_start(m, &ws.w[r], o->seed, o->run_id, (uint64_t)r);
    for (long k0 = 0; k0 < K; k0 += chunk) {
      const long k1 = k0 + chunk < K ? k0 + chunk : K;
      /* Read once, behind the barrier of `single`, so that every thread
       * leaves at the same chunk (the worksharing loops below need all of
       * them); without it a stopped run still filled the tables of every
       * remaining chunk (minutes at 10^9 sweeps). */
#pragma omp single
      stop = po_stop_requested();
      if (stop) break; /* the run fails with PO_ERR_INTERRUPTED */
      if (kw) {
#pragma omp for schedule(static)
        for (long k = k0; k < k1; k++)
          table_fill(tab + (k - k0) * kw, m->kmax, po_cpu_beta_at(betas, k));
      }
#pragma omp for schedule(dynamic, 1)
      for (int r = 0; r < R; r++) {
        walker *w = &ws.w[r];
        for (long k = k0; k < k1; k++) {
          sweep(m, w, po_cpu_beta_at(betas, k), kw ? tab + (k - k0) * kw : NULL);
          if (refresh && (k + 1) % REFRESH_SWEEPS == 0) fields_exact(m, w);
          walker_track(m, w);
          if ((k + 1 - k0) % pstep == 0 || k + 1 == k1) {
            long d, inc = (k + 1 - k0) % pstep == 0 ? pstep : (k + 1 - k0) % pstep;
#pragma omp atomic capture
            d = done += inc;
            if (o->progress && omp_get_thread_num() == 0)
              o->progress(o->progress_ctx, (double)d / ((double)K * R));
          }
          if (po_stop_requested()) break; /* the run fails with PO_ERR_INTERRUPTED */
        }
      }
    }
  }
  if (o->progress) o->progress(o->progress_ctx, 1.0);
  for (int r = 0; r < R; r++) {
    walker *w = &ws.w[r];
    memcpy(out->spins + (size_t)r * n, final_state ? w->s : w->best, (size_t)n);
    cnt->accepted += w->accepted;
    cnt->macs += w->macs;
  }
  cnt->attempts = (double)R * (double)n * (double)K;
  cnt->threads_used = nt < R ? nt : R;
  free(tab);
  walkers_free(&ws);
  return PO_OK;
}

/* ---- parallel tempering ---- */

static void pt_sweep_chain(const model *m, walkers *ws, const int *perm, long c, int t,
                           const double *ladder, const uint64_t *tab, long kw, long k, int refresh,
                           sweep_fn sweep) {
  walker *w = &ws->w[perm[c]];
  sweep(m, w, ladder[t], kw ? tab + t * kw : NULL);
  if (refresh && (k + 1) % REFRESH_SWEEPS == 0) fields_exact(m, w);
  walker_track(m, w);
}

/* Deterministic even-odd exchanges after sweep k between neighbours of one run. */
static void pt_exchange(walkers *ws, int *p, int T, const double *ladder, po_rng *xr, long k) {
  for (int t = (int)(k & 1); t + 1 < T; t += 2) {
    const double d = (ladder[t] - ladder[t + 1]) * (ws->w[p[t]].e - ws->w[p[t + 1]].e);
    if (d >= 0.0 || po_rng_uniform(xr) < exp(d)) {
      int tmp = p[t];
      p[t] = p[t + 1];
      p[t + 1] = tmp;
    }
  }
}

/* What every thread of one parallel-tempering call reads. */
typedef struct pt_job {
  const model *m;
  walkers ws;
  const double *ladder;
  int T, R;
  long C, K, kw;
  uint64_t *tab; /* acceptance table per temperature (integer couplings) */
  int *perm;     /* chain slot (run, temperature) -> walker */
  po_rng *xr;    /* exchange stream per run */
  sweep_fn sweep;
  int refresh;
  int stop; /* by chain: the stop request as the master thread read it */
} pt_job;

static void pt_job_free(pt_job *j) {
  free(j->tab);
  free(j->perm);
  free(j->xr);
  walkers_free(&j->ws);
}

/* Allocates the walkers, tables, chain slots and exchange streams of R runs x T temperatures. */
static int pt_job_init(pt_job *j, const model *m, const double *ladder, int T, long K,
                       const po_anneal_opts *o) {
  const int n = m->n, R = o->replicas;
  memset(j, 0, sizeof *j);
  j->m = m;
  j->ladder = ladder;
  j->T = T;
  j->R = R;
  j->C = (long)R * T;
  j->K = K;
  int rc = walkers_alloc(&j->ws, (int)j->C, n);
  if (rc) return rc;
  j->kw = m->integer ? m->kmax + 1 : 0;
  j->tab = j->kw ? malloc((size_t)T * j->kw * sizeof *j->tab) : NULL;
  j->perm = malloc((size_t)j->C * sizeof *j->perm);
  j->xr = malloc((size_t)R * sizeof *j->xr);
  if ((j->kw && !j->tab) || !j->perm || !j->xr) {
    pt_job_free(j);
    return po_error(PO_ERR_NOMEM, "cpu pt: out of memory for %d runs x %d temperatures", R, T);
  }
  for (int t = 0; t < T && j->kw; t++) table_fill(j->tab + t * j->kw, m->kmax, ladder[t]);
  for (long c = 0; c < j->C; c++) j->perm[c] = (int)c;
  for (int r = 0; r < R; r++)
    po_rng_init(&j->xr[r], o->seed, o->run_id,
                ((uint64_t)r << PT_STREAM_BITS) | ((UINT64_C(1) << PT_STREAM_BITS) - 1));
  j->sweep = sweep_pick(m);
  j->refresh = !m->integer;
  return PO_OK;
}

static void pt_sweep_slot(pt_job *j, long c, int t, long k) {
  pt_sweep_chain(j->m, &j->ws, j->perm, c, t, j->ladder, j->tab, j->kw, k, j->refresh, j->sweep);
}

/* Each thread runs whole PT runs, no barrier per sweep (called inside the parallel region). */
static void pt_sweeps_by_run(pt_job *j, const po_anneal_opts *o, long pstep, long *done) {
  const int T = j->T, R = j->R;
  const long K = j->K;
#pragma omp for schedule(dynamic, 1)
  for (int r = 0; r < R; r++) {
    for (long k = 0; k < K; k++) {
      for (int t = 0; t < T; t++) pt_sweep_slot(j, (long)r * T + t, t, k);
      pt_exchange(&j->ws, j->perm + (long)r * T, T, j->ladder, &j->xr[r], k);
      if ((k + 1) % pstep == 0) {
        long d;
#pragma omp atomic capture
        d = *done += pstep;
        if (o->progress && omp_get_thread_num() == 0)
          o->progress(o->progress_ctx, (double)d / ((double)K * R));
      }
      if (po_stop_requested()) break; /* the run fails with PO_ERR_INTERRUPTED */
    }
  }
}

/* The chains of each sweep are shared out; the exchanges follow a barrier
 * (called inside the parallel region). */
static void pt_sweeps_by_chain(pt_job *j, const po_anneal_opts *o, long pstep) {
  const int T = j->T, R = j->R;
  const long K = j->K, C = j->C;
  for (long k = 0; k < K; k++) {
#pragma omp for schedule(dynamic, 1)
    for (long c = 0; c < C; c++) pt_sweep_slot(j, c, (int)(c % T), k);
      /* The stop request, read once per sweep by one thread between the two
       * barriers, so that every thread sees the same value after the second
       * and leaves the loop at the same sweep (po_request_stop). */
#pragma omp master
    j->stop = po_stop_requested();
#pragma omp for schedule(static)
    for (int r = 0; r < R; r++)
      pt_exchange(&j->ws, j->perm + (long)r * T, T, j->ladder, &j->xr[r], k);
#pragma omp master
    if (o->progress && ((k + 1) % pstep == 0 || k + 1 == K))
      o->progress(o->progress_ctx, (double)(k + 1) / (double)K);
    if (j->stop) break; /* the run fails with PO_ERR_INTERRUPTED */
  }
}

/* Per run, the best state of its T chains (or the final state at the coldest
 * temperature), and the counts summed over all chains. */
static void pt_collect(const pt_job *j, int nt, int final_state, po_samples *out,
                       po_cpu_counts *cnt) {
  const int n = j->m->n, T = j->T;
  const walkers *ws = &j->ws;
  for (int r = 0; r < j->R; r++) {
    const walker *bw = &ws->w[(long)r * T];
    for (int t = 1; t < T; t++)
      if (ws->w[(long)r * T + t].ebest < bw->ebest) bw = &ws->w[(long)r * T + t];
    /* final_state: the state at the coldest temperature */
    memcpy(out->spins + (size_t)r * n,
           final_state ? ws->w[j->perm[(long)r * T + T - 1]].s : bw->best, (size_t)n);
  }
  for (long c = 0; c < j->C; c++) {
    cnt->accepted += ws->w[c].accepted;
    cnt->macs += ws->w[c].macs;
  }
  cnt->attempts = (double)j->C * (double)n * (double)j->K;
  cnt->threads_used = nt < j->C ? nt : (int)j->C;
}

static int anneal_pt(const model *m, const double *ladder, int T, long K, const po_anneal_opts *o,
                     int nt, int final_state, po_samples *out, po_cpu_counts *cnt) {
  pt_job j;
  int rc = pt_job_init(&j, m, ladder, T, K, o);
  if (rc) return rc;
  long pstep = K / 100 > 0 ? K / 100 : 1;

  /* With at least as many runs as threads each thread runs whole PT runs
   * (no barrier per sweep); otherwise the chains of a sweep are shared out
   * and the exchanges follow a barrier.  Both orders give the same result:
   * every chain and every run's exchanges have their own stream. */
  const int by_run = j.R >= nt;
  long done = 0;

#pragma omp parallel num_threads(nt)
  {
#pragma omp for schedule(static)
    for (long c = 0; c < j.C; c++)
      walker_start(m, &j.ws.w[c], o->seed, o->run_id,
                   ((uint64_t)(c / T) << PT_STREAM_BITS) | (uint64_t)(c % T));
    if (by_run)
      pt_sweeps_by_run(&j, o, pstep, &done);
    else
      pt_sweeps_by_chain(&j, o, pstep);
  }
  if (o->progress) o->progress(o->progress_ctx, 1.0);
  pt_collect(&j, nt, final_state, out, cnt);
  pt_job_free(&j);
  return PO_OK;
}

/* ---- driver ---- */

/* Default inverse temperatures (cpu_anneal.h). */
static void default_betas(const po_ising *m, double *hot, double *cold) {
  double mx = 0.0, mn = 0.0;
  po_ising_coupling_scales(m, &mx, &mn);
  if (!(mx > 0.0)) {
    *hot = *cold = 1.0; /* no couplings and no fields: every state has the same energy */
    return;
  }
  if (!(mn > 0.0)) mn = mx; /* fields only */
  /* Real-valued couplings have arbitrarily small |J_ij| (min over N^2/2
   * Gaussian entries ~ 1/N^2), which would put beta_cold decades beyond any
   * useful temperature; moves smaller than 1% of the largest one are not
   * worth freezing out, so the cold end uses max(min |J|, max_row / 100). */
  if (mn < 0.01 * mx) mn = 0.01 * mx;
  *hot = log(2.0) / (2.0 * mx);
  *cold = log(100.0) / (2.0 * mn);
  if (*cold < *hot) *cold = *hot;
}

static int betas_fill(const po_ising *m, const po_schedule *s, long K, double *betas) {
  if (!s || s->kind == PO_SCHED_DEFAULT) {
    double hot, cold;
    default_betas(m, &hot, &cold);
    for (long k = 0; k < K; k++) {
      double t = K > 1 ? (double)k / (double)(K - 1) : 1.0;
      betas[k] = hot * pow(cold / hot, t);
    }
    return PO_OK;
  }
  for (long k = 0; k < K; k++) {
    betas[k] = po_schedule_value(s, k, K);
    if (!isfinite(betas[k]) || betas[k] < 0.0)
      return po_error(PO_ERR_ARG,
                      "cpu anneal: the %s schedule gives inverse temperature %g at step %ld of "
                      "%ld; it must be finite and >= 0",
                      po_schedule_kind_name(s->kind), betas[k], k, K);
  }
  return PO_OK;
}

/* The schedule of an SA run, checked without a table: every kind's value
 * lies between its values at the ends (linear, geometric, tanh) or at its
 * points (table), so those and 1024 samples between are checked; short
 * runs check every sweep as before. */
static int betas_make(const po_ising *m, const po_schedule *s, long K, po_cpu_betas *b) {
  *b = (po_cpu_betas){.s = s && s->kind != PO_SCHED_DEFAULT ? s : NULL, .K = K};
  if (!b->s) {
    default_betas(m, &b->hot, &b->cold);
    return PO_OK;
  }
  const long stride = K <= (1L << 20) ? 1 : K / 1024;
  for (long k = 0; k < K; k = k + stride < K - 1 || k == K - 1 ? k + stride : K - 1) {
    double v = po_cpu_beta_at(b, k);
    if (!isfinite(v) || v < 0.0)
      return po_error(PO_ERR_ARG,
                      "cpu anneal: the %s schedule gives inverse temperature %g at step %ld of "
                      "%ld; it must be finite and >= 0",
                      po_schedule_kind_name(s->kind), v, k, K);
  }
  for (int i = 0; s->kind == PO_SCHED_TABLE && i < s->n_points; i++)
    if (!isfinite(s->v[i]) || s->v[i] < 0.0)
      return po_error(PO_ERR_ARG,
                      "cpu anneal: schedule table point %d has value %g; it must be "
                      "finite and >= 0",
                      i, s->v[i]);
  return PO_OK;
}

static int param_string(po_backend *b, const char *key, const char *def, const char **out) {
  if (!b || !b->ops || !b->ops->params) {
    *out = def;
    return PO_OK;
  }
  return po_backend_param_string(b, key, out);
}

static int param_int(po_backend *b, const char *key, long def, long *out) {
  if (!b || !b->ops || !b->ops->params) {
    *out = def;
    return PO_OK;
  }
  return po_backend_param_int(b, key, out);
}

static double cost(po_backend *b, const char *key) {
  double j = 0.0;
  if (b && b->ops && b->ops->energy && po_backend_energy_cost(b, key, &j) != PO_OK) j = 0.0;
  return j;
}

static int cpu_anneal(po_backend *b, const po_ising *m, const po_schedule *s,
                      const po_anneal_opts *o, const po_cpu_extra *x, int pt, po_samples *out);

int po_cpu_sa(po_backend *b, const po_ising *m, const po_schedule *s, const po_anneal_opts *o,
              po_samples *out) {
  return cpu_anneal(b, m, s, o, NULL, 0, out);
}

int po_cpu_pt(po_backend *b, const po_ising *m, const po_schedule *s, const po_anneal_opts *o,
              po_samples *out) {
  return cpu_anneal(b, m, s, o, NULL, 1, out);
}

int po_cpu_anneal_ex(po_backend *b, const po_ising *m, const po_schedule *s,
                     const po_anneal_opts *o, const po_cpu_extra *x, po_samples *out) {
  po_backend_info info;
  const po_algorithm *a;
  int rc = po_backend_info_get("cpu", &info);
  if (!rc) rc = po_backend_algorithm(&info, o ? o->algorithm : NULL, &a);
  if (!rc && a->run != po_cpu_sa && a->run != po_cpu_pt)
    rc = po_error(PO_ERR_ARG, "cpu anneal with overrides: algorithm %s is not sa or pt", a->name);
  return rc ? rc : cpu_anneal(b, m, s, o, x, a->run == po_cpu_pt, out);
}

static int check_anneal_args(const po_ising *m, const po_anneal_opts *o, const po_samples *out) {
  if (!m || !o || !out) return po_error(PO_ERR_ARG, "cpu anneal: model, options and output needed");
  if (m->n < 1) return po_error(PO_ERR_ARG, "cpu anneal: the model has no spins");
  if (o->replicas < 1) return po_error(PO_ERR_ARG, "replicas = %d must be >= 1", o->replicas);
  if (o->steps < 1) return po_error(PO_ERR_ARG, "steps = %ld must be >= 1", o->steps);
  if (o->threads < 0) return po_error(PO_ERR_ARG, "threads = %d must be >= 0", o->threads);
  return PO_OK;
}

/* Reads cpu.kernel (unless x names one), cpu.pt_temperatures and, without x,
 * cpu.sample (x carries final_state instead). */
static int read_cpu_params(po_backend *b, const po_cpu_extra *x, const char **kernel, long *T,
                           int *final_state) {
  int rc = PO_OK;
  if (x && x->kernel)
    *kernel = x->kernel;
  else
    rc = param_string(b, "kernel", "auto", kernel);
  if (rc) return rc;
  rc = param_int(b, "pt_temperatures", 16, T);
  if (rc) return rc;
  if (!x) {
    const char *sample;
    rc = param_string(b, "sample", "best", &sample);
    if (rc) return rc;
    if (!strcmp(sample, "final"))
      *final_state = 1;
    else if (strcmp(sample, "best"))
      return po_error(PO_ERR_ARG, "cpu.sample = %s is not one of best|final", sample);
  }
  return PO_OK;
}

/* Resolves cpu.kernel to multispin (1) or general (0): auto takes multispin
 * for sa on +/-1 couplings without fields. */
static int choose_multispin(const char *kernel, const po_ising *m, int pt, int *multispin) {
  if (!strcmp(kernel, "multispin")) {
    if (!m->pm1)
      return po_error(PO_ERR_ARG,
                      "cpu.kernel = multispin needs +/-1 couplings without fields; %s has other "
                      "couplings or fields (use cpu.kernel = auto or general)",
                      m->source[0] ? m->source : "this problem");
    if (pt)
      return po_error(PO_ERR_ARG,
                      "cpu.kernel = multispin supports algorithm sa only (pt uses general)");
    *multispin = 1;
  } else if (!strcmp(kernel, "general")) {
    *multispin = 0;
  } else if (!strcmp(kernel, "auto")) {
    *multispin = !pt && m->pm1;
  } else {
    return po_error(PO_ERR_ARG, "cpu.kernel = %s is not one of auto|general|multispin", kernel);
  }
  return PO_OK;
}

/* The general kernel's view of m; integer couplings up to MAX_TABLE_K get acceptance tables. */
static model model_view(const po_ising *m) {
  model md = {0};
  md.n = m->n;
  md.dense = m->storage == PO_STORAGE_DENSE;
  md.J = m->dense;
  md.rp = m->row_ptr;
  md.col = m->col;
  md.val = m->val;
  md.h = m->h;
  md.offset = m->offset;
  if (m->integer_weights) {
    double mx = 0.0;
    po_ising_coupling_scales(m, &mx, NULL);
    if (mx <= MAX_TABLE_K) {
      md.integer = 1;
      md.kmax = (int)ceil(mx);
    }
  }
  return md;
}

/* Threads: o->threads, or the OpenMP default capped by the independent
 * units of work (replicas, PT chains, 64-replica words), and 1 for calls
 * below SMALL_WORK attempts, where thread start-up and barriers cost more
 * than they save.  Results never depend on this choice. */
static int anneal_threads(const po_anneal_opts *o, int n, long K, int multispin, int pt, long T) {
  int nt = o->threads > 0 ? o->threads : omp_get_max_threads();
  if (o->threads <= 0) {
    const double units = multispin ? (o->replicas + 63) / 64
                         : pt      ? (double)o->replicas * T
                                   : o->replicas;
    const double work = (double)o->replicas * (pt ? T : 1) * n * (double)K;
    if (nt > units) nt = (int)units;
    if (work < SMALL_WORK) nt = 1;
  }
  return nt;
}

static void ledger_charge(po_backend *b, const po_cpu_counts *cnt, double wall, int replicas,
                          int multispin) {
  po_ledger *l = &b->ledger;
  const double threads_used = cnt->threads_used > 0 ? cnt->threads_used : 1;
  l->wall_s += wall;
  l->device_s += wall;
  l->run_s += wall * threads_used / (double)replicas;
  /* multispin attempts are priced through their word operations */
  po_ledger_add(l, "spin_updates", "attempts", cnt->attempts,
                multispin ? 0.0 : cost(b, "spin_attempt_j"));
  po_ledger_add(l, "accepted_flips", "flips", cnt->accepted, 0.0);
  if (cnt->macs > 0) po_ledger_add(l, "macs", "MAC", cnt->macs, cost(b, "mac_j"));
  if (cnt->word_ops > 0) po_ledger_add(l, "word_ops", "op", cnt->word_ops, cost(b, "word_op_j"));
}

static int cpu_anneal(po_backend *b, const po_ising *m, const po_schedule *s,
                      const po_anneal_opts *o, const po_cpu_extra *x, int pt, po_samples *out) {
  int final_state = x ? x->final_state : 0;
  int rc = check_anneal_args(m, o, out);
  if (rc) return rc;
  const char *kernel;
  long T;
  int multispin;
  if ((rc = read_cpu_params(b, x, &kernel, &T, &final_state)) != PO_OK) return rc;
  if ((rc = choose_multispin(kernel, m, pt, &multispin)) != PO_OK) return rc;
  if (pt && (long)o->replicas * T > INT32_MAX / 2)
    return po_error(PO_ERR_ARG, "cpu pt: replicas x cpu.pt_temperatures is too large");

  const long K = o->steps;
  /* PT: a ladder of T fixed temperatures; SA: beta per sweep, on the fly. */
  po_cpu_betas bs;
  double *betas = pt ? malloc((size_t)T * sizeof *betas) : NULL;
  if (pt && !betas) return po_error(PO_ERR_NOMEM, "cpu anneal: out of memory for %ld betas", T);
  rc = pt ? betas_fill(m, s, T, betas) : betas_make(m, s, K, &bs);
  if (rc) {
    free(betas);
    return rc;
  }
  rc = po_samples_alloc(out, o->replicas, m->n);
  if (rc) {
    free(betas);
    return rc;
  }

  const model md = model_view(m);
  const int nt = anneal_threads(o, m->n, K, multispin, pt, T);
  po_cpu_counts cnt = {0};
  const double t0 = omp_get_wtime();
  if (multispin)
    rc = po_cpu_multispin_sa(m, &bs, K, o->replicas, o->seed, o->run_id, nt, o->progress,
                             o->progress_ctx, final_state, out->spins, &cnt);
  else if (pt)
    rc = anneal_pt(&md, betas, (int)T, K, o, nt, final_state, out, &cnt);
  else
    rc = anneal_sa(&md, &bs, K, o, nt, final_state, out, &cnt);
  const double wall = omp_get_wtime() - t0;
  free(betas);
  if (rc) {
    po_samples_free(out);
    return rc;
  }
  po_samples_recompute(out, m);
  if (b) ledger_charge(b, &cnt, wall, o->replicas, multispin);
  return PO_OK;
}
