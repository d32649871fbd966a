/* Core infrastructure: params, schedules, metrics, ledger, registry, rng. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "physopt/physopt.h"

static const po_param_spec demo_specs[] = {
    {"steps", PO_PARAM_INT, "10", 1, 100, NULL, "1", "number of steps"},
    {"rate", PO_PARAM_DOUBLE, "0.5", 0, 1, NULL, "1/s", "a rate"},
    {"mode", PO_PARAM_STRING, "fast", 0, 0, "fast|slow", "", "a choice"},
    {"flag", PO_PARAM_BOOL, "false", 0, 0, NULL, "", "a switch"},
};
static const po_param_section demo = {"demo", demo_specs, 4};

static char *write_temp(const char *text) {
  char *path = strdup("/tmp/physopt-test-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return path;
}

static void test_params_defaults_and_overrides(void **state) {
  (void)state;
  po_params *p;
  assert_int_equal(po_params_create(&p), PO_OK);
  long steps;
  double rate;
  const char *mode;
  int flag;
  assert_int_equal(po_params_int(p, &demo, "steps", &steps), PO_OK);
  assert_int_equal(steps, 10);
  char *ini = write_temp("; comment\n[demo]\nsteps = 42\nrate=0.25\nmode = slow\nflag = yes\n");
  assert_int_equal(po_params_load_ini(p, ini), PO_OK);
  assert_int_equal(po_params_assign(p, "demo.steps = 7"), PO_OK);
  assert_int_equal(po_params_int(p, &demo, "steps", &steps), PO_OK);
  assert_int_equal(steps, 7);
  assert_int_equal(po_params_double(p, &demo, "rate", &rate), PO_OK);
  assert_true(rate == 0.25);
  assert_int_equal(po_params_string(p, &demo, "mode", &mode), PO_OK);
  assert_string_equal(mode, "slow");
  assert_int_equal(po_params_bool(p, &demo, "flag", &flag), PO_OK);
  assert_int_equal(flag, 1);
  char *text = po_params_to_ini(p);
  assert_non_null(strstr(text, "[demo]\nsteps = 7\n"));
  free(text);
  unlink(ini);
  free(ini);
  po_params_destroy(p);
}

static void test_params_errors_name_parameter_and_range(void **state) {
  (void)state;
  po_params *p;
  po_params_create(&p);
  long steps;
  double rate;
  const char *mode;
  po_params_assign(p, "demo.steps=500");
  assert_int_equal(po_params_int(p, &demo, "steps", &steps), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "demo.steps = 500"));
  assert_non_null(strstr(po_last_error(), "[1, 100]"));
  po_params_assign(p, "demo.steps=3.5");
  assert_int_equal(po_params_int(p, &demo, "steps", &steps), PO_ERR_ARG);
  po_params_assign(p, "demo.rate=abc");
  assert_int_equal(po_params_double(p, &demo, "rate", &rate), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "demo.rate"));
  po_params_assign(p, "demo.mode=medium");
  assert_int_equal(po_params_string(p, &demo, "mode", &mode), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "fast|slow"));
  assert_int_equal(po_params_assign(p, "nodot=1"), PO_ERR_ARG);
  assert_int_equal(po_params_assign(p, "demo.steps"), PO_ERR_ARG);

  const po_param_section *secs[] = {&demo};
  po_params_assign(p, "demo.stpes=3");
  assert_int_equal(po_params_check(p, secs, 1), PO_ERR_NOT_FOUND);
  assert_non_null(strstr(po_last_error(), "demo.stpes"));
  assert_non_null(strstr(po_last_error(), "steps, rate, mode, flag"));
  po_params_destroy(p);

  po_params_create(&p);
  po_params_assign(p, "other.x=1");
  assert_int_equal(po_params_check(p, secs, 1), PO_ERR_NOT_FOUND);
  assert_non_null(strstr(po_last_error(), "[other]"));
  po_params_destroy(p);
}

static void test_params_ini_syntax_error_names_file_and_line(void **state) {
  (void)state;
  po_params *p;
  po_params_create(&p);
  char *ini = write_temp("[demo]\nsteps = 1\nthis line is wrong\n");
  assert_int_equal(po_params_load_ini(p, ini), PO_ERR_PARSE);
  char expect[256];
  snprintf(expect, sizeof expect, "%s:3", ini);
  assert_non_null(strstr(po_last_error(), expect));
  unlink(ini);
  free(ini);
  assert_int_equal(po_params_load_ini(p, "/nonexistent/x.ini"), PO_ERR_IO);
  assert_non_null(strstr(po_last_error(), "/nonexistent/x.ini"));
  po_params_destroy(p);
}

/* Loads text as an INI file; returns the status (message in po_last_error,
 * prefixed by the file name, which *path receives when not NULL). */
