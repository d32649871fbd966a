/* Samples from an annealer and the metrics computed from them. */
#ifndef PHYSOPT_RESULTS_H
#define PHYSOPT_RESULTS_H

#include <stdint.h>
#include "physopt/problem.h"

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared in include/physopt/ is exported from libphysopt.so,
 * nothing else is (-fvisibility=hidden; docs/design-notes.md). */
#pragma GCC visibility push(default)

typedef struct po_samples {
  int replicas;
  int n;
  int8_t *spins;  /* replicas x n, row-major, +/-1 */
  double *energy; /* replicas, E(s) in the problem's convention */
} po_samples;

int po_samples_alloc(po_samples *s, int replicas, int n);
void po_samples_free(po_samples *s);
/* Recomputes energy[] from spins (used to verify backends). */
void po_samples_recompute(po_samples *s, const po_ising *m);

typedef struct po_metrics {
  int replicas;
  double best_energy, mean_energy, median_energy;
  double best_cut; /* po_ising_cut(best_energy); NaN when the model has fields */
  int has_target;
  double target_energy;       /* known ground energy, or the user's target */
  double success_probability; /* share of replicas with E <= target + 1e-9 |target| */
  double tts99_s;             /* TTS99 from run_s (INFINITY when p = 0) */
  double residual_energy;     /* mean_energy - target */
  double approx_ratio;        /* best_energy / target (both negative: <= 1) */
} po_metrics;

/* TTS99 = t ln(0.01)/ln(1 - p) for 0 < p < 0.99; t for p >= 0.99 (one run
 * already succeeds with probability >= 99%); +INFINITY for p = 0. */
double po_tts99(double t_run, double p);

/* has_target = 0: success, TTS and ratios are NaN. */
int po_metrics_compute(const po_samples *s, const po_ising *m, int has_target, double target,
                       double run_s, po_metrics *out);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
