/* Simulated bifurcation (SB) on the CPU reference backend: adiabatic (asb),
 * ballistic (bsb), discrete (dsb) and the heated ballistic/discrete variants
 * (hbsb, hdsb).  docs/cpu-backend.md ("Simulated bifurcation") gives the
 * equations with their sources, the defaults and measured results.
 *
 * Sources:
 *   [G19] H. Goto, K. Tatsumura, A. R. Dixon, Sci. Adv. 5, eaav2372 (2019):
 *         aSB, the adiabatic bifurcation of Kerr-nonlinear oscillators.
 *   [G21] H. Goto et al., Sci. Adv. 7, eabe7953 (2021): bSB and dSB
 *         (perfectly inelastic walls at |x| = 1; dSB couples through sign(x)).
 *   [KG22] T. Kanao, H. Goto, Commun. Phys. 5, 153 (2022): heated SB (a
 *         negative-friction "heating" term gamma y in the momentum update).
 *   [MQ]  MindQuantum, mindquantum/algorithm/qaia/SB.py (Apache-2.0), the
 *         reference implementation the issue compares against.
 *
 * Equations of motion (our convention E = sum_{i<j} J_ij s_i s_j + h.s, so
 * the SB coupling of [G21], c0 (J^G x + h^G), is -c0 (J x + h) here), time
 * in units of 1/a0, pump a(t) = a0 * schedule value (default linear 0 -> 1):
 *   bsb: y += [-(a0 - a) x - c0 (J x + h)] dt + gamma dt y;  x += a0 y dt
 *   dsb: as bsb with J sign(x) in place of J x
 *   walls (bsb, dsb): |x_i| > 1  ->  x_i = sign(x_i), y_i = 0
 *   asb: M substeps of dt/M: x += a0 y dm; y -= (K x^3 + (a0 - a) x) dm,
 *        then y += -c0 (J x + h) dt  (the modified symplectic Euler of [MQ])
 * (gamma = cpu.sb_heat for hbsb/hdsb, 0 otherwise).  The returned spins are
 * sign(x) after the last step ([G21] reads the final state).
 *
 * Batching: replicas form blocks of 32 (a constant, never the thread
 * count); within a block they are the columns of n x 32 matrices and the
 * coupling of a step is one single-threaded cblas_sgemm (dense J) or
 * po_spmm_csr (CSR J) of fixed shape.  Threads take whole blocks and run
 * their time loops without a barrier per step (as the cim engine does).
 * Replica r draws x(0), y(0) from the stream (seed, run_id, r), so results
 * are identical for any thread count.  (po_sgemm_det, which the issue
 * suggested, sets OpenBLAS's process-global thread count per call and so
 * cannot run on several threads at once; its per-step parallel regions
 * were also 27x slower on the loaded 2-core machine.) */
#ifndef PHYSOPT_BACKENDS_CPU_SB_H
#define PHYSOPT_BACKENDS_CPU_SB_H

#include "physopt/backend.h"

int po_cpu_sb_anneal(po_backend *b, const po_ising *m, const po_schedule *s,
                     const po_anneal_opts *o, po_samples *out);

/* ---- internal to backends/cpu (and its tests and benchmarks) ---- */

/* Whether `name` is one of the SB algorithms (asb|bsb|dsb|hbsb|hdsb). */
int po_cpu_sb_is_algorithm(const char *name);

/* The step and coupling a run of `algorithm` would use on m with the given
 * cpu.sb_dt and cpu.sb_c0 (0 = automatic), and the largest eigenvalue of J
 * behind the automatic step (see docs/cpu-backend.md). */
typedef struct po_cpu_sb_setup {
  double dt, c0, lambda_max, dt_limit;
} po_cpu_sb_setup;

int po_cpu_sb_plan(const po_ising *m, const char *algorithm, double dt_user, double c0_user,
                   po_cpu_sb_setup *out);

#endif
