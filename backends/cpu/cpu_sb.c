/* Simulated bifurcation on the CPU backend; see cpu_sb.h for the equations
 * and sources, docs/cpu-backend.md for defaults and measurements.
 *
 * State: x, y are n x R row-major float matrices (column r = replica r), so
 * the coupling of all replicas is one dense or sparse product per step. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/cpu_sb.h"
#include "physopt/error.h"
#include "physopt/rng.h"
#include "solvers/sgemm.h"
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
/* Multiply-adds per step below which one thread runs: a step's three
 * parallel regions cost ~10-50 us, more than they save on smaller steps
 * (G14, 16 replicas: 0.08 s on 1 thread, 0.53 s on 2 on a loaded machine). */
#define SB_SMALL_STEP 2e6

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

typedef struct sb_run {
  const po_ising *m;
  const sb_variant *v;
  long n, K;
  int R, threads, substeps;
  double dt, c0, gamma;
  const po_schedule *sch;
  float *x, *y, *c, *sgn; /* n x R; sgn: dsb only */
} sb_run;

/* c = J u for the n x R block u (dense: thread-count-independent SGEMM). */
static void sb_couple(const sb_run *s, const float *u, float *c) {
  const po_ising *m = s->m;
  if (m->storage == PO_STORAGE_DENSE)
    po_sgemm_det(0, 0, (int)s->n, s->R, (int)s->n, 1.0f, m->dense, (int)s->n, u, s->R, 0.0f, c,
                 s->R);
  else
    po_spmm_csr(s->n, s->R, 1.0f, m->row_ptr, m->col, m->val, u, c);
}

static double sb_pump(const sb_run *s, long k) {
  if (s->sch && s->sch->kind != PO_SCHED_DEFAULT) return SB_A0 * po_schedule_value(s->sch, k, s->K);
  return SB_A0 * (s->K > 1 ? (double)k / (double)(s->K - 1) : 1.0); /* [G21]: linear 0 -> a0 */
}

