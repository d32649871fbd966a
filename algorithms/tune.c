/* Hyperband over successive-halving brackets with a TPE proposal
 * (include/physopt/tune.h, docs/tune.md).  Everything here is a pure
 * function of the options, the seed and the objectives the callback
 * returns: no clocks, no global state. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"
#include "physopt/rng.h"
#include "physopt/tune.h"

/* Stream key of proposals ("tunepro"): po_rng_init(seed, key ^ bracket, i). */
#define TUNE_STREAM    UINT64_C(0x74756e6570726f00)
#define TPE_CANDIDATES 32
#define TPE_GAMMA      0.15
#define TPE_CAT_EPS    0.2
#define TPE_MIN_BW     0.03

/* ---- space ---------------------------------------------------------------- */

static char *trimmed_copy(const char *b, const char *e) {
  while (b < e && isspace((unsigned char)*b)) b++;
  while (e > b && isspace((unsigned char)e[-1])) e--;
  if (e - b >= 2 && *b == '"' && e[-1] == '"') b++, e--;
  char *s = malloc((size_t)(e - b) + 1);
  if (s) {
    memcpy(s, b, (size_t)(e - b));
    s[e - b] = 0;
  }
  return s;
}

/* Splits "a, b, "c,d"" into trimmed items. */
static int split_args(const char *text, char ***items, size_t *n) {
  *items = NULL;
  *n = 0;
  const char *p = text;
  for (;;) {
    const char *b = p;
    int quoted = 0;
    while (*p && (quoted || *p != ',')) {
      if (*p == '"') quoted = !quoted;
      p++;
    }
    char **ni = realloc(*items, (*n + 1) * sizeof *ni);
    if (!ni) return PO_ERR_NOMEM;
    *items = ni;
    if (!((*items)[*n] = trimmed_copy(b, p))) return PO_ERR_NOMEM;
    (*n)++;
    if (!*p) return PO_OK;
    p++;
  }
}

static void free_items(char **items, size_t n) {
  for (size_t i = 0; i < n; i++) free(items[i]);
  free(items);
}

static int parse_number(const char *key, const char *t, double *x) {
  char *end;
  *x = strtod(t, &end);
  if (end == t || *end || !isfinite(*x))
    return po_error(PO_ERR_ARG, "%s: range bound \"%s\" is not a finite number", key, t);
  return PO_OK;
}

/* Bounds of a numeric range, checked for its kind. */
static int parse_bounds(po_tune_dim *d, char **items, size_t n) {
  if (n != 2)
    return po_error(PO_ERR_ARG, "%s: a numeric range takes two bounds (LO, HI), got %zu", d->key,
                    n);
  int rc = parse_number(d->key, items[0], &d->lo);
  if (!rc) rc = parse_number(d->key, items[1], &d->hi);
  if (rc) return rc;
  if (!(d->lo <= d->hi))
    return po_error(PO_ERR_ARG, "%s: range (%g, %g) needs LO <= HI", d->key, d->lo, d->hi);
  if (d->kind == PO_TUNE_LOG && !(d->lo > 0))
    return po_error(PO_ERR_ARG, "%s: log(%g, %g) needs 0 < LO", d->key, d->lo, d->hi);
  const int integer = d->kind == PO_TUNE_INT || d->kind == PO_TUNE_LOGINT;
  if (integer && (d->lo != floor(d->lo) || d->hi != floor(d->hi)))
    return po_error(PO_ERR_ARG, "%s: %s(%g, %g) needs integer bounds", d->key,
                    po_tune_kind_name(d->kind), d->lo, d->hi);
  if (d->kind == PO_TUNE_LOGINT && !(d->lo >= 1))
    return po_error(PO_ERR_ARG, "%s: logint(%g, %g) needs 1 <= LO", d->key, d->lo, d->hi);
  return PO_OK;
}

static const struct {
  const char *name;
  po_tune_kind kind;
} kinds[] = {{"linear", PO_TUNE_LINEAR},
             {"log", PO_TUNE_LOG},
             {"int", PO_TUNE_INT},
             {"logint", PO_TUNE_LOGINT},
             {"choice", PO_TUNE_CHOICE}};

const char *po_tune_kind_name(po_tune_kind kind) {
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
    if (kinds[k].kind == kind) return kinds[k].name;
  return "linear";
}

