/* physopt solve outputs (issue 16 items 3 and 4): --json always carries the
 * best state (best_spins, and best_x for a QUBO file), the text output prints
 * it for N <= 64, and for a QUBO file best_energy is the QUBO objective of the
 * printed x evaluated by this test from the Q it wrote; progress lines when
 * stderr is not a terminal, silenced by --quiet; SIGTERM prints what was
 * saved and exits with 128 + 15. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "physopt/physopt.h"
#include "tests/util/testutil.h"

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* The integers of the JSON array `"key": [a, b, ...]` into v (n of them). */
static void json_ints(const char *json, const char *key, int *v, int n) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\": [", key);
  const char *p = strstr(json, pat);
  if (!p) fail_msg("no %s in\n%s", key, json);
  p += strlen(pat);
  for (int i = 0; i < n; i++) {
    char *end;
    v[i] = (int)strtol(p, &end, 10);
    assert_true(end != p);
    p = end;
    while (*p == ',' || *p == ' ') p++;
  }
  assert_int_equal(*p, ']');
}

static void test_qubo_json_best_x(void **state) {
  (void)state;
  /* f(x) = sum_{i<=j} Q_ij x_i x_j with non-representable-in-quarters values */
  enum { N = 9 };
  double Q[N][N] = {{0}};
  char text[4096];
  int len = 0, nodes = 0, couplers = 0;
  uint64_t r = 12345;
  for (int i = 0; i < N; i++)
    for (int j = i; j < N; j++) {
      r = r * 6364136223846793005ull + 1442695040888963407ull;
      Q[i][j] = (double)((int)(r >> 40) % 2001 - 1000) / 7.0;
      *(i == j ? &nodes : &couplers) += 1;
    }
  len += snprintf(text, sizeof text, "p qubo 0 %d %d %d\n", N, nodes, couplers);
  for (int i = 0; i < N; i++)
    for (int j = i; j < N; j++)
      len += snprintf(text + len, sizeof text - len, "%d %d %.17g\n", i, j, Q[i][j]);
  char dir[] = "/tmp/po_test_outputs_XXXXXX", path[128], out[160], err[160];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/q.qubo", dir);
  snprintf(out, sizeof out, "%s/out.json", dir);
  snprintf(err, sizeof err, "%s/err.txt", dir);
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  char *const args[] = {"solve",    "--problem", path,     "--replicas", "8",
                        "--sweeps", "200",       "--json", NULL};
  assert_int_equal(po_test_physopt(args, out, err), 0);
  const char *json = read_text(out);
  int x[N], s[N];
  json_ints(json, "best_x", x, N);
  json_ints(json, "best_spins", s, N);
  double f_x = 0;
  for (int i = 0; i < N; i++) {
    assert_int_equal(x[i], (1 + s[i]) / 2);
    for (int j = i; j < N; j++) f_x += Q[i][j] * x[i] * x[j];
  }
  const char *from = json;
  double best = po_test_json_next(&from, "best_energy");
  if (best != f_x) fail_msg("best_energy %.17g, f(best_x) %.17g", best, f_x);
  /* the exhaustive minimum of f: 200 sweeps x 8 replicas find it for N = 9 */
  double fmin = INFINITY;
  for (int m = 0; m < (1 << N); m++) {
    double v = 0;
    for (int i = 0; i < N; i++)
      for (int j = i; j < N; j++) v += Q[i][j] * ((m >> i) & 1) * ((m >> j) & 1);
    if (v < fmin) fmin = v;
  }
  assert_true(fabs(best - fmin) < 1e-9 * (1 + fabs(fmin)));
  /* text output: the state lines for N <= 64 */
  char *const targs[] = {"solve", "--problem", path, "--replicas", "8", "--sweeps", "200", NULL};
  assert_int_equal(po_test_physopt(targs, out, err), 0);
  const char *txt = read_text(out);
  char want[64] = "best x         ";
  for (int i = 0; i < N; i++) want[15 + i] = (char)('0' + x[i]);
  want[15 + N] = '\0';
  if (!strstr(txt, want)) fail_msg("no '%s' in\n%s", want, txt);
  unlink(path);
  unlink(out);
  unlink(err);
  rmdir(dir);
}

