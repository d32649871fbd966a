/* Simulated bifurcation on the cpu backend (backends/cpu/cpu_sb.c):
 *   - exact ground states of the SK N = 10 and N = 20 instances (ground
 *     energies in the data headers, re-derived here by exhaustive
 *     enumeration) found by every variant with a success-probability bound;
 *   - G1 (best-known cut 11624): cut within 1% with the automatic time step,
 *     and the collapse predicted by the stability analysis above it;
 *   - the largest eigenvalue and c0 behind the automatic step, analytically;
 *   - byte-identical results for 1 and 2 threads (dense and sparse);
 *   - the ledger and the error messages. */
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
#include "tests/util/testutil.h"
#include "backends/cpu/cpu_sb.h"

static const char *const sb_algs[] = {"asb", "bsb", "dsb", "hbsb", "hdsb"};
#define N_ALGS 5

/* Every variant, 64 replicas x 1000 steps on the 20 SK instances with
 * N = 10, 20: the ground state must be among the returned (final) states on
 * at least 15 of the 20 instances, and the success probability averaged over
 * the instances must be >= 0.5.  Measured (seeds 100 + instance, run 3):
 * instances solved asb 17, bsb 20, dsb 20, hbsb 20, hdsb 19; mean p asb
 * 0.78, bsb 0.95, dsb 0.82, hbsb 0.98, hdsb 0.89 (docs/cpu-backend.md).
 * SB returns the final state, so p < 1 even on N = 10. */
static void test_sk_ground_states(void **state) {
  (void)state;
  po_backend *b = po_test_open_backend("cpu", NULL, NULL);
  FILE *f = po_test_open_data("sk/ground_energies.txt");
  char line[256], name[128];
  double eg, psum[N_ALGS] = {0};
  int solved[N_ALGS] = {0}, count = 0;
  while (fgets(line, sizeof line, f)) {
    int n, k;
    if (line[0] == '#' || sscanf(line, "%127s %lf", name, &eg) != 2) continue;
    if (sscanf(name, "SK1_N%d_%d", &n, &k) != 2 || (n != 10 && n != 20)) continue;
    char rel[160];
    snprintf(rel, sizeof rel, "sk/%s", name);
    po_ising *m = po_test_load(rel);
    assert_true(po_test_enumerate_ground(m) == eg); /* the header value is the exact ground */
    for (int a = 0; a < N_ALGS; a++) {
      po_samples s = {0};
      if (po_test_anneal(b, m, sb_algs[a], 64, 1000, 100 + (uint64_t)count, 0, &s))
        fail_msg("%s", po_last_error());
      int ok = 0;
      for (int r = 0; r < s.replicas; r++) {
        assert_true(s.energy[r] >= eg);
        ok += s.energy[r] == eg;
      }
      solved[a] += ok > 0;
      psum[a] += ok / 64.0;
      po_samples_free(&s);
    }
    po_ising_destroy(m);
    count++;
  }
  fclose(f);
  assert_int_equal(count, 20);
  for (int a = 0; a < N_ALGS; a++) {
    print_message("%s: ground found on %d/20 instances, mean p = %.3f\n", sb_algs[a], solved[a],
                  psum[a] / count);
    if (solved[a] < 15 || psum[a] / count < 0.5)
      fail_msg("%s: ground on %d/20 instances, mean p %.3f (bounds 15, 0.5)", sb_algs[a], solved[a],
               psum[a] / count);
  }
  po_backend_close(b);
}

static double best_cut(const po_ising *m, const po_samples *s) {
  double best = -INFINITY;
  for (int r = 0; r < s->replicas; r++) best = fmax(best, po_ising_cut(m, s->energy[r]));
  return best;
}

/* G1 (N = 800, best-known cut 11624), 32 replicas x 1000 steps.  With the
 * automatic step (0.9 x the stability limit) bsb and dsb reach 99% of the
 * best-known cut (measured 11623 and 11536 with seed 1 via the CLI); at
 * 1.1 x the limit the uniform mode is unstable and the cut collapses
 * below 5% (MindQuantum's dt = 1 = 1.06 x the limit gives 29). */