/* Kind of "name(...)", or -1 when text is not a range. */
static int range_kind(const char *text, const char **open) {
  while (isspace((unsigned char)*text)) text++;
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    size_t len = strlen(kinds[k].name);
    if (strncmp(text, kinds[k].name, len)) continue;
    const char *p = text + len;
    while (isspace((unsigned char)*p)) p++;
    if (*p != '(') continue;
    *open = p;
    return (int)kinds[k].kind;
  }
  return -1;
}

int po_tune_is_range(const char *text) {
  const char *open;
  return range_kind(text, &open) >= 0;
}

int po_tune_space_add(po_tune_space *s, const char *key, const char *text) {
  const char *open;
  int kind = range_kind(text, &open);
  if (kind < 0)
    return po_error(PO_ERR_ARG, "%s = %s is not a range: write " PO_TUNE_RANGE_FORMS, key, text);
  const char *close = strrchr(open, ')');
  const char *tail = close ? close + 1 : NULL;
  while (tail && isspace((unsigned char)*tail)) tail++;
  if (!close || *tail)
    return po_error(PO_ERR_ARG, "%s = %s: a range is written " PO_TUNE_RANGE_FORMS, key, text);
  for (size_t i = 0; i < s->n; i++)
    if (!strcmp(s->dims[i].key, key)) return po_error(PO_ERR_ARG, "%s: range given twice", key);
  char *inner = trimmed_copy(open + 1, close);
  if (!inner) return po_error(PO_ERR_NOMEM, "out of memory");
  char **items = NULL;
  size_t n = 0;
  int rc = split_args(inner, &items, &n);
  free(inner);
  po_tune_dim d = {0};
  d.kind = (po_tune_kind)kind;
  d.key = strdup(key);
  if (rc || !d.key) rc = po_error(PO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; !rc && i < n; i++)
    if (!*items[i]) rc = po_error(PO_ERR_ARG, "%s = %s: empty item", key, text);
  if (!rc && d.kind == PO_TUNE_CHOICE) {
    d.choices = items, d.n_choices = n;
    items = NULL, n = 0;
    d.lo = 0, d.hi = (double)d.n_choices - 1;
  } else if (!rc) {
    rc = parse_bounds(&d, items, n);
  }
  free_items(items, n);
  po_tune_dim *nd = rc ? NULL : realloc(s->dims, (s->n + 1) * sizeof *nd);
  if (!rc && !nd) rc = po_error(PO_ERR_NOMEM, "out of memory");
  if (rc) {
    free(d.key);
    free_items(d.choices, d.n_choices);
    return rc;
  }
  s->dims = nd;
  s->dims[s->n++] = d;
  return PO_OK;
}

void po_tune_space_free(po_tune_space *s) {
  for (size_t i = 0; i < s->n; i++) {
    free(s->dims[i].key);
    free_items(s->dims[i].choices, s->dims[i].n_choices);
  }
  free(s->dims);
  s->dims = NULL;
  s->n = 0;
}

void po_tune_format(const po_tune_space *s, size_t d, const double *x, char *buf, size_t size) {
  const po_tune_dim *dim = &s->dims[d];
  if (dim->kind == PO_TUNE_CHOICE)
    snprintf(buf, size, "%s", dim->choices[(size_t)x[d]]);
  else if (dim->kind == PO_TUNE_INT || dim->kind == PO_TUNE_LOGINT)
    snprintf(buf, size, "%.0f", x[d]);
  else
    snprintf(buf, size, "%.17g", x[d]);
}

/* LOGINT: integer k owns [k - 1/2, k + 1/2) of the real line, mapped to
 * [0, 1] in log (so 10..11 gets the share of 1000..1100). */
static double logint_unit(const po_tune_dim *dim, double x) {
  const double a = dim->lo - 0.5, b = dim->hi + 0.5;
  return log(x / a) / log(b / a);
}

double po_tune_unit(const po_tune_space *s, size_t d, double x) {
  const po_tune_dim *dim = &s->dims[d];
  if (dim->kind == PO_TUNE_CHOICE) return x;
  if (dim->hi == dim->lo) return 0.5;
  if (dim->kind == PO_TUNE_LOG) return log(x / dim->lo) / log(dim->hi / dim->lo);
  if (dim->kind == PO_TUNE_LOGINT) return logint_unit(dim, x);
  return (x - dim->lo) / (dim->hi - dim->lo);
}

