/* Adiabatic landscape annealing of the CIM (the procedure analysed by
 * Yamamura, Mabuchi, Ganguli, arXiv:2309.08119): the pump a is raised in
 * small steps; at each step the amplitudes relax, by the gradient flow
 *
 *     dx/dt = -dE/dx = -x^3 + a x + K x - h x_h,
 *     E(x)  = (1/4) sum x_i^4 - (a/2) sum x_i^2 - (1/2) x.K x + x_h h.x,   K = -J,
 *
 * to the nearest minimum, integrated with SUNDIALS CVODE (BDF; dense direct
 * solver with the exact Jacobian -3 diag(x^2) + a + K for N <= 50, else
 * matrix-free SPGMR with the exact J v).  The Ising energy of sign(x) is
 * recorded along the way; the sample is sign(x) at the last pump value.
 *
 * x = 0 is stationary for every a, so after the bifurcation the flow would
 * stay at a numerically tiny x forever: amplitudes are kept at a norm of at
 * least adiabatic_floor (the role of vacuum fluctuations), which preserves
 * the direction -- near the bifurcation, the top eigenvector of K. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cim/cim.h"
#include "physopt/error.h"
#include "physopt/rng.h"
#include "solvers/cvode.h"

typedef struct flow {
  const po_ising *m;
  long n;
  double a, xh;
  double *kx; /* scratch */
} flow;

/* y = K x - h x_h = -J x - h x_h (float couplings, double vectors). */
static void apply_k(const flow *f, const double *x, double *y) {
  const po_ising *m = f->m;
  const long n = f->n;
  if (m->storage == PO_STORAGE_DENSE) {
    for (long i = 0; i < n; i++) {
      const float *Ji = m->dense + (size_t)i * n;
      double s = 0.0;
      for (long j = 0; j < n; j++) s += Ji[j] * x[j];
      y[i] = -s;
    }
  } else {
    for (long i = 0; i < n; i++) {
      double s = 0.0;
      for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++) s += m->val[k] * x[m->col[k]];
      y[i] = -s;
    }
  }
}

static int rhs(void *ctx, double t, const double *x, double *dx) {
  (void)t;
  flow *f = ctx;
  apply_k(f, x, dx);
  for (long i = 0; i < f->n; i++) {
    double v = x[i];
    dx[i] += -v * v * v + f->a * v - (f->m->h ? f->m->h[i] * f->xh : 0.0);
  }
  return PO_OK;
}

static int jac(void *ctx, double t, const double *x, double *J) {
  (void)t;
  flow *f = ctx;
  const long n = f->n;
  const po_ising *m = f->m;
  for (long j = 0; j < n; j++)
    for (long i = 0; i < n; i++) J[i + j * n] = -(double)po_ising_coupling(m, (int)i, (int)j);
  for (long i = 0; i < n; i++) J[i + i * n] += -3.0 * x[i] * x[i] + f->a;
  return PO_OK;
}

static int jtv(void *ctx, double t, const double *x, const double *v, double *jv) {
  (void)t;
  flow *f = ctx;
  apply_k(f, v, jv);
  for (long i = 0; i < f->n; i++) jv[i] += (-3.0 * x[i] * x[i] + f->a) * v[i];
  return PO_OK;
}

/* Largest eigenvalue of K by power iteration on K + s I (s = max row sum). */
static double lambda_max(const po_ising *m, uint64_t seed) {
  const long n = m->n;
  double s, mn;
  po_ising_coupling_scales(m, &s, &mn);
  flow f = {.m = m, .n = n};
  double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
  if (!x || !y) {
    free(x), free(y);
    return s;
  }
  po_rng r;
  po_rng_init(&r, seed, 0x6c616d626461ULL, 0);
  for (long i = 0; i < n; i++) x[i] = po_rng_normal(&r);
  double lam = 0.0;
  for (int it = 0; it < 300; it++) {
    double nx = 0.0;
    for (long i = 0; i < n; i++) nx += x[i] * x[i];
    nx = sqrt(nx);
    for (long i = 0; i < n; i++) x[i] /= nx;
    apply_k(&f, x, y);
    double rq = 0.0;
    for (long i = 0; i < n; i++) {
      rq += x[i] * y[i];
      y[i] += s * x[i];
    }
    double *t = x;
    x = y, y = t;
    if (it > 20 && fabs(rq - lam) < 1e-6 * (fabs(rq) + 1e-12)) {
      lam = rq;
      break;
    }
    lam = rq;
  }
  free(x), free(y);
  return lam;
}

