/* CPU backend ising_anneal: Metropolis SA (general and multispin kernels) and
 * parallel tempering.  Checked against known ground energies (the SK
 * instances of $PHYSOPT_DATA/sk, planted Wishart instances, exhaustive
 * enumeration), exact Boltzmann averages at fixed temperature, thread-count
 * independence, the energy ledger and error messages. */
#include <math.h>
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "physopt/physopt.h"
#include "tests/util/testutil.h"
#include "backends/cpu/cpu_anneal.h"

static po_backend *open_cpu(const char *kernel) {
  po_params *p;
  assert_int_equal(po_params_create(&p), PO_OK);
  if (kernel) assert_int_equal(po_params_set(p, "cpu.kernel", kernel), PO_OK);
  po_backend *b = NULL;
  if (po_backend_open("cpu", p, &b) != PO_OK) fail_msg("%s", po_last_error());
  po_params_destroy(p);
  return b;
}

static int run(po_backend *b, const po_ising *m, const char *alg, int R, long K, uint64_t seed,
               po_samples *out) {
  po_anneal_opts o = {0};
  o.algorithm = alg;
  o.replicas = R;
  o.steps = K;
  o.seed = seed;
  o.run_id = 7;
  return po_backend_ising_anneal(b, m, NULL, &o, out);
}

/* Returned energies are po_ising_energy of the returned spins; returns the best. */
static double check_energies(const po_samples *s, const po_ising *m) {
  double best = INFINITY;
  for (int r = 0; r < s->replicas; r++) {
    const int8_t *x = s->spins + (size_t)r * s->n;
    for (int i = 0; i < s->n; i++) assert_true(x[i] == 1 || x[i] == -1);
    double e = po_ising_energy(m, x);
    assert_true(s->energy[r] == e);
    if (e < best) best = e;
  }
  return best;
}

static double exhaustive_ground(const po_ising *m) {
  const int n = m->n;
  int8_t s[24];
  double best = INFINITY;
  for (uint32_t c = 0; c < (1u << n); c++) {
    for (int i = 0; i < n; i++) s[i] = (c >> i) & 1 ? -1 : 1;
    double e = po_ising_energy(m, s);
    if (e < best) best = e;
  }
  return best;
}

/* SA reaches the published ground energy of every SK instance with N <= 50
 * (both kernels; the general kernel runs dense here). */
static void sk_ground(const char *kernel, int R, long K) {
  FILE *f = po_test_open_data("sk/ground_energies.txt");
  po_backend *b = open_cpu(kernel);
  char line[256], name[128];
  double eg;
  int checked = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || sscanf(line, "%127s %lf", name, &eg) != 2) continue;
    int n, k;
    if (sscanf(name, "SK1_N%d_%d", &n, &k) != 2 || n > 50) continue;
    char rel[160];
    snprintf(rel, sizeof rel, "sk/%s", name);
    po_ising *m = po_test_load(rel);
    assert_true(m->pm1);
    po_samples s;
    if (run(b, m, "sa", R, K, 1000 + checked, &s) != PO_OK) fail_msg("%s", po_last_error());
    double best = check_energies(&s, m);
    if (best != eg) fail_msg("%s kernel on %s: best %g, ground %g", kernel, name, best, eg);
    po_samples_free(&s);
    po_ising_destroy(m);
    checked++;
  }
  fclose(f);
  assert_int_equal(checked, 50);
  po_backend_close(b);
}

static void test_sk_ground_general(void **state) {
  (void)state;
  sk_ground("general", 8, 400);
}

static void test_sk_ground_multispin(void **state) {
  (void)state;
  sk_ground("multispin", 64, 400);
}

/* Planted Wishart instance, N = 200, M = 300 (alpha = 1.5; at alpha <= 1 SA
 * and PT missed the planted state at N = 200 within ~1 s, docs/cpu-backend.md): real couplings,
 * dense storage, general kernel; the planted state's energy is reached. */
