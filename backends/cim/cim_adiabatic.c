/* `--algorithm adiabatic` of the cim backend: adiabatic landscape annealing
 * (physics/cim_landscape.h; Yamamura, Mabuchi, Ganguli, arXiv:2309.08119),
 * the noiseless CIM run as a sequence of relaxed minima of
 * E_a(x) = sum x^4/4 - a sum x^2/2 - (1/2) x.K.x, K = -J, while the pump a is
 * raised in o->steps equal steps (default 150) from just below the first
 * bifurcation a_c = -lambda_max(K) to a_c + adiabatic_span lambda_max(K).
 *
 * Replicas: replica 0 starts along the bifurcation direction (top eigenvector
 * of K) when cim.adiabatic_init = eigvec (default), every other replica (and
 * every replica with adiabatic_init = random) from small random amplitudes
 * drawn from the stream (seed, run_id, r).  The pump schedule argument is
 * not used (the pump steps are set by --steps and the span).
 *
 * Ledger (documented mapping; see docs/cim-adiabatic.md): the gradient flow
 * dx/dt = -grad E_a is the noiseless OPO equation of Wang et al. (PRA 88,
 * 063853, 2013) with saturation mu = 1, a = p - 1 and K = -eps J (eps = 1;
 * another eps rescales x and t), so one unit of flow time is booked as one
 * photon lifetime and, as for the other cim models, cim.dt photon lifetimes
 * take cim.round_trips_per_step ring round trips.  Each coupling product the
 * solver evaluates (right-hand sides, Hessian-vector products, stationarity
 * checks, Lanczos) is booked as one feedback MVM of nnz(J) MACs; pump energy,
 * ADC and DAC per round trip as for the other models. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/threads.h"
#include "backends/cim/cim.h"
#include "physics/cim_landscape.h"
#include "physopt/error.h"
#include "physopt/rng.h"

int cim_adiabatic_anneal(po_backend *b, const po_ising *m, const po_schedule *sch,
                         const po_anneal_opts *o, po_samples *out) {
  if (!m || m->n < 1) return po_error(PO_ERR_ARG, "backend cim: empty Ising model");
  /* Refuse rather than silently ignore what this algorithm does not use. */
  if (sch && sch->kind != PO_SCHED_DEFAULT)
    return po_error(PO_ERR_ARG, "backend cim: algorithm adiabatic sets its pump steps from "
                                "cim.adiabatic_span and --steps; a --schedule is not accepted");
  if (o->trajectory)
    return po_error(PO_ERR_UNSUPPORTED,
                    "backend cim: trajectories are recorded for cac, ahc and plain; for adiabatic "
                    "use bench/bench_cim_adiabatic --trace (docs/cim-adiabatic.md)");
  if (o->replicas < 1)
    return po_error(PO_ERR_ARG, "backend cim: replicas = %d, accepted >= 1", o->replicas);
  cim_config cfg;
  int rc = cim_config_read(b, &cfg);
  if (rc) return rc;
  double span = 3.0, gtol = 1e-5;
  const char *init = "eigvec";
  if ((rc = po_backend_param_double(b, "adiabatic_span", &span)) ||
      (rc = po_backend_param_double(b, "adiabatic_grad_tol", &gtol)) ||
      (rc = po_backend_param_string(b, "adiabatic_init", &init)))
    return rc;
  if (o->steps > 10000000)
    return po_error(PO_ERR_ARG, "backend cim: adiabatic steps = %ld pump steps, accepted 1..1e7",
                    o->steps);

  const long n = m->n;
  const int R = o->replicas;
  double t_rt;
  if ((rc = cim_ring_round_trip(&cfg, n, &t_rt))) return rc;
  if ((rc = po_samples_alloc(out, R, (int)n))) return rc;

  const double w0 = omp_get_wtime();
  const int omp_caller = po_omp_threads_push(o->threads); /* the landscape flow's team */
  double flow_total = 0, mvm_total = 0, flow_max = 0;
  for (int r = 0; r < R && rc == PO_OK; r++) {
    po_cim_adiabatic_opts ao;
    po_cim_adiabatic_opts_default(&ao);
    ao.n_steps = o->steps > 0 ? (int)o->steps : ao.n_steps;
    ao.grad_tol = gtol;
    ao.seed = po_hash2(po_hash2(o->seed, o->run_id), (uint64_t)r);
    ao.init = (r == 0 && !strcmp(init, "eigvec")) ? PO_CIM_INIT_EIGVEC : PO_CIM_INIT_RANDOM;
    ao.init_scale = cfg.init_amp > 0 ? cfg.init_amp : ao.init_scale;
    po_cim_adiabatic_trace tr;
    ao.a_end_rel = span;
    double e = 0;
    rc = po_cim_adiabatic_anneal(m, &ao, out->spins + (size_t)r * n, &e, &tr);
    if (rc != PO_OK) break;
    out->energy[r] = e;
    double ft = 0;
    for (int p = 0; p < tr.n_points; p++) ft += tr.flow_time[p];
    flow_total += ft;
    flow_max = fmax(flow_max, ft);
    mvm_total += (double)tr.mvm;
    po_cim_adiabatic_trace_free(&tr);
    if (o->progress) o->progress(o->progress_ctx, (double)(r + 1) / R);
  }
  po_omp_threads_pop(omp_caller);
  if (rc != PO_OK) {
    po_samples_free(out);
    return po_error_wrap(rc, "backend cim (adiabatic)");
  }

  /* Ledger: replicas run one after the other on the device. */
  const double rt_per_lifetime = cfg.round_trips_per_step / cfg.dt;
  const double rts = flow_total * rt_per_lifetime;
  const double nnz =
      m->storage == PO_STORAGE_DENSE ? (double)n * (double)(n - 1) : (double)m->row_ptr[n];
  po_ledger *l = &b->ledger;
  l->wall_s += omp_get_wtime() - w0;
  l->device_s += rts * t_rt;
  l->run_s += flow_max * rt_per_lifetime * t_rt;
  po_ledger_add(l, "round_trips", "round trips", rts, cfg.pump_power_w * t_rt);
  const int optical = !strcmp(cfg.feedback, "optical");
  po_ledger_add(l, optical ? "feedback_optical_macs" : "feedback_digital_macs", "MAC",
                mvm_total * nnz, optical ? cfg.optical_mac_j : cfg.digital_mac_j);
  po_ledger_add(l, "adc_conversions", "samples", rts * (double)n, cfg.adc_j);
  po_ledger_add(l, "dac_conversions", "samples", rts * (double)n, cfg.dac_j);
  cim_describe_model(l, &cfg, 0, 0); /* deterministic: no device noise or measurement */
  return PO_OK;
}
