/* TTS99 at the optimal run length with bootstrap intervals (tts_opt.h). */
#include "algorithms/tts_opt.h"
#include <math.h>
#include <stdlib.h>
#include "physopt/error.h"
#include "physopt/results.h"
#include "physopt/rng.h"

/* NaN (missing) last, +inf before it. */
static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
  return (x > y) - (x < y);
}

/* Median of the non-NaN values of v[0..n) (sorted in place); NaN if none. */
static double median_of(double *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_double);
  while (n > 0 && isnan(v[n - 1])) n--;
  if (n == 0) return NAN;
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Index of the smallest non-NaN value (first on ties), -1 when none. */
static int argmin_of(const double *v, size_t n) {
  int best = -1;
  for (size_t j = 0; j < n; j++)
    if (!isnan(v[j]) && (best < 0 || v[j] < v[best])) best = (int)j;
  return best;
}

static double cell_tts(const po_tts_cell *c, long hits) {
  if (c->replicas <= 0) return NAN;
  return po_tts99(c->t, (double)hits / (double)c->replicas);
}

/* The statistics of one set of cell TTS values: instance minima, the median
 * curve (scratch: n_inst values) and its minimum. */
static void summarise(const double *tts, size_t ni, size_t nl, double *inst_min, double *med,
                      double *scratch, double *med_min) {
  for (size_t i = 0; i < ni; i++) {
    int j = argmin_of(tts + i * nl, nl);
    inst_min[i] = j < 0 ? NAN : tts[i * nl + (size_t)j];
  }
  for (size_t j = 0; j < nl; j++) {
    for (size_t i = 0; i < ni; i++) scratch[i] = tts[i * nl + j];
    med[j] = median_of(scratch, ni);
  }
  int m = argmin_of(med, nl);
  *med_min = m < 0 ? NAN : med[m];
}

/* 2.5% and 97.5% percentiles of v[0..n) (sorted in place; NaN are the
 * resamples where the statistic is undefined and are not counted). */
static void interval(double *v, size_t n, double *lo, double *hi) {
  qsort(v, n, sizeof *v, cmp_double);
  while (n > 0 && isnan(v[n - 1])) n--;
  if (n == 0) {
    *lo = *hi = NAN;
    return;
  }
  *lo = v[(size_t)floor(0.025 * (double)(n - 1))];
  *hi = v[(size_t)ceil(0.975 * (double)(n - 1))];
}

void po_tts_opt_free(po_tts_opt *o) {
  free(o->tts);
  free(o->tts_lo);
  free(o->tts_hi);
  free(o->opt_j);
  free(o->opt);
  free(o->opt_lo);
  free(o->opt_hi);
  free(o->med);
  free(o->med_lo);
  free(o->med_hi);
  *o = (po_tts_opt){0};
}

static int alloc_out(po_tts_opt *o, size_t ni, size_t nl) {
  size_t nc = ni * nl;
  o->n_inst = ni;
  o->n_len = nl;
  o->tts = malloc(nc * sizeof *o->tts);
  o->tts_lo = malloc(nc * sizeof *o->tts_lo);
  o->tts_hi = malloc(nc * sizeof *o->tts_hi);
  o->opt_j = malloc(ni * sizeof *o->opt_j);
  o->opt = malloc(ni * sizeof *o->opt);
  o->opt_lo = malloc(ni * sizeof *o->opt_lo);
  o->opt_hi = malloc(ni * sizeof *o->opt_hi);
  o->med = malloc(nl * sizeof *o->med);
  o->med_lo = malloc(nl * sizeof *o->med_lo);
  o->med_hi = malloc(nl * sizeof *o->med_hi);
  if (o->tts && o->tts_lo && o->tts_hi && o->opt_j && o->opt && o->opt_lo && o->opt_hi && o->med &&
      o->med_lo && o->med_hi)
    return PO_OK;
  po_tts_opt_free(o);
  return po_error(PO_ERR_NOMEM, "out of memory");
}

/* Bootstrap: B resamples of every cell; per resample the cell TTS, the
 * instance minima, the median curve and its minimum, stored by statistic
 * (bs[k * B + b]) and reduced to percentile intervals. */