static void test_wishart_planted(void **state) {
  (void)state;
  po_backend *b = open_cpu(NULL);
  for (uint64_t seed = 1; seed <= 2; seed++) {
    po_ising *m;
    if (po_ising_generate_wishart(200, 300, seed, &m) != PO_OK) fail_msg("%s", po_last_error());
    assert_true(m->has_ground);
    po_samples s;
    if (run(b, m, "sa", 16, 300, seed, &s) != PO_OK) fail_msg("%s", po_last_error());
    double best = check_energies(&s, m);
    if (best > m->ground_energy + 1e-6 * fabs(m->ground_energy))
      fail_msg("wishart seed %llu: best %.9g, planted %.9g", (unsigned long long)seed, best,
               m->ground_energy);
    po_samples_free(&s);
    po_ising_destroy(m);
  }
  po_backend_close(b);
}

/* Work above SMALL_WORK (2.5e5 attempts) so that the 2-thread run does use 2 threads. */
static void same_for_threads(const char *kernel, const char *alg, const char *spec, int R, long K) {
  po_ising *m;
  if (po_problem_open(spec, NULL, &m) != PO_OK) fail_msg("%s", po_last_error());
  po_backend *b = open_cpu(kernel);
  po_samples s1, s2;
  omp_set_num_threads(1);
  if (run(b, m, alg, R, K, 42, &s1) != PO_OK) fail_msg("%s", po_last_error());
  omp_set_num_threads(2);
  po_backend_ledger_reset(b);
  if (run(b, m, alg, R, K, 42, &s2) != PO_OK) fail_msg("%s", po_last_error());
  const po_ledger *l = po_backend_ledger(b); /* run_s = wall_s x threads used / R */
  assert_true(fabs(l->run_s * R / l->wall_s - 2.0) < 1e-9);
  assert_int_equal(s1.replicas, R);
  assert_memory_equal(s1.spins, s2.spins, (size_t)R * m->n);
  assert_memory_equal(s1.energy, s2.energy, (size_t)R * sizeof(double));
  check_energies(&s1, m);
  po_samples_free(&s1);
  po_samples_free(&s2);
  po_backend_close(b);
  po_ising_destroy(m);
}

static void test_threads_sa_general(void **state) {
  (void)state;
  same_for_threads("general", "sa", "sk:60:3:gauss", 6, 1000);
  same_for_threads("general", "sa", "sk:40:3:pm", 5, 2000);
}

static void test_threads_pt(void **state) {
  (void)state;
  same_for_threads("general", "pt", "sk:40:5:gauss", 3, 200);
  /* one run: 2 threads share its chains sweep by sweep, 1 thread runs it whole */
  same_for_threads("general", "pt", "sk:30:6:pm", 1, 600);
}

static void test_threads_multispin(void **state) {
  (void)state;
  same_for_threads("multispin", "sa", "sk:40:5:pm", 130, 100);
}

/* N = 16 +/-1 SK: both kernels and PT reach the ground energy found by
 * enumerating all 2^16 states. */
static void test_exhaustive_n16(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 3; seed++) {
    po_ising *m;
    assert_int_equal(po_ising_generate_sk(16, seed, 0, &m), PO_OK);
    assert_true(m->pm1);
    const double eg = exhaustive_ground(m);
    const char *kernels[] = {"general", "multispin", "general"};
    const char *algs[] = {"sa", "sa", "pt"};
    for (int k = 0; k < 3; k++) {
      po_backend *b = open_cpu(kernels[k]);
      po_samples s;
      if (run(b, m, algs[k], 64, 200, seed, &s) != PO_OK) fail_msg("%s", po_last_error());
      double best = check_energies(&s, m);
      if (best != eg) fail_msg("%s/%s: best %g, exhaustive %g", kernels[k], algs[k], best, eg);
      /* the best seen is the ground state in most replicas, for both kernels */
      int hits = 0;
      for (int r = 0; r < 64; r++) hits += s.energy[r] == eg;
      if (hits < 32)
        fail_msg("%s/%s: %d of 64 replicas at the ground state", kernels[k], algs[k], hits);
      po_samples_free(&s);
      po_backend_close(b);
    }
    po_ising_destroy(m);
  }
}

/* At fixed beta the final states sample the Boltzmann distribution: the mean
 * energy over independent replicas agrees with the exact average from
 * enumeration within 5 standard errors (odd and even degrees, so both first
 * acceptance levels of the multispin kernel are exercised). */
