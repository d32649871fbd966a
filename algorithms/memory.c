/* Associative memory, backend-agnostic: storage rules (Hebbian, projection,
 * the cavity's native connectivity), cues, overlaps, recall statistics,
 * basin size and capacity (include/physopt/memory.h). */
#include "physopt/memory.h"
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "physics/cavity.h"
#include "physopt/error.h"

static const char *rule_names[] = {"hebbian", "pseudoinverse", "native"};
static const char *dyn_names[] = {"glauber", "steepest", "semiclassical"};

const char *po_memory_rule_name(po_memory_rule r) {
  return (unsigned)r < 3 ? rule_names[r] : "?";
}
int po_memory_rule_parse(const char *name, po_memory_rule *out) {
  for (int i = 0; i < 3; i++)
    if (name && !strcmp(name, rule_names[i])) {
      *out = (po_memory_rule)i;
      return PO_OK;
    }
  return po_error(PO_ERR_ARG, "unknown storage rule '%s' (valid: hebbian|pseudoinverse|native)",
                  name ? name : "");
}
const char *po_recall_dynamics_name(po_recall_dynamics d) {
  return (unsigned)d < 3 ? dyn_names[d] : "?";
}
int po_recall_dynamics_parse(const char *name, po_recall_dynamics *out) {
  for (int i = 0; i < 3; i++)
    if (name && !strcmp(name, dyn_names[i])) {
      *out = (po_recall_dynamics)i;
      return PO_OK;
    }
  return po_error(PO_ERR_ARG, "unknown dynamics '%s' (valid: glauber|steepest|semiclassical)",
                  name ? name : "");
}

int po_memory_patterns_random(int n, int P, uint64_t seed, int8_t *xi) {
  if (n < 1 || P < 1)
    return po_error(PO_ERR_ARG, "patterns: need n >= 1 and P >= 1 (n=%d P=%d)", n, P);
  for (int mu = 0; mu < P; mu++) {
    po_rng r;
    po_rng_init(&r, seed, 0x70617474ULL, (uint64_t)mu);
    for (int i = 0; i < n; i += 64) {
      uint64_t bits = po_rng_u64(&r);
      for (int k = 0; k < 64 && i + k < n; k++) xi[(long)mu * n + i + k] = (bits >> k) & 1 ? 1 : -1;
    }
  }
  return PO_OK;
}

