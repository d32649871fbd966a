/* The search of physopt tune through its library API (algorithms/tune.c):
 * the Hyperband schedule against the paper's table, range parsing, and the
 * known optimum of a synthetic objective found through a C callback. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "physopt/physopt.h"
#include "physopt/tune.h"

/* Li et al., JMLR 18(185) 2018, Table 1: R = 81, eta = 3 gives five
 * brackets; (n_i, r_i) of rung i in bracket s. */
static void test_hyperband_table(void **state) {
  (void)state;
  po_tune_options o = {1, 1, 81, 3, 0, 1};
  assert_int_equal(po_tune_s_max(&o), 4);
  assert_int_equal(po_tune_n_brackets(&o), 5);
  static const long n[5][5] = {
      {81, 27, 9, 3, 1}, {34, 11, 3, 1, 0}, {15, 5, 1, 0, 0}, {8, 2, 0, 0, 0}, {5, 0, 0, 0, 0}};
  static const double r[5][5] = {
      {1, 3, 9, 27, 81}, {3, 9, 27, 81, 0}, {9, 27, 81, 0, 0}, {27, 81, 0, 0, 0}, {81, 0, 0, 0, 0}};
  for (int b = 0; b < 5; b++)
    for (int i = 0; i <= po_tune_bracket_s(&o, b); i++) {
      assert_int_equal(po_tune_rung_size(&o, b, i), n[b][i]);
      assert_true(fabs(po_tune_rung_fidelity(&o, b, i) - r[b][i]) < 1e-9);
    }
  assert_int_equal(po_tune_rung_size(&o, 4, 1), 0);
  /* A sixth bracket starts the cycle again. */
  o.brackets = 6;
  assert_int_equal(po_tune_bracket_s(&o, 5), 4);
}

static void test_space_parse(void **state) {
  (void)state;
  po_tune_space s = {0};
  assert_int_equal(po_tune_space_add(&s, "schedule.end", "log(0.5, 20)"), PO_OK);
  assert_int_equal(po_tune_space_add(&s, "run.replicas", " int ( 1,8 ) "), PO_OK);
  assert_int_equal(po_tune_space_add(&s, "run.algorithm", "choice(sa, pt, \"a,b\")"), PO_OK);
  assert_int_equal(po_tune_space_add(&s, "cim.dt", "linear(0, 1)"), PO_OK);
  assert_false(po_tune_is_range("sk:20:1"));
  assert_false(po_tune_is_range("100"));
  assert_true(po_tune_is_range(" log (1, 2)"));
  assert_int_equal((int)s.n, 4);
  assert_int_equal((int)s.dims[2].n_choices, 3);
  assert_string_equal(s.dims[2].choices[2], "a,b");
  double x[4] = {2.5, 3, 2, 0.25};
  char buf[64];
  po_tune_format(&s, 0, x, buf, sizeof buf);
  assert_string_equal(buf, "2.5");
  po_tune_format(&s, 1, x, buf, sizeof buf);
  assert_string_equal(buf, "3");
  po_tune_format(&s, 2, x, buf, sizeof buf);
  assert_string_equal(buf, "a,b");
  /* Malformed ranges are errors naming the key. */
  assert_int_not_equal(po_tune_space_add(&s, "a.b", "log(0, 1)"), PO_OK);
  assert_non_null(strstr(po_last_error(), "a.b"));
  assert_int_not_equal(po_tune_space_add(&s, "a.c", "linear(2, 1)"), PO_OK);
  assert_int_not_equal(po_tune_space_add(&s, "a.d", "int(1.5, 3)"), PO_OK);
  assert_int_not_equal(po_tune_space_add(&s, "a.e", "linear(1)"), PO_OK);
  assert_int_not_equal(po_tune_space_add(&s, "a.f", "log(1, 2) x"), PO_OK);
  assert_int_not_equal(po_tune_space_add(&s, "schedule.end", "log(1, 2)"), PO_OK);
  assert_int_equal((int)s.n, 4);
  po_tune_space_free(&s);
}

/* Synthetic objective, optimum 0 at a = 0.03, b = 0.7, c = "good":
 * f = (log10 a - log10 0.03)^2 + 4 (b - 0.7)^2 + [c != good] / 2, seen at
 * fidelity r with a deterministic error of up to 0.5 / r (a low fidelity is
 * a cheap, biased estimate, as a short anneal is). */
typedef struct synth {
  long evaluations;
  double cost; /* sum of fidelities */
} synth;

static double synth_exact(const double *x) {
  double la = log10(x[0]) - log10(0.03), db = x[1] - 0.7;
  return la * la + 4 * db * db + (x[2] == 1 ? 0 : 0.5);
}

