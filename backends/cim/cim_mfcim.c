/* --algorithm mfcim: measurement-feedback coherent Ising machine with quantum
 * noise, continuous-time Gaussian-state model of E. Ng, T. Onodera, S. Kako,
 * P. L. McMahon, H. Mabuchi, Y. Yamamoto, Phys. Rev. Research 4, 013009
 * (2022), arXiv:2103.05629.  The element-wise equations (M1)-(M4) and their
 * derivation are in physics/mfcim.h:
 *
 *   dmu_i    = [(p - 1 - j) mu_i - g^2 mu_i (mu_i^2 + 3 u_i + w_i) + lambda f_i] dt
 *              + 2 sqrt(j) u_i dW_i
 *   dsigma_i = [2 (p - 1 - j) sigma_i + (1 + j) - 2 g^2 mu_i^2 (3 sigma_i - 1)
 *              - 2 g^2 (3 u_i^2 + u_i w_i + (u_i - w_i)/2) - 4 j u_i^2] dt
 *   dv_i     = [-2 (p + 1 + j) v_i + (1 + j) - 2 g^2 mu_i^2 (v_i - 1)
 *              - 2 g^2 (3 w_i^2 + u_i w_i + (w_i - u_i)/2)] dt
 *   f_i      = sum_k K_ik mu~_k - h_i x_h,  mu~_k = mu_k + dW_k / (2 sqrt(j) dt),
 *   K = -J (E = sum_{i<j} J_ij s_i s_j),  u = sigma - 1/2,  w = v - 1/2
 *
 * Schedules (t in units of the inverse background amplitude decay rate,
 * T = steps x dt): measurement strength j(t) = j0 exp(-alpha t / T) and pump
 * p(t) = 1 + j(t) + a(t), a(t) linear from mf_pump_start to mf_pump_end (the
 * form of ccvm ccvm_simulators/solvers/mf_solver.py; [Ng22]'s own schedule
 * was not available); with mf_pump_ref = absolute, p(t) = a(t) (p = 0: the
 * parametric drive turned off, p < 0: reversed, as in [Ng22]'s abstract).  Initial state: vacuum,
 * mu = 0, sigma = v = 1/2.
 *
 * Replicas are columns of the n x R state (row-major, replicas contiguous);
 * the feedback of a step is one SGEMM (dense) or one CSR SpMM (sparse) over
 * all replicas.  Noise stream of replica r: po_rng_init(seed, run_id, r); all
 * element-wise loops are independent of the thread count. */
#include <cblas.h>
#include "core/threads.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "backends/cim/cim.h"
#include "physics/cim_landscape.h"
#include "physics/mfcim.h"
#include "physopt/error.h"
#include "physopt/rng.h"
#include "solvers/spmm.h"

static double rms_norm(const po_ising *m) {
  double acc = 0.0;
  if (m->storage == PO_STORAGE_DENSE) {
    size_t nn = (size_t)m->n * (size_t)m->n;
    for (size_t k = 0; k < nn; k++) acc += (double)m->dense[k] * m->dense[k];
  } else {
    for (int64_t k = 0; k < m->row_ptr[m->n]; k++) acc += (double)m->val[k] * m->val[k];
  }
  return sqrt(acc / m->n);
}

/* An mfcim run's replicas (spin-major [n][R] arrays, per-replica best)
 * and the parameters of the current step. */
typedef struct {
  long n;
  int R;
  float *mu, *sg, *vp, *dw, *mt, *f;
  int8_t *s, *best;
  double *Ebest;
  po_rng *rng;
  const po_ising *m;
  double sh, meas;            /* sqrt(h); measurement scale 1 / (2 sqrt(j) h) */
  double h, p, g2, j, lambda; /* physics/mfcim.h po_mfcim_step */
  int closure;
} mf_state;

/* Replica r's increments (scaled by sqrt(h)) from its own stream, spin
 * order. */
static long mf_draw_replica(const mf_state *st, long r) {
  for (long i = 0; i < st->n; i++)
    st->dw[(size_t)i * st->R + r] = (float)(st->sh * po_rng_normal(&st->rng[r]));
  return 0;
}

/* Row i of the measured amplitudes mt = mu + meas dW. */
static long mf_measure_row(const mf_state *st, long i) {
  for (int r = 0; r < st->R; r++) {
    const size_t q = (size_t)i * st->R + r;
    st->mt[q] = st->mu[q] + (float)(st->meas * st->dw[q]);
  }
  return 0;
}

/* Row i of one step of the Gaussian-state equations. */
static long mf_advance_row(const mf_state *st, long i) {
  const size_t q = (size_t)i * (size_t)st->R;
  po_mfcim_step(st->R, st->h, st->p, st->g2, st->j, st->lambda, st->closure, st->mu + q, st->sg + q,
                st->vp + q, st->f + q, st->dw + q);
  return 0;
}

/* Replica r's signs, energy and best state; returns its count of
 * non-finite moments. */