static void test_boltzmann_mean(void **state) {
  (void)state;
  /* (N, beta): odd/even degree, moderate and hot (many acceptance levels) */
  const int ns[] = {10, 13, 10, 13};
  const double betas[] = {0.35, 0.35, 0.08, 0.12};
  for (int q = 0; q < 4; q++) {
    const double beta = betas[q];
    po_ising *m;
    assert_int_equal(po_ising_generate_sk(ns[q], 11 + q % 2, 0, &m), PO_OK);
    const int n = m->n;
    int8_t s[16];
    double z = 0, e1 = 0, e2 = 0, emin = INFINITY;
    for (uint32_t c = 0; c < (1u << n); c++) {
      for (int i = 0; i < n; i++) s[i] = (c >> i) & 1 ? -1 : 1;
      double e = po_ising_energy(m, s);
      if (e < emin) emin = e;
    }
    for (uint32_t c = 0; c < (1u << n); c++) {
      for (int i = 0; i < n; i++) s[i] = (c >> i) & 1 ? -1 : 1;
      double e = po_ising_energy(m, s), w = exp(-beta * (e - emin));
      z += w;
      e1 += w * e;
      e2 += w * e * e;
    }
    const double mean = e1 / z, sd = sqrt(e2 / z - mean * mean);
    po_schedule sch;
    assert_int_equal(po_schedule_init(&sch, PO_SCHED_LINEAR, beta, beta, 0), PO_OK);
    const char *kernels[] = {"general", "multispin"};
    for (int k = 0; k < 2; k++) {
      const int R = 4096;
      po_anneal_opts o = {.algorithm = "sa", .replicas = R, .steps = 30, .seed = 5, .run_id = 1};
      po_cpu_extra x = {.kernel = kernels[k], .final_state = 1};
      po_samples out;
      if (po_cpu_anneal_ex(NULL, m, &sch, &o, &x, &out) != PO_OK) fail_msg("%s", po_last_error());
      check_energies(&out, m);
      double sum = 0;
      for (int r = 0; r < R; r++) sum += out.energy[r];
      const double got = sum / R, se = sd / sqrt((double)R);
      if (fabs(got - mean) > 5 * se)
        fail_msg("%s, N = %d, beta = %g: mean energy %.4f, Boltzmann %.4f (se %.4f)", kernels[k], n,
                 beta, got, mean, se);
      po_samples_free(&out);
    }
    po_schedule_free(&sch);
    po_ising_destroy(m);
  }
}

/* Ledger: attempts = replicas x n x sweeps; joules priced by [energy.cpu]. */
static void test_ledger(void **state) {
  (void)state;
  po_ising *m;
  assert_int_equal(po_problem_open("sk:30:2:gauss", NULL, &m), PO_OK);
  po_backend *b = open_cpu(NULL);
  po_backend_ledger_reset(b);
  po_samples s;
  assert_int_equal(run(b, m, "sa", 4, 50, 1, &s), PO_OK);
  const po_ledger *l = po_backend_ledger(b);
  const po_ledger_entry *a = po_ledger_find(l, "spin_updates");
  const po_ledger_entry *f = po_ledger_find(l, "accepted_flips");
  const po_ledger_entry *x = po_ledger_find(l, "macs");
  assert_non_null(a);
  assert_non_null(f);
  assert_non_null(x);
  assert_true(a->count == 4.0 * 30 * 50);
  assert_true(f->count > 0 && f->count <= a->count);
  assert_true(x->count == 30.0 * f->count); /* dense rows of 30 */
  assert_true(fabs(a->joules - a->count * 6.0e-12) <= 1e-9 * a->joules);
  assert_true(fabs(x->joules - x->count * 4.6e-12) <= 1e-9 * x->joules);
  assert_true(l->wall_s > 0 && l->device_s == l->wall_s);
  assert_true(l->run_s > 0 && l->run_s <= l->wall_s + 1e-12);
  po_samples_free(&s);

  /* multispin: attempts of the 10 replicas; the cost is priced by word
   * operations, which cover all 64 lanes of a word */
  po_ising *p;
  assert_int_equal(po_problem_open("sk:30:2:pm", NULL, &p), PO_OK);
  po_backend_ledger_reset(b);
  assert_int_equal(run(b, p, "sa", 10, 50, 1, &s), PO_OK);
  a = po_ledger_find(l, "spin_updates");
  const po_ledger_entry *w = po_ledger_find(l, "word_ops");
  assert_non_null(a);
  assert_non_null(w);
  assert_true(a->count == 10.0 * 30 * 50);
  assert_true(a->joules == 0.0);
  f = po_ledger_find(l, "accepted_flips");
  assert_non_null(f);
  assert_true(f->count > 0 && f->count <= a->count);
  assert_true(w->count > 50.0 * 30 * 29 * 7);
  assert_true(fabs(po_ledger_total_joules(l) - w->count * 0.2e-12) <= 1e-9 * w->joules);
  po_samples_free(&s);
  po_ising_destroy(p);
  po_backend_close(b);
  po_ising_destroy(m);
}