static void test_g1_cut_and_stability(void **state) {
  (void)state;
  po_ising *m = po_test_load("gset/G1.txt");
  po_cpu_sb_setup plan;
  assert_int_equal(po_cpu_sb_plan(m, "bsb", 0, 0, &plan), PO_OK);
  assert_true(plan.dt < plan.dt_limit && plan.dt_limit < 1.0); /* 1.25 [G21] would be unstable */
  char over[64];
  snprintf(over, sizeof over, "cpu.sb_dt=%.6f", 1.1 * plan.dt_limit);
  const char *const sets_over[] = {over, NULL};
  po_backend *b = po_test_open_backend("cpu", NULL, NULL);
  po_backend *bo = po_test_open_backend("cpu", NULL, sets_over);
  for (int a = 1; a <= 2; a++) {
    po_samples s = {0}, so = {0};
    if (po_test_anneal(b, m, sb_algs[a], 32, 1000, 1, 0, &s) ||
        po_test_anneal(bo, m, sb_algs[a], 32, 1000, 1, 0, &so))
      fail_msg("%s", po_last_error());
    const double cut = best_cut(m, &s), cut_over = best_cut(m, &so);
    print_message("G1 %s: cut %.0f (auto dt %.4f), %.0f (dt %.4f)\n", sb_algs[a], cut, plan.dt,
                  cut_over, 1.1 * plan.dt_limit);
    assert_true(cut >= 0.99 * 11624);
    assert_true(cut <= 11624);
    assert_true(cut_over < 0.05 * 11624);
    po_samples_free(&s);
    po_samples_free(&so);
  }
  po_backend_close(b);
  po_backend_close(bo);
  po_ising_destroy(m);
}

/* lambda_max and c0 on graphs with known spectra: the complete graph K_n
 * (J = +1: lambda_max = n - 1; J = -1: lambda_max = 1) and the cycle C_n
 * (J = +1: 2 cos(2 pi k / n), max 2); c0 = 0.5 / (sqrt(N) <J>) with
 * <J> = sqrt(sum_ij J^2 / (N (N - 1))). */
static po_ising *graph(int n, int complete, double w) {
  int32_t ei[4096], ej[4096];
  double ww[4096];
  long e = 0;
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (complete || j == i + 1 || (i == 0 && j == n - 1)) {
        ei[e] = i, ej[e] = j, ww[e] = w;
        e++;
      }
  po_ising *m = NULL;
  assert_int_equal(po_ising_from_edges(n, e, ei, ej, ww, NULL, NULL, &m), PO_OK);
  return m;
}

static void test_plan_analytic(void **state) {
  (void)state;
  struct {
    int n, complete;
    double w, lambda, rms;
  } cases[] = {{40, 1, 1.0, 39.0, 1.0},
               {40, 1, -1.0, 1.0, 1.0},
               {64, 0, 1.0, 2.0, sqrt(2.0 * 64 / (64.0 * 63.0))}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    po_ising *m = graph(cases[c].n, cases[c].complete, cases[c].w);
    po_cpu_sb_setup p;
    assert_int_equal(po_cpu_sb_plan(m, "bsb", 0, 0, &p), PO_OK);
    assert_float_equal(p.lambda_max, cases[c].lambda, 1e-3 * fabs(cases[c].lambda));
    assert_float_equal(p.c0, 0.5 / (sqrt(cases[c].n) * cases[c].rms), 1e-9);
    const double limit = 2.0 / sqrt(1.0 + p.c0 * cases[c].lambda);
    assert_float_equal(p.dt_limit, limit, 1e-3 * limit);
    assert_float_equal(p.dt, fmin(1.25, 0.9 * p.dt_limit), 1e-12);
    po_ising_destroy(m);
  }
}

/* Same seed, 1 and 2 threads: identical spins (dense SK N = 600 and sparse
 * G22, 64 replicas = two blocks of 32, run in turn or side by side). */
static void test_threads_identical(void **state) {
  (void)state;
  po_ising *dense = NULL;
  assert_int_equal(po_problem_open("sk:600:3", NULL, &dense), PO_OK);
  assert_int_equal(dense->storage, PO_STORAGE_DENSE);
  po_ising *sparse = po_test_load("gset/G22.txt");
  assert_int_equal(sparse->storage, PO_STORAGE_CSR);
  po_backend *b = po_test_open_backend("cpu", NULL, NULL);
  po_ising *models[] = {dense, sparse};
  for (int k = 0; k < 2; k++)
    for (int a = 0; a < N_ALGS; a++) {
      po_samples s1 = {0}, s2 = {0};
      if (po_test_anneal(b, models[k], sb_algs[a], 64, 40, 9, 1, &s1) ||
          po_test_anneal(b, models[k], sb_algs[a], 64, 40, 9, 2, &s2))
        fail_msg("%s", po_last_error());
      assert_memory_equal(s1.spins, s2.spins, (size_t)s1.replicas * s1.n);
      po_samples_free(&s1);
      po_samples_free(&s2);
    }
  po_backend_close(b);
  po_ising_destroy(dense);
  po_ising_destroy(sparse);
}