/* Inverse of po_tune_unit for numeric kinds (u clamped to [0, 1]); INT
 * and LOGINT give the integer whose share holds u. */
static double from_unit(const po_tune_dim *dim, double u) {
  u = u < 0 ? 0 : u > 1 ? 1 : u;
  switch (dim->kind) {
  case PO_TUNE_LOG:
    return dim->lo * exp(u * log(dim->hi / dim->lo));
  case PO_TUNE_INT: {
    /* Each integer owns an equal share of [0, 1]. */
    double span = dim->hi - dim->lo + 1;
    double k = floor(u * span);
    return dim->lo + (k >= span ? span - 1 : k);
  }
  case PO_TUNE_LOGINT: {
    const double a = dim->lo - 0.5, b = dim->hi + 0.5;
    const double k = floor(a * exp(u * log(b / a)) + 0.5);
    return k < dim->lo ? dim->lo : k > dim->hi ? dim->hi : k;
  }
  default:
    return dim->lo + u * (dim->hi - dim->lo);
  }
}

/* Unit coordinate used by the density model: an integer at the centre of
 * its share (the geometric centre for LOGINT). */
static double model_unit(const po_tune_dim *dim, double x) {
  if (dim->kind == PO_TUNE_INT) return (x - dim->lo + 0.5) / (dim->hi - dim->lo + 1);
  if (dim->kind == PO_TUNE_LOGINT) {
    const double a = dim->lo - 0.5, b = dim->hi + 0.5;
    return log(sqrt((x - 0.5) * (x + 0.5)) / a) / log(b / a);
  }
  return po_tune_unit(&(po_tune_space){1, (po_tune_dim *)dim}, 0, x);
}

/* ---- bracket schedule ------------------------------------------------------ */

static double ipow(int eta, int k) {
  double r = 1;
  for (int i = 0; i < k; i++) r *= eta;
  return r;
}

int po_tune_s_max(const po_tune_options *o) {
  int s = 0;
  while (s < 40 && o->min_fidelity * ipow(o->eta, s + 1) <= o->max_fidelity * (1 + 1e-9)) s++;
  return s;
}

int po_tune_n_brackets(const po_tune_options *o) {
  return o->brackets > 0 ? o->brackets : po_tune_s_max(o) + 1;
}

int po_tune_bracket_s(const po_tune_options *o, int bracket) {
  int smax = po_tune_s_max(o);
  return smax - bracket % (smax + 1);
}

long po_tune_rung_size(const po_tune_options *o, int bracket, int rung) {
  int smax = po_tune_s_max(o), s = po_tune_bracket_s(o, bracket);
  if (rung < 0 || rung > s) return 0;
  long n = (long)ceil((double)(smax + 1) * ipow(o->eta, s) / (double)(s + 1) - 1e-9);
  return (long)floor((double)n / ipow(o->eta, rung) + 1e-9);
}

double po_tune_rung_fidelity(const po_tune_options *o, int bracket, int rung) {
  int s = po_tune_bracket_s(o, bracket);
  if (rung == s) return o->max_fidelity;
  return o->max_fidelity / ipow(o->eta, s - rung);
}

/* ---- ordering ---------------------------------------------------------------- */

static int cmp_nan_last(double a, double b) {
  int na = isnan(a), nb = isnan(b);
  if (na || nb) return na - nb;
  return (a > b) - (a < b);
}

int po_tune_trial_cmp(const po_tune_trial *a, const po_tune_trial *b) {
  int c = cmp_nan_last(a->objective, b->objective);
  if (!c) c = cmp_nan_last(a->tiebreak, b->tiebreak);
  if (!c) c = (a->bracket > b->bracket) - (a->bracket < b->bracket);
  if (!c) c = (a->config > b->config) - (a->config < b->config);
  return c;
}

static int cmp_double(const void *a, const void *b) {
  return cmp_nan_last(*(const double *)a, *(const double *)b);
}

