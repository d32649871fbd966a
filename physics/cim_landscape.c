/* Adiabatic landscape annealing of the CIM energy landscape and the spectral
 * baseline; equations and sources in physics/cim_landscape.h and
 * docs/cim-adiabatic.md (Yamamura, Mabuchi, Ganguli, arXiv:2309.08119). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h> /* CBLAS prototypes; the symbols come from OpenBLAS */
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>

#include "physics/cim_landscape.h"
#include "physopt/error.h"
#include "physopt/rng.h"
#include "solvers/cvode.h"

#ifndef PO_LAND_BLAS_MIN_N
#define PO_LAND_BLAS_MIN_N 512
#endif

/* ---------- coupling products out = J x (double) ---------- */
typedef struct {
  const po_ising *m;
  int n;
  double *Jd; /* dense double copy (row-major), or NULL for CSR */
  double *h;  /* fields (double) or NULL */
  double a;   /* current pump */
  double *tmp;
  long mvm;
} land_ctx;

static void coupling_mv(land_ctx *c, const double *x, double *out) {
  const int n = c->n;
  c->mvm++;
  if (c->Jd) {
    if (n >= PO_LAND_BLAS_MIN_N) {
      cblas_dgemv(CblasRowMajor, CblasNoTrans, n, n, 1.0, c->Jd, n, x, 1, 0.0, out, 1);
      return;
    }
    /* Small N: a plain vectorised loop; OpenBLAS's threaded dgemv spends more
     * time waking threads than computing here. */
    for (int i = 0; i < n; i++) {
      const double *row = c->Jd + (size_t)i * n;
      double s = 0;
      for (int j = 0; j < n; j++) s += row[j] * x[j];
      out[i] = s;
    }
    return;
  }
  const po_ising *m = c->m;
#pragma omp parallel for schedule(static) if (m->row_ptr[n] > 200000)
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++)
      s += (double)m->val[k] * x[m->col[k]];
    out[i] = s;
  }
}

/* f = -grad E_a = -x^3 + a x - J x - h   (K = -J) */
static int land_rhs(double t, const double *x, double *f, void *u) {
  land_ctx *c = u;
  coupling_mv(c, x, f);
  const double a = c->a;
  for (int i = 0; i < c->n; i++) {
    double xi = x[i];
    f[i] = -xi * xi * xi + a * xi - f[i] - (c->h ? c->h[i] : 0.0);
  }
  for (int i = 0; i < c->n; i++)
    if (!isfinite(f[i])) return 1; /* recoverable: CVODE retries with a smaller step */
  return 0;
}

/* (df/dx) v = -Hess v = (a - 3 x^2) v - J v */
static int land_jtv(double t, const double *x, const double *fx, const double *v, double *jv,
                    void *u) {
  land_ctx *c = u;
  coupling_mv(c, v, jv);
  for (int i = 0; i < c->n; i++) jv[i] = (c->a - 3.0 * x[i] * x[i]) * v[i] - jv[i];
  return 0;
}

/* Dense Jacobian, column-major: df_i/dx_j = -J_ij + delta_ij (a - 3 x_i^2). */
static int land_jac(double t, const double *x, const double *fx, double *A, void *u) {
  land_ctx *c = u;
  const int n = c->n;
  if (c->Jd) {
    for (int j = 0; j < n; j++)
      for (int i = 0; i < n; i++) A[(size_t)j * n + i] = -c->Jd[(size_t)i * n + j];
  } else {
    const po_ising *m = c->m;
    for (int i = 0; i < n; i++)
      for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++)
        A[(size_t)m->col[k] * n + i] = -(double)m->val[k];
  }
  for (int i = 0; i < n; i++) A[(size_t)i * n + i] += c->a - 3.0 * x[i] * x[i];
  return 0;
}

static int ctx_init(land_ctx *c, const po_ising *m) {
  memset(c, 0, sizeof *c);
  c->m = m;
  c->n = m->n;
  const int n = m->n;
  if (m->storage == PO_STORAGE_DENSE) {
    c->Jd = malloc((size_t)n * n * sizeof *c->Jd);
    if (!c->Jd)
      return po_error(PO_ERR_NOMEM, "cim landscape: cannot allocate %d x %d couplings", n, n);
    for (size_t k = 0; k < (size_t)n * n; k++) c->Jd[k] = m->dense[k];
  } else if (!m->row_ptr || !m->col || !m->val) {
    return po_error(PO_ERR_ARG, "cim landscape: CSR model without row_ptr/col/val");
  }
  if (m->h) {
    c->h = malloc(n * sizeof *c->h);
    if (!c->h) return po_error(PO_ERR_NOMEM, "cim landscape: out of memory");
    for (int i = 0; i < n; i++) c->h[i] = m->h[i];
  }
  c->tmp = malloc(n * sizeof *c->tmp);
  if (!c->tmp) return po_error(PO_ERR_NOMEM, "cim landscape: out of memory");
  return PO_OK;
}