static long mf_record_replica(const mf_state *st, long r) {
  const long n = st->n;
  const size_t R = (size_t)st->R;
  int8_t *sr = st->s + (size_t)r * n;
  long nb = 0;
  for (long i = 0; i < n; i++) {
    const size_t q = (size_t)i * R + r;
    const float v = st->mu[q];
    if (!isfinite(v) || !isfinite(st->sg[q]) || !isfinite(st->vp[q])) nb++;
    sr[i] = v < 0 ? -1 : 1;
  }
  const double E = po_ising_energy(st->m, sr);
  if (E < st->Ebest[r]) {
    st->Ebest[r] = E;
    memcpy(st->best + (size_t)r * n, sr, (size_t)n);
  }
  return nb;
}

/* The sum of fn(st, k) for k < count: on the caller's team when par (more
 * than one thread, core/threads.h), serially otherwise, because a parallel
 * region of one thread costs ~2.5 us, a tenth of a small step. */
static long mf_for(const mf_state *st, int par, long count, long (*fn)(const mf_state *, long)) {
  long sum = 0;
  if (par) {
#pragma omp parallel for schedule(static) reduction(+ : sum)
    for (long k = 0; k < count; k++) sum += fn(st, k);
  } else {
    for (long k = 0; k < count; k++) sum += fn(st, k);
  }
  return sum;
}