/* Edge cases: no couplings (fields only), isolated spins in the multispin
 * kernel, a single spin, real fields with an offset (QUBO-derived). */
static void test_edge_cases(void **state) {
  (void)state;
  po_backend *b = open_cpu(NULL);
  po_samples s;
  /* fields only: ground state s_i = -sign(h_i) */
  const double h[3] = {1.5, -2.0, 0.5};
  po_ising *m;
  assert_int_equal(po_ising_from_edges(3, 0, NULL, NULL, NULL, h, NULL, &m), PO_OK);
  assert_int_equal(run(b, m, "sa", 4, 50, 1, &s), PO_OK);
  assert_true(check_energies(&s, m) == -4.0);
  po_samples_free(&s);
  assert_int_equal(run(b, m, "pt", 2, 50, 1, &s), PO_OK);
  assert_true(check_energies(&s, m) == -4.0);
  po_samples_free(&s);
  po_ising_destroy(m);
  /* +/-1 path graph 0-1-2 with isolated spins 3, 4 (multispin, degree 0) */
  const int32_t ei[2] = {0, 1}, ej[2] = {1, 2};
  const double w[2] = {1, -1};
  assert_int_equal(po_ising_from_edges(5, 2, ei, ej, w, NULL, NULL, &m), PO_OK);
  assert_true(m->pm1);
  for (int k = 0; k < 2; k++) {
    po_backend *bk = open_cpu(k ? "multispin" : "general");
    assert_int_equal(run(bk, m, "sa", 70, 20, 1, &s), PO_OK);
    for (int r = 0; r < 70; r++) assert_true(s.energy[r] == -2.0);
    check_energies(&s, m);
    po_samples_free(&s);
    po_backend_close(bk);
  }
  po_ising_destroy(m);
  /* one spin with a field */
  const double h1[1] = {-0.25};
  assert_int_equal(po_ising_from_edges(1, 0, NULL, NULL, NULL, h1, NULL, &m), PO_OK);
  assert_int_equal(run(b, m, "sa", 1, 5, 1, &s), PO_OK);
  assert_true(check_energies(&s, m) == -0.25);
  po_samples_free(&s);
  po_ising_destroy(m);
  /* QUBO-derived model: real fields and offset; SA matches enumeration */
  po_qubo q = {.n = 8, .Q = calloc(64, sizeof(double)), .offset = 0.75};
  for (int i = 0; i < 8; i++)
    for (int j = i; j < 8; j++) q.Q[i * 8 + j] = sin(1.0 + i * 8 + j) * (i == j ? 2.0 : 1.0);
  assert_int_equal(po_qubo_to_ising(&q, &m), PO_OK);
  const double eg = exhaustive_ground(m);
  assert_int_equal(run(b, m, "sa", 8, 100, 1, &s), PO_OK);
  assert_true(fabs(check_energies(&s, m) - eg) < 1e-9);
  po_samples_free(&s);
  po_ising_destroy(m);
  free(q.Q);
  po_backend_close(b);
}

/* cpu.sample = final returns the final states: identical to the internal
 * final-state option, and never below the best-seen states of the same run. */