static int synth_eval(void *ctx, const po_tune_space *s, po_tune_trial *t, size_t n) {
  synth *sy = ctx;
  (void)s;
  for (size_t i = 0; i < n; i++) {
    uint64_t h = po_hash2(po_hash_bytes(t[i].x, 3 * sizeof(double), 1469598103934665603ULL), 7);
    double err = ((double)(h >> 11) / 9007199254740992.0 * 2 - 1) * 0.5 / t[i].fidelity;
    t[i].objective = synth_exact(t[i].x) + err;
    sy->evaluations++;
    sy->cost += t[i].fidelity;
  }
  return PO_OK;
}

static void synth_space(po_tune_space *s) {
  memset(s, 0, sizeof *s);
  assert_int_equal(po_tune_space_add(s, "x.a", "log(1e-4, 10)"), PO_OK);
  assert_int_equal(po_tune_space_add(s, "x.b", "linear(0, 1)"), PO_OK);
  assert_int_equal(po_tune_space_add(s, "x.c", "choice(bad, good, worse)"), PO_OK);
}

static void run_synth(double random_fraction, int brackets, po_tune_result *r, synth *sy) {
  po_tune_space s;
  synth_space(&s);
  po_tune_options o = {2026, 1, 27, 3, brackets, random_fraction};
  po_tune_callbacks cb = {synth_eval, NULL, sy};
  memset(sy, 0, sizeof *sy);
  assert_int_equal(po_tune_run(&s, &o, &cb, r), PO_OK);
  assert_true(r->best >= 0);
  assert_true(r->trials[r->best].fidelity == 27);
  po_tune_space_free(&s);
}

static void test_synthetic_optimum(void **state) {
  (void)state;
  po_tune_result r;
  synth sy;
  run_synth(1.0 / 3, 8, &r, &sy);
  const double *x = r.trials[r.best].x;
  print_message("best a = %.4g b = %.4g c = %.0f f = %.4g after %ld evaluations (cost %.0f)\n",
                x[0], x[1], x[2], synth_exact(x), sy.evaluations, sy.cost);
  assert_true(x[2] == 1);
  assert_true(fabs(log10(x[0]) - log10(0.03)) < 0.25);
  assert_true(fabs(x[1] - 0.7) < 0.1);
  assert_true(synth_exact(x) < 0.05);
  /* Every trial of the last rung of each bracket is at the top fidelity. */
  for (size_t i = 0; i < r.n; i++) assert_true(r.trials[i].fidelity <= 27);
  po_tune_result_free(&r);
}

/* TPE proposals after the first bracket do better than random proposals
 * with the same budget (median over 5 seeds of the best exact objective). */
static void test_tpe_beats_random(void **state) {
  (void)state;
  double f_tpe[5], f_rand[5];
  for (int k = 0; k < 5; k++) {
    po_tune_space s;
    synth_space(&s);
    for (int mode = 0; mode < 2; mode++) {
      po_tune_options o = {100 + (uint64_t)k, 1, 27, 3, 8, mode ? 1.0 : 1.0 / 3};
      synth sy = {0, 0};
      po_tune_callbacks cb = {synth_eval, NULL, &sy};
      po_tune_result r;
      assert_int_equal(po_tune_run(&s, &o, &cb, &r), PO_OK);
      (mode ? f_rand : f_tpe)[k] = synth_exact(r.trials[r.best].x);
      po_tune_result_free(&r);
    }
    po_tune_space_free(&s);
  }
  double mt = po_tune_median(f_tpe, 5), mr = po_tune_median(f_rand, 5);
  print_message("median best f: TPE %.4g, random %.4g\n", mt, mr);
  assert_true(mt < mr);
}

/* Same seed, same trials; the result does not depend on how the caller
 * splits its work (evaluated again from a cache, as a resumed tune is). */
static void test_deterministic(void **state) {
  (void)state;
  po_tune_result a, b;
  synth sa, sb;
  run_synth(1.0 / 3, 4, &a, &sa);
  run_synth(1.0 / 3, 4, &b, &sb);
  assert_int_equal((int)a.n, (int)b.n);
  for (size_t i = 0; i < a.n; i++) {
    assert_int_equal(a.trials[i].bracket, b.trials[i].bracket);
    assert_int_equal(a.trials[i].config, b.trials[i].config);
    assert_memory_equal(a.trials[i].x, b.trials[i].x, 3 * sizeof(double));
    assert_true(a.trials[i].objective == b.trials[i].objective);
  }
  assert_int_equal(a.best, b.best);
  po_tune_result_free(&a);
  po_tune_result_free(&b);
}

/* Records the configurations a bracket starts with (rung 0: each drawn
 * once by the proposal); the objective is f = (log10 x - log10 300)^2. */
typedef struct logint_log {
  double x[4096];
  size_t n;
} logint_log;

