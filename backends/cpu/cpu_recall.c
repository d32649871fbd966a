/* Zero-temperature Glauber and discrete steepest-descent recall on a dense
 * symmetric W (include/physopt/memory.h).  The fields of the whole batch of
 * cues, H = S W, are one BLAS call; afterwards each flip of s_i updates the
 * fields incrementally, h += 2 s_i W_i (O(n)).  Fields are kept in double so
 * that exact ties of the Hebbian rule (h_i = 0) are recognised. */
#include "backends/cpu/cpu_recall.h"
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"
#include "physopt/rng.h"

static int check_task(const po_recall_task *t, int trials) {
  if (!t || !t->W) return po_error(PO_ERR_ARG, "recall: task without couplings");
  if (t->n < 1) return po_error(PO_ERR_ARG, "recall: n = %d must be >= 1", t->n);
  if (trials < 0) return po_error(PO_ERR_ARG, "recall: trials = %d must be >= 0", trials);
  if (t->max_sweeps < 0)
    return po_error(PO_ERR_ARG, "recall: max_sweeps = %ld must be >= 0", t->max_sweeps);
  return PO_OK;
}

/* Copies W with a zero diagonal into Wd (self-coupling never drives a flip)
 * and returns in *rowmax the largest row sum of |W_ij|, the scale of ties. */
static int zero_diagonal_copy(const po_recall_task *t, double *Wd, double *rowmax) {
  const int n = t->n;
  double mx = 0;
  for (int i = 0; i < n; i++) {
    double r = 0;
    for (int j = 0; j < n; j++) {
      const double w = t->W[(long)i * n + j];
      if (!isfinite(w)) return po_error(PO_ERR_ARG, "recall: W[%d][%d] is not finite", i, j);
      Wd[(long)i * n + j] = i == j ? 0.0 : w;
      r += fabs(w);
    }
    if (r > mx) mx = r;
  }
  *rowmax = mx;
  return PO_OK;
}

/* H = S W (W symmetric): the coupling term of the whole batch, one GEMM. */
static int batch_fields(const int8_t *states, int trials, int n, const double *Wd, double *H) {
  double *S = malloc(sizeof(double) * (size_t)trials * n);
  if (!S) return po_error(PO_ERR_NOMEM, "recall: out of memory (n = %d, trials = %d)", n, trials);
  for (long k = 0; k < (long)trials * n; k++) S[k] = states[k] >= 0 ? 1.0 : -1.0;
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, trials, n, n, 1.0, S, n, Wd, n, 0.0, H, n);
  free(S);
  return PO_OK;
}

/* Flips s_i and updates every field, h += 2 s_i W_i; logs i while the log has room. */
static void flip_and_update(int i, int n, const double *Wd, int8_t *s, double *h, int *log,
                            int log_len, long *flips) {
  s[i] = (int8_t)-s[i];
  const double *w = Wd + (long)i * n;
  const double two_s = 2.0 * s[i];
  for (int j = 0; j < n; j++) h[j] += two_s * w[j];
  if (log && *flips < log_len) log[*flips] = i;
  (*flips)++;
}

/* Zero-temperature Glauber: sweeps in a fresh random order from the trial's
 * own stream, flipping every misaligned spin, until a sweep flips none.
 * Returns 1 when converged. */
static int glauber_relax(const po_recall_task *t, int r, const double *Wd, double eps,
                         long max_sweeps, int *perm, int8_t *s, double *h, int *log, long *flips,
                         double *attempts) {
  const int n = t->n;
  int conv = 0;
  po_rng rng;
  po_rng_init(&rng, t->seed, t->run_id, (uint64_t)r);
  for (int i = 0; i < n; i++) perm[i] = i;
  for (long sweep = 0; sweep < max_sweeps && !conv; sweep++) {
    for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
      int k = (int)po_rng_below(&rng, (uint64_t)i + 1), tmp = perm[i];
      perm[i] = perm[k];
      perm[k] = tmp;
    }
    long before = *flips;
    for (int k = 0; k < n; k++) {
      const int i = perm[k];
      if (s[i] * h[i] < -eps) flip_and_update(i, n, Wd, s, h, log, t->flip_log_len, flips);
    }
    *attempts += n;
    conv = *flips == before;
  }
  return conv;
}

/* Discrete steepest descent: flips the most misaligned spin until none is,
 * at most max_sweeps * n flips. Returns 1 when converged. */
static int steepest_relax(const po_recall_task *t, const double *Wd, double eps, long max_sweeps,
                          int8_t *s, double *h, int *log, long *flips, double *attempts) {
  const int n = t->n;
  const long max_flips = max_sweeps * n;
  int conv = 0;
  while (*flips < max_flips) {
    int best = -1;
    double worst = eps;
    for (int i = 0; i < n; i++) {
      const double v = -s[i] * h[i];
      if (v > worst) {
        worst = v;
        best = i;
      }
    }
    *attempts += n;
    if (best < 0) {
      conv = 1;
      break;
    }
    flip_and_update(best, n, Wd, s, h, log, t->flip_log_len, flips);
  }
  if (!conv) { /* check whether the last flip reached a fixed point */
    conv = 1;
    for (int i = 0; i < n; i++)
      if (-s[i] * h[i] > eps) conv = 0;
  }
  return conv;
}

