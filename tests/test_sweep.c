/* Sweep expansion, zip groups, repeats, run ids, derived seeds, sharding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "physopt/physopt.h"
#include "physopt/sweep.h"
#include "algorithms/report_stats.h"
#include <math.h>

#define assert_close(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

static po_params *params_from(const char *const *assign) {
  po_params *p;
  assert_int_equal(po_params_create(&p), PO_OK);
  for (; *assign; assign++) assert_int_equal(po_params_assign(p, *assign), PO_OK);
  return p;
}

static po_sweep *expand(const char *const *assign) {
  po_params *p = params_from(assign);
  po_sweep *s = NULL;
  int rc = po_sweep_expand(p, &s);
  if (rc) print_error("%s\n", po_last_error());
  assert_int_equal(rc, PO_OK);
  po_params_destroy(p);
  return s;
}

static void test_split(void **state) {
  (void)state;
  char **it;
  size_t n;
  assert_int_equal(po_sweep_split(" a , b,c ", &it, &n), PO_OK);
  assert_int_equal(n, 3);
  assert_string_equal(it[0], "a");
  assert_string_equal(it[1], "b");
  assert_string_equal(it[2], "c");
  free(it);
  assert_int_equal(po_sweep_split("\"x, y\", z", &it, &n), PO_OK);
  assert_int_equal(n, 2);
  assert_string_equal(it[0], "x, y");
  assert_string_equal(it[1], "z");
  free(it);
  assert_int_equal(po_sweep_split("single", &it, &n), PO_OK);
  assert_int_equal(n, 1);
  free(it);
  assert_int_equal(po_sweep_split("a,,b", &it, &n), PO_ERR_PARSE);
  assert_int_equal(po_sweep_split("\"a,b", &it, &n), PO_ERR_PARSE);
}

/* The example of the issue: 2 files x 2 backends x 2 sweeps x 2 repeats. */
static void test_cartesian(void **state) {
  (void)state;
  const char *a[] = {"sweep.seed=11",
                     "sweep.repeats=2",
                     "problem.file=G1.txt, G22.txt",
                     "backend.name=cpu, cim",
                     "cpu.sweeps=50, 200",
                     "cpu.replicas=4",
                     NULL};
  po_sweep *s = expand(a);
  assert_int_equal(po_sweep_size(s), 16);
  assert_int_equal(po_sweep_repeats(s), 2);
  assert_int_equal(po_sweep_seed(s), 11);
  assert_int_equal(po_sweep_n_keys(s), 3);
  assert_string_equal(po_sweep_key(s, 0), "problem.file");
  assert_string_equal(po_sweep_key(s, 2), "cpu.sweeps");
  /* Every combination appears exactly once per repeat. */
  int seen[2][2][2][2] = {{{{0}}}};
  for (size_t r = 0; r < 16; r++) {
    int f = !strcmp(po_sweep_run_value(s, r, 0), "G22.txt");
    int b = !strcmp(po_sweep_run_value(s, r, 1), "cim");
    int w = !strcmp(po_sweep_run_value(s, r, 2), "200");
    seen[po_sweep_run_repeat(s, r)][f][b][w]++;
    po_params *rp;
    assert_int_equal(po_sweep_run_params(s, r, &rp), PO_OK);
    assert_string_equal(po_params_get(rp, "cpu", "replicas"), "4");
    assert_string_equal(po_params_get(rp, "problem", "file"), po_sweep_run_value(s, r, 0));
    assert_null(po_params_get(rp, "sweep", "seed"));
    /* The id of the materialised config equals the sweep's id. */
    assert_true(po_sweep_config_id(rp, po_sweep_run_repeat(s, r)) == po_sweep_run_id(s, r));
    assert_true(po_sweep_run_seed(s, r) == po_hash2(11, po_sweep_run_id(s, r)));
    assert_int_equal(po_sweep_find(s, po_sweep_run_id(s, r)), r);
    po_params_destroy(rp);
  }
  for (int i = 0; i < 16; i++) assert_int_equal(((int *)seen)[i], 1);
  po_sweep_destroy(s);
}

