/* Metropolis simulated annealing and parallel tempering of the CPU reference
 * backend (the ising_anneal op of po_backend_ops_cpu).  docs/cpu-backend.md
 * describes the algorithms, defaults and measured throughput.
 *
 * Algorithms (o->algorithm, NULL = "sa"):
 *   sa  o->replicas independent Metropolis anneals of o->steps sweeps each;
 *       sweeps visit spins 0..n-1 in order, one inverse temperature per sweep.
 *   pt  o->replicas independent parallel-tempering runs, each with
 *       cpu.pt_temperatures chains at fixed inverse temperatures, o->steps
 *       sweeps per chain, neighbour exchanges after every sweep.
 *
 * Inverse temperatures: PO_SCHED_DEFAULT (or s == NULL) is geometric from
 *   beta_hot  = ln 2   / (2 max_i (sum_j |J_ij| + |h_i|))  (every move accepted
 *               with probability >= 1/2) to
 *   beta_cold = ln 100 / (2 min nonzero |J_ij|)            (the smallest uphill
 *               move accepted with probability <= 1/100);
 * a user schedule gives beta directly (sa: value at sweep k of K; pt: the
 * ladder is the schedule sampled at t = 0..T-1 of T).
 *
 * Returned samples (out is allocated here with po_samples_alloc): one row per
 * replica (sa) or per PT run (pt): with cpu.sample = best (default) the
 * lowest-energy state seen at the end of a sweep (sa general kernel: every
 * sweep; multispin: see cpu_multispin.c; pt: every sweep, over all chains of
 * the run); with cpu.sample = final the final state (pt: coldest chain).  The final state is among
 * the candidates, so the returned energy is never above the final one.
 * out->energy is po_ising_energy of the returned spins.
 *
 * Kernels (cpu.kernel): `general` (any couplings, CSR or dense) and
 * `multispin` (64 replicas per uint64 word, +/-1 couplings without fields);
 * `auto` picks multispin for sa on m->pm1 problems.
 *
 * Random streams: sa general replica r uses po_rng_init(seed, run_id, r);
 * pt run r chain t uses (seed, run_id, r * 2^20 + t) and its exchanges use
 * (seed, run_id, r * 2^20 + 2^20 - 1); multispin word w uses
 * (seed, po_hash2(run_id, "MSPN"), w).  Results do not depend on the number
 * of threads. */
#ifndef PHYSOPT_BACKENDS_CPU_ANNEAL_H
#define PHYSOPT_BACKENDS_CPU_ANNEAL_H

#include <math.h>
#include <stdint.h>
#include "physopt/backend.h"
#include "physopt/schedule.h"

/* The cpu algorithms (rows of the cpu backend's algorithm table). */
int po_cpu_sa(po_backend *b, const po_ising *m, const po_schedule *s, const po_anneal_opts *o,
              po_samples *out);
int po_cpu_pt(po_backend *b, const po_ising *m, const po_schedule *s, const po_anneal_opts *o,
              po_samples *out);

/* ---- internal to backends/cpu (and its tests) ---- */

/* Overrides for tests and benchmarks: kernel (NULL = cpu.kernel) and
 * final_state = 1 to return each replica's final state instead of the best
 * seen (equilibrium tests at constant beta need unbiased final states). */
typedef struct po_cpu_extra {
  const char *kernel;
  int final_state;
} po_cpu_extra;

/* sa or pt by o->algorithm (NULL: sa) with the overrides x. */
int po_cpu_anneal_ex(po_backend *b, const po_ising *m, const po_schedule *s,
                     const po_anneal_opts *o, const po_cpu_extra *x, po_samples *out);

/* Work counters of one call, booked into the ledger by po_cpu_sa / po_cpu_pt. */
typedef struct po_cpu_counts {
  double attempts; /* spin-update attempts (multispin: lanes x spins x sweeps) */
  double accepted; /* accepted flips (replicas that are returned only) */
  double macs;     /* general kernel: local-field multiply-adds */
  double word_ops; /* multispin: 64-bit logic operations (estimate) */
  int threads_used;
} po_cpu_counts;

/* The inverse temperature of sweep k of K, computed when it is needed: a
 * table of K betas (8 K bytes) made the documented range of run.steps
 * (up to 10^12) fail with "out of memory" (issue 12 item 6). */
typedef struct po_cpu_betas {
  const po_schedule *s; /* a user schedule, or NULL: geometric hot -> cold */
  long K;
  double hot, cold;
} po_cpu_betas;

/* The same expressions as the table they replace, so results are
 * bit-identical. */
static inline double po_cpu_beta_at(const po_cpu_betas *b, long k) {
  if (b->s) return po_schedule_value(b->s, k, b->K);
  double t = b->K > 1 ? (double)k / (double)(b->K - 1) : 1.0;
  return b->hot * pow(b->cold / b->hot, t);
}

/* Multispin SA (cpu_multispin.c): m->pm1 must hold.  betas->K sweeps
 * (K = betas->K); writes the spins of R replicas (R x n, +/-1) to spins. */
int po_cpu_multispin_sa(const po_ising *m, const po_cpu_betas *betas, long K, int R, uint64_t seed,
                        uint64_t run_id, int threads, po_progress_fn progress, void *progress_ctx,
                        int final_state, int8_t *spins, po_cpu_counts *counts);

#endif