static void ctx_free(land_ctx *c) {
  free(c->Jd);
  free(c->h);
  free(c->tmp);
}

/* ---------- Lanczos for the top eigenpair of K = -J ---------- */
static double dot(int n, const double *x, const double *y) {
  double s = 0;
  for (int i = 0; i < n; i++) s += x[i] * y[i];
  return s;
}

/* Top eigenpair (theta, s) of the k x k tridiagonal (alpha, beta).
 *
 * GSL calls its error handler (abort by default) only on invalid sizes or
 * failed allocations.  The matrices are views of our own buffers and the
 * workspace (a public struct of gsl_eigen.h: four arrays of k doubles) is
 * allocated here too, so for k >= 1 no GSL call can reach the handler and
 * the library never touches the process-wide handler setting. */
static int tridiag_top(int k, const double *alpha, const double *beta, double *theta, double *s) {
  if (k < 1) return po_error(PO_ERR_ARG, "lanczos: tridiagonal of size %d", k);
  const size_t kk = (size_t)k;
  double *buf = calloc(2 * kk * kk + kk + 4 * (kk + 1), sizeof *buf);
  if (!buf) return po_error(PO_ERR_NOMEM, "lanczos: out of memory (k = %d)", k);
  gsl_matrix_view T = gsl_matrix_view_array(buf, kk, kk);
  gsl_matrix_view Z = gsl_matrix_view_array(buf + kk * kk, kk, kk);
  gsl_vector_view w = gsl_vector_view_array(buf + 2 * kk * kk, kk);
  double *wsd = buf + 2 * kk * kk + kk;
  gsl_eigen_symmv_workspace ws = {
      .size = kk, .d = wsd, .sd = wsd + kk + 1, .gc = wsd + 2 * (kk + 1), .gs = wsd + 3 * (kk + 1)};
  for (int i = 0; i < k; i++) {
    gsl_matrix_set(&T.matrix, i, i, alpha[i]);
    if (i + 1 < k) {
      gsl_matrix_set(&T.matrix, i, i + 1, beta[i]);
      gsl_matrix_set(&T.matrix, i + 1, i, beta[i]);
    }
  }
  int rc = PO_OK;
  if (gsl_eigen_symmv(&T.matrix, &w.vector, &Z.matrix, &ws) != GSL_SUCCESS) {
    rc = po_error(PO_ERR_NUMERIC, "lanczos: tridiagonal eigensolver failed (k = %d)", k);
  } else {
    int best = 0;
    for (int i = 1; i < k; i++)
      if (gsl_vector_get(&w.vector, i) > gsl_vector_get(&w.vector, best)) best = i;
    *theta = gsl_vector_get(&w.vector, best);
    for (int i = 0; i < k; i++) s[i] = gsl_matrix_get(&Z.matrix, i, best);
  }
  free(buf);
  return rc;
}