static int load_ini_text(po_params *p, const char *text, char *path, size_t size) {
  char *ini = write_temp(text);
  int rc = po_params_load_ini(p, ini);
  if (path) snprintf(path, size, "%s", ini);
  unlink(ini);
  free(ini);
  return rc;
}

static void expect_ini_error(const char *text, int line, const char *what) {
  po_params *p;
  po_params_create(&p);
  char path[256], prefix[300];
  int rc = load_ini_text(p, text, path, sizeof path);
  snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
  if (rc != PO_ERR_PARSE || strncmp(po_last_error(), prefix, strlen(prefix)) ||
      !strstr(po_last_error(), what))
    fail_msg("rc %d, message '%s'; expected prefix '%s' and '%s'", rc, po_last_error(), prefix,
             what);
  po_params_destroy(p);
}

/* Issue 12 items 5 and 9: lines of 200 characters and more (libinih's
 * limit in Debian) are read up to 64 KiB, longer ones are refused with
 * their own line number; repeated keys and sections and an unclosed
 * section header are errors naming the lines. */
static void test_params_ini_long_lines_and_repeats(void **state) {
  (void)state;
  /* A 60000-character list on line 3. */
  size_t n = 60000;
  char *text = malloc(n + 64);
  strcpy(text, "[demo]\n; list\nmode = ");
  size_t at = strlen(text), vstart = at;
  while (at < vstart + n) at += (size_t)sprintf(text + at, "v%zu, ", at);
  at += (size_t)sprintf(text + at, "end\nsteps = 3\n");
  po_params *p;
  po_params_create(&p);
  if (load_ini_text(p, text, NULL, 0) != PO_OK) fail_msg("%s", po_last_error());
  const char *mode;
  assert_int_equal(po_params_string(p, &demo, "mode", &mode), PO_ERR_ARG); /* not fast|slow */
  long steps;
  assert_int_equal(po_params_int(p, &demo, "steps", &steps), PO_OK);
  assert_int_equal(steps, 3);
  for (size_t i = 0; i < po_params_count(p); i++) {
    const char *sec, *key, *val;
    po_params_entry(p, i, &sec, &key, &val);
    if (!strcmp(key, "mode")) {
      assert_true(strlen(val) > n);
      assert_non_null(strstr(val, ", end"));
    }
  }
  po_params_destroy(p);
  free(text);
  /* 70000 characters on line 2: refused, naming line 2. */
  text = malloc(70100);
  strcpy(text, "[demo]\nmode = ");
  memset(text + strlen(text), 'x', 70000);
  strcpy(text + 14 + 70000, "\n");
  expect_ini_error(text, 2, "line longer than 65536 bytes");
  free(text);
  expect_ini_error("[demo]\nsteps = 1\nrate = 0.1\nsteps = 2\n", 4,
                   "demo.steps is given a second time (first at line 2)");
  expect_ini_error("[demo]\nsteps = 1\n[other]\nx = 1\n[demo]\nrate = 1\n", 5,
                   "section [demo] appears a second time (first at line 1)");
  expect_ini_error("[demo\nsteps = 1\n", 1, "section header '[demo' is not closed with ']'");
  expect_ini_error("steps = 1\n", 1, "key 'steps' appears before any [section]");
  /* Found by make fuzz: a '.' in a key made section.key ambiguous. */
  expect_ini_error("[demo]\nsteps = 1\nrun.steps = 2\n", 3, "key 'run.steps' contains '.'");
  expect_ini_error("[demo]\nsteps = 1\n[x] junk\n", 3, "unexpected 'junk' after section header");
  /* Inline comments, ':' separator, blanks and a byte order mark as in libinih. */
  po_params_create(&p);
  if (load_ini_text(p, "\xEF\xBB\xBF[demo]\n  steps : 7 ; seven\n\n# c\nmode=slow\n", NULL, 0))
    fail_msg("%s", po_last_error());
  assert_int_equal(po_params_int(p, &demo, "steps", &steps), PO_OK);
  assert_int_equal(steps, 7);
  assert_int_equal(po_params_string(p, &demo, "mode", &mode), PO_OK);
  assert_string_equal(mode, "slow");
  po_params_destroy(p);
  /* An endless file fails at once (it used to hang). */
  po_params_create(&p);
  assert_int_equal(po_params_load_ini(p, "/dev/zero"), PO_ERR_PARSE);
  assert_non_null(strstr(po_last_error(), "/dev/zero:1: NUL byte"));
  po_params_destroy(p);
}