/* An Ising problem: best_spins has the energy best_energy reports. */
static void test_ising_json_best_spins(void **state) {
  (void)state;
  char dir[] = "/tmp/po_test_outputs_XXXXXX", out[160];
  assert_non_null(mkdtemp(dir));
  snprintf(out, sizeof out, "%s/out.json", dir);
  char *const args[] = {"solve",    "--problem", "sk:70:3", "--replicas", "4",
                        "--sweeps", "50",        "--json",  NULL};
  assert_int_equal(po_test_physopt(args, out, NULL), 0);
  const char *json = read_text(out);
  po_ising *m;
  assert_int_equal(po_problem_open("sk:70:3", NULL, &m), PO_OK);
  int s[70];
  int8_t s8[70];
  json_ints(json, "best_spins", s, 70);
  for (int i = 0; i < 70; i++) {
    assert_true(s[i] == 1 || s[i] == -1);
    s8[i] = (int8_t)s[i];
  }
  const char *from = json;
  double best = po_test_json_next(&from, "best_energy");
  assert_true(fabs(po_ising_energy(m, s8) - best) < 1e-9 * (1 + fabs(best)));
  assert_null(strstr(json, "best_x"));
  /* N = 70 > 64: no state line in the text output */
  char *const targs[] = {"solve", "--problem", "sk:70:3", "--replicas",
                         "4",     "--sweeps",  "50",      NULL};
  assert_int_equal(po_test_physopt(targs, out, NULL), 0);
  assert_null(strstr(read_text(out), "best spins"));
  po_ising_destroy(m);
  unlink(out);
  rmdir(dir);
}

/* stderr to a file (not a terminal) and PHYSOPT_PROGRESS_EVERY=0: a
 * progress line per update with elapsed time and ETA; none with --quiet. */
static void test_progress_lines(void **state) {
  (void)state;
  char dir[] = "/tmp/po_test_outputs_XXXXXX", err[160];
  assert_non_null(mkdtemp(dir));
  snprintf(err, sizeof err, "%s/err.txt", dir);
  setenv("PHYSOPT_PROGRESS_EVERY", "0", 1);
  char *const args[] = {"solve", "--problem", "sk:64:1", "--replicas",
                        "4",     "--sweeps",  "2000",    NULL};
  assert_int_equal(po_test_physopt(args, NULL, err), 0);
  const char *txt = read_text(err);
  if (!strstr(txt, "physopt solve: ") || !strstr(txt, "% after ") || !strstr(txt, ", ETA "))
    fail_msg("no progress line in stderr:\n%s", txt);
  char *const quiet[] = {"solve",    "--problem", "sk:64:1", "--replicas", "4",
                         "--sweeps", "2000",      "--quiet", NULL};
  assert_int_equal(po_test_physopt(quiet, NULL, err), 0);
  assert_null(strstr(read_text(err), "physopt solve: "));
  unsetenv("PHYSOPT_PROGRESS_EVERY");
  unlink(err);
  rmdir(dir);
}

/* SIGTERM during a long solve with --out: the note names the file and says
 * how to repeat; exit status 128 + SIGTERM; no output file appears. */
static void test_interrupt_note(void **state) {
  (void)state;
  char dir[] = "/tmp/po_test_outputs_XXXXXX", err[160], out[160];
  assert_non_null(mkdtemp(dir));
  snprintf(err, sizeof err, "%s/err.txt", dir);
  snprintf(out, sizeof out, "%s/run.h5", dir);
  const char *bin = po_test_physopt_bin();
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    FILE *f = freopen(err, "w", stderr);
    if (!f) _exit(99);
    execl(bin, bin, "solve", "--problem", "sk:1500:1", "--replicas", "128", "--sweeps", "100000",
          "--out", out, (char *)NULL);
    _exit(98);
  }
  /* Wait until the run is under way (the handler is installed first thing
   * in main), then terminate it. */
  struct timespec ts = {1, 0};
  nanosleep(&ts, NULL);
  kill(pid, SIGTERM);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 128 + SIGTERM);
  const char *txt = read_text(err);
  if (!strstr(txt, "physopt: terminated (SIGTERM): nothing was saved: ") || !strstr(txt, out))
    fail_msg("unexpected stderr:\n%s", txt);
  assert_int_equal(access(out, F_OK), -1);
  unlink(err);
  rmdir(dir);
}

