/* Recall runs in sweeps (run.task = recall) through the physopt binary:
 *  - every run equals `physopt recall --seed RUN_SEED` with its parameters
 *    (the sweep runs the command's experiment, nothing else);
 *  - Hebbian storage in N = 100 neurons recalls at load alpha = 0.04 and
 *    fails at 0.3, on either side of the capacity alpha_c = 0.138 (Amit,
 *    Gutfreund & Sompolinsky, PRL 55, 1530, 1985);
 *  - report --json: group means and bootstrap intervals against the runs;
 *  - cpu and cavity recall runs are identical for 1 and 2 threads;
 *  - settings physopt recall would reject are rejected before any run. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <hdf5.h>
#include "io/h5.h"
#include "physopt/physopt.h"
#include "physopt/sweep.h"
#include "tests/util/testutil.h"

#define MAX_RUNS 16

static char dir[256], bin[512];

static int setup(void **state) {
  (void)state;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  return po_test_cli_workdir("sweep-recall", bin, sizeof bin, dir, sizeof dir);
}

static int teardown(void **state) {
  (void)state;
  return po_test_remove_workdir(dir);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  static char text[1 << 18];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  return text;
}

typedef struct cruns {
  size_t n;
  po_h5_recall_run r[MAX_RUNS];
} cruns;

static herr_t collect(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)info;
  cruns *C = data;
  uint64_t id;
  if (po_sweep_id_parse(name, &id) || C->n >= MAX_RUNS) return -1;
  hid_t rg = H5Gopen2(g, name, H5P_DEFAULT);
  if (rg < 0) return -1;
  int rc = po_h5_read_recall_run(rg, &C->r[C->n]);
  H5Gclose(rg);
  if (rc) return -1;
  C->n++;
  return 0;
}

static cruns runs;

static void test_recall_sweep(void **state) {
  (void)state;
  char ini[400], out[400];
  snprintf(ini, sizeof ini, "%s/recall.ini", dir);
  snprintf(out, sizeof out, "%s/recall.h5", dir);
  FILE *f = fopen(ini, "w");
  fputs("[sweep]\nseed = 9\nrepeats = 2\n[run]\ntask = recall\nspins = 100\npatterns = 4, 30\n"
        "trials = 4\ncorruption = 0.1\n",
        f);
  fclose(f);
  char *args[] = {"sweep", ini, "--out", out, NULL};
  assert_int_equal(po_test_physopt(args, NULL, NULL), 0);
  hid_t h = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t g = H5Gopen2(h, "runs", H5P_DEFAULT);
  assert_true(H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, collect, &runs) >= 0);
  H5Gclose(g);
  H5Fclose(h);
  assert_int_equal(runs.n, 4);
  for (size_t i = 0; i < runs.n; i++) {
    const po_h5_recall_run *r = &runs.r[i];
    assert_string_equal(r->rule, "hebbian");
    assert_string_equal(r->dynamics, "glauber");
    assert_int_equal(r->spins, 100);
    assert_int_equal(r->trials, r->patterns * 4);
    /* The same experiment as physopt recall with the run's seed. */
    char seed[32], pats[16], json[400];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
    snprintf(pats, sizeof pats, "%ld", r->patterns);
    snprintf(json, sizeof json, "%s/one.json", dir);
    char *one[] = {"recall",       "--spins", "100",    "--patterns", pats,     "--trials", "4",
                   "--corruption", "0.1",     "--seed", seed,         "--json", NULL};
    assert_int_equal(po_test_physopt(one, json, NULL), 0);
    const char *p = slurp(json);
    assert_true(po_test_json_next(&p, "overlap_mean") == r->overlap_mean);
    assert_true(po_test_json_next(&p, "recall_fraction") == r->recall_fraction);
    print_message("alpha %.2f: recall fraction %.3f, overlap %.4f\n", r->alpha, r->recall_fraction,
                  r->overlap_mean);
    if (r->patterns == 4)
      assert_true(r->recall_fraction >= 0.9);
    else
      assert_true(r->recall_fraction <= 0.2);
  }
}