int cim_mfcim_anneal(po_backend *be, const po_ising *m, const po_schedule *sch,
                     const po_anneal_opts *o, po_samples *out) {
  if (!m || m->n < 1) return po_error(PO_ERR_ARG, "backend cim: empty Ising model");
  /* The pump and measurement schedules are the model's own (above); refuse
   * options it would otherwise ignore. */
  if (sch && sch->kind != PO_SCHED_DEFAULT)
    return po_error(PO_ERR_ARG,
                    "backend cim: algorithm mfcim ramps its pump from cim.mf_pump_start "
                    "to cim.mf_pump_end; a --schedule is not accepted");
  if (o->trajectory)
    return po_error(PO_ERR_UNSUPPORTED,
                    "backend cim: trajectories are recorded for cac, ahc, cfc, sfc and plain");
  if (o->replicas < 1 || o->steps < 1)
    return po_error(PO_ERR_ARG,
                    "backend cim: mfcim needs replicas >= 1 and steps >= 1 (got %d, %ld)",
                    o->replicas, o->steps);
  cim_config cfg;
  int rc = cim_config_read(be, &cfg);
  if (rc) return rc;
  double a0, a1, g2, j0, jdecay, lscale, lam;
  long eval_every;
  const char *closure_name, *pump_ref, *lnorm;
  if ((rc = po_backend_param_double(be, "mf_pump_start", &a0)) ||
      (rc = po_backend_param_double(be, "mf_pump_end", &a1)) ||
      (rc = po_backend_param_double(be, "mf_g2", &g2)) ||
      (rc = po_backend_param_double(be, "mf_j0", &j0)) ||
      (rc = po_backend_param_double(be, "mf_j_decay", &jdecay)) ||
      (rc = po_backend_param_double(be, "mf_lambda_scale", &lscale)) ||
      (rc = po_backend_param_double(be, "mf_lambda", &lam)) ||
      (rc = po_backend_param_int(be, "mf_eval_every", &eval_every)) ||
      (rc = po_backend_param_string(be, "mf_closure", &closure_name)) ||
      (rc = po_backend_param_string(be, "mf_pump_ref", &pump_ref)) ||
      (rc = po_backend_param_string(be, "mf_lambda_norm", &lnorm)))
    return rc;
  const int closure = strcmp(closure_name, "cubic") == 0 ? PO_MFCIM_CUBIC : PO_MFCIM_GAUSSIAN;
  const double p_thr = strcmp(pump_ref, "absolute") == 0 ? 0.0 : 1.0; /* p = p_thr (1 + j) + a */
  const long n = m->n;
  const int R = o->replicas;
  const long K = o->steps;
  const double h = cfg.dt, T = (double)K * h;
  double t_rt;
  if ((rc = cim_ring_round_trip(&cfg, n, &t_rt))) return rc;
  /* lambda = mf_lambda, else mf_lambda_scale / norm: the spectral radius
   * rho(K) = max(lambda_max(K), -lambda_min(K)) (default; for a symmetric
   * spectrum such as SK's the top feedback mode then has net gain
   * p - 1 - j + mf_lambda_scale, and the explicit step's stiffness
   * h lambda rho(K) = h mf_lambda_scale is bounded for every graph) or the rms
   * row norm of J */
  double norm = 0.0;
  if (lam <= 0) {
    if (strcmp(lnorm, "rms") == 0) {
      norm = rms_norm(m);
    } else {
      double top = 0.0, bot = 0.0;
      if ((rc = cim_coupling_extremes(m, o->seed, &top, &bot))) return rc;
      norm = fmax(top, bot);
    }
  }
  const double lambda = lam > 0 ? lam : (norm > 0 ? lscale / norm : 0.0);

  const size_t nr = (size_t)n * (size_t)R;
  float *mu = calloc(nr, sizeof *mu), *sg = malloc(nr * sizeof *sg), *vp = malloc(nr * sizeof *vp);
  float *dw = malloc(nr * sizeof *dw), *mt = malloc(nr * sizeof *mt);
  float *f = malloc(nr * sizeof *f);
  int8_t *s = malloc(nr), *best = malloc(nr);
  double *Ebest = malloc((size_t)R * sizeof *Ebest);
  po_rng *rng = malloc((size_t)R * sizeof *rng);
  if (!mu || !sg || !vp || !dw || !mt || !f || !s || !best || !Ebest || !rng) {
    rc = po_error(PO_ERR_NOMEM, "backend cim: cannot allocate mfcim state for N = %ld x %d", n, R);
    goto done;
  }
  for (size_t k = 0; k < nr; k++) sg[k] = vp[k] = 0.5f;
  for (int r = 0; r < R; r++) {
    po_rng_init(&rng[r], o->seed, o->run_id, (uint64_t)r);
    Ebest[r] = INFINITY;
  }
  /* Threads only where a step has work to amortise them (>= 1e7
   * multiply-adds in the coupling product, as in cim_anneal.c): dense J
   * gives them to OpenBLAS and runs the element-wise loops serially, sparse
   * J to the OpenMP loops.  Small problems run serially: a few tiny
   * parallel regions per step next to OpenBLAS's own threads made both
   * pools spin against each other on a loaded 2-core machine (a 1 s test
   * took 40-150 s). */
  const int T_all = po_threads_resolve(o->threads);
  const double work =
      (m->storage == PO_STORAGE_DENSE ? (double)n * (double)n : (double)m->row_ptr[n]) * R;
  const int kt = work >= 1e7 ? T_all : 1, dense = m->storage == PO_STORAGE_DENSE;
  const int T_omp = dense ? 1 : kt;
  po_blas_threads_enter(dense ? kt : 1);
  const int omp_caller = po_omp_threads_push(T_omp); /* po_spmm_csr's team */
  const int par = po_omp_team_useful();
  mf_state st = {.n = n,
                 .R = R,
                 .mu = mu,
                 .sg = sg,
                 .vp = vp,
                 .dw = dw,
                 .mt = mt,
                 .f = f,
                 .s = s,
                 .best = best,
                 .Ebest = Ebest,
                 .rng = rng,
                 .m = m,
                 .sh = sqrt(h),
                 .h = h,
                 .g2 = g2,
                 .lambda = lambda,
                 .closure = closure};
  const double w0 = omp_get_wtime();
  long bad = 0, bad_step = -1;
  for (long k = 0; k < K && !bad; k++) {
    const double t = (double)k * h;
    const double j = j0 * exp(-jdecay * t / T);
    const double p = p_thr * (1.0 + j) + a0 + (a1 - a0) * t / T;
    st.p = p, st.j = j, st.meas = j > 0 ? 1.0 / (2.0 * sqrt(j) * h) : 0.0;
    mf_for(&st, par, R, mf_draw_replica);
    mf_for(&st, par, n, mf_measure_row); /* mu~ = mu + dW / (2 sqrt(j) dt) */
    /* feedback f = K mu~ = -J mu~: one product over all replicas */
    if (m->storage == PO_STORAGE_DENSE)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, R, (int)n, -1.0f, m->dense,
                  (int)n, mt, R, 0.0f, f, R);
    else
      po_spmm_csr(n, R, -1.0f, m->row_ptr, m->col, m->val, mt, f);
    if (m->h)
      for (long i = 0; i < n; i++)
        for (int r = 0; r < R; r++) f[(size_t)i * R + r] -= m->h[i] * (float)cfg.field_amp;
    mf_for(&st, par, n, mf_advance_row);
    if ((k + 1) % eval_every == 0 || k + 1 == K) {
      const long nb = mf_for(&st, par, R, mf_record_replica);
      if (nb) bad = nb, bad_step = k;
    }
    if (o->progress && (k + 1) % 1000 == 0) o->progress(o->progress_ctx, (double)(k + 1) / K);
    if (po_stop_requested()) break; /* the run fails with PO_ERR_INTERRUPTED */
  }
  const double wall = omp_get_wtime() - w0;
  po_omp_threads_pop(omp_caller);
  po_blas_threads_leave();
  if (bad) {
    rc = po_error(
        PO_ERR_NUMERIC,
        "backend cim: mfcim: %ld amplitudes became non-finite at step %ld; reduce cim.dt "
        "(now %g; the explicit step needs 4 j dt, g^2 mu^2 dt << 1) or cim.mf_lambda_scale",
        bad, bad_step, h);
    goto done;
  }
  if ((rc = po_samples_alloc(out, R, (int)n))) goto done;
  for (int r = 0; r < R; r++) {
    memcpy(out->spins + (size_t)r * n, best + (size_t)r * n, (size_t)n);
    out->energy[r] = po_ising_energy(m, out->spins + (size_t)r * n);
  }
  cim_book_ledger(be, &cfg, m, R, K, t_rt, wall);
  /* its own Gaussian-state noise and measurement; the device's are not used */
  cim_describe_model(&be->ledger, &cfg, 0, 0);
  rc = PO_OK;
done:
  free(mu), free(sg), free(vp), free(dw), free(mt), free(f), free(s), free(best), free(Ebest),
      free(rng);
  return rc;
}