static void test_zip(void **state) {
  (void)state;
  const char *a[] = {"problem.file=a, b, c", "cpu.sweeps=10, 20, 30", "backend.name=cpu, cim",
                     "sweep.zip=problem.file, cpu.sweeps", NULL};
  po_sweep *s = expand(a);
  assert_int_equal(po_sweep_size(s), 6);
  for (size_t r = 0; r < 6; r++) {
    const char *f = po_sweep_run_value(s, r, 0), *w = po_sweep_run_value(s, r, 1);
    assert_int_equal(f[0] - 'a', (atoi(w) / 10) - 1);
  }
  po_sweep_destroy(s);
  /* Unequal lengths and unknown keys are errors that name the keys. */
  const char *bad[] = {"problem.file=a, b, c", "cpu.sweeps=10, 20",
                       "sweep.zip=problem.file, cpu.sweeps", NULL};
  po_params *p = params_from(bad);
  po_sweep *t = NULL;
  assert_int_equal(po_sweep_expand(p, &t), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "cpu.sweeps"));
  po_params_destroy(p);
  const char *bad2[] = {"problem.file=a, b", "sweep.zip=problem.file, cpu.nope", NULL};
  p = params_from(bad2);
  assert_int_equal(po_sweep_expand(p, &t), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "cpu.nope"));
  po_params_destroy(p);
  /* Two groups separated by '|'. */
  const char *two[] = {
      "a.x=1,2", "a.y=3,4", "b.x=5,6,7", "b.y=8,9,10", "sweep.zip=a.x, a.y | b.x, b.y", NULL};
  s = expand(two);
  assert_int_equal(po_sweep_size(s), 6);
  po_sweep_destroy(s);
}

/* Ids are stable under reordering of the file, number formatting, the
 * sweep seed, threads, and extending lists; repeats give distinct ids. */
static void test_ids(void **state) {
  (void)state;
  const char *a[] = {"problem.file=G1.txt, G22.txt", "cpu.sweeps=50, 200", "run.threads=2",
                     "sweep.seed=1", NULL};
  const char *b[] = {"cpu.sweeps=200, 50.0, 1000", "sweep.seed=99", "sweep.repeats=3",
                     "problem.file=G22.txt, G1.txt", NULL};
  po_sweep *s = expand(a), *t = expand(b);
  assert_int_equal(po_sweep_size(t), 18);
  for (size_t r = 0; r < po_sweep_size(s); r++) {
    uint64_t id = po_sweep_run_id(s, r);
    size_t k = po_sweep_find(t, id);
    assert_true(k != (size_t)-1);
    assert_int_equal(po_sweep_run_repeat(t, k), 0);
    assert_string_equal(po_sweep_run_value(s, r, 0), po_sweep_run_value(t, k, 1));
    /* Same id, different sweep seed: different run seed. */
    assert_true(po_sweep_run_seed(s, r) != po_sweep_run_seed(t, k));
  }
  /* All 18 ids distinct (expand checks), and repeat r of a point differs. */
  assert_true(po_sweep_run_id(t, 0) != po_sweep_run_id(t, 6));
  po_sweep_destroy(s);
  po_sweep_destroy(t);
  /* Output and verbosity options cannot change results, so they stay out
   * of the id (and the seed): `--force` once gave different runs. */
  const char *plain[] = {"x.a=1, 2", NULL};
  const char *loud[] = {"x.a=1, 2",      "run.out=o.h5",  "run.force=true", "run.quiet=true",
                        "run.json=true", "run.threads=3", "run.seed=9",     NULL};
  s = expand(plain);
  t = expand(loud);
  for (size_t r = 0; r < po_sweep_size(s); r++)
    assert_true(po_sweep_run_id(s, r) == po_sweep_run_id(t, r));
  po_sweep_destroy(s);
  po_sweep_destroy(t);
  /* A value that differs changes the id. */
  const char *c1[] = {"x.a=1", "x.b=2", NULL}, *c2[] = {"x.a=1", "x.b=3", NULL};
  s = expand(c1);
  t = expand(c2);
  assert_true(po_sweep_run_id(s, 0) != po_sweep_run_id(t, 0));
  po_sweep_destroy(s);
  po_sweep_destroy(t);
  /* Duplicate values are rejected. */
  const char *dup[] = {"cpu.sweeps=50, 50.0", NULL};
  po_params *p = params_from(dup);
  po_sweep *u = NULL;
  assert_int_equal(po_sweep_expand(p, &u), PO_ERR_ARG);
  po_params_destroy(p);
  char buf[17];
  uint64_t back;
  po_sweep_id_format(0x0123456789abcdefull, buf);
  assert_string_equal(buf, "0123456789abcdef");
  assert_int_equal(po_sweep_id_parse(buf, &back), PO_OK);
  assert_true(back == 0x0123456789abcdefull);
  assert_int_equal(po_sweep_id_parse("xyz", &back), PO_ERR_PARSE);
}

