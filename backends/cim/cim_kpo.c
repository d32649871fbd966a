/* --algorithm kpo: the Kerr-parametric-oscillator network of H. Goto,
 * Sci. Rep. 6, 21686 (2016), in its classical limit (H. Goto, K. Tatsumura,
 * A. R. Dixon, Sci. Adv. 5, eaav2372 (2019), Eqs. (1)-(2)); equations, the
 * analytic thresholds and the integrator in physics/kpo.h.
 *
 * The pump rises linearly from cim.kpo_pump_start to cim.kpo_pump_end over
 * T = steps x kpo_dt (in 1/omega_u); each replica starts from a
 * truncated-Wigner sample of the vacuum and is read out once, at the end:
 * s = sign(x(T)), as the oscillation phases of [G16]'s machine are.
 *
 * Replicas are the columns of n x R matrices; each of the three coupling
 * products of a step is one SGEMM (dense J) or one CSR SpMM (sparse J) over
 * all replicas, as in cim_mfcim.c.  Replica r draws x(0), y(0) from the
 * stream (seed, run_id, r); the element-wise flows are per element, so
 * results do not depend on the thread count.
 *
 * Device time: T / (2 pi kpo_unit_hz) per replica, replicas one after the
 * other; energy: the cryostat's wall power per device second and one
 * readout conversion per oscillator per run (the coupling is analogue, so
 * no MACs are booked). */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cim/cim.h"
#include "core/threads.h"
#include "physics/kpo.h"
#include "physopt/error.h"
#include "physopt/rng.h"
#include "solvers/spmm.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

typedef struct kpo_couple_ctx {
  const po_ising *m;
  int R;
} kpo_couple_ctx;

/* out = J v over all replica columns: the batched product of the other CIM
 * algorithms. */
static void kpo_couple(void *ctx, const float *v, float *out) {
  const kpo_couple_ctx *c = ctx;
  const po_ising *m = c->m;
  const int n = (int)m->n;
  if (m->storage == PO_STORAGE_DENSE)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, c->R, n, 1.0f, m->dense, n, v, c->R,
                0.0f, out, c->R);
  else
    po_spmm_csr(n, c->R, 1.0f, m->row_ptr, m->col, m->val, v, out);
}

typedef struct kpo_config {
  po_kpo_params prm;
  double p0, p1, dt, init_std, unit_hz, cryo_w, adc_j;
} kpo_config;

static int kpo_read(po_backend *be, const po_ising *m, uint64_t seed, kpo_config *c) {
  double xi, scale, x_h;
  int rc;
  if ((rc = po_backend_param_double(be, "kpo_kerr", &c->prm.kerr)) ||
      (rc = po_backend_param_double(be, "kpo_delta", &c->prm.delta)) ||
      (rc = po_backend_param_double(be, "kpo_xi", &xi)) ||
      (rc = po_backend_param_double(be, "kpo_xi_scale", &scale)) ||
      (rc = po_backend_param_double(be, "kpo_pump_start", &c->p0)) ||
      (rc = po_backend_param_double(be, "kpo_pump_end", &c->p1)) ||
      (rc = po_backend_param_double(be, "kpo_dt", &c->dt)) ||
      (rc = po_backend_param_double(be, "kpo_init_std", &c->init_std)) ||
      (rc = po_backend_param_double(be, "kpo_unit_hz", &c->unit_hz)) ||
      (rc = po_backend_param_double(be, "field_amp", &x_h)) ||
      (rc = po_backend_energy_cost(be, "kpo_cryostat_w", &c->cryo_w)) ||
      (rc = po_backend_energy_cost(be, "adc_j", &c->adc_j)))
    return rc;
  c->prm.x_h = x_h;
  double top_k = 0.0, top_j = 0.0;
  if ((rc = cim_coupling_extremes(m, seed, &top_k, &top_j))) return rc;
  /* automatic xi0: the network threshold p_th = Delta - xi0 lambda_max(-J)
   * lands at Delta (1 - scale) */
  c->prm.xi0 = xi > 0 ? xi : (top_k > 0 ? scale * c->prm.delta / top_k : 0.0);
  const double rho = fmax(fabs(top_k), fabs(top_j));
  if (c->dt * c->prm.xi0 * rho >= 2.0)
    return po_error(PO_ERR_ARG,
                    "backend cim: kpo: cim.kpo_dt = %g is unstable for this problem: the coupling "
                    "kicks need kpo_dt xi0 rho(J) < 2 (xi0 = %g, rho(J) = %g); use kpo_dt < %g",
                    c->dt, c->prm.xi0, rho, 2.0 / (c->prm.xi0 * rho));
  return PO_OK;
}

