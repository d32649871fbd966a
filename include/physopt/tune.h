/* Hyperparameter tuning: a search space, Hyperband brackets of successive
 * halving, and a TPE proposal (docs/tune.md).  Pure and backend-agnostic:
 * the caller evaluates the trials of each rung through a callback, so the
 * same search drives a synthetic objective in a test or `physopt tune`,
 * which runs the trials as sweep runs.
 *
 * Determinism: the bracket schedule is a function of the options; the
 * configuration proposed as number i of bracket b is a function of (seed,
 * b, i) and of the objectives of the trials of brackets < b; promotion from
 * one rung to the next is a function of that rung's objectives.  So a
 * search restarted from scratch against a cache of its evaluations (the
 * sweep store, for physopt tune) proposes and evaluates exactly the same
 * trials. */
#ifndef PHYSOPT_TUNE_H
#define PHYSOPT_TUNE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared in include/physopt/ is exported from libphysopt.so,
 * nothing else is (-fvisibility=hidden; docs/design-notes.md). */
#pragma GCC visibility push(default)

typedef enum {
  PO_TUNE_LINEAR = 0, /* uniform in [lo, hi] */
  PO_TUNE_LOG = 1,    /* uniform in [log lo, log hi]; 0 < lo */
  PO_TUNE_INT = 2,    /* integers lo..hi, uniform */
  PO_TUNE_CHOICE = 3, /* one of n_choices strings, uniform */
  PO_TUNE_LOGINT = 4  /* integers lo..hi, 1 <= lo, uniform in log */
} po_tune_kind;

/* The forms of a range, for messages and help (one list: algorithms/tune.c
 * parses exactly these). */
#define PO_TUNE_RANGE_FORMS                                                                        \
  "log(LO, HI), linear(LO, HI), int(LO, HI), logint(LO, HI) or choice(A, B, ...)"

/* "linear", "log", "int", "logint" or "choice": the word of its range form. */
const char *po_tune_kind_name(po_tune_kind kind);

typedef struct po_tune_dim {
  char *key; /* "schedule.end" */
  po_tune_kind kind;
  double lo, hi;
  size_t n_choices;
  char **choices;
} po_tune_dim;

typedef struct po_tune_space {
  size_t n;
  po_tune_dim *dims;
} po_tune_space;

/* 1 when `text` is written as a range (one of PO_TUNE_RANGE_FORMS); 0 for
 * an ordinary value. */
int po_tune_is_range(const char *text);
/* Parses the range `text` of `key` and appends it to the space: one of
 * PO_TUNE_RANGE_FORMS (blanks optional; a choice containing a comma in
 * double quotes).  A
 * malformed range is an error naming the key and the accepted forms. */
int po_tune_space_add(po_tune_space *s, const char *key, const char *text);
void po_tune_space_free(po_tune_space *s);

/* A point: one double per dimension, the value itself for LINEAR, LOG,
 * INT and LOGINT, the choice index for CHOICE.  Formats dimension d of x as the text
 * a configuration file takes ("%.17g", an integer, or the choice). */
void po_tune_format(const po_tune_space *s, size_t d, const double *x, char *buf, size_t size);

/* Position of x[d] in [0, 1] (log scale for LOG); CHOICE: index. */
double po_tune_unit(const po_tune_space *s, size_t d, double x);

typedef struct po_tune_options {
  uint64_t seed;
  double min_fidelity, max_fidelity; /* r_min <= r_max; eta^k ladder between */
  int eta;                           /* >= 2: keep 1/eta of a rung (default 3) */
  int brackets;                      /* brackets to run; 0: s_max + 1 (one Hyperband pass) */
  double random_fraction; /* share of proposals drawn at random after bracket 0 (1: no TPE) */
} po_tune_options;

/* One evaluation: configuration `config` of bracket `bracket` at rung
 * `rung` (fidelity grows with the rung). */
typedef struct po_tune_trial {
  int bracket, rung;
  long config;      /* index of the configuration within its bracket */
  double fidelity;  /* min_fidelity * eta^k, <= max_fidelity */
  double objective; /* filled by evaluate; smaller is better; NaN counts as worst */
  double tiebreak;  /* filled by evaluate (or left NaN): orders equal objectives,
                       e.g. residual energy when every TTS99 is infinite */
  double *x;        /* the configuration (space->n values) */
} po_tune_trial;

/* The bracket schedule.  s_max = largest k with min * eta^k <= max (a
 * relative 1e-9 slack).  Bracket b uses s = s_max - (b mod (s_max + 1))
 * and starts n = ceil((s_max + 1) eta^s / (s + 1)) configurations at
 * fidelity max * eta^-s; rung i keeps floor(n eta^-i) of them at fidelity
 * max * eta^(i - s) (Li et al., "Hyperband", JMLR 18(185), 2018, Alg. 1). */
int po_tune_s_max(const po_tune_options *o);
int po_tune_bracket_s(const po_tune_options *o, int bracket);
long po_tune_rung_size(const po_tune_options *o, int bracket, int rung);
double po_tune_rung_fidelity(const po_tune_options *o, int bracket, int rung);
int po_tune_n_brackets(const po_tune_options *o);

typedef struct po_tune_result {
  size_t n; /* trials so far, in evaluation order */
  po_tune_trial *trials;
  long best;     /* best trial at max fidelity, or -1 */
  long best_any; /* best trial at the highest fidelity evaluated so far, or -1 */
} po_tune_result;

typedef struct po_tune_callbacks {
  /* Evaluates the n trials of one rung (all of one bracket and rung): fills
   * objective (and optionally tiebreak) of each.  Nonzero aborts the search
   * with that status. */
  int (*evaluate)(void *ctx, const po_tune_space *s, po_tune_trial *trials, size_t n);
  /* Optional: called after every rung with everything so far. */
  void (*progress)(void *ctx, const po_tune_space *s, const po_tune_result *r, int bracket,
                   int rung);
  void *ctx;
} po_tune_callbacks;

/* Runs the search.  *out holds every trial; free with po_tune_result_free. */
int po_tune_run(const po_tune_space *s, const po_tune_options *o, const po_tune_callbacks *cb,
                po_tune_result *out);
void po_tune_result_free(po_tune_result *r);

/* Ordering used for promotion and for the best trial: objective (NaN
 * last), then tiebreak (NaN last), then evaluation order.  Negative when
 * a ranks before b (last keys: bracket, then configuration index). */
int po_tune_trial_cmp(const po_tune_trial *a, const po_tune_trial *b);

/* Median of n values (sorted copy; the mean of the two middle ones for
 * even n); +inf values count as large; NaN if n = 0. */
double po_tune_median(const double *v, size_t n);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