/* Issue 12 item 10: a list of one backend's setting multiplies only that
 * backend's runs.  backend = cpu, cim with [cim] dt = 0.05, 0.1 is 3 runs,
 * not 4 (the cpu run appeared twice with different ids). */
static void test_backend_lists_apply_to_their_backend(void **state) {
  (void)state;
  const char *a[] = {"problem.spec=sk:10:1", "run.backend=cpu, cim", "cim.dt=0.05, 0.1",
                     "cpu.kernel=general", NULL};
  po_sweep *s = expand(a);
  assert_int_equal(po_sweep_size(s), 3);
  int cpu = 0, cim = 0, dt[2] = {0, 0};
  for (size_t r = 0; r < po_sweep_size(s); r++) {
    po_params *rp;
    assert_int_equal(po_sweep_run_params(s, r, &rp), PO_OK);
    const char *b = po_params_get(rp, "run", "backend"), *d = po_params_get(rp, "cim", "dt");
    if (!strcmp(b, "cpu")) {
      cpu++;
      assert_null(d); /* not part of a cpu run */
      assert_string_equal(po_sweep_run_value(s, r, 1), "-");
    } else {
      cim++;
      assert_non_null(d);
      dt[!strcmp(d, "0.1")]++;
    }
    assert_string_equal(po_params_get(rp, "cpu", "kernel"), "general"); /* single values stay */
    assert_true(po_sweep_config_id(rp, 0) == po_sweep_run_id(s, r));
    assert_int_equal(po_sweep_find(s, po_sweep_run_id(s, r)), r);
    po_params_destroy(rp);
  }
  assert_int_equal(cpu, 1);
  assert_int_equal(cim, 2);
  assert_int_equal(dt[0], 1);
  assert_int_equal(dt[1], 1);
  po_sweep_destroy(s);
  /* A fallback's settings matter to the backend that falls back on it
   * (photonic anneals through cpu): nothing is merged here. */
  const char *fb[] = {"problem.spec=sk:10:1", "run.backend=cpu, photonic",
                      "cpu.kernel=general, multispin", NULL};
  s = expand(fb);
  assert_int_equal(po_sweep_size(s), 4);
  po_sweep_destroy(s);
  /* The same value twice is still an error, not a silent merge. */
  const char *twice[] = {"problem.spec=sk:10:1", "run.backend=cpu, cim", "cim.dt=0.1, 0.1", NULL};
  po_params *p;
  assert_int_equal(po_params_create(&p), PO_OK);
  for (int i = 0; twice[i]; i++) {
    const char *eq = strchr(twice[i], '=');
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(eq - twice[i]), twice[i]);
    assert_int_equal(po_params_set(p, name, eq + 1), PO_OK);
  }
  assert_int_equal(po_sweep_expand(p, &s), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "identical parameters"));
  po_params_destroy(p);
}

/* Found by make fuzz: a quoted item with blanks inside the quotes is
 * trimmed in the run's parameters, and the run id must be that of the
 * trimmed value (po_sweep_config_id of the run's config). */