int cim_adiabatic(po_backend *be, const po_ising *m, const po_schedule *sch,
                  const po_anneal_opts *o, po_samples *out, const cim_config *cfg) {
  const long n = m->n;
  const int R = o->replicas;
  const long K = o->steps;
  double a_start, a_end, relax_time, relax_max, tol, floor_norm;
  const char *solver;
  int rc;
  if ((rc = po_backend_param_double(be, "adiabatic_start", &a_start)) ||
      (rc = po_backend_param_double(be, "adiabatic_end", &a_end)) ||
      (rc = po_backend_param_double(be, "adiabatic_relax_time", &relax_time)) ||
      (rc = po_backend_param_double(be, "adiabatic_relax_max", &relax_max)) ||
      (rc = po_backend_param_double(be, "adiabatic_tol", &tol)) ||
      (rc = po_backend_param_double(be, "adiabatic_floor", &floor_norm)) ||
      (rc = po_backend_param_string(be, "adiabatic_solver", &solver)))
    return rc;
  const po_ode_linsol ls = !strcmp(solver, "dense")    ? PO_ODE_DENSE
                           : !strcmp(solver, "krylov") ? PO_ODE_KRYLOV
                           : n <= 50                   ? PO_ODE_DENSE
                                                       : PO_ODE_KRYLOV;
  const double lam = lambda_max(m, o->seed);
  if ((rc = po_samples_alloc(out, R, (int)n))) return rc;

  double w0 = omp_get_wtime(), total_time = 0.0;
  int err = 0, err_code = PO_OK;
  char err_msg[512] = "";
  const int T = o->threads > 0 ? o->threads : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 1) num_threads(T) reduction(+ : total_time)
  for (int r = 0; r < R; r++) {
    int failed;
#pragma omp atomic read
    failed = err;
    if (failed) continue;
    flow f = {.m = m, .n = n, .xh = cfg->field_amp};
    double *x = malloc((size_t)n * sizeof *x), *g = malloc((size_t)n * sizeof *g);
    float *xf = malloc((size_t)n * sizeof *xf);
    po_ode *ode = NULL;
    int lrc = (x && g && xf) ? PO_OK : PO_ERR_NOMEM;
    if (!lrc) lrc = po_ode_create(&ode, n, ls, rhs, jac, jtv, &f, 1e-6, 1e-9);
    if (!lrc) {
      po_rng rng;
      po_rng_init(&rng, o->seed, o->run_id, (uint64_t)r);
      for (long i = 0; i < n; i++) x[i] = cfg->init_amp * (po_rng_uniform(&rng) - 0.5);
      const int rec = o->trajectory && o->trajectory_replica == r;
      for (long k = 0; k < K && !lrc; k++) {
        f.a = (sch && sch->kind != PO_SCHED_DEFAULT)
                  ? po_schedule_value(sch, k, K)
                  : lam * (a_start + (a_end - a_start) * (K > 1 ? (double)k / (K - 1) : 1.0));
        double nx = 0.0;
        for (long i = 0; i < n; i++) nx += x[i] * x[i];
        nx = sqrt(nx);
        if (nx < floor_norm)
          for (long i = 0; i < n; i++) x[i] *= floor_norm / (nx > 0 ? nx : 1.0);
        if ((lrc = po_ode_reset(ode, 0.0, x))) break;
        double t = 0.0;
        for (;;) {
          t += relax_time;
          if ((lrc = po_ode_advance(ode, t, x))) break;
          rhs(&f, t, x, g);
          double gmax = 0.0;
          for (long i = 0; i < n; i++) gmax = fmax(gmax, fabs(g[i]));
          if (gmax <= tol || t >= relax_max) break;
        }
        total_time += t;
        if (rec && (k % (o->trajectory_every > 0 ? o->trajectory_every : 1) == 0 || k == K - 1)) {
          for (long i = 0; i < n; i++) xf[i] = (float)x[i];
#pragma omp critical(cim_traj)
          o->trajectory(o->trajectory_ctx, k, f.a, xf, (int)n);
        }
      }
      for (long i = 0; i < n; i++) out->spins[(size_t)r * n + i] = x[i] < 0 ? -1 : 1;
    }
    if (lrc) {
#pragma omp critical(cim_err)
      if (!err) {
        err = 1;
        err_code = lrc;
        snprintf(err_msg, sizeof err_msg, "%s", po_last_error());
      }
    }
    po_ode_destroy(ode);
    free(x), free(g), free(xf);
  }
  if (err) {
    po_samples_free(out);
    return po_error(err_code, "backend cim (adiabatic): %s", err_msg);
  }
  for (int r = 0; r < R; r++) out->energy[r] = po_ising_energy(m, out->spins + (size_t)r * n);

  /* Ledger: integrated relaxation time (photon lifetimes) as round trips. */
  const double t_rt = cfg->ring_length_m * cfg->group_index / 299792458.0;
  const double rts = total_time * cfg->round_trips_per_step / cfg->dt;
  po_ledger *l = &be->ledger;
  l->wall_s += omp_get_wtime() - w0;
  l->device_s += rts * t_rt;
  l->run_s += rts * t_rt / R;
  po_ledger_add(l, "round_trips", "round trips", rts, cfg->pump_power_w * t_rt);
  const double nnz =
      m->storage == PO_STORAGE_DENSE ? (double)n * (double)(n - 1) : (double)m->row_ptr[n];
  const int optical = !strcmp(cfg->feedback, "optical");
  po_ledger_add(l, optical ? "feedback_optical_macs" : "feedback_digital_macs", "MAC", rts * nnz,
                optical ? cfg->optical_mac_j : cfg->digital_mac_j);
  return PO_OK;
}