/* MACs: one product per step (nnz x R x K) plus the power iteration. */
static void test_ledger(void **state) {
  (void)state;
  po_ising *m = po_test_load("gset/G14.txt");
  po_backend *b = po_test_open_backend("cpu", NULL, NULL);
  po_samples s = {0};
  assert_int_equal(po_test_anneal(b, m, "dsb", 8, 50, 1, 0, &s), PO_OK);
  const po_ledger *l = po_backend_ledger(b);
  const po_ledger_entry *e = po_ledger_find(l, "macs");
  assert_non_null(e);
  const double nnz = (double)m->row_ptr[m->n];
  assert_float_equal(e->count, nnz * 8 * 50 + nnz * 100, 0.5);
  assert_float_equal(e->joules, e->count * 4.6e-12, 1e-6 * e->joules);
  assert_true(l->wall_s > 0 && l->run_s > 0 && l->run_s <= l->wall_s);
  po_samples_free(&s);
  po_backend_close(b);
  po_ising_destroy(m);
}

/* cpu.sb_sample = best: each replica returns the lowest-energy signs seen
 * after a step, so with the same seed (same trajectories) no replica ends
 * higher than its final state, and with asb and dsb some end lower (their
 * final state is not always the best one seen; measured: asb 28 and dsb 8
 * of 64 on SK1_N100_0, dsb 1 on G14; bsb's final state was every replica's
 * best on both instances).  The
 * ledger books the evaluations: dsb reuses its own product J sign(x) (one
 * more at the end), bsb and asb pay one product per step. */
static void test_sample_best(void **state) {
  (void)state;
  po_ising *models[] = {po_test_load("sk/SK1_N100_0.txt"), po_test_load("gset/G14.txt")};
  const char *best_set[] = {"cpu.sb_sample=best", NULL};
  po_backend *fin = po_test_open_backend("cpu", NULL, NULL);
  po_backend *best = po_test_open_backend("cpu", NULL, best_set);
  const char *algs[] = {"asb", "bsb", "dsb"};
  const int R = 64;
  const long K = 300;
  for (int k = 0; k < 2; k++)
    for (int a = k; a < 3; a++) { /* asb, without walls, diverges on G14 at this dt */
      po_samples sf = {0}, sb = {0};
      const po_ledger_entry *e0 = po_ledger_find(po_backend_ledger(best), "best_state_macs");
      const double booked = e0 ? e0->count : 0.0; /* the ledger adds up the runs */
      if (po_test_anneal(fin, models[k], algs[a], R, K, 5, 1, &sf) ||
          po_test_anneal(best, models[k], algs[a], R, K, 5, 1, &sb))
        fail_msg("%s", po_last_error());
      int lower = 0;
      for (int r = 0; r < R; r++) {
        assert_true(sb.energy[r] <= sf.energy[r] + 1e-9);
        lower += sb.energy[r] < sf.energy[r] - 1e-9;
      }
      print_message("%s %s: %d of %d replicas lower than their final state\n", algs[a],
                    k ? "G14" : "SK1_N100_0", lower, R);
      if (a != 1) assert_true(lower > 0); /* bsb: its final state was its best here */
      const po_ising *m = models[k];
      const double nnz =
          m->storage == PO_STORAGE_DENSE ? (double)m->n * m->n : (double)m->row_ptr[m->n];
      const po_ledger_entry *e = po_ledger_find(po_backend_ledger(best), "best_state_macs");
      assert_non_null(e);
      const double products = a == 2 ? 1.0 : (double)K;
      assert_float_equal(e->count - booked, nnz * R * products + (double)m->n * R * K, 0.5);
      assert_null(po_ledger_find(po_backend_ledger(fin), "best_state_macs"));
      po_samples_free(&sf);
      po_samples_free(&sb);
    }
  po_backend_close(fin);
  po_backend_close(best);
  po_ising_destroy(models[0]);
  po_ising_destroy(models[1]);
}