/* bSB / dSB (heated with gamma > 0): momentum, position, walls ([G21]). */
static void sb_step_ballistic(sb_run *s, double a) {
  const long n = s->n;
  const int R = s->R;
  const float dt = (float)s->dt, c0 = (float)s->c0, lin = (float)(SB_A0 - a),
              a0dt = (float)(SB_A0 * s->dt), heat = (float)(s->gamma * s->dt);
  const float *h = s->m->h;
#pragma omp parallel for schedule(static) num_threads(s->threads)
  for (long i = 0; i < n; i++) {
    float *restrict x = s->x + i * R, *restrict y = s->y + i * R;
    const float *restrict c = s->c + i * R;
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

/* aSB: M substeps of the on-site Kerr motion, then the coupling kick ([MQ]). */
static void sb_step_adiabatic_local(sb_run *s, double a) {
  const long nr = s->n * (long)s->R;
  const int M = s->substeps;
  const float dm = (float)(s->dt / M), a0 = (float)SB_A0, lin = (float)(SB_A0 - a),
              kerr = (float)SB_KERR;
#pragma omp parallel for schedule(static) num_threads(s->threads)
  for (long q = 0; q < nr; q++) {
    float xq = s->x[q], yq = s->y[q];
    for (int k = 0; k < M; k++) {
      xq += dm * a0 * yq;
      yq -= (kerr * xq * xq * xq + lin * xq) * dm;
    }
    s->x[q] = xq;
    s->y[q] = yq;
  }
}

static void sb_step_adiabatic_kick(sb_run *s) {
  const long n = s->n;
  const int R = s->R;
  const float c0dt = (float)(s->c0 * s->dt);
  const float *h = s->m->h;
#pragma omp parallel for schedule(static) num_threads(s->threads)
  for (long i = 0; i < n; i++) {
    const float hi = h ? h[i] : 0.0f;
    for (int q = 0; q < R; q++) s->y[i * R + q] -= c0dt * (s->c[i * R + q] + hi);
  }
}

static void sb_signs(sb_run *s) {
  const long nr = s->n * (long)s->R;
#pragma omp parallel for schedule(static) num_threads(s->threads)
  for (long q = 0; q < nr; q++) s->sgn[q] = s->x[q] < 0.0f ? -1.0f : 1.0f;
}

static long sb_nonfinite(const sb_run *s) {
  const long nr = s->n * (long)s->R;
  long bad = 0;
#pragma omp parallel for reduction(+ : bad) schedule(static) num_threads(s->threads)
  for (long q = 0; q < nr; q++) bad += !isfinite(s->x[q]) || !isfinite(s->y[q]);
  return bad;
}

static void sb_init(sb_run *s, uint64_t seed, uint64_t run_id) {
  const long n = s->n;
  const int R = s->R;
  for (int q = 0; q < R; q++) {
    po_rng r;
    po_rng_init(&r, seed, run_id, (uint64_t)q);
    for (long i = 0; i < n; i++)
      s->x[i * R + q] = (float)(SB_INIT_AMP * (2.0 * po_rng_uniform(&r) - 1.0));
    for (long i = 0; i < n; i++)
      s->y[i * R + q] = (float)(SB_INIT_AMP * (2.0 * po_rng_uniform(&r) - 1.0));
  }
}

/* Runs the K steps; returns PO_OK or a PO_ERR_NUMERIC with its message. */
static int sb_loop(sb_run *s, const po_anneal_opts *o) {
  const long K = s->K, every = K / 100 > 0 ? K / 100 : 1;
  for (long k = 0; k < K; k++) {
    const double a = sb_pump(s, k);
    if (s->v->kind == SB_ADIABATIC) {
      sb_step_adiabatic_local(s, a);
      sb_couple(s, s->x, s->c);
      sb_step_adiabatic_kick(s);
    } else {
      if (s->v->kind == SB_DISCRETE) sb_signs(s);
      sb_couple(s, s->v->kind == SB_DISCRETE ? s->sgn : s->x, s->c);
      sb_step_ballistic(s, a);
    }
    /* aSB has no walls: check that it stayed finite (cheap next to the product) */
    if (s->v->kind == SB_ADIABATIC && ((k + 1) % 64 == 0 || k + 1 == K)) {
      const long bad = sb_nonfinite(s);
      if (bad)
        return po_error(PO_ERR_NUMERIC,
                        "cpu %s: %ld amplitudes became non-finite by step %ld; reduce cpu.sb_dt "
                        "(now %g) or cpu.sb_c0 (now %g)",
                        s->v->name, bad, k + 1, s->dt, s->c0);
    }
    if (o->progress && (k + 1) % every == 0) o->progress(o->progress_ctx, (double)(k + 1) / K);
  }
  return PO_OK;
}

static double cost(po_backend *b, const char *key) {
  double j = 0.0;
  if (b && b->ops && b->ops->energy && po_backend_energy_cost(b, key, &j) != PO_OK) j = 0.0;
  return j;
}

/* cpu.sb_* parameters (declared in cpu.c's table); defaults when b has none. */
static int sb_params(po_backend *b, double *dt, double *c0, double *gamma, long *substeps) {
  *dt = 0.0, *c0 = 0.0, *gamma = 0.0, *substeps = 2;
  if (!b || !b->ops || !b->ops->params) return PO_OK;
  int rc;
  if ((rc = po_backend_param_double(b, "sb_dt", dt)) ||
      (rc = po_backend_param_double(b, "sb_c0", c0)) ||
      (rc = po_backend_param_double(b, "sb_heat", gamma)) ||
      (rc = po_backend_param_int(b, "sb_substeps", substeps)))
    return rc;
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
  int rc = sb_params(b, &dt_user, &c0_user, &gamma, &substeps);
  if (rc) return rc;
  po_cpu_sb_setup plan;
  const double t0 = omp_get_wtime();
  if ((rc = po_cpu_sb_plan(m, v->name, dt_user, c0_user, &plan))) return rc;

  sb_run s = {0};
  s.m = m, s.v = v, s.n = m->n, s.K = o->steps, s.R = o->replicas, s.sch = sch;
  /* Threads: at most o->threads (0: the OpenMP default), and one when a
   * step has too little work to pay for its parallel regions
   * (SB_SMALL_STEP).  The result never depends on this choice. */
  const double nnz =
      m->storage == PO_STORAGE_DENSE ? (double)m->n * (double)m->n : (double)m->row_ptr[m->n];
  s.threads = nnz * (double)o->replicas < SB_SMALL_STEP ? 1
              : o->threads > 0                          ? o->threads
                                                        : omp_get_max_threads();
  s.substeps = (int)substeps, s.dt = plan.dt, s.c0 = plan.c0, s.gamma = v->heated ? gamma : 0.0;
  const size_t nr = (size_t)s.n * (size_t)s.R;
  s.x = malloc(nr * sizeof *s.x);
  s.y = malloc(nr * sizeof *s.y);
  s.c = malloc(nr * sizeof *s.c);
  if (v->kind == SB_DISCRETE) s.sgn = malloc(nr * sizeof *s.sgn);
  if (!s.x || !s.y || !s.c || (v->kind == SB_DISCRETE && !s.sgn)) {
    rc = po_error(PO_ERR_NOMEM, "cpu %s: out of memory for %ld spins x %d replicas", v->name, s.n,
                  s.R);
    goto done;
  }
  sb_init(&s, o->seed, o->run_id);
  /* po_sgemm_det threads with the OpenMP default: give it o->threads */
  const int omp_saved = omp_get_max_threads();
  omp_set_num_threads(s.threads);
  rc = sb_loop(&s, o);
  omp_set_num_threads(omp_saved);
  if (rc) goto done;
  if (o->progress) o->progress(o->progress_ctx, 1.0);
  if ((rc = po_samples_alloc(out, s.R, (int)s.n))) goto done;
  for (long i = 0; i < s.n; i++)
    for (int q = 0; q < s.R; q++)
      out->spins[(size_t)q * s.n + i] = s.x[(size_t)i * s.R + q] < 0.0f ? -1 : 1;
  po_samples_recompute(out, m);

  if (b) {
    const double wall = omp_get_wtime() - t0;
    po_ledger *l = &b->ledger;
    l->wall_s += wall;
    l->device_s += wall;
    /* replicas run side by side on the threads: one replica's share */
    l->run_s += wall * (s.threads < s.R ? s.threads : s.R) / (double)s.R;
    po_ledger_add(l, "macs", "MAC", nnz * (double)s.R * (double)s.K + nnz * SB_POWER_IT,
                  cost(b, "mac_j"));
    po_ledger_add(l, "sb_steps", "replica-steps", (double)s.R * (double)s.K, 0.0);
  }
done:
  free(s.x), free(s.y), free(s.c), free(s.sgn);
  return rc;
}