static int logint_eval(void *ctx, const po_tune_space *s, po_tune_trial *t, size_t n) {
  logint_log *g = ctx;
  (void)s;
  for (size_t i = 0; i < n; i++) {
    const double d = log10(t[i].x[0]) - log10(300.0);
    t[i].objective = d * d;
    if (t[i].rung == 0 && g->n < sizeof g->x / sizeof g->x[0]) g->x[g->n++] = t[i].x[0];
  }
  return PO_OK;
}

/* Share of the random proposals of logint(1, 1000) in [a, b]. */
static double logint_share(const logint_log *g, double a, double b) {
  size_t k = 0;
  for (size_t i = 0; i < g->n; i++) k += g->x[i] >= a && g->x[i] <= b;
  return (double)k / (double)g->n;
}

/* logint(LO, HI): integers, uniform in log -- integer k has probability
 * ln((k + 1/2) / (k - 1/2)) / ln((HI + 1/2) / (LO - 1/2)) -- checked on
 * random proposals within 5 standard errors; int(1, 1000) would put 3% in
 * [1, 31] where logint puts 54%.  Then TPE on the same space finds the
 * optimum 300 of a smooth objective in log. */
static void test_logint(void **state) {
  (void)state;
  po_tune_space s = {0};
  assert_int_equal(po_tune_space_add(&s, "run.steps", "logint(1, 1000)"), PO_OK);
  assert_string_equal(po_tune_kind_name(s.dims[0].kind), "logint");
  /* PO_TUNE_RANGE_FORMS (messages, help) names exactly the kinds the parser
   * takes: each kind's "name(" is in it and parses as a range. */
  for (int k = PO_TUNE_LINEAR; k <= PO_TUNE_LOGINT; k++) {
    char form[32];
    snprintf(form, sizeof form, "%s(", po_tune_kind_name((po_tune_kind)k));
    assert_non_null(strstr(PO_TUNE_RANGE_FORMS, form));
    assert_true(po_tune_is_range(form));
  }
  int forms = 0;
  for (const char *q = PO_TUNE_RANGE_FORMS; (q = strchr(q, '(')); q++) forms++;
  assert_int_equal(forms, PO_TUNE_LOGINT + 1);
  assert_int_not_equal(po_tune_space_add(&s, "a.b", "logint(0, 10)"), PO_OK);
  assert_int_not_equal(po_tune_space_add(&s, "a.c", "logint(2.5, 10)"), PO_OK);
  static logint_log g;
  g.n = 0;
  po_tune_result r;
  po_tune_options o = {11, 1, 27, 3, 40, 1.0};
  po_tune_callbacks cb = {logint_eval, NULL, &g};
  assert_int_equal(po_tune_run(&s, &o, &cb, &r), PO_OK);
  po_tune_result_free(&r);
  const double L = log(1000.5 / 0.5);
  const struct { double a, b; } bins[] = {{1, 1}, {1, 31}, {1, 9}, {10, 99}, {100, 999}};
  for (size_t i = 0; i < g.n; i++) {
    assert_true(g.x[i] >= 1 && g.x[i] <= 1000);
    assert_true(g.x[i] == floor(g.x[i]));
  }
  for (size_t k = 0; k < sizeof bins / sizeof bins[0]; k++) {
    const double p = log((bins[k].b + 0.5) / (bins[k].a - 0.5)) / L;
    const double got = logint_share(&g, bins[k].a, bins[k].b), se = sqrt(p * (1 - p) / g.n);
    print_message("logint [%g, %g]: %.3f of %zu proposals, expected %.3f +- %.3f\n", bins[k].a,
                  bins[k].b, got, g.n, p, se);
    assert_true(fabs(got - p) < 5 * se);
  }
  g.n = 0;
  o.random_fraction = 1.0 / 3;
  o.brackets = 8;
  assert_int_equal(po_tune_run(&s, &o, &cb, &r), PO_OK);
  const double best = r.trials[r.best].x[0];
  print_message("logint TPE: best %g (optimum 300)\n", best);
  assert_true(best >= 200 && best <= 450);
  char buf[32];
  po_tune_format(&s, 0, r.trials[r.best].x, buf, sizeof buf);
  assert_true(strtol(buf, NULL, 10) == (long)best && !strchr(buf, '.'));
  po_tune_result_free(&r);
  po_tune_space_free(&s);
}

static void test_median(void **state) {
  (void)state;
  double v[] = {3, 1, 2, INFINITY};
  assert_true(po_tune_median(v, 3) == 2);
  assert_true(po_tune_median(v, 4) == 2.5);
  double w[] = {INFINITY, 1, INFINITY, 2};
  assert_true(isinf(po_tune_median(w, 4)));
  assert_true(isnan(po_tune_median(w, 0)));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hyperband_table),
      cmocka_unit_test(test_space_parse),
      cmocka_unit_test(test_synthetic_optimum),
      cmocka_unit_test(test_tpe_beats_random),
      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_median),
      cmocka_unit_test(test_logint),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