/* report --csv: one row per run whose columns carry the parameters and the
 * metrics the runs recorded; report --json types parameter values by their
 * declared specs (run.steps a number, problem.spec a string). */
static void test_report_csv_and_typed_json(void **state) {
  (void)state;
  char dir[] = "/tmp/po_test_outputs_XXXXXX", ini[160], h5[160], out[160];
  assert_non_null(mkdtemp(dir));
  snprintf(ini, sizeof ini, "%s/s.ini", dir);
  snprintf(h5, sizeof h5, "%s/s.h5", dir);
  snprintf(out, sizeof out, "%s/out.txt", dir);
  FILE *f = fopen(ini, "w");
  fputs("[sweep]\nseed = 3\n[problem]\nspec = sk:10:1, sk:12:2\n[run]\nsteps = 20, 40\n"
        "replicas = 4\nthreads = 1\n",
        f);
  fclose(f);
  char *const sweep[] = {"sweep", ini, "--out", h5, "--quiet", NULL};
  assert_int_equal(po_test_physopt(sweep, NULL, NULL), 0);
  char *const csv[] = {"report", h5, "--csv", NULL};
  assert_int_equal(po_test_physopt(csv, out, NULL), 0);
  char *text = strdup(read_text(out));
  /* header + 4 rows; find the columns */
  int lines = 0, col_steps = -1, col_spec = -1, col_best = -1, col_n = -1;
  char *save, *line = strtok_r(text, "\n", &save);
  char *hdr = strdup(line);
  int c = 0;
  for (char *t = strtok(hdr, ","); t; t = strtok(NULL, ","), c++) {
    if (!strcmp(t, "run.steps")) col_steps = c;
    if (!strcmp(t, "problem.spec")) col_spec = c;
    if (!strcmp(t, "best_energy")) col_best = c;
    if (!strcmp(t, "n")) col_n = c;
  }
  assert_true(col_steps >= 0 && col_spec >= 0 && col_best >= 0 && col_n >= 0);
  while ((line = strtok_r(NULL, "\n", &save))) {
    lines++;
    char *fld[40];
    int nf = 0;
    for (char *p = line; nf < 40;) {
      fld[nf++] = p;
      char *comma = strchr(p, ',');
      if (!comma) break;
      *comma = '\0';
      p = comma + 1;
    }
    assert_true(nf > col_best);
    /* the row's best energy is an energy of its problem: not below the
     * exhaustive ground energy */
    po_ising *m;
    assert_int_equal(po_problem_open(fld[col_spec], NULL, &m), PO_OK);
    assert_int_equal(atoi(fld[col_n]), m->n);
    double ground = INFINITY;
    int8_t sp[12];
    for (long x = 0; x < (1L << m->n); x++) {
      for (int i = 0; i < m->n; i++) sp[i] = (x >> i) & 1 ? 1 : -1;
      double e = po_ising_energy(m, sp);
      if (e < ground) ground = e;
    }
    assert_true(atof(fld[col_best]) >= ground - 1e-9);
    assert_true(atoi(fld[col_steps]) == 20 || atoi(fld[col_steps]) == 40);
    po_ising_destroy(m);
  }
  assert_int_equal(lines, 4);
  free(hdr);
  free(text);
  char *const json[] = {"report", h5, "--json", NULL};
  assert_int_equal(po_test_physopt(json, out, NULL), 0);
  const char *js = read_text(out);
  assert_true(strstr(js, "\"run.steps\": 20") || strstr(js, "\"run.steps\": 40"));
  assert_null(strstr(js, "\"run.steps\": \""));
  assert_non_null(strstr(js, "\"problem.spec\": \"sk:"));
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_qubo_json_best_x),
      cmocka_unit_test(test_ising_json_best_spins),
      cmocka_unit_test(test_progress_lines),
      cmocka_unit_test(test_interrupt_note),
      cmocka_unit_test(test_report_csv_and_typed_json),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