/* Issue 12 item 9: range limits are printed exactly (16777216, not the
 * rounded 1.67772e+07). */
static void test_params_range_limits_exact(void **state) {
  (void)state;
  static const po_param_spec specs[] = {
      {"count", PO_PARAM_INT, "1", 1, 16777216, NULL, "1", "a count"},
      {"tau", PO_PARAM_DOUBLE, "0.5", 0.1, 1.2345678901, NULL, "s", "a time"}};
  static const po_param_section sec = {"lim", specs, 2};
  po_params *p;
  po_params_create(&p);
  long n;
  double v;
  assert_int_equal(po_params_set(p, "lim.count", "16777217"), PO_OK);
  assert_int_equal(po_params_int(p, &sec, "count", &n), PO_ERR_ARG);
  if (!strstr(po_last_error(), "[1, 16777216]")) fail_msg("%s", po_last_error());
  assert_int_equal(po_params_set(p, "lim.tau", "1.23456789011"), PO_OK);
  assert_int_equal(po_params_double(p, &sec, "tau", &v), PO_ERR_ARG);
  if (!strstr(po_last_error(), "[0.1, 1.2345678901] s")) fail_msg("%s", po_last_error());
  po_params_destroy(p);
}

static void test_schedule_values(void **state) {
  (void)state;
  po_schedule s;
  assert_int_equal(po_schedule_parse(&s, "linear:1:3"), PO_OK);
  assert_true(fabs(po_schedule_value(&s, 0, 5) - 1.0) < 1e-15);
  assert_true(fabs(po_schedule_value(&s, 2, 5) - 2.0) < 1e-15);
  assert_true(fabs(po_schedule_value(&s, 4, 5) - 3.0) < 1e-15);
  assert_int_equal(po_schedule_parse(&s, "geometric:0.1:10"), PO_OK);
  assert_true(fabs(po_schedule_value(&s, 1, 3) - 1.0) < 1e-12);
  assert_int_equal(po_schedule_parse(&s, "tanh:0:2:3"), PO_OK);
  assert_true(fabs(po_schedule_value(&s, 1, 3) - 2 * tanh(1.5) / tanh(3.0)) < 1e-12);
  assert_true(fabs(po_schedule_value(&s, 2, 3) - 2.0) < 1e-12);
  assert_int_equal(po_schedule_parse(&s, "geometric:0:1"), PO_ERR_ARG);
  assert_int_equal(po_schedule_parse(&s, "cubic:0:1"), PO_ERR_ARG);
  assert_int_equal(po_schedule_parse(&s, "linear:0"), PO_ERR_ARG);
  assert_int_equal(po_schedule_parse(&s, "linear:0:1:extra"), PO_ERR_ARG);

  char *tab = write_temp("# t value\n0 1\n0.5 3\n1.0 2\n");
  char spec[300];
  snprintf(spec, sizeof spec, "table:%s", tab);
  assert_int_equal(po_schedule_parse(&s, spec), PO_OK);
  assert_int_equal(s.n_points, 3);
  assert_true(fabs(po_schedule_value(&s, 1, 5) - 2.0) < 1e-12); /* t = 0.25 */
  assert_true(fabs(po_schedule_value(&s, 3, 5) - 2.5) < 1e-12); /* t = 0.75 */
  po_schedule_free(&s);
  unlink(tab);
  free(tab);
  tab = write_temp("0 1\n0.5 3\n0.4 2\n");
  assert_int_equal(po_schedule_load_table(&s, tab), PO_ERR_PARSE);
  snprintf(spec, sizeof spec, "%s:3", tab);
  assert_non_null(strstr(po_last_error(), spec));
  unlink(tab);
  free(tab);
}

static void test_tts99(void **state) {
  (void)state;
  assert_true(isinf(po_tts99(1.0, 0.0)));
  assert_true(po_tts99(2.0, 1.0) == 2.0);
  assert_true(po_tts99(2.0, 0.995) == 2.0);
  /* p = 0.5: ln(0.01)/ln(0.5) = 6.643856 runs. */
  assert_true(fabs(po_tts99(1.0, 0.5) - 6.6438561897747) < 1e-9);
}