int po_memory_store(po_memory_rule rule, int n, int P, const int8_t *xi, float *W) {
  if (n < 2 || P < 1)
    return po_error(PO_ERR_ARG, "store: need n >= 2 and P >= 1 (n=%d P=%d)", n, P);
  if (rule == PO_RULE_PSEUDOINVERSE && P >= n)
    return po_error(PO_ERR_ARG, "store: pseudoinverse rule needs P < n (P=%d n=%d)", P, n);
  if (rule != PO_RULE_HEBBIAN && rule != PO_RULE_PSEUDOINVERSE)
    return po_error(PO_ERR_ARG,
                    "store: rule %s does not store given patterns (use po_memory_native)",
                    po_memory_rule_name(rule));
  const long nn = (long)n * n;
  double *X = malloc(sizeof(double) * (size_t)P * n); /* P x n */
  double *Wd = malloc(sizeof(double) * nn);
  if (!X || !Wd) {
    free(X);
    free(Wd);
    return po_error(PO_ERR_NOMEM, "store: out of memory (n=%d P=%d)", n, P);
  }
  for (long k = 0; k < (long)P * n; k++) X[k] = xi[k];
  int rc = PO_OK;
  if (rule == PO_RULE_HEBBIAN) {
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, P, 1.0 / n, X, n, 0.0, Wd, n);
  } else if (rule == PO_RULE_PSEUDOINVERSE) {
    if (P >= n) {
      rc = po_error(PO_ERR_ARG, "store: pseudoinverse rule needs P < n (P=%d n=%d)", P, n);
      goto done;
    }
    /* C = X X^T / n (P x P) = L L^T (Cholesky), Y = C^-1 X (P x n),
     * W = X^T Y / n.  C is small (P x P); a plain Cholesky suffices. */
    double *C = malloc(sizeof(double) * (size_t)P * P);
    double *Y = malloc(sizeof(double) * (size_t)P * n);
    if (!C || !Y) {
      free(C);
      free(Y);
      rc = po_error(PO_ERR_NOMEM, "store: out of memory");
      goto done;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, P, P, n, 1.0 / n, X, n, X, n, 0.0, C, P);
    for (int j = 0; j < P && !rc; j++) {
      double d = C[(long)j * P + j];
      for (int k = 0; k < j; k++) d -= C[(long)j * P + k] * C[(long)j * P + k];
      if (!(d > 1e-10)) {
        rc = po_error(PO_ERR_NUMERIC, "store: pseudoinverse rule: pattern correlation matrix is "
                                      "singular (patterns linearly dependent)");
        break;
      }
      d = sqrt(d);
      C[(long)j * P + j] = d;
      for (int i = j + 1; i < P; i++) {
        double v = C[(long)i * P + j];
        for (int k = 0; k < j; k++) v -= C[(long)i * P + k] * C[(long)j * P + k];
        C[(long)i * P + j] = v / d;
      }
    }
    if (!rc) {
      memcpy(Y, X, sizeof(double) * (size_t)P * n);
      cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, P, n, 1.0, C, P,
                  Y, n);
      cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, P, n, 1.0, C, P,
                  Y, n);
      cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, n, P, 1.0 / n, X, n, Y, n, 0.0, Wd,
                  n);
    }
    free(C);
    free(Y);
    if (rc) goto done;
  } else {
    rc = po_error(PO_ERR_ARG, "store: rule %s does not store given patterns (use po_memory_native)",
                  po_memory_rule_name(rule));
    goto done;
  }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      /* dsyrk fills the upper triangle only; the projector is symmetric. */
      const double w =
          (rule == PO_RULE_HEBBIAN && j < i) ? Wd[(long)j * n + i] : Wd[(long)i * n + j];
      W[(long)i * n + j] = i == j ? 0.0f : (float)w;
    }
done:
  free(X);
  free(Wd);
  return rc;
}

int po_memory_native(int n, double spread_w0, double sigma_w0, uint64_t seed, float *W) {
  return po_memory_native_geometry(n, spread_w0, sigma_w0, NULL, seed, W);
}

/* Couplings of the multimode geometry; x, y in units of w0 on entry. */
static int multimode_couplings(int n, double *x, double *y, double sigma_w0,
                               const po_native_cavity *cav, uint64_t seed, double *K) {
  const double two_pi = 2 * 3.14159265358979323846;
  po_cavity_multimode mm = {.length = cav->length_um,
                            .mirror_radius = cav->mirror_radius_um,
                            .wavelength = cav->wavelength_um,
                            .delta0 = two_pi * cav->pump_detuning_mhz, /* rad/us */
                            .kappa = two_pi * cav->kappa_khz * 1e-3,
                            .c_light = 2.99792458e8, /* um/us */
                            .n_max = cav->n_families};
  double w0, zr;
  int rc = po_cavity_multimode_waist(&mm, &w0, &zr);
  if (rc) return rc;
  double *z = malloc(sizeof(double) * n);
  if (!z) return po_error(PO_ERR_NOMEM, "native: out of memory");
  po_rng r;
  po_rng_init(&r, seed, 0x7a, 0);
  for (int i = 0; i < n; i++) {
    x[i] *= w0, y[i] *= w0;
    z[i] = cav->z_spread_um * (2 * po_rng_uniform(&r) - 1);
  }
  po_cavity_geom g = {n, w0, sigma_w0 * w0, x, y};
  rc = po_cavity_couplings_multimode(&g, z, &mm, K);
  free(z);
  return rc;
}

