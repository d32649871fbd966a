/* Metrics computed from samples: best/mean/median energy,
 * success probability against a target, TTS99, residual energy, ratio. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"
#include "physopt/results.h"

double po_tts99(double t_run, double p) {
  if (!(p > 0.0)) return INFINITY;
  if (p >= 0.99) return t_run;
  return t_run * log(0.01) / log1p(-p);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int po_metrics_compute(const po_samples *s, const po_ising *m, int has_target, double target,
                       double run_s, po_metrics *out) {
  if (s->replicas < 1) return po_error(PO_ERR_ARG, "no samples to compute metrics from");
  memset(out, 0, sizeof *out);
  int R = s->replicas;
  double *sorted = malloc((size_t)R * sizeof *sorted);
  if (!sorted) return po_error(PO_ERR_NOMEM, "out of memory");
  memcpy(sorted, s->energy, (size_t)R * sizeof *sorted);
  qsort(sorted, (size_t)R, sizeof *sorted, cmp_double);
  double sum = 0.0;
  for (int r = 0; r < R; r++) sum += sorted[r];
  out->replicas = R;
  out->best_energy = sorted[0];
  out->mean_energy = sum / R;
  out->median_energy = R % 2 ? sorted[R / 2] : 0.5 * (sorted[R / 2 - 1] + sorted[R / 2]);
  free(sorted);
  out->best_cut = m && !m->h ? po_ising_cut(m, out->best_energy) : NAN;
  out->has_target = has_target;
  out->target_energy = has_target ? target : NAN;
  if (!has_target) {
    out->success_probability = out->tts99_s = out->residual_energy = out->approx_ratio = NAN;
    return PO_OK;
  }
  /* Energies are sums of float couplings accumulated in double: allow a
   * relative tolerance well above rounding, far below any energy gap. */
  double tol = 1e-9 * fmax(1.0, fabs(target));
  int hits = 0;
  for (int r = 0; r < R; r++) hits += s->energy[r] <= target + tol;
  out->success_probability = (double)hits / R;
  out->tts99_s = po_tts99(run_s, out->success_probability);
  out->residual_energy = out->mean_energy - target;
  out->approx_ratio = target != 0.0 ? out->best_energy / target : NAN;
  return PO_OK;
}