static int top_eig_ctx(land_ctx *c, uint64_t seed, double *v_out, double *lambda) {
  const int n = c->n;
  const int kmax = n < 1000 ? n : 1000;
  double *V = malloc((size_t)kmax * n * sizeof *V);
  double *w = malloc(n * sizeof *w);
  double *alpha = malloc(kmax * sizeof *alpha), *beta = malloc(kmax * sizeof *beta);
  double *s = malloc(kmax * sizeof *s);
  int rc = PO_OK;
  if (!V || !w || !alpha || !beta || !s) {
    rc = po_error(PO_ERR_NOMEM, "lanczos: out of memory (n = %d)", n);
    goto out;
  }
  po_rng r;
  po_rng_init(&r, seed, 0x1a2c05, 0);
  for (int i = 0; i < n; i++) V[i] = po_rng_normal(&r);
  double nv = sqrt(dot(n, V, V));
  for (int i = 0; i < n; i++) V[i] /= nv;
  double theta = 0, knorm = 0;
  int k = 0, next_check = 8;
  for (;;) {
    double *vk = V + (size_t)k * n;
    coupling_mv(c, vk, w);
    for (int i = 0; i < n; i++) w[i] = -w[i]; /* K v = -J v */
    alpha[k] = dot(n, w, vk);
    /* full reorthogonalisation, two passes ("twice is enough") */
    for (int pass = 0; pass < 2; pass++)
      for (int j = 0; j <= k; j++) {
        const double *vj = V + (size_t)j * n;
        double p = dot(n, w, vj);
        for (int i = 0; i < n; i++) w[i] -= p * vj[i];
      }
    beta[k] = sqrt(dot(n, w, w));
    knorm = fmax(knorm, fabs(alpha[k]) + beta[k] + (k ? beta[k - 1] : 0));
    const int m = k + 1;
    const int breakdown = beta[k] <= 1e-12 * fmax(knorm, 1e-300);
    if (m >= next_check || m == kmax || breakdown) {
      if ((rc = tridiag_top(m, alpha, beta, &theta, s)) != PO_OK) break;
      double res = fabs(beta[k] * s[m - 1]);
      next_check = m + m / 4 + 1;
      if (res <= 1e-10 * fmax(knorm, 1e-300) || m == kmax || breakdown) {
        k = m;
        break;
      }
    }
    double *vn = V + (size_t)m * n;
    for (int i = 0; i < n; i++) vn[i] = w[i] / beta[k];
    k = m;
  }
  if (rc == PO_OK) {
    /* Ritz vector */
    memset(w, 0, n * sizeof *w);
    for (int j = 0; j < k; j++) {
      const double *vj = V + (size_t)j * n;
      for (int i = 0; i < n; i++) w[i] += s[j] * vj[i];
    }
    double nw = sqrt(dot(n, w, w));
    /* fix the global sign deterministically: first nonzero component > 0 */
    int i0 = 0;
    while (i0 < n - 1 && fabs(w[i0]) < 1e-12) i0++;
    if (w[i0] < 0) nw = -nw;
    if (v_out)
      for (int i = 0; i < n; i++) v_out[i] = w[i] / nw;
    if (lambda) *lambda = theta;
  }
out:
  free(V);
  free(w);
  free(alpha);
  free(beta);
  free(s);
  return rc;
}

static int check_model(const po_ising *m, const char *fn) {
  if (!m) return po_error(PO_ERR_ARG, "%s: model is NULL", fn);
  if (m->n < 1) return po_error(PO_ERR_ARG, "%s: n = %d, accepted >= 1", fn, m->n);
  if (m->storage == PO_STORAGE_DENSE && !m->dense)
    return po_error(PO_ERR_ARG, "%s: dense model without couplings", fn);
  return PO_OK;
}

int po_cim_top_eigvec(const po_ising *m, uint64_t seed, double *v, double *lambda, long *mvm) {
  int rc = check_model(m, "po_cim_top_eigvec");
  if (rc) return rc;
  land_ctx c;
  if ((rc = ctx_init(&c, m)) == PO_OK) rc = top_eig_ctx(&c, seed, v, lambda);
  if (mvm) *mvm += c.mvm;
  ctx_free(&c);
  return rc;
}

int po_spectral_round(const po_ising *m, int8_t *spins, double *energy) {
  int rc = check_model(m, "po_spectral_round");
  if (rc) return rc;
  if (!spins) return po_error(PO_ERR_ARG, "po_spectral_round: spins is NULL");
  const int n = m->n;
  double *v = malloc(n * sizeof *v);
  if (!v) return po_error(PO_ERR_NOMEM, "po_spectral_round: out of memory");
  if ((rc = po_cim_top_eigvec(m, 0, v, NULL, NULL)) == PO_OK) {
    for (int i = 0; i < n; i++) spins[i] = v[i] >= 0 ? 1 : -1;
    double e = po_ising_energy(m, spins);
    if (m->h) { /* with fields -s differs: keep the better sign */
      for (int i = 0; i < n; i++) spins[i] = (int8_t)-spins[i];
      double e2 = po_ising_energy(m, spins);
      if (e2 <= e)
        e = e2;
      else
        for (int i = 0; i < n; i++) spins[i] = (int8_t)-spins[i];
    }
    if (energy) *energy = e;
  }
  free(v);
  return rc;
}

/* ---------- annealing ---------- */
void po_cim_adiabatic_opts_default(po_cim_adiabatic_opts *o) {
  memset(o, 0, sizeof *o);
  o->a_start = NAN;
  o->a_end = NAN;
  o->a_start_rel = -0.05;
  o->a_end_rel = 3.0;
  o->n_steps = 150;
  o->grad_tol = 1e-5;
  o->rtol = 1e-4;
  o->atol = 1e-6;
  o->t_max = 1e5;
  o->max_cvode_steps = 20000;
  o->linsol = PO_CVODE_AUTO;
  o->dense_max_n = 64;
  o->init = PO_CIM_INIT_EIGVEC;
  o->init_scale = 1e-3;
  o->seed = 1;
}