int po_memory_native_geometry(int n, double spread_w0, double sigma_w0, const po_native_cavity *cav,
                              uint64_t seed, float *W) {
  if (n < 2) return po_error(PO_ERR_ARG, "native: n = %d must be >= 2", n);
  double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n);
  double *K = malloc(sizeof(double) * (size_t)n * n);
  int rc = (!x || !y || !K) ? po_error(PO_ERR_NOMEM, "native: out of memory") : PO_OK;
  if (!rc) rc = po_cavity_positions(n, spread_w0, seed, x, y);
  if (!rc && cav && cav->multimode) {
    rc = multimode_couplings(n, x, y, sigma_w0, cav, seed, K);
  } else if (!rc) {
    po_cavity_geom g = {n, 1.0, sigma_w0, x, y};
    rc = po_cavity_couplings_closed(&g, K);
  }
  if (!rc) {
    double ss = 0;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++)
        if (i != j) ss += K[(long)i * n + j] * K[(long)i * n + j];
    const double rms = sqrt(ss / ((double)n * (n - 1)));
    const double scale = rms > 0 ? 1.0 / (sqrt((double)n) * rms) : 1.0;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++)
        W[(long)i * n + j] = i == j ? 0.0f : (float)(K[(long)i * n + j] * scale);
  }
  free(x);
  free(y);
  free(K);
  return rc;
}

static int same_up_to_sign(int n, const int8_t *a, const int8_t *b) {
  int eq = 1, op = 1;
  for (int i = 0; i < n && (eq || op); i++) {
    if (a[i] != b[i]) eq = 0;
    if (a[i] != -b[i]) op = 0;
  }
  return eq || op;
}

int po_memory_native_patterns(po_backend *b, const float *W, int n, int P,
                              po_recall_dynamics dynamics, uint64_t seed, int8_t *xi) {
  if (P < 1) return po_error(PO_ERR_ARG, "native patterns: P = %d must be >= 1", P);
  const int batch = 4 * P;
  int8_t *s = malloc((size_t)batch * n);
  if (!s) return po_error(PO_ERR_NOMEM, "native patterns: out of memory");
  int found = 0, rc = PO_OK;
  for (int round = 0; round < 5 && found < P && !rc; round++) {
    rc = po_memory_patterns_random(n, batch, po_hash2(seed, (uint64_t)round), s);
    po_recall_task t = {.n = n,
                        .W = W,
                        .dynamics = dynamics,
                        .max_sweeps = 1000,
                        .seed = seed,
                        .run_id = 0x6e6174ULL + (uint64_t)round};
    if (!rc) rc = po_backend_recall(b, &t, s, batch);
    for (int k = 0; k < batch && found < P && !rc; k++) {
      int dup = 0;
      for (int q = 0; q < found && !dup; q++)
        dup = same_up_to_sign(n, s + (long)k * n, xi + (long)q * n);
      if (!dup) memcpy(xi + (long)found++ * n, s + (long)k * n, n);
    }
  }
  /* Fewer distinct fixed points than requested: repeat the ones found. */
  for (int q = found; q < P && !rc && found > 0; q++)
    memcpy(xi + (long)q * n, xi + (long)(q % found) * n, n);
  free(s);
  return rc;
}

double po_memory_overlap(int n, const int8_t *xi, const int8_t *s) {
  long acc = 0;
  for (int i = 0; i < n; i++) acc += xi[i] * s[i];
  return (double)acc / n;
}