static int bootstrap(const po_tts_cell *cells, size_t ni, size_t nl, int B, uint64_t seed,
                     po_tts_opt *o) {
  size_t nc = ni * nl, ns = nc + ni + nl + 1; /* statistics per resample */
  double *bs = malloc(ns * (size_t)B * sizeof *bs);
  double *cur = malloc((nc + ni + nl + ni + 1) * sizeof *cur);
  if (!bs || !cur) {
    free(bs);
    free(cur);
    return po_error(PO_ERR_NOMEM, "out of memory");
  }
  double *imin = cur + nc, *med = imin + ni, *scratch = med + nl;
  po_rng rng;
  po_rng_init(&rng, seed, 0x7474736f7074ull /* "ttsopt" */, 0);
  for (int b = 0; b < B; b++) {
    for (size_t c = 0; c < nc; c++) {
      const po_tts_cell *cl = &cells[c];
      long h = 0;
      /* Drawing replica k succeeds when k < hits (indicators sorted). */
      for (long k = 0; k < cl->replicas; k++)
        h += (long)po_rng_below(&rng, (uint64_t)cl->replicas) < cl->hits;
      cur[c] = cell_tts(cl, h);
    }
    double mmin;
    summarise(cur, ni, nl, imin, med, scratch, &mmin);
    for (size_t k = 0; k < nc + ni + nl; k++) bs[k * (size_t)B + (size_t)b] = cur[k];
    bs[(ns - 1) * (size_t)B + (size_t)b] = mmin;
  }
  for (size_t c = 0; c < nc; c++)
    interval(bs + c * (size_t)B, (size_t)B, &o->tts_lo[c], &o->tts_hi[c]);
  for (size_t i = 0; i < ni; i++)
    interval(bs + (nc + i) * (size_t)B, (size_t)B, &o->opt_lo[i], &o->opt_hi[i]);
  for (size_t j = 0; j < nl; j++)
    interval(bs + (nc + ni + j) * (size_t)B, (size_t)B, &o->med_lo[j], &o->med_hi[j]);
  interval(bs + (ns - 1) * (size_t)B, (size_t)B, &o->med_opt_lo, &o->med_opt_hi);
  free(bs);
  free(cur);
  return PO_OK;
}

int po_tts_opt_compute(const po_tts_cell *cells, size_t n_inst, size_t n_len, int n_boot,
                       uint64_t seed, po_tts_opt *o) {
  *o = (po_tts_opt){0};
  if (n_inst == 0 || n_len == 0)
    return po_error(PO_ERR_ARG, "TTS at the optimal run length needs instances and run lengths");
  for (size_t c = 0; c < n_inst * n_len; c++)
    if (cells[c].hits < 0 || cells[c].hits > cells[c].replicas || !(cells[c].t >= 0))
      return po_error(PO_ERR_ARG, "TTS cell %zu: hits %ld of %ld replicas, t = %g", c,
                      cells[c].hits, cells[c].replicas, cells[c].t);
  int rc = alloc_out(o, n_inst, n_len);
  if (rc) return rc;
  double *scratch = malloc((n_inst + n_inst) * sizeof *scratch);
  if (!scratch) {
    po_tts_opt_free(o);
    return po_error(PO_ERR_NOMEM, "out of memory");
  }
  for (size_t c = 0; c < n_inst * n_len; c++) o->tts[c] = cell_tts(&cells[c], cells[c].hits);
  summarise(o->tts, n_inst, n_len, o->opt, o->med, scratch, &o->med_opt);
  for (size_t i = 0; i < n_inst; i++)
    o->opt_j[i] = isfinite(o->opt[i]) ? argmin_of(o->tts + i * n_len, n_len) : -1;
  o->med_j = isfinite(o->med_opt) ? argmin_of(o->med, n_len) : -1;
  free(scratch);
  if (n_boot > 0) {
    rc = bootstrap(cells, n_inst, n_len, n_boot, seed, o);
    if (rc) po_tts_opt_free(o);
    return rc;
  }
  for (size_t c = 0; c < n_inst * n_len; c++) o->tts_lo[c] = o->tts_hi[c] = o->tts[c];
  for (size_t i = 0; i < n_inst; i++) o->opt_lo[i] = o->opt_hi[i] = o->opt[i];
  for (size_t j = 0; j < n_len; j++) o->med_lo[j] = o->med_hi[j] = o->med[j];
  o->med_opt_lo = o->med_opt_hi = o->med_opt;
  return PO_OK;
}