/* Relaxes trial r in place and records its flips and convergence; returns its flip count. */
static long relax_trial(const po_recall_task *t, int r, const double *Wd, double eps,
                        long max_sweeps, int *perm, int8_t *states, double *H, double *attempts) {
  const int n = t->n;
  int8_t *s = states + (long)r * n;
  double *h = H + (long)r * n;
  for (int i = 0; i < n; i++) s[i] = s[i] >= 0 ? 1 : -1;
  int *log = t->flip_log ? t->flip_log + (long)r * t->flip_log_len : NULL;
  if (log)
    for (int k = 0; k < t->flip_log_len; k++) log[k] = -1;
  long flips = 0;
  int conv;
  if (t->dynamics == PO_DYN_GLAUBER)
    conv = glauber_relax(t, r, Wd, eps, max_sweeps, perm, s, h, log, &flips, attempts);
  else
    conv = steepest_relax(t, Wd, eps, max_sweeps, s, h, log, &flips, attempts);
  if (t->flips) t->flips[r] = flips;
  if (t->converged) t->converged[r] = conv;
  return flips;
}

int po_recall_discrete(const po_recall_task *t, int8_t *states, int trials, double *total_flips,
                       double *total_attempts) {
  int rc = check_task(t, trials);
  if (rc) return rc;
  if (t->dynamics != PO_DYN_GLAUBER && t->dynamics != PO_DYN_STEEPEST)
    return po_error(PO_ERR_ARG, "recall: discrete kernel runs glauber or steepest only");
  if (trials == 0) return PO_OK;
  const int n = t->n;
  const long nn = (long)n * n;
  const long max_sweeps = t->max_sweeps > 0 ? t->max_sweeps : 1000;
  double *Wd = malloc(sizeof(double) * nn);
  double *H = malloc(sizeof(double) * (size_t)trials * n);
  if (!Wd || !H) {
    free(Wd);
    free(H);
    return po_error(PO_ERR_NOMEM, "recall: out of memory (n = %d, trials = %d)", n, trials);
  }
  double rowmax = 0;
  if ((rc = zero_diagonal_copy(t, Wd, &rowmax)) != PO_OK ||
      (rc = batch_fields(states, trials, n, Wd, H)) != PO_OK) {
    free(Wd);
    free(H);
    return rc;
  }
  const double eps = 1e-9 * rowmax;
  double flips_all = 0, attempts_all = 0;
  int bad = 0;
  const int threads = t->threads > 0 ? t->threads : omp_get_max_threads();
#pragma omp parallel num_threads(threads) reduction(+ : flips_all, attempts_all)
  {
    int *perm = malloc(sizeof(int) * n);
    if (!perm) {
#pragma omp atomic write
      bad = 1;
    }
#pragma omp for schedule(dynamic)
    for (int r = 0; r < trials; r++) {
      if (!perm || po_stop_requested()) continue; /* the caller fails with PO_ERR_INTERRUPTED */
      flips_all += relax_trial(t, r, Wd, eps, max_sweeps, perm, states, H, &attempts_all);
    }
    free(perm);
  }
  free(Wd);
  free(H);
  if (bad) return po_error(PO_ERR_NOMEM, "recall: out of memory");
  if (total_flips) *total_flips += flips_all;
  if (total_attempts) *total_attempts += attempts_all;
  return PO_OK;
}

int po_cpu_recall(po_backend *b, const po_recall_task *t, int8_t *states, int trials) {
  if (t && t->dynamics == PO_DYN_SEMICLASSICAL)
    return po_error(PO_ERR_UNSUPPORTED,
                    "backend cpu has no semiclassical recall dynamics (use --backend cavity)");
  double attempt_j;
  int rc = po_backend_energy_cost(b, "spin_attempt_j", &attempt_j);
  if (rc) return rc;
  double flips = 0, attempts = 0, t0 = omp_get_wtime();
  rc = po_recall_discrete(t, states, trials, &flips, &attempts);
  if (rc) return rc;
  const double dt = omp_get_wtime() - t0;
  b->ledger.wall_s += dt;
  b->ledger.device_s += dt;
  b->ledger.run_s += trials ? dt / trials : 0;
  /* One attempt reads one field and compares; a flip updates n fields. */
  po_ledger_add(&b->ledger, "spin_updates", "attempts", attempts, attempt_j);
  double mac_j;
  if ((rc = po_backend_energy_cost(b, "mac_j", &mac_j))) return rc;
  po_ledger_add(&b->ledger, "macs", "MAC", (double)trials * t->n * t->n + flips * t->n, mac_j);
  return PO_OK;
}
