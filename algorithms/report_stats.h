/* Statistics of a group of runs for `physopt report` (internal header).
 *
 * The replicas of all runs in a group are pooled: success probability
 * p = hits / replicas, where replica r succeeds when E_r <= target +
 * 1e-9 max(1, |target|) (the rule of po_metrics_compute).  With t the mean
 * time one replica's run takes, TTS99 = po_tts99(t, p); the same factor
 * ln(0.01)/ln(1-p) turns the mean joules per replica into the
 * energy-to-solution ETS99.  Confidence intervals: percentile bootstrap
 * over the pooled replicas (n_boot resamples drawn from a po_rng stream of
 * `seed`, so a report is reproducible); TTS and ETS decrease with p, so
 * their intervals are the images of p's interval. */
#ifndef PHYSOPT_ALGORITHMS_REPORT_STATS_H
#define PHYSOPT_ALGORITHMS_REPORT_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct po_group_run {
  int replicas;
  const double *energy; /* replicas */
  int has_target;
  double target;
  double run_s;  /* device time of one replica's run (ledger run_s) */
  double wall_s; /* measured wall time of the whole run (all replicas) */
  double joules; /* ledger total of the whole run */
} po_group_run;

typedef struct po_group_stats {
  long runs, replicas, hits;
  int has_target;             /* every run has a target */
  double p, p_lo, p_hi;       /* success probability and 95% CI */
  double t_run, t_wall;       /* mean device / wall seconds per replica */
  double j_rep;               /* mean joules per replica */
  double tts, tts_lo, tts_hi; /* device TTS99 and CI */
  double tts_wall, tts_wall_lo, tts_wall_hi;
  double ets, ets_lo, ets_hi; /* energy to solution (J) and CI */
  double e_median, e_best, e_mean;
} po_group_stats;

/* The ln(0.01)/ln(1-p) factor of TTS99 (1 for p >= 0.99, +inf for p = 0). */
double po_report_repeats99(double p);

int po_group_stats_compute(const po_group_run *runs, size_t n, int n_boot, uint64_t seed,
                           po_group_stats *out);

/* Mean of x[0..n) with a 95% percentile-bootstrap interval over the n
 * values (resampled n_boot times from a po_rng stream of `seed`); lo = hi =
 * NaN for n < 2 or n_boot = 0.  For learning runs: the spread over runs is
 * the device-noise spread of the accuracy on a fixed test set (the
 * test-set sampling error is not in it). */
int po_mean_ci_compute(const double *x, size_t n, int n_boot, uint64_t seed, double *mean,
                       double *lo, double *hi);

#endif
