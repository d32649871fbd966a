/* Associative memory: storage rules, the recall task every backend runs, and
 * the measurements (overlap, retrieval versus load, basin size, capacity).
 *
 * Convention (Hopfield): a symmetric coupling matrix W with zero diagonal,
 * local field h_i = sum_j W_ij s_j, energy E = -(1/2) s.W.s; a stored pattern
 * xi is retrieved when the dynamics started from a corrupted cue ends with
 * overlap m = (1/N) sum_i xi_i s_i > 0.95.  (In the po_ising convention of
 * problem.h this is J = -W.)
 *
 * Dynamics (zero temperature):
 *   glauber        random sequential: visit spins in a fresh random order
 *                  each sweep, s_i <- sign(h_i); stop after a sweep without
 *                  flips (a fixed point).
 *   steepest       discrete steepest descent, the cavity's native dynamics
 *                  (Marsh et al., PRX 11, 021048, 2021): flip the most
 *                  unstable spin, argmax_i (-s_i h_i) > 0, until none is.
 *   semiclassical  cavity backend only: collective-spin equations of motion
 *                  under a transverse-pump ramp (backends/cavity/, docs/cavity.md).
 * Ties (|h_i| <= 1e-9 max_i sum_j |W_ij|) leave the spin unchanged. */
#ifndef PHYSOPT_MEMORY_H
#define PHYSOPT_MEMORY_H

#include <stdint.h>
#include "physopt/backend.h"
#include "physopt/rng.h"
#include "physopt/schedule.h"

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared in include/physopt/ is exported from libphysopt.so,
 * nothing else is (-fvisibility=hidden; docs/design-notes.md). */
#pragma GCC visibility push(default)

typedef enum { PO_RULE_HEBBIAN = 0, PO_RULE_PSEUDOINVERSE = 1, PO_RULE_NATIVE = 2 } po_memory_rule;
typedef enum {
  PO_DYN_GLAUBER = 0,
  PO_DYN_STEEPEST = 1,
  PO_DYN_SEMICLASSICAL = 2
} po_recall_dynamics;

struct po_recall_task {
  int n;
  const float *W; /* n x n, symmetric, zero diagonal */
  po_recall_dynamics dynamics;
  long max_sweeps; /* glauber: sweeps; steepest: at most max_sweeps * n flips;
                      semiclassical: integration steps per unit ramp (0 = default) */
  uint64_t seed;   /* streams (seed, run_id, trial) */
  uint64_t run_id;
  const po_schedule *schedule; /* semiclassical pump ramp; NULL = backend default */
  int threads;                 /* 0 = OpenMP default */
  /* Optional outputs, NULL to skip (arrays of `trials` entries). */
  long *flips;    /* spin flips performed */
  int *converged; /* 1 when a fixed point of the dynamics was reached */
  /* Optional: the first flip_log_len flipped spin indices of each trial, in
   * order (trials x flip_log_len, -1 padded). */
  int *flip_log;
  int flip_log_len;
};

const char *po_memory_rule_name(po_memory_rule r);
int po_memory_rule_parse(const char *name, po_memory_rule *out);
const char *po_recall_dynamics_name(po_recall_dynamics d);
int po_recall_dynamics_parse(const char *name, po_recall_dynamics *out);

/* P x n random +/-1 patterns, stream (seed, 0x70617474, mu). */
int po_memory_patterns_random(int n, int P, uint64_t seed, int8_t *xi);

/* W (n x n) from P patterns (P x n):
 *   hebbian        W = (1/n) sum_mu xi^mu xi^mu^T         (Hopfield 1982)
 *   pseudoinverse  W = (1/n) Xi C^-1 Xi^T, C = Xi^T Xi / n  (projection rule,
 *                  Personnaz et al. 1985; Kanter & Sompolinsky 1987); needs
 *                  linearly independent patterns, P < n.
 * The diagonal is set to zero in both. */
int po_memory_store(po_memory_rule rule, int n, int P, const int8_t *xi, float *W);

/* The cavity's native connectivity: W = K / (sqrt(n) rms(K_ij, i != j)),
 * K the confocal couplings (physics/cavity.h closed form) of n ensembles
 * placed uniformly in a disk of radius spread*w0 (seed), width sigma_A/w0. */
int po_memory_native(int n, double spread_w0, double sigma_w0, uint64_t seed, float *W);

/* The same with the cavity's geometry: cav == NULL or !cav->multimode is
 * po_memory_native; otherwise the couplings are the multimode mode sum of
 * physics/cavity.h (po_cavity_couplings_multimode) with the waist that
 * follows from L, R, lambda, the ensembles' transverse positions as in
 * po_memory_native (units of that waist) and heights uniform in
 * [-z_spread_um, z_spread_um] (stream (seed, 0x7a, 0)). */
typedef struct po_native_cavity {
  int multimode;
  double length_um, mirror_radius_um, wavelength_um;
  double pump_detuning_mhz, kappa_khz; /* Delta_0/2pi, kappa/2pi */
  double z_spread_um;
  int n_families;
} po_native_cavity;
int po_memory_native_geometry(int n, double spread_w0, double sigma_w0, const po_native_cavity *cav,
                              uint64_t seed, float *W);

/* Native memories: P fixed points of W reached by `dynamics` on backend b
 * from random initial states (seed), distinct up to global sign when
 * possible (gives up after 20 P attempts and repeats states). */
int po_memory_native_patterns(po_backend *b, const float *W, int n, int P,
                              po_recall_dynamics dynamics, uint64_t seed, int8_t *xi);

double po_memory_overlap(int n, const int8_t *xi, const int8_t *s);

/* cue = xi with exactly round(F n) distinct spins flipped (F in [0, 1]). */
int po_memory_corrupt(int n, const int8_t *xi, double F, po_rng *r, int8_t *cue);

typedef struct po_recall_stats {
  int trials;
  double overlap_mean, overlap_std;
  double recall_fraction; /* share of trials with m > 0.95 */
  double flips_mean;
} po_recall_stats;

/* trials_per_pattern cues per stored pattern, corruption F, run on b with
 * task t (t->W etc. set by the caller); overlaps (P*trials_per_pattern) may
 * be NULL.  Cue streams (seed, mu, k). */
int po_memory_recall_eval(po_backend *b, const po_recall_task *t, int P, const int8_t *xi, double F,
                          int trials_per_pattern, uint64_t seed, po_recall_stats *out,
                          double *overlaps);

/* Basin size: the largest corruption on the grid F = 0, df, 2 df, ... <= 0.5
 * whose recall fraction is >= 0.5. */
int po_memory_basin(po_backend *b, const po_recall_task *t, int P, const int8_t *xi, double df,
                    int trials_per_pattern, uint64_t seed, double *basin);

/* Capacity: alpha_c is where the recall fraction first falls below 0.5 on an
 * increasing alpha grid (linear interpolation between grid points; NaN if it
 * never does, 0 if it is already below at the first point). */
double po_memory_alpha_c(int n_alpha, const double *alpha, const double *recall_fraction);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
