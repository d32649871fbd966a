/* TTS99 at the optimal run length (internal header, `physopt report`).
 *
 * Input: a grid of n_inst instances x n_len run lengths; cell (i, j) holds
 * the replicas R_ij and hits h_ij of instance i at run length j, and t_ij,
 * the cost of one replica's run in the unit of the caller's choice
 * (annealing steps, or device seconds).  With p = h/R,
 *   TTS99_ij = t_ij ln(0.01) / ln(1 - p)   (t for p >= 0.99, +inf for p = 0)
 * (po_tts99; the definition of Ronnow et al., Science 345, 420 (2014)).  Per instance
 * the optimum is the minimum over j (ties: the shortest run length); over
 * instances, the median curve med_j = median_i TTS99_ij and its minimum over
 * j (Ronnow et al. optimise the annealing time for each quantile of the
 * instance distribution, not each instance).
 *
 * Confidence intervals: 95% percentile bootstrap.  A resample redraws, in
 * every cell independently, R_ij replicas with replacement from its R_ij
 * success indicators; every statistic (cell TTS, instance minimum, median
 * curve, its minimum) is recomputed on the same resample, so the intervals
 * of the minima include the uncertainty of where the minimum is.  The
 * resamples come from one po_rng stream of `seed` (cells in row-major
 * order inside each resample): the same seed gives the same intervals.
 * A cell with p = 0 has TTS = +inf and its resamples are all 0, so its
 * interval is [inf, inf]: with zero hits the data bound TTS only from below
 * (use more replicas); an upper bound of inf is printed as such, not hidden.
 * Cells with R_ij = 0 are missing: their TTS is NaN and the median at that
 * run length is over the instances that have it. */
#ifndef PHYSOPT_ALGORITHMS_TTS_OPT_H
#define PHYSOPT_ALGORITHMS_TTS_OPT_H

#include <stddef.h>
#include <stdint.h>

typedef struct po_tts_cell {
  long replicas, hits;
  double t; /* cost of one replica's run */
} po_tts_cell;

typedef struct po_tts_opt {
  size_t n_inst, n_len;
  /* n_inst * n_len, row-major by instance: TTS99 and its CI. */
  double *tts, *tts_lo, *tts_hi;
  /* n_inst: the argmin over run lengths (-1: no finite TTS), its TTS and CI. */
  int *opt_j;
  double *opt, *opt_lo, *opt_hi;
  /* n_len: the median over instances and its CI; its argmin and minimum. */
  double *med, *med_lo, *med_hi;
  int med_j;
  double med_opt, med_opt_lo, med_opt_hi;
} po_tts_opt;

/* cells: n_inst * n_len, row-major by instance.  n_boot = 0: no intervals
 * (lo = hi = the estimate). */
int po_tts_opt_compute(const po_tts_cell *cells, size_t n_inst, size_t n_len, int n_boot,
                       uint64_t seed, po_tts_opt *out);
void po_tts_opt_free(po_tts_opt *o);

#endif