double po_tune_median(const double *v, size_t n) {
  if (!n) return NAN;
  double *c = malloc(n * sizeof *c);
  if (!c) return NAN;
  memcpy(c, v, n * sizeof *c);
  qsort(c, n, sizeof *c, cmp_double);
  double m =
      n % 2 ? c[n / 2] : (isinf(c[n / 2 - 1]) ? c[n / 2 - 1] : 0.5 * (c[n / 2 - 1] + c[n / 2]));
  free(c);
  return m;
}

/* ---- proposals -------------------------------------------------------------- */

static void propose_random(const po_tune_space *s, po_rng *r, double *x) {
  for (size_t d = 0; d < s->n; d++) {
    const po_tune_dim *dim = &s->dims[d];
    double u = po_rng_uniform(r);
    if (dim->kind == PO_TUNE_CHOICE) {
      size_t k = (size_t)(u * (double)dim->n_choices);
      x[d] = (double)(k < dim->n_choices ? k : dim->n_choices - 1);
    } else {
      x[d] = from_unit(dim, u);
    }
  }
}

/* The observations a TPE model is fitted to: the trials of earlier
 * brackets at the largest fidelity that has enough of them (BOHB's rule:
 * Falkner, Klein & Hutter, ICML 2018, sec. 4.1), sorted best first. */
typedef struct tpe_model {
  const po_tune_trial **obs;
  size_t n, n_good;
  double *bw; /* per dimension, unit scale */
} tpe_model;

static int cmp_trial_ptr(const void *a, const void *b) {
  return po_tune_trial_cmp(*(const po_tune_trial *const *)a, *(const po_tune_trial *const *)b);
}

static int tpe_fit(const po_tune_space *s, const po_tune_result *h, int bracket, tpe_model *m) {
  memset(m, 0, sizeof *m);
  size_t need = s->n + 2 > 4 ? s->n + 2 : 4;
  double best_f = -1;
  for (size_t i = 0; i < h->n; i++) {
    const po_tune_trial *t = &h->trials[i];
    if (t->bracket >= bracket || isnan(t->objective) || t->fidelity <= best_f) continue;
    size_t c = 0;
    for (size_t j = 0; j < h->n; j++)
      c += h->trials[j].bracket < bracket && h->trials[j].fidelity == t->fidelity &&
           !isnan(h->trials[j].objective);
    if (c >= need) best_f = t->fidelity;
  }
  if (best_f < 0) return PO_OK;
  m->obs = malloc(h->n * sizeof *m->obs);
  m->bw = malloc((s->n ? s->n : 1) * sizeof *m->bw);
  if (!m->obs || !m->bw) return po_error(PO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < h->n; i++) {
    const po_tune_trial *t = &h->trials[i];
    if (t->bracket < bracket && t->fidelity == best_f && !isnan(t->objective)) m->obs[m->n++] = t;
  }
  qsort(m->obs, m->n, sizeof *m->obs, cmp_trial_ptr);
  m->n_good = (size_t)ceil(TPE_GAMMA * (double)m->n);
  if (m->n_good < 2) m->n_good = 2;
  /* Scott's rule on the good points, floored so the model keeps exploring. */
  for (size_t d = 0; d < s->n; d++) {
    double mean = 0, var = 0;
    for (size_t i = 0; i < m->n_good; i++) mean += model_unit(&s->dims[d], m->obs[i]->x[d]);
    mean /= (double)m->n_good;
    for (size_t i = 0; i < m->n_good; i++) {
      double e = model_unit(&s->dims[d], m->obs[i]->x[d]) - mean;
      var += e * e;
    }
    double sd = sqrt(var / (double)m->n_good);
    double bw = 1.06 * sd * pow((double)m->n_good, -0.2);
    m->bw[d] = bw < TPE_MIN_BW ? TPE_MIN_BW : bw > 0.5 ? 0.5 : bw;
  }
  return PO_OK;
}

static void tpe_free(tpe_model *m) {
  free(m->obs);
  free(m->bw);
}

/* Kernel density of x under observations [from, to): a mixture of product
 * kernels, Gaussian on the unit scale for numbers, Aitchison-Aitken for
 * choices. */