static void test_sample_final(void **state) {
  (void)state;
  po_ising *m;
  assert_int_equal(po_problem_open("sk:50:9:pm", NULL, &m), PO_OK);
  const char *kernels[] = {"general", "multispin"};
  for (int k = 0; k < 2; k++) {
    po_params *p;
    assert_int_equal(po_params_create(&p), PO_OK);
    assert_int_equal(po_params_set(p, "cpu.kernel", kernels[k]), PO_OK);
    assert_int_equal(po_params_set(p, "cpu.sample", "final"), PO_OK);
    po_backend *b;
    assert_int_equal(po_backend_open("cpu", p, &b), PO_OK);
    po_backend *bb = open_cpu(kernels[k]);
    po_schedule sch;
    assert_int_equal(po_schedule_init(&sch, PO_SCHED_LINEAR, 0.3, 0.3, 0), PO_OK);
    po_anneal_opts o = {.algorithm = "sa", .replicas = 64, .steps = 40, .seed = 3};
    po_cpu_extra x = {.kernel = kernels[k], .final_state = 1};
    po_samples fin, ref, best;
    assert_int_equal(po_backend_ising_anneal(b, m, &sch, &o, &fin), PO_OK);
    assert_int_equal(po_cpu_anneal_ex(NULL, m, &sch, &o, &x, &ref), PO_OK);
    assert_int_equal(po_backend_ising_anneal(bb, m, &sch, &o, &best), PO_OK);
    assert_memory_equal(fin.spins, ref.spins, (size_t)64 * m->n);
    int lower = 0;
    for (int r = 0; r < 64; r++) {
      assert_true(best.energy[r] <= fin.energy[r]);
      lower += best.energy[r] < fin.energy[r];
    }
    assert_true(lower > 0); /* at beta = 0.3 the final state is rarely the best seen */
    po_samples_free(&fin);
    po_samples_free(&ref);
    po_samples_free(&best);
    po_schedule_free(&sch);
    po_backend_close(b);
    po_backend_close(bb);
    po_params_destroy(p);
  }
  po_ising_destroy(m);
}

typedef struct prog {
  int calls;
  double last;
  int monotone;
} prog;

static void on_progress(void *ctx, double f) {
  prog *p = ctx;
  if (f < p->last || f > 1.0) p->monotone = 0;
  p->last = f;
  p->calls++;
}

/* Progress is reported in [0, 1], increasing, ending at 1, for every kernel. */
static void test_progress(void **state) {
  (void)state;
  po_ising *m;
  assert_int_equal(po_problem_open("sk:24:4:pm", NULL, &m), PO_OK);
  const char *kernels[] = {"general", "multispin", "general"};
  const char *algs[] = {"sa", "sa", "pt"};
  for (int k = 0; k < 3; k++) {
    po_backend *b = open_cpu(kernels[k]);
    prog p = {0, 0.0, 1};
    po_anneal_opts o = {.algorithm = algs[k], .replicas = 4, .steps = 300, .seed = 1};
    o.progress = on_progress;
    o.progress_ctx = &p;
    po_samples s;
    assert_int_equal(po_backend_ising_anneal(b, m, NULL, &o, &s), PO_OK);
    assert_true(p.calls >= (k < 2 ? 2 : 1)); /* pt: thread 0 may get no run */
    assert_true(p.monotone);
    assert_true(p.last == 1.0);
    po_samples_free(&s);
    po_backend_close(b);
  }
  po_ising_destroy(m);
}

static void test_errors(void **state) {
  (void)state;
  po_ising *m;
  assert_int_equal(po_problem_open("sk:20:1:gauss", NULL, &m), PO_OK);
  po_backend *b = open_cpu("multispin");
  po_samples s;
  assert_int_equal(run(b, m, "sa", 4, 10, 1, &s), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "cpu.kernel"));
  po_backend_close(b);
  b = open_cpu(NULL);
  assert_int_equal(run(b, m, "anneal", 4, 10, 1, &s), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "sa|pt"));
  po_schedule sch;
  assert_int_equal(po_schedule_init(&sch, PO_SCHED_LINEAR, -1.0, 1.0, 0), PO_OK);
  po_anneal_opts o = {.algorithm = "sa", .replicas = 2, .steps = 5};
  assert_int_equal(po_backend_ising_anneal(b, m, &sch, &o, &s), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "inverse temperature"));
  po_backend_close(b);
  po_ising_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sk_ground_general),
      cmocka_unit_test(test_sk_ground_multispin),
      cmocka_unit_test(test_wishart_planted),
      cmocka_unit_test(test_threads_sa_general),
      cmocka_unit_test(test_threads_pt),
      cmocka_unit_test(test_threads_multispin),
      cmocka_unit_test(test_exhaustive_n16),
      cmocka_unit_test(test_boltzmann_mean),
      cmocka_unit_test(test_sample_final),
      cmocka_unit_test(test_edge_cases),
      cmocka_unit_test(test_ledger),
      cmocka_unit_test(test_progress),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
