/* Group statistics with bootstrap confidence intervals (report_stats.h). */
#include "algorithms/report_stats.h"
#include <math.h>
#include <stdlib.h>
#include "physopt/error.h"
#include "physopt/results.h"
#include "physopt/rng.h"

double po_report_repeats99(double p) {
  return po_tts99(1.0, p);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int po_group_stats_compute(const po_group_run *runs, size_t n, int n_boot, uint64_t seed,
                           po_group_stats *o) {
  *o = (po_group_stats){0};
  if (n == 0) return po_error(PO_ERR_ARG, "a report group needs at least one run");
  long R = 0;
  for (size_t i = 0; i < n; i++) {
    if (runs[i].replicas < 1) return po_error(PO_ERR_ARG, "run %zu has no replicas", i);
    R += runs[i].replicas;
  }
  double *e = malloc((size_t)R * sizeof *e);
  unsigned char *ok = malloc((size_t)R);
  double *pb = malloc((size_t)(n_boot > 0 ? n_boot : 1) * sizeof *pb);
  if (!e || !ok || !pb) {
    free(e);
    free(ok);
    free(pb);
    return po_error(PO_ERR_NOMEM, "out of memory");
  }
  o->runs = (long)n;
  o->replicas = R;
  o->has_target = 1;
  long k = 0;
  double sum_e = 0, t_run = 0, t_wall = 0, joules = 0;
  for (size_t i = 0; i < n; i++) {
    const po_group_run *r = &runs[i];
    if (!r->has_target) o->has_target = 0;
    double tol = 1e-9 * fmax(1.0, fabs(r->target));
    for (int j = 0; j < r->replicas; j++, k++) {
      e[k] = r->energy[j];
      sum_e += e[k];
      ok[k] = r->has_target && e[k] <= r->target + tol;
      o->hits += ok[k];
    }
    t_run += r->run_s * r->replicas;
    t_wall += r->wall_s;
    joules += r->joules;
  }
  o->t_run = t_run / (double)R;
  o->t_wall = t_wall / (double)R;
  o->j_rep = joules / (double)R;
  o->e_mean = sum_e / (double)R;
  qsort(e, (size_t)R, sizeof *e, cmp_double);
  o->e_best = e[0];
  o->e_median = R % 2 ? e[R / 2] : 0.5 * (e[R / 2 - 1] + e[R / 2]);
  if (!o->has_target) {
    o->p = o->p_lo = o->p_hi = NAN;
    o->tts = o->tts_lo = o->tts_hi = o->tts_wall = o->tts_wall_lo = o->tts_wall_hi = NAN;
    o->ets = o->ets_lo = o->ets_hi = NAN;
  } else {
    o->p = (double)o->hits / (double)R;
    o->p_lo = o->p_hi = o->p;
    if (n_boot > 0) {
      po_rng rng;
      po_rng_init(&rng, seed, 0x7265706f7274ull /* "report" */, 0);
      for (int b = 0; b < n_boot; b++) {
        long h = 0;
        for (long j = 0; j < R; j++) h += ok[po_rng_below(&rng, (uint64_t)R)];
        pb[b] = (double)h / (double)R;
      }
      qsort(pb, (size_t)n_boot, sizeof *pb, cmp_double);
      long lo = (long)floor(0.025 * (n_boot - 1)), hi = (long)ceil(0.975 * (n_boot - 1));
      o->p_lo = pb[lo];
      o->p_hi = pb[hi];
    }
    o->tts = po_tts99(o->t_run, o->p);
    o->tts_lo = po_tts99(o->t_run, o->p_hi);
    o->tts_hi = po_tts99(o->t_run, o->p_lo);
    o->tts_wall = po_tts99(o->t_wall, o->p);
    o->tts_wall_lo = po_tts99(o->t_wall, o->p_hi);
    o->tts_wall_hi = po_tts99(o->t_wall, o->p_lo);
    o->ets = o->j_rep * po_report_repeats99(o->p);
    o->ets_lo = o->j_rep * po_report_repeats99(o->p_hi);
    o->ets_hi = o->j_rep * po_report_repeats99(o->p_lo);
  }
  free(e);
  free(ok);
  free(pb);
  return PO_OK;
}

int po_mean_ci_compute(const double *x, size_t n, int n_boot, uint64_t seed, double *mean,
                       double *lo, double *hi) {
  if (n == 0) return po_error(PO_ERR_ARG, "a report group needs at least one run");
  double s = 0;
  for (size_t i = 0; i < n; i++) s += x[i];
  *mean = s / (double)n;
  *lo = *hi = NAN;
  if (n < 2 || n_boot <= 0) return PO_OK;
  double *mb = malloc((size_t)n_boot * sizeof *mb);
  if (!mb) return po_error(PO_ERR_NOMEM, "out of memory");
  po_rng rng;
  po_rng_init(&rng, seed, 0x7265706f7274ull /* "report" */, 1);
  for (int b = 0; b < n_boot; b++) {
    double t = 0;
    for (size_t j = 0; j < n; j++) t += x[po_rng_below(&rng, (uint64_t)n)];
    mb[b] = t / (double)n;
  }
  qsort(mb, (size_t)n_boot, sizeof *mb, cmp_double);
  *lo = mb[(long)floor(0.025 * (n_boot - 1))];
  *hi = mb[(long)ceil(0.975 * (n_boot - 1))];
  free(mb);
  return PO_OK;
}