static void test_quoted_blanks_id(void **state) {
  (void)state;
  const char *a[] = {"problem.spec=sk:8:1, \" sk:8:2 \"", "run.steps=10", NULL};
  po_sweep *s = expand(a);
  assert_int_equal(po_sweep_size(s), 2);
  for (size_t r = 0; r < 2; r++) {
    po_params *rp;
    assert_int_equal(po_sweep_run_params(s, r, &rp), PO_OK);
    assert_true(po_sweep_config_id(rp, 0) == po_sweep_run_id(s, r));
    po_params_destroy(rp);
  }
  po_sweep_destroy(s);
}

static void test_shard(void **state) {
  (void)state;
  int i, n;
  assert_int_equal(po_sweep_parse_shard("3/8", &i, &n), PO_OK);
  assert_int_equal(i, 3);
  assert_int_equal(n, 8);
  assert_int_equal(po_sweep_parse_shard("8/8", &i, &n), PO_ERR_ARG);
  assert_int_equal(po_sweep_parse_shard("1-2", &i, &n), PO_ERR_ARG);
  setenv("SLURM_ARRAY_TASK_ID", "5", 1);
  setenv("SLURM_ARRAY_TASK_COUNT", "4", 1);
  setenv("SLURM_ARRAY_TASK_MIN", "3", 1);
  assert_int_equal(po_sweep_parse_shard(NULL, &i, &n), PO_OK);
  assert_int_equal(i, 2);
  assert_int_equal(n, 4);
  /* Issue 12 item 9: Slurm variables that are not numbers, or do not fit,
   * are errors naming them (x used to run shard 0; 4294967297 ran 0 runs). */
  static const char *const bad[][3] = {{"x", "4", "SLURM_ARRAY_TASK_ID=x"},
                                       {"5", "4294967297", "SLURM_ARRAY_TASK_COUNT=4294967297"},
                                       {"5", "", "SLURM_ARRAY_TASK_COUNT="},
                                       {"5x", "4", "SLURM_ARRAY_TASK_ID=5x"}};
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    setenv("SLURM_ARRAY_TASK_ID", bad[k][0], 1);
    setenv("SLURM_ARRAY_TASK_COUNT", bad[k][1], 1);
    assert_int_equal(po_sweep_parse_shard(NULL, &i, &n), PO_ERR_ARG);
    if (!strstr(po_last_error(), bad[k][2])) fail_msg("message: %s", po_last_error());
  }
  unsetenv("SLURM_ARRAY_TASK_COUNT");
  assert_int_equal(po_sweep_parse_shard(NULL, &i, &n), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "SLURM_ARRAY_TASK_COUNT is not"));
  setenv("SLURM_ARRAY_TASK_COUNT", "4", 1);
  unsetenv("SLURM_ARRAY_TASK_ID");
  assert_int_equal(po_sweep_parse_shard("", &i, &n), PO_OK);
  assert_int_equal(n, 1);
  /* Every run belongs to exactly one shard, for any count. */
  for (int count = 1; count <= 5; count++)
    for (size_t r = 0; r < 40; r++) {
      int owners = 0;
      for (int k = 0; k < count; k++) owners += po_sweep_shard_owns(r, k, count);
      assert_int_equal(owners, 1);
    }
}

static void test_errors(void **state) {
  (void)state;
  const char *a[] = {"sweep.repeats=0", NULL}, *b[] = {"sweep.bogus=1", NULL},
             *c[] = {"sweep.seed=-3", NULL};
  const char *const *cases[] = {a, b, c};
  for (int i = 0; i < 3; i++) {
    po_params *p = params_from(cases[i]);
    po_sweep *s = NULL;
    assert_int_equal(po_sweep_expand(p, &s), PO_ERR_ARG);
    assert_null(s);
    assert_non_null(strstr(po_last_error(), "sweep."));
    po_params_destroy(p);
  }
}