static void test_errors(void **state) {
  (void)state;
  po_ising *m = po_test_load("sk/SK1_N20_0.txt");
  po_backend *b = po_test_open_backend("cpu", NULL, NULL);
  po_samples s = {0};
  assert_int_equal(po_test_anneal(b, m, "xsb", 4, 10, 1, 0, &s), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "xsb"));
  /* aSB has no walls: a step far beyond the limit overflows, reported */
  const char *const sets[] = {"cpu.sb_dt=10", "cpu.sb_c0=100", NULL};
  po_backend *bad = po_test_open_backend("cpu", NULL, sets);
  assert_int_equal(po_test_anneal(bad, m, "asb", 4, 200, 1, 0, &s), PO_ERR_NUMERIC);
  assert_non_null(strstr(po_last_error(), "cpu.sb_dt"));
  po_backend_close(bad);
  const char *const range[] = {"cpu.sb_dt=-1", NULL};
  po_params *p;
  assert_int_equal(po_params_create(&p), PO_OK);
  assert_int_equal(po_params_assign(p, range[0]), PO_OK);
  po_backend *neg = NULL;
  assert_int_not_equal(po_backend_open("cpu", p, &neg) == PO_OK
                           ? po_test_anneal(neg, m, "bsb", 4, 10, 1, 0, &s)
                           : PO_ERR_ARG,
                       PO_OK);
  assert_non_null(strstr(po_last_error(), "sb_dt"));
  if (neg) po_backend_close(neg);
  po_params_destroy(p);
  po_backend_close(b);
  po_ising_destroy(m);
}

/* The heated variants with cpu.sb_heat = 0 are the unheated ones, byte for
 * byte; with the default heating they differ. */
static void test_heat_zero_is_unheated(void **state) {
  (void)state;
  po_ising *m = po_test_load("sk/SK1_N20_1.txt");
  const char *const cold[] = {"cpu.sb_heat=0", NULL};
  po_backend *b0 = po_test_open_backend("cpu", NULL, cold);
  po_backend *b = po_test_open_backend("cpu", NULL, NULL);
  const char *pairs[2][2] = {{"bsb", "hbsb"}, {"dsb", "hdsb"}};
  for (int k = 0; k < 2; k++) {
    po_samples a = {0}, h0 = {0}, h = {0};
    if (po_test_anneal(b0, m, pairs[k][0], 40, 300, 4, 0, &a) ||
        po_test_anneal(b0, m, pairs[k][1], 40, 300, 4, 0, &h0) ||
        po_test_anneal(b, m, pairs[k][1], 40, 300, 4, 0, &h))
      fail_msg("%s", po_last_error());
    assert_memory_equal(a.spins, h0.spins, (size_t)40 * m->n);
    assert_memory_not_equal(a.spins, h.spins, (size_t)40 * m->n);
    po_samples_free(&a);
    po_samples_free(&h0);
    po_samples_free(&h);
  }
  po_backend_close(b0);
  po_backend_close(b);
  po_ising_destroy(m);
}

/* End to end: physopt solve --backend cpu --algorithm dsb reaches the
 * ground energy of an SK N = 20 instance (the JSON's best_energy). */
static void test_cli_solve(void **state) {
  (void)state;
  char problem[1024];
  snprintf(problem, sizeof problem, "%s/sk/SK1_N20_0.txt", po_test_data_dir());
  char out[64];
  snprintf(out, sizeof out, "/tmp/test_cpu_sb_cli_%ld.json", (long)getpid());
  char *args[] = {"solve",       "--problem", problem,      "--backend", "cpu",
                  "--algorithm", "dsb",       "--replicas", "32",        "--steps",
                  "1000",        "--seed",    "2",          "--json",    NULL};
  assert_int_equal(po_test_physopt(args, out, NULL), 0);
  FILE *f = fopen(out, "r");
  assert_non_null(f);
  char buf[65536];
  size_t len = fread(buf, 1, sizeof buf - 1, f);
  buf[len] = 0;
  fclose(f);
  remove(out);
  const char *p = buf;
  po_ising *m = po_test_load("sk/SK1_N20_0.txt");
  assert_float_equal(po_test_json_next(&p, "best_energy"), po_test_enumerate_ground(m), 1e-9);
  po_ising_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plan_analytic),
      cmocka_unit_test(test_sk_ground_states),
      cmocka_unit_test(test_g1_cut_and_stability),
      cmocka_unit_test(test_threads_identical),
      cmocka_unit_test(test_ledger),
      cmocka_unit_test(test_sample_best),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_heat_zero_is_unheated),
      cmocka_unit_test(test_cli_solve),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