static void test_ledger(void **state) {
  (void)state;
  po_ledger l, m;
  po_ledger_reset(&l);
  po_ledger_reset(&m);
  po_ledger_add(&l, "macs", "MAC", 1000, 1e-12);
  po_ledger_add(&l, "macs", "MAC", 1000, 1e-12);
  po_ledger_add(&m, "photons", "photons", 10, 1e-19);
  po_ledger_merge(&l, &m);
  assert_true(fabs(po_ledger_find(&l, "macs")->joules - 2e-9) < 1e-20);
  assert_true(fabs(po_ledger_total_joules(&l) - (2e-9 + 1e-18)) < 1e-22);
  assert_null(po_ledger_find(&l, "absent"));
}

static void test_registry_and_cpu_matmul(void **state) {
  (void)state;
  po_backend *b;
  assert_int_equal(po_backend_open("nosuch", NULL, &b), PO_ERR_NOT_FOUND);
  assert_non_null(strstr(po_last_error(), "cpu"));
  po_params *p;
  po_params_create(&p);
  po_params_assign(p, "energy.cpu.mac_j=-1");
  assert_int_equal(po_backend_open("cpu", p, &b), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "energy.cpu.mac_j"));
  po_params_destroy(p);

  assert_int_equal(po_backend_open("cpu", NULL, &b), PO_OK);
  enum { M = 7, N = 5, K = 9 };
  float A[M * K], B[K * N], C[M * N];
  for (int i = 0; i < M * K; i++) A[i] = (float)((i * 7) % 11) - 5.0f;
  for (int i = 0; i < K * N; i++) B[i] = (float)((i * 5) % 13) - 6.0f;
  assert_int_equal(
      po_backend_matmul(b, PO_NO_TRANS, PO_NO_TRANS, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N), PO_OK);
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      float ref = 0;
      for (int k = 0; k < K; k++) ref += A[i * K + k] * B[k * N + j];
      assert_true(C[i * N + j] == ref); /* small integers: exact in float */
    }
  const po_ledger_entry *e = po_ledger_find(po_backend_ledger(b), "macs");
  assert_non_null(e);
  assert_true(e->count == (double)M * N * K);
  assert_true(fabs(e->joules - M * N * K * 4.6e-12) < 1e-18);
  po_backend_close(b);
}

static void test_rng_streams(void **state) {
  (void)state;
  po_rng a, b, c;
  po_rng_init(&a, 42, 0, 1);
  po_rng_init(&b, 42, 0, 1);
  po_rng_init(&c, 42, 0, 2);
  int same = 0;
  for (int i = 0; i < 100; i++) {
    uint64_t x = po_rng_u64(&a);
    assert_true(x == po_rng_u64(&b));
    same += x == po_rng_u64(&c);
  }
  assert_true(same == 0);
  /* Normal moments over 2e5 draws: mean within 5 sigma (5/sqrt(n)),
   * variance within 5 sigma (5 sqrt(2/n)). */
  const int n = 200000;
  double s1 = 0, s2 = 0;
  for (int i = 0; i < n; i++) {
    double x = po_rng_normal(&a);
    s1 += x;
    s2 += x * x;
  }
  double mean = s1 / n, var = s2 / n - mean * mean;
  assert_true(fabs(mean) < 5.0 / sqrt(n));
  assert_true(fabs(var - 1.0) < 5.0 * sqrt(2.0 / n));
  /* Poisson mean and variance at 0.5 and 50. */
  double means[] = {0.5, 50.0};
  for (int k = 0; k < 2; k++) {
    double mu = means[k];
    s1 = s2 = 0;
    for (int i = 0; i < n; i++) {
      double x = (double)po_rng_poisson(&a, mu);
      s1 += x;
      s2 += x * x;
    }
    mean = s1 / n;
    var = s2 / n - mean * mean;
    assert_true(fabs(mean - mu) < 5.0 * sqrt(mu / n));
    assert_true(fabs(var - mu) < 5.0 * mu * sqrt(2.0 / n) + 5.0 * sqrt(mu / n));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_params_defaults_and_overrides),
      cmocka_unit_test(test_params_errors_name_parameter_and_range),
      cmocka_unit_test(test_params_ini_syntax_error_names_file_and_line),
      cmocka_unit_test(test_params_ini_long_lines_and_repeats),
      cmocka_unit_test(test_params_range_limits_exact),
      cmocka_unit_test(test_schedule_values),
      cmocka_unit_test(test_tts99),
      cmocka_unit_test(test_ledger),
      cmocka_unit_test(test_registry_and_cpu_matmul),
      cmocka_unit_test(test_rng_streams),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