static double tpe_density(const po_tune_space *s, const tpe_model *m, size_t from, size_t to,
                          const double *x) {
  if (to <= from) return 1.0;
  double sum = 0;
  for (size_t i = from; i < to; i++) {
    double k = 1;
    for (size_t d = 0; d < s->n; d++) {
      const po_tune_dim *dim = &s->dims[d];
      if (dim->kind == PO_TUNE_CHOICE) {
        double nc = (double)dim->n_choices;
        k *= x[d] == m->obs[i]->x[d] ? 1 - TPE_CAT_EPS : (nc > 1 ? TPE_CAT_EPS / (nc - 1) : 1);
      } else {
        double z = (model_unit(dim, x[d]) - model_unit(dim, m->obs[i]->x[d])) / m->bw[d];
        k *= exp(-0.5 * z * z) / m->bw[d];
      }
    }
    sum += k;
  }
  return sum / (double)(to - from) + 1e-300;
}

/* A draw from the good density: a good point, each coordinate perturbed. */
static void tpe_sample(const po_tune_space *s, const tpe_model *m, po_rng *r, double *x) {
  size_t j = (size_t)(po_rng_uniform(r) * (double)m->n_good);
  if (j >= m->n_good) j = m->n_good - 1;
  for (size_t d = 0; d < s->n; d++) {
    const po_tune_dim *dim = &s->dims[d];
    double base = m->obs[j]->x[d];
    if (dim->kind == PO_TUNE_CHOICE) {
      if (po_rng_uniform(r) < TPE_CAT_EPS && dim->n_choices > 1) {
        size_t k = (size_t)(po_rng_uniform(r) * (double)(dim->n_choices - 1));
        if (k >= dim->n_choices - 1) k = dim->n_choices - 2;
        x[d] = (double)(k >= (size_t)base ? k + 1 : k);
      } else {
        x[d] = base;
      }
      continue;
    }
    double u = model_unit(dim, base) + m->bw[d] * po_rng_normal(r);
    for (int tries = 0; tries < 8 && (u < 0 || u > 1); tries++)
      u = model_unit(dim, base) + m->bw[d] * po_rng_normal(r);
    x[d] = from_unit(dim, u);
  }
}

/* Configuration i of bracket b: random, or the best of TPE_CANDIDATES draws
 * from the good density by l(x)/g(x) (Bergstra et al., NIPS 2011). */
static void propose(const po_tune_space *s, const po_tune_options *o, const tpe_model *m,
                    int bracket, long i, double *x, double *cand) {
  po_rng r;
  po_rng_init(&r, o->seed, TUNE_STREAM ^ (uint64_t)bracket, (uint64_t)i);
  if (!m->n || po_rng_uniform(&r) < o->random_fraction) {
    propose_random(s, &r, x);
    return;
  }
  double best = -INFINITY;
  for (int c = 0; c < TPE_CANDIDATES; c++) {
    tpe_sample(s, m, &r, cand);
    double score =
        log(tpe_density(s, m, 0, m->n_good, cand)) - log(tpe_density(s, m, m->n_good, m->n, cand));
    if (score > best) {
      best = score;
      memcpy(x, cand, s->n * sizeof *x);
    }
  }
}

/* ---- the search -------------------------------------------------------------- */

static int check_options(const po_tune_options *o) {
  if (o->eta < 2) return po_error(PO_ERR_ARG, "tune.eta = %d must be >= 2", o->eta);
  if (!(o->min_fidelity > 0) || !(o->min_fidelity <= o->max_fidelity))
    return po_error(PO_ERR_ARG, "tune: need 0 < min fidelity (%g) <= max fidelity (%g)",
                    o->min_fidelity, o->max_fidelity);
  if (o->brackets < 0) return po_error(PO_ERR_ARG, "tune.brackets = %d must be >= 0", o->brackets);
  if (!(o->random_fraction >= 0 && o->random_fraction <= 1))
    return po_error(PO_ERR_ARG, "tune.random_fraction = %g must be in [0, 1]", o->random_fraction);
  return PO_OK;
}

/* Appends n trials (x copied) to r. */
static int append_trials(po_tune_result *r, size_t dims, const po_tune_trial *t, size_t n) {
  po_tune_trial *nt = realloc(r->trials, (r->n + n) * sizeof *nt);
  if (!nt) return po_error(PO_ERR_NOMEM, "out of memory");
  r->trials = nt;
  for (size_t i = 0; i < n; i++) {
    po_tune_trial c = t[i];
    c.x = malloc((dims ? dims : 1) * sizeof *c.x);
    if (!c.x) return po_error(PO_ERR_NOMEM, "out of memory");
    memcpy(c.x, t[i].x, dims * sizeof *c.x);
    r->trials[r->n++] = c;
  }
  return PO_OK;
}