void po_cim_adiabatic_trace_free(po_cim_adiabatic_trace *t) {
  if (!t) return;
  free(t->a);
  free(t->ising_energy);
  free(t->soft_energy);
  free(t->grad_rms);
  free(t->amp_rms);
  free(t->flow_time);
  free(t->final_spins);
  free(t->final_x);
  memset(t, 0, sizeof *t);
}

/* RMS gradient and soft energy at x (one coupling product). */
static void grad_energy(land_ctx *c, const double *x, double *grad_rms, double *soft) {
  const int n = c->n;
  land_rhs(0, x, c->tmp, c); /* tmp = -grad */
  double g2 = 0, e = 0;
  for (int i = 0; i < n; i++) {
    double xi = x[i], hi = c->h ? c->h[i] : 0.0;
    double jx = -c->tmp[i] - xi * xi * xi + c->a * xi - hi; /* (J x)_i */
    g2 += c->tmp[i] * c->tmp[i];
    e += 0.25 * xi * xi * xi * xi - 0.5 * c->a * xi * xi + 0.5 * xi * jx + hi * xi;
  }
  *grad_rms = sqrt(g2 / n);
  *soft = e;
}

int po_cim_adiabatic_anneal(const po_ising *m, const po_cim_adiabatic_opts *o, int8_t *best_spins,
                            double *best_energy, po_cim_adiabatic_trace *trace) {
  if (trace) memset(trace, 0, sizeof *trace);
  int rc = check_model(m, "po_cim_adiabatic_anneal");
  if (rc) return rc;
  po_cim_adiabatic_opts def;
  po_cim_adiabatic_opts_default(&def);
  if (!o) o = &def;
  if (o->n_steps < 1 || o->n_steps > 10000000)
    return po_error(PO_ERR_ARG, "cim.adiabatic n_steps = %d, accepted 1..1e7", o->n_steps);
  if (!(o->grad_tol > 0 && isfinite(o->grad_tol)))
    return po_error(PO_ERR_ARG, "cim.adiabatic grad_tol = %g, accepted > 0", o->grad_tol);
  if (!(o->t_max > 0 && isfinite(o->t_max)))
    return po_error(PO_ERR_ARG, "cim.adiabatic t_max = %g, accepted > 0", o->t_max);
  if (!(o->init_scale > 0 && isfinite(o->init_scale)))
    return po_error(PO_ERR_ARG, "cim.adiabatic init_scale = %g, accepted > 0", o->init_scale);
  if (o->init != PO_CIM_INIT_EIGVEC && o->init != PO_CIM_INIT_RANDOM)
    return po_error(PO_ERR_ARG, "cim.adiabatic init = %d, accepted eigvec(0), random(1)",
                    (int)o->init);
  if (o->max_cvode_steps < 1)
    return po_error(PO_ERR_ARG, "cim.adiabatic max_cvode_steps = %ld, accepted >= 1",
                    o->max_cvode_steps);
  if (!isfinite(o->a_start_rel) || !isfinite(o->a_end_rel))
    return po_error(PO_ERR_ARG, "cim.adiabatic a_start_rel/a_end_rel must be finite");
  if (isinf(o->a_start) || isinf(o->a_end))
    return po_error(PO_ERR_ARG, "cim.adiabatic a_start/a_end must be finite (or NAN = auto)");

  const int n = m->n;
  land_ctx c;
  double *x = NULL, *v1 = NULL;
  int8_t *s = NULL;
  po_cvode *cv = NULL;
  if ((rc = ctx_init(&c, m)) != PO_OK) goto out;
  x = malloc(n * sizeof *x);
  v1 = malloc(n * sizeof *v1);
  s = malloc(n);
  if (!x || !v1 || !s) {
    rc = po_error(PO_ERR_NOMEM, "cim.adiabatic: out of memory (n = %d)", n);
    goto out;
  }
  double lam = 0;
  if ((rc = top_eig_ctx(&c, o->seed, v1, &lam)) != PO_OK) goto out;
  const double a_c = -lam, L = lam > 0 ? lam : 1.0;
  const double a0 = isnan(o->a_start) ? a_c + o->a_start_rel * L : o->a_start;
  const double a1 = isnan(o->a_end) ? a_c + o->a_end_rel * L : o->a_end;
  if (!(a1 >= a0)) rc = po_error(PO_ERR_ARG, "cim.adiabatic a_end = %g < a_start = %g", a1, a0);
  if (rc) goto out;

  if (o->init == PO_CIM_INIT_EIGVEC) {
    for (int i = 0; i < n; i++) x[i] = o->init_scale * sqrt((double)n) * v1[i];
  } else {
    po_rng r;
    po_rng_init(&r, o->seed, 0, 0);
    for (int i = 0; i < n; i++) x[i] = o->init_scale * po_rng_normal(&r);
  }

  const int np = o->n_steps + 1;
  if (trace) {
    trace->n = n;
    trace->n_points = np;
    trace->a = malloc(np * sizeof(double));
    trace->ising_energy = malloc(np * sizeof(double));
    trace->soft_energy = malloc(np * sizeof(double));
    trace->grad_rms = malloc(np * sizeof(double));
    trace->amp_rms = malloc(np * sizeof(double));
    trace->flow_time = malloc(np * sizeof(double));
    trace->final_spins = malloc(n);
    trace->final_x = malloc(n * sizeof(double));
    if (!trace->a || !trace->ising_energy || !trace->soft_energy || !trace->grad_rms ||
        !trace->amp_rms || !trace->flow_time || !trace->final_spins || !trace->final_x) {
      rc = po_error(PO_ERR_NOMEM, "cim.adiabatic: out of memory for the trace");
      goto out;
    }
    trace->lambda_max = lam;
    trace->a_c = a_c;
  }

  po_cvode_opts co;
  po_cvode_opts_default(&co);
  co.rtol = o->rtol > 0 ? o->rtol : def.rtol;
  co.atol = o->atol > 0 ? o->atol : def.atol;
  co.linsol = (po_cvode_linsol)o->linsol;
  co.dense_max_n = o->dense_max_n > 0 ? o->dense_max_n : def.dense_max_n;
  co.jac = land_jac;
  co.jtv = land_jtv;
  c.a = a0;
  if ((rc = po_cvode_create(n, land_rhs, &c, 0.0, x, &co, &cv)) != PO_OK) goto out;

  double best = INFINITY, e_ising = 0;
  int unconverged = 0;
  for (int p = 0; p < np; p++) {
    if (po_stop_requested()) { /* once per pump step (po_request_stop) */
      rc = po_error(PO_ERR_INTERRUPTED,
                    "interrupted: cim.adiabatic stopped by a stop request "
                    "(Ctrl-C) at pump step %d of %d",
                    p, o->n_steps);
      goto out;
    }
    c.a = a0 + (a1 - a0) * (double)p / (double)o->n_steps;
    if (p > 0 && (rc = po_cvode_reinit(cv, 0.0, x)) != PO_OK) goto out;
    double g, soft, t = 0;
    long steps = 0;
    grad_energy(&c, x, &g, &soft);
    while (g > o->grad_tol && t < o->t_max && steps < o->max_cvode_steps) {
      if ((rc = po_cvode_step(cv, o->t_max, x, &t)) != PO_OK) {
        po_error_wrap(rc, "cim.adiabatic: gradient flow at a = %g (step %d of %d)", c.a, p,
                      o->n_steps);
        goto out;
      }
      steps++;
      grad_energy(&c, x, &g, &soft);
    }
    if (g > o->grad_tol) unconverged++;
    for (int i = 0; i < n; i++) s[i] = x[i] >= 0 ? 1 : -1;
    e_ising = po_ising_energy(m, s);
    if (e_ising < best) {
      best = e_ising;
      if (best_spins) memcpy(best_spins, s, n);
    }
    if (trace) {
      double a2 = 0;
      for (int i = 0; i < n; i++) a2 += x[i] * x[i];
      trace->a[p] = c.a;
      trace->ising_energy[p] = e_ising;
      trace->soft_energy[p] = soft;
      trace->grad_rms[p] = g;
      trace->amp_rms[p] = sqrt(a2 / n);
      trace->flow_time[p] = t;
    }
  }
  if (best_energy) *best_energy = best;
  if (trace) {
    po_cvode_stats st;
    po_cvode_get_stats(cv, &st);
    memcpy(trace->final_spins, s, n);
    memcpy(trace->final_x, x, n * sizeof *x);
    trace->final_energy = e_ising;
    trace->unconverged = unconverged;
    trace->mvm = c.mvm;
    trace->rhs_evals = st.rhs_evals;
    trace->jtv_evals = st.jtv_evals;
    trace->cvode_steps = st.steps;
  }
out:
  if (rc != PO_OK && trace) po_cim_adiabatic_trace_free(trace);
  po_cvode_destroy(cv);
  ctx_free(&c);
  free(x);
  free(v1);
  free(s);
  return rc;
}