int po_memory_corrupt(int n, const int8_t *xi, double F, po_rng *r, int8_t *cue) {
  if (!(F >= 0 && F <= 1)) return po_error(PO_ERR_ARG, "corruption = %g must lie in [0, 1]", F);
  memcpy(cue, xi, n);
  int k = (int)lround(F * n);
  /* Partial Fisher-Yates over indices: the first k of a random permutation. */
  int *idx = malloc(sizeof(int) * n);
  if (!idx) return po_error(PO_ERR_NOMEM, "corrupt: out of memory");
  for (int i = 0; i < n; i++) idx[i] = i;
  for (int i = 0; i < k; i++) {
    int j = i + (int)po_rng_below(r, (uint64_t)(n - i)), tmp = idx[i];
    idx[i] = idx[j];
    idx[j] = tmp;
    cue[idx[i]] = (int8_t)-cue[idx[i]];
  }
  free(idx);
  return PO_OK;
}

int po_memory_recall_eval(po_backend *b, const po_recall_task *t, int P, const int8_t *xi, double F,
                          int trials_per_pattern, uint64_t seed, po_recall_stats *out,
                          double *overlaps) {
  if (P < 1 || trials_per_pattern < 1)
    return po_error(PO_ERR_ARG, "recall: need P >= 1 and trials >= 1 (P=%d trials=%d)", P,
                    trials_per_pattern);
  const int n = t->n, T = P * trials_per_pattern;
  int8_t *s = malloc((size_t)T * n);
  long *flips = malloc(sizeof(long) * T);
  if (!s || !flips) {
    free(s);
    free(flips);
    return po_error(PO_ERR_NOMEM, "recall: out of memory");
  }
  int rc = PO_OK;
  for (int mu = 0; mu < P && !rc; mu++)
    for (int k = 0; k < trials_per_pattern && !rc; k++) {
      po_rng r;
      po_rng_init(&r, seed, 0x63756500ULL + (uint64_t)mu, (uint64_t)k);
      rc = po_memory_corrupt(n, xi + (long)mu * n, F, &r,
                             s + ((long)mu * trials_per_pattern + k) * n);
    }
  po_recall_task task = *t;
  task.flips = flips;
  if (!rc) rc = po_backend_recall(b, &task, s, T);
  if (!rc) {
    double sum = 0, sum2 = 0, fl = 0;
    int ok = 0;
    for (int mu = 0; mu < P; mu++)
      for (int k = 0; k < trials_per_pattern; k++) {
        const long q = (long)mu * trials_per_pattern + k;
        const double m = po_memory_overlap(n, xi + (long)mu * n, s + q * n);
        if (overlaps) overlaps[q] = m;
        sum += m;
        sum2 += m * m;
        ok += m > 0.95;
        fl += flips[q];
      }
    out->trials = T;
    out->overlap_mean = sum / T;
    out->overlap_std = T > 1 ? sqrt(fmax(0, (sum2 - sum * sum / T) / (T - 1))) : 0;
    out->recall_fraction = (double)ok / T;
    out->flips_mean = fl / T;
  }
  free(s);
  free(flips);
  return rc;
}

int po_memory_basin(po_backend *b, const po_recall_task *t, int P, const int8_t *xi, double df,
                    int trials_per_pattern, uint64_t seed, double *basin) {
  if (!(df > 0 && df <= 0.5))
    return po_error(PO_ERR_ARG, "basin: step %g must lie in (0, 0.5]", df);
  *basin = NAN;
  for (int k = 0; k * df <= 0.5 + 1e-12; k++) {
    po_recall_stats st;
    int rc = po_memory_recall_eval(b, t, P, xi, k * df, trials_per_pattern, seed, &st, NULL);
    if (rc) return rc;
    if (st.recall_fraction < 0.5) break;
    *basin = k * df;
  }
  return PO_OK;
}

double po_memory_alpha_c(int n_alpha, const double *alpha, const double *f) {
  if (n_alpha < 1) return NAN;
  if (f[0] < 0.5) return 0.0;
  for (int k = 1; k < n_alpha; k++)
    if (f[k] < 0.5)
      return alpha[k - 1] + (alpha[k] - alpha[k - 1]) * (f[k - 1] - 0.5) / (f[k - 1] - f[k]);
  return NAN;
}