static void kpo_book_ledger(po_backend *be, const kpo_config *c, long n, int R, double T,
                            double wall_s) {
  const double run_s = T / (2.0 * M_PI * c->unit_hz);
  po_ledger *l = &be->ledger;
  l->wall_s += wall_s;
  l->run_s += run_s;
  l->device_s += (double)R * run_s;
  po_ledger_add(l, "kpo_cryostat", "s", (double)R * run_s, c->cryo_w);
  po_ledger_add(l, "readout_conversions", "samples", (double)R * (double)n, c->adc_j);
}

int cim_kpo_anneal(po_backend *be, const po_ising *m, const po_schedule *sch,
                   const po_anneal_opts *o, po_samples *out) {
  if (!m || m->n < 1) return po_error(PO_ERR_ARG, "backend cim: empty Ising model");
  if (sch && sch->kind != PO_SCHED_DEFAULT)
    return po_error(PO_ERR_ARG,
                    "backend cim: algorithm kpo ramps its pump from cim.kpo_pump_start to "
                    "cim.kpo_pump_end; a --schedule is not accepted");
  if (o->trajectory)
    return po_error(PO_ERR_UNSUPPORTED,
                    "backend cim: trajectories are recorded for cac, ahc, cfc, sfc and plain");
  if (o->replicas < 1 || o->steps < 1)
    return po_error(PO_ERR_ARG, "backend cim: kpo needs replicas >= 1 and steps >= 1 (got %d, %ld)",
                    o->replicas, o->steps);
  kpo_config c;
  int rc = kpo_read(be, m, o->seed, &c);
  if (rc) return rc;
  const long n = m->n, K = o->steps;
  const int R = o->replicas;
  const size_t nr = (size_t)n * (size_t)R;
  float *x = malloc(nr * sizeof *x), *y = malloc(nr * sizeof *y), *w = malloc(nr * sizeof *w);
  const float *field = m->h;
  if (!x || !y || !w) {
    rc = po_error(PO_ERR_NOMEM, "backend cim: cannot allocate kpo state for N = %ld x %d", n, R);
    goto done;
  }
  for (int r = 0; r < R; r++) {
    po_rng g;
    po_rng_init(&g, o->seed, o->run_id, (uint64_t)r);
    for (long i = 0; i < n; i++) {
      x[(size_t)i * R + r] = (float)(c.init_std * po_rng_normal(&g));
      y[(size_t)i * R + r] = (float)(c.init_std * po_rng_normal(&g));
    }
  }
  /* Threads for the products only where they pay (>= 1e7 multiply-adds per
   * product, as cim_mfcim.c): OpenBLAS's for dense J, po_spmm_csr's OpenMP
   * team for sparse J. */
  const int T_all = po_threads_resolve(o->threads);
  const double work =
      (m->storage == PO_STORAGE_DENSE ? (double)n * (double)n : (double)m->row_ptr[n]) * R;
  const int kt = work >= 1e7 ? T_all : 1, dense = m->storage == PO_STORAGE_DENSE;
  po_blas_threads_enter(dense ? kt : 1);
  const int omp_caller = po_omp_threads_push(dense ? 1 : kt);
  kpo_couple_ctx cc = {m, R};
  const double h = c.dt, T = (double)K * h, w0 = omp_get_wtime();
  for (long k = 0; k < K; k++) {
    const double p = c.p0 + (c.p1 - c.p0) * ((double)k + 0.5) / (double)K; /* mid-step */
    po_kpo_step_chain(n, R, h, p, &c.prm, kpo_couple, &cc, field, x, y, w, k == 0, k + 1 == K);
    if (o->progress && (k + 1) % 1000 == 0) o->progress(o->progress_ctx, (double)(k + 1) / K);
    if (po_stop_requested()) break; /* the run fails with PO_ERR_INTERRUPTED */
  }
  const double wall = omp_get_wtime() - w0;
  po_omp_threads_pop(omp_caller);
  po_blas_threads_leave();
  for (size_t q = 0; q < nr; q++)
    if (!isfinite(x[q]) || !isfinite(y[q])) {
      rc = po_error(PO_ERR_NUMERIC,
                    "backend cim: kpo: amplitudes became non-finite; reduce cim.kpo_dt (now %g) "
                    "or cim.kpo_pump_end (now %g)",
                    h, c.p1);
      goto done;
    }
  if ((rc = po_samples_alloc(out, R, (int)n))) goto done;
  for (int r = 0; r < R; r++) {
    int8_t *s = out->spins + (size_t)r * n;
    for (long i = 0; i < n; i++) s[i] = x[(size_t)i * R + r] < 0 ? -1 : 1;
    out->energy[r] = po_ising_energy(m, s);
  }
  kpo_book_ledger(be, &c, n, R, T, wall);
  rc = PO_OK;
done:
  free(x), free(y), free(w);
  return rc;
}
