/* Instance statistics and the instance classes of the cim recipes
 * (docs/cim.md, "Scale-aware defaults").  Pure functions of the model.
 *
 * The classes are separated by the coupling graph's density and the sign
 * mix of the couplings, the two properties that decide which cim-optimizer
 * recipe family fits (McMahon lab, optimal_params.py: fully connected SK vs
 * G-set MaxCut): SK (and the Wishart planted ensemble) is complete with
 * couplings of both signs; MaxCut graphs have one sign (G-set: +1, a few
 * +-1 with a sparse graph).  0.25 is the density at which the problem
 * readers switch from CSR to dense storage (docs/problems.md), the same
 * border the sparse and dense kernels are tuned for. */
#include <math.h>
#include <string.h>
#include "physopt/problem.h"

void po_ising_stats_get(const po_ising *m, po_ising_stats *s) {
  memset(s, 0, sizeof *s);
  s->n = m->n;
  long e = 0, neg = 0;
  double sq = 0.0;
  int unit = 1;
  const int n = m->n;
  for (int i = 0; i < n; i++) {
    if (m->storage == PO_STORAGE_DENSE) {
      const float *row = m->dense + (size_t)i * n;
      for (int j = i + 1; j < n; j++)
        if (row[j] != 0.0f) {
          e++;
          neg += row[j] < 0.0f;
          sq += (double)row[j] * row[j];
          unit &= fabsf(row[j]) == 1.0f;
        }
    } else {
      for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++)
        if (m->col[k] > i) {
          const float v = m->val[k];
          e++;
          neg += v < 0.0f;
          sq += (double)v * v;
          unit &= fabsf(v) == 1.0f;
        }
    }
  }
  s->n_edges = e;
  s->density = n > 1 ? (double)e / (0.5 * n * (n - 1.0)) : 0.0;
  s->mean_degree = n > 0 ? 2.0 * (double)e / n : 0.0;
  s->weight_rms = e > 0 ? sqrt(sq / (double)e) : 0.0;
  s->coupling_norm = n > 0 ? sqrt(2.0 * sq / n) : 0.0;
  s->negative_fraction = e > 0 ? (double)neg / (double)e : 0.0;
  s->unit_weights = e > 0 && unit;
  s->has_fields = m->h != NULL;
}

po_problem_class po_problem_classify(const po_ising_stats *s) {
  if (s->density >= PO_CLASS_SK_MIN_DENSITY && s->negative_fraction >= PO_CLASS_SK_MIN_NEGATIVE &&
      s->negative_fraction <= 1.0 - PO_CLASS_SK_MIN_NEGATIVE)
    return PO_CLASS_SK;
  return s->density >= PO_CLASS_DENSE_MIN_DENSITY ? PO_CLASS_DENSE_MAXCUT : PO_CLASS_SPARSE_MAXCUT;
}

#define PO_CLASS_NAME_(e, name, rule) name,
#define PO_CLASS_RULE_(e, name, rule) rule,
static const char *const class_names[] = {PO_PROBLEM_CLASSES(PO_CLASS_NAME_)};
static const char *const class_rules[] = {PO_PROBLEM_CLASSES(PO_CLASS_RULE_)};

const char *po_problem_class_name(po_problem_class c) {
  return (int)c >= 0 && c < PO_CLASS_COUNT ? class_names[c] : NULL;
}

const char *po_problem_class_rule(po_problem_class c) {
  return (int)c >= 0 && c < PO_CLASS_COUNT ? class_rules[c] : NULL;
}

int po_problem_class_find(const char *name) {
  for (int c = 0; name && c < PO_CLASS_COUNT; c++)
    if (!strcmp(name, class_names[c])) return c;
  return -1;
}