static void test_report(void **state) {
  (void)state;
  char out[400], json[400];
  snprintf(out, sizeof out, "%s/recall.h5", dir);
  snprintf(json, sizeof json, "%s/report.json", dir);
  char *args[] = {"report", out, "--json", "--by", "alpha", NULL};
  assert_int_equal(po_test_physopt(args, json, NULL), 0);
  const char *p = strstr(slurp(json), "\"recall_groups\"");
  assert_non_null(p);
  const double alpha[] = {0.04, 0.3};
  for (int gi = 0; gi < 2; gi++) {
    double sum = 0, lo = 1, hi = 0;
    int n = 0;
    for (size_t i = 0; i < runs.n; i++)
      if (fabs(runs.r[i].alpha - alpha[gi]) < 1e-12) {
        sum += runs.r[i].recall_fraction;
        lo = fmin(lo, runs.r[i].recall_fraction);
        hi = fmax(hi, runs.r[i].recall_fraction);
        n++;
      }
    assert_int_equal(n, 2);
    assert_true(po_test_json_next(&p, "runs") == 2);
    assert_true(fabs(po_test_json_next(&p, "alpha") - alpha[gi]) < 1e-12);
    double mean = po_test_json_next(&p, "recall_fraction");
    double clo = po_test_json_next(&p, "recall_fraction_lo"),
           chi = po_test_json_next(&p, "recall_fraction_hi");
    assert_true(fabs(mean - sum / n) < 1e-12);
    assert_true(clo >= lo - 1e-12 && chi <= hi + 1e-12 && clo <= mean && mean <= chi);
  }
}

static void read_runs(const char *path, cruns *C) {
  memset(C, 0, sizeof *C);
  hid_t h = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(h >= 0);
  hid_t g = H5Gopen2(h, "runs", H5P_DEFAULT);
  assert_true(H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, collect, C) >= 0);
  H5Gclose(g);
  H5Fclose(h);
}

/* cpu and cavity recall, 1 and 2 threads: identical runs. */
static void test_threads(void **state) {
  (void)state;
  char ini[400];
  snprintf(ini, sizeof ini, "%s/threads.ini", dir);
  FILE *f = fopen(ini, "w");
  fputs("[sweep]\nseed = 3\n[run]\ntask = recall\nbackend = cpu, cavity\nspins = 120\n"
        "patterns = 12\ndynamics = glauber, steepest\ntrials = 2\n",
        f);
  fclose(f);
  cruns a, b;
  for (int t = 1; t <= 2; t++) {
    char out[400], th[16];
    snprintf(out, sizeof out, "%s/threads%d.h5", dir, t);
    snprintf(th, sizeof th, "%d", t);
    char *args[] = {"sweep", ini, "--out", out, "--threads", th, NULL};
    assert_int_equal(po_test_physopt(args, NULL, NULL), 0);
    read_runs(out, t == 1 ? &a : &b);
  }
  assert_int_equal(a.n, 4);
  assert_int_equal(b.n, 4);
  for (size_t i = 0; i < a.n; i++) {
    assert_string_equal(a.r[i].backend, b.r[i].backend);
    assert_true(a.r[i].overlap_mean == b.r[i].overlap_mean);
    assert_true(a.r[i].recall_fraction == b.r[i].recall_fraction);
    assert_true(a.r[i].flips_mean == b.r[i].flips_mean);
  }
}

static void test_validation(void **state) {
  (void)state;
  char ini[400], out[400], err[400];
  snprintf(ini, sizeof ini, "%s/bad.ini", dir);
  snprintf(out, sizeof out, "%s/bad.h5", dir);
  snprintf(err, sizeof err, "%s/bad.err", dir);
  const char *cases[][2] = {
      {"[run]\ntask = recall\npatterns = 5\nbackend = cpu, nosuch\n", "unknown backend"},
      {"[run]\ntask = recall\ncapacity_sweep = 0.05:0.2:0.05\n", "run.capacity_sweep"},
      {"[run]\ntask = recall\ndynamics = glauber, \"glauber,steepest\"\n", "run.dynamics"},
      {"[run]\ntask = recall\nbackend = cavity, cpu\ndynamics = semiclassical\n",
       "backend cpu has glauber|steepest only"},
      {"[run]\ntask = recall\nspins = 50\nrule = pseudoinverse\npatterns = 10, 50\n",
       "pseudoinverse rule needs P < N"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    FILE *f = fopen(ini, "w");
    fputs(cases[c][0], f);
    fclose(f);
    char *args[] = {"sweep", ini, "--out", out, NULL};
    assert_int_not_equal(po_test_physopt(args, NULL, err), 0);
    const char *msg = slurp(err);
    if (!strstr(msg, cases[c][1]) || !strstr(msg, "nothing was run"))
      fail_msg("case %zu: expected '%s' in: %s", c, cases[c][1], msg);
    struct stat sb;
    assert_int_not_equal(stat(out, &sb), 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_recall_sweep),
      cmocka_unit_test(test_report),
      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_validation),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