static void update_best(po_tune_result *r, const po_tune_options *o) {
  r->best = r->best_any = -1;
  double top = 0;
  for (size_t i = 0; i < r->n; i++)
    if (r->trials[i].fidelity > top) top = r->trials[i].fidelity;
  for (size_t i = 0; i < r->n; i++) {
    const po_tune_trial *t = &r->trials[i];
    if (t->fidelity == top &&
        (r->best_any < 0 || po_tune_trial_cmp(t, &r->trials[r->best_any]) < 0))
      r->best_any = (long)i;
    if (t->fidelity == o->max_fidelity &&
        (r->best < 0 || po_tune_trial_cmp(t, &r->trials[r->best]) < 0))
      r->best = (long)i;
  }
}

static int cmp_trials(const void *a, const void *b) {
  return po_tune_trial_cmp(a, b);
}

static int cmp_config(const void *a, const void *b) {
  long x = ((const po_tune_trial *)a)->config, y = ((const po_tune_trial *)b)->config;
  return (x > y) - (x < y);
}

/* One bracket: rung 0 proposed, then successive halving. */
static int run_bracket(const po_tune_space *s, const po_tune_options *o,
                       const po_tune_callbacks *cb, int b, po_tune_result *out) {
  long n0 = po_tune_rung_size(o, b, 0);
  size_t dims = s->n ? s->n : 1;
  po_tune_trial *rung = calloc((size_t)n0, sizeof *rung);
  double *xs = malloc((size_t)n0 * dims * sizeof *xs), *cand = malloc(dims * sizeof *cand);
  tpe_model m;
  int rc = !rung || !xs || !cand ? po_error(PO_ERR_NOMEM, "out of memory") : PO_OK;
  if (!rc) rc = tpe_fit(s, out, b, &m);
  for (long i = 0; !rc && i < n0; i++) {
    rung[i] = (po_tune_trial){b, 0, i, po_tune_rung_fidelity(o, b, 0), NAN, NAN, xs + i * dims};
    propose(s, o, &m, b, i, rung[i].x, cand);
  }
  if (!rc) tpe_free(&m);
  int s_b = po_tune_bracket_s(o, b);
  long n = n0;
  for (int k = 0; !rc && k <= s_b && n > 0; k++) {
    rc = cb->evaluate(cb->ctx, s, rung, (size_t)n);
    if (!rc) rc = append_trials(out, s->n, rung, (size_t)n);
    if (rc) break;
    update_best(out, o);
    if (cb->progress) cb->progress(cb->ctx, s, out, b, k);
    /* Promote the best n_{k+1}, kept in configuration order so that the
     * next rung's batch does not depend on how ties were broken. */
    qsort(rung, (size_t)n, sizeof *rung, cmp_trials);
    n = po_tune_rung_size(o, b, k + 1);
    qsort(rung, (size_t)n, sizeof *rung, cmp_config);
    for (long i = 0; i < n; i++) {
      rung[i].rung = k + 1;
      rung[i].fidelity = po_tune_rung_fidelity(o, b, k + 1);
      rung[i].objective = rung[i].tiebreak = NAN;
    }
  }
  free(rung);
  free(xs);
  free(cand);
  return rc;
}

int po_tune_run(const po_tune_space *s, const po_tune_options *o, const po_tune_callbacks *cb,
                po_tune_result *out) {
  memset(out, 0, sizeof *out);
  out->best = out->best_any = -1;
  int rc = check_options(o);
  if (rc) return rc;
  if (!cb || !cb->evaluate) return po_error(PO_ERR_ARG, "tune: no evaluate callback");
  int nb = po_tune_n_brackets(o);
  for (int b = 0; !rc && b < nb; b++) rc = run_bracket(s, o, cb, b, out);
  return rc;
}

void po_tune_result_free(po_tune_result *r) {
  for (size_t i = 0; i < r->n; i++) free(r->trials[i].x);
  free(r->trials);
  memset(r, 0, sizeof *r);
}