/* Pooled statistics with hand-computed values. */
static void test_report_stats(void **state) {
  (void)state;
  const double e1[] = {-10, -10, -9, -8}, e2[] = {-10, -7, -7, -7};
  po_group_run r[2] = {{4, e1, 1, -10, 0.5, 4.0, 4.0}, {4, e2, 1, -10, 1.5, 8.0, 12.0}};
  po_group_stats st;
  assert_int_equal(po_group_stats_compute(r, 2, 2000, 1, &st), PO_OK);
  assert_int_equal(st.runs, 2);
  assert_int_equal(st.replicas, 8);
  assert_int_equal(st.hits, 3);
  assert_close(st.p, 0.375, 1e-15);
  assert_close(st.t_run, 1.0, 1e-15);  /* (0.5*4 + 1.5*4) / 8 */
  assert_close(st.t_wall, 1.5, 1e-15); /* 12 s / 8 replicas */
  assert_close(st.j_rep, 2.0, 1e-15);  /* 16 J / 8 replicas */
  double f = log(0.01) / log(1 - 0.375);
  assert_close(st.tts, f, 1e-12);
  assert_close(st.tts_wall, 1.5 * f, 1e-12);
  assert_close(st.ets, 2.0 * f, 1e-12);
  assert_close(st.e_median, -8.5, 0);
  assert_close(st.e_best, -10, 0);
  assert_close(st.e_mean, -8.5, 1e-15);
  /* Binomial(8, 0.375)/8: the 2.5% and 97.5% quantiles are 1/8 and 6/8. */
  assert_true(st.p_lo >= 0 && st.p_lo <= 0.25);
  assert_true(st.p_hi >= 0.5 && st.p_hi <= 0.875);
  assert_true(st.tts_lo <= st.tts && st.tts <= st.tts_hi);
  assert_true(st.ets_lo <= st.ets && st.ets <= st.ets_hi);
  /* Reproducible: same seed, same interval. */
  po_group_stats st2;
  po_group_stats_compute(r, 2, 2000, 1, &st2);
  assert_true(st2.p_lo == st.p_lo && st2.p_hi == st.p_hi);
  /* All succeed: p = 1 with a degenerate interval, TTS = t.  None: inf. */
  const double ok[] = {-10, -10};
  po_group_run all = {2, ok, 1, -10, 0.25, 1, 1};
  po_group_stats_compute(&all, 1, 100, 1, &st);
  assert_true(st.p == 1 && st.p_lo == 1 && st.p_hi == 1);
  assert_close(st.tts, 0.25, 0);
  po_group_run none = {2, ok, 1, -11, 0.25, 1, 1};
  po_group_stats_compute(&none, 1, 100, 1, &st);
  assert_true(st.p == 0 && isinf(st.tts) && isinf(st.ets));
  /* No target: p and TTS undefined, energies still summarised. */
  po_group_run nt = {2, ok, 0, 0, 0.25, 1, 1};
  po_group_stats_compute(&nt, 1, 100, 1, &st);
  assert_true(isnan(st.p) && isnan(st.tts));
  assert_close(st.e_best, -10, 0);
}

/* Coverage of the 95% bootstrap interval: 200 groups of 100 Bernoulli(0.3)
 * replicas; the interval should contain 0.3 in about 95% of them (a
 * percentile bootstrap of a proportion undercovers slightly; >= 88% is a
 * 4-sigma bound for 200 trials). */
static void test_report_coverage(void **state) {
  (void)state;
  po_rng rng;
  po_rng_init(&rng, 42, 0, 0);
  double e[100];
  int covered = 0;
  for (int g = 0; g < 200; g++) {
    for (int i = 0; i < 100; i++) e[i] = po_rng_uniform(&rng) < 0.3 ? -1 : 0;
    po_group_run r = {100, e, 1, -1, 1, 1, 1};
    po_group_stats st;
    po_group_stats_compute(&r, 1, 400, (uint64_t)g, &st);
    covered += st.p_lo <= 0.3 && 0.3 <= st.p_hi;
  }
  assert_true(covered >= 176);
  assert_true(covered <= 200);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_split),
      cmocka_unit_test(test_cartesian),
      cmocka_unit_test(test_zip),
      cmocka_unit_test(test_ids),
      cmocka_unit_test(test_backend_lists_apply_to_their_backend),
      cmocka_unit_test(test_quoted_blanks_id),
      cmocka_unit_test(test_shard),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_report_stats),
      cmocka_unit_test(test_report_coverage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
