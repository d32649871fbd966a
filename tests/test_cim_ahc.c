/* Validation of the cim backend's amplitude-heterogeneity-correction (AHC)
 * feedback (Leleu, Yamamoto, McMahon, Aihara, PRL 122, 040607, 2019, with
 * the energy-dependent target of the cim-optimizer reference AHC.py, the
 * default cim.ahc_target_mode = energy; the equations are in physics/opo.h,
 * backends/cim/cim_anneal.c and docs/cim.md) with the default [cim]
 * parameters.
 *
 * Budgets and the measurements they come from (docs/cim.md, "AHC measured
 * success"; seed 2024, 2 threads, default [cim]):
 *   - all 50 SK instances with N <= 50 of the shared data: 64 replicas x 5000
 *     steps each.  Lowest measured per-replica success 0.203 (SK1_N20_7, 13
 *     of 64), next 0.656 (SK1_N50_2), mean 0.963 (constant target: 0.109,
 *     0.880); a 64-replica miss at p = 0.2 has probability ~5e-7.
 *   - SK1_N50_0 (ground energy -247), 256 replicas x 2000 steps: AHC
 *     per-replica success measured 0.547, 0.449, 0.535, 0.516 for seeds 1..4
 *     (mean 0.51; binomial sd at 256 replicas 0.031; constant target: 0.215,
 *     0.277, 0.281, 0.270).  Asserted: >= 0.38 (mean - 4 sd), and above the
 *     plain OPO network with the same budget, both noiseless (measured
 *     0.008) and with sigma = 0.1 noise (measured 0.117; the best of sigma =
 *     0.03, 0.1, 0.3, 1: 0.125, 0.117, 0.121, 0).
 *   - the ten SK N = 100 instances, 32 x 10^4 (test_ahc_sk100_success). */
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
#include "tests/util/testutil.h"

/* Per-replica success of one run; checks every reported energy against the
 * spins and the ground energy. */
static double success(po_backend *b, const po_ising *m, const char *alg, int R, long K,
                      uint64_t seed, double ground) {
  po_anneal_opts o = {.algorithm = alg, .replicas = R, .steps = K, .seed = seed};
  po_samples s = {0};
  if (po_backend_ising_anneal(b, m, NULL, &o, &s) != PO_OK) fail_msg("%s", po_last_error());
  int hits = 0;
  for (int r = 0; r < s.replicas; r++) {
    assert_true(s.energy[r] >= ground - 1e-9); /* never below the ground state */
    assert_true(fabs(s.energy[r] - po_ising_energy(m, s.spins + (size_t)r * m->n)) < 1e-9);
    hits += s.energy[r] <= ground + 1e-9;
  }
  po_samples_free(&s);
  return (double)hits / R;
}

/* AHC reaches the exact ground energy of every SK instance with N <= 50. */
static void test_ahc_sk_ground_states(void **state) {
  (void)state;
  FILE *f = po_test_open_data("sk/ground_energies.txt");
  po_backend *b = po_test_open_backend("cim", NULL, NULL);
  char line[256], name[128];
  double ground, p_sum = 0, p_min = 1;
  int count = 0, n;
  const int R = 64;
  const long K = 5000;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || sscanf(line, "%127s %lf", name, &ground) != 2) continue;
    if (sscanf(name, "SK1_N%d_", &n) != 1 || n > 50) continue;
    char rel[200];
    snprintf(rel, sizeof rel, "sk/%s", name);
    po_ising *m = po_test_load(rel);
    double p = success(b, m, "ahc", R, K, 2024, ground);
    if (p <= 0) fail_msg("%s: AHC missed the ground energy %g (%d x %ld)", name, ground, R, K);
    p_sum += p;
    p_min = fmin(p_min, p);
    count++;
    po_ising_destroy(m);
  }
  fclose(f);
  assert_int_equal(count, 50);
  printf("AHC on SK N<=50 (%d x %ld): all %d ground states reached; per-replica success mean "
         "%.3f, min %.3f\n",
         R, K, count, p_sum / count, p_min);
  po_backend_close(b);
}

/* Per-replica success on SK1_N50_0: AHC above a bound derived from its
 * measured value and above the plain (noiseless and noisy) OPO network. */
static void test_ahc_success_vs_plain(void **state) {
  (void)state;
  const double ground = -247; /* SK1_N50_0, sk/ground_energies.txt */
  const int R = 256;
  const long K = 2000;
  po_ising *m = po_test_load("sk/SK1_N50_0.txt");
  po_backend *b = po_test_open_backend("cim", NULL, NULL);
  const double p_ahc = success(b, m, "ahc", R, K, 1, ground);
  const double p_plain = success(b, m, "plain", R, K, 1, ground);
  po_backend_close(b);
  const char *const noisy[] = {"cim.sigma=0.1", NULL};
  b = po_test_open_backend("cim", NULL, noisy);
  const double p_noisy = success(b, m, "plain", R, K, 1, ground);
  po_backend_close(b);
  po_ising_destroy(m);
  printf("SK1_N50_0, %d x %ld: per-replica success AHC %.3f, plain %.3f, plain sigma=0.1 %.3f\n", R,
         K, p_ahc, p_plain, p_noisy);
  assert_true(p_ahc >= 0.38);
  assert_true(p_ahc > p_plain);
  assert_true(p_ahc > p_noisy);
}

/* Keeps the last amplitudes handed to the trajectory callback. */
typedef struct last_x {
  float x[64];
  int n;
  long step;
} last_x;

static void keep_last(void *ctx, long step, double t, const float *x, int n) {
  (void)t;
  last_x *l = ctx;
  l->n = n < 64 ? n : 64;
  l->step = step;
  memcpy(l->x, x, (size_t)l->n * sizeof *x);
}

/* Runs one AHC replica of m for 2 x 10^4 steps and checks that it ends on
 * a fixed point with every x_i^2 equal to the target a (to 2e-3): a = 0.2
 * (constant) or a = 0.2 + eps (1/N) sum_i s_i c_i(s), c(s) = K s - x_h h
 * = -(f - h) - x_h h with f = J s + h, eps = 0.7 / rms(J) (energy). */
static void check_fixed_point(const po_ising *m, const char *const *sets, int energy, double xh,
                              const char *label) {
  const int n = m->n;
  double ss = 0.0;
  if (m->storage == PO_STORAGE_DENSE)
    for (int k = 0; k < n * n; k++) ss += (double)m->dense[k] * m->dense[k];
  else
    for (int64_t k = 0; k < m->row_ptr[n]; k++) ss += (double)m->val[k] * m->val[k];
  const double eps = 0.7 / sqrt(ss / n); /* ahc_eps_scale / rms norm */
  po_backend *b = po_test_open_backend("cim", NULL, sets);
  last_x l = {{0}, 0, -1};
  const long K = 20000;
  po_anneal_opts o = {.algorithm = "ahc",
                      .replicas = 1,
                      .steps = K,
                      .seed = 3,
                      .trajectory = keep_last,
                      .trajectory_ctx = &l,
                      .trajectory_every = K,
                      .trajectory_replica = 0};
  po_samples smp = {0};
  if (po_backend_ising_anneal(b, m, NULL, &o, &smp) != PO_OK) fail_msg("%s", po_last_error());
  assert_int_equal(l.step, K);
  assert_int_equal(l.n, n);
  int8_t s[64];
  double f[64], acc = 0.0;
  for (int i = 0; i < n; i++) s[i] = l.x[i] < 0 ? -1 : 1;
  po_ising_local_fields(m, s, f);
  for (int i = 0; i < n; i++) {
    const double h = m->h ? m->h[i] : 0.0;
    acc += s[i] * (-(f[i] - h) - xh * h);
  }
  const double a = energy ? 0.2 + eps * acc / n : 0.2;
  double lo = 1e9, hi = -1e9;
  for (int i = 0; i < n; i++) {
    lo = fmin(lo, (double)l.x[i] * l.x[i]);
    hi = fmax(hi, (double)l.x[i] * l.x[i]);
  }
  printf("AHC %s: final H = %g, x_i^2 in [%.6f, %.6f], predicted a = %.6f\n", label,
         po_ising_energy(m, s), lo, hi, a);
  assert_true(fabs(lo - a) < 2e-3 * a);
  assert_true(fabs(hi - a) < 2e-3 * a);
  po_samples_free(&smp);
  po_backend_close(b);
}

/* At a fixed point of AHC, de_i/dt = 0 with e_i > 0 forces x_i^2 = a: every
 * squared amplitude equals the target.  Constant mode: a = ahc_target = 0.2;
 * energy mode: a = 0.2 + eps mean_i s_i (K s)_i = 0.2 - 2 eps H(s) / N (no
 * fields) with eps = 0.7 / rms(J) = 0.7 / 3 (N = 10, J = +/-1) and H the
 * Ising energy of the final spins (with the sign of the shift flipped the
 * target would be negative and no such fixed point could exist).  Measured
 * after 2 x 10^4 steps, seeds 1..4 alike: SK1_N10_1 (constant) x_i^2 in
 * [0.19985, 0.20005]; energy mode, ground states, SK1_N10_0 [1.08665,
 * 1.08669] (a = 1.08667), SK1_N10_1 [1.45998, 1.46002] (a = 1.46); with
 * fields h_i in {-1, -0.5, 0, 0.5, 1}, x_h = cim.field_amp = 0.5, CSR
 * storage, SK1_N10_0's couplings: [1.12165, 1.12169] (a = 1.12167).  With
 * the constant target most N = 10 instances end on a cycle instead (e.g.
 * SK1_N10_0: x_i^2 in [0.146, 0.222]), with the energy target most on a
 * fixed point. */
static void test_ahc_target_fixed_point(void **state) {
  (void)state;
  const char *constant[] = {"cim.ahc_target_mode=constant", NULL};
  const char *energy[] = {"cim.ahc_target_mode=energy", NULL};
  po_ising *m0 = po_test_load("sk/SK1_N10_0.txt"), *m1 = po_test_load("sk/SK1_N10_1.txt");
  assert_int_equal(m0->n, 10);
  check_fixed_point(m1, constant, 0, 1.0, "constant, SK1_N10_1");
  check_fixed_point(m0, energy, 1, 1.0, "energy, SK1_N10_0");
  check_fixed_point(m1, energy, 1, 1.0, "energy, SK1_N10_1");
  /* fields and x_h != 1 exercise the -x_h h term; CSR the sparse path */
  const int n = 10;
  int32_t ei[45], ej[45];
  double w[45], h[10];
  long ne = 0;
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (m0->dense[i * n + j] != 0) {
        ei[ne] = i;
        ej[ne] = j;
        w[ne++] = m0->dense[i * n + j];
      }
  for (int i = 0; i < n; i++) h[i] = ((i * 7919 % 5) - 2) / 2.0;
  po_load_opts lo = {.storage = PO_STORAGE_CSR};
  po_ising *mh;
  assert_int_equal(po_ising_from_edges(n, ne, ei, ej, w, h, &lo, &mh), PO_OK);
  assert_int_equal(mh->storage, PO_STORAGE_CSR);
  const char *fields[] = {"cim.ahc_target_mode=energy", "cim.field_amp=0.5", NULL};
  check_fixed_point(mh, fields, 1, 0.5, "energy, SK1_N10_0 + fields, x_h = 0.5, CSR");
  po_ising_destroy(mh);
  po_ising_destroy(m0);
  po_ising_destroy(m1);
}

/* The default AHC (energy-dependent target of [CO] AHC.py) on the ten SK
 * N = 100 instances, 32 replicas x 10^4 steps each, seed 2024.  Measured
 * pooled per-replica success 0.716 (seeds 1, 2: 0.750, 0.719); the binomial
 * sd of the pooled mean over 320 replicas is ~0.022, so the bound 0.62 is
 * the measured mean minus 4 sd.  Lowest instance SK1_N100_4 at 0.12-0.25
 * per replica: a 32-replica miss there has probability ~0.02, so at most
 * one missed instance is allowed.  The constant target (PRL 2019 equations,
 * the former default) gives 0.119 with 6 instances missed on this budget. */
static void test_ahc_sk100_success(void **state) {
  (void)state;
  FILE *f = po_test_open_data("sk/ground_energies.txt");
  po_backend *b = po_test_open_backend("cim", NULL, NULL);
  char line[256], name[128];
  double ground, p_sum = 0;
  int count = 0, missed = 0;
  const int R = 32;
  const long K = 10000;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || sscanf(line, "%127s %lf", name, &ground) != 2) continue;
    if (strncmp(name, "SK1_N100_", 9)) continue;
    char rel[200];
    snprintf(rel, sizeof rel, "sk/%s", name);
    po_ising *m = po_test_load(rel);
    const double p = success(b, m, "ahc", R, K, 2024, ground);
    printf("  %s: %.3f\n", name, p);
    missed += p <= 0;
    p_sum += p;
    count++;
    po_ising_destroy(m);
  }
  fclose(f);
  po_backend_close(b);
  assert_int_equal(count, 10);
  printf("AHC (default target) on SK N=100 (%d x %ld): pooled per-replica success %.3f, %d "
         "missed\n",
         R, K, p_sum / count, missed);
  assert_true(p_sum / count >= 0.62);
  assert_true(missed <= 1);
}

/* energy_latched: same samples for 1 and 2 threads (several replica
 * blocks, dense and CSR, noise on); an unknown mode is refused. */
static void test_ahc_latched_threads(void **state) {
  (void)state;
  const char *sets[] = {"cim.sigma=0.05", "cim.ahc_target_mode=energy_latched", NULL};
  po_backend *b = po_test_open_backend("cim", NULL, sets);
  po_ising *m, *mc;
  assert_int_equal(po_ising_generate_sk(40, 5, 1, &m), PO_OK);
  assert_int_equal(po_ising_to_csr(m, &mc), PO_OK);
  const int R = 70;
  for (int sparse = 0; sparse < 2; sparse++) {
    po_samples s1 = {0}, s2 = {0};
    po_anneal_opts o = {.algorithm = "ahc", .replicas = R, .steps = 300, .seed = 4, .threads = 1};
    const po_ising *mm = sparse ? mc : m;
    assert_int_equal(po_backend_ising_anneal(b, mm, NULL, &o, &s1), PO_OK);
    o.threads = 2;
    assert_int_equal(po_backend_ising_anneal(b, mm, NULL, &o, &s2), PO_OK);
    assert_memory_equal(s1.spins, s2.spins, (size_t)R * 40);
    assert_memory_equal(s1.energy, s2.energy, (size_t)R * sizeof(double));
    po_samples_free(&s1);
    po_samples_free(&s2);
  }
  po_ising_destroy(m);
  po_ising_destroy(mc);
  po_backend_close(b);
  po_params *p;
  assert_int_equal(po_params_create(&p), PO_OK);
  po_backend *bad = NULL;
  int rc = po_params_set(p, "cim.ahc_target_mode", "linear");
  if (rc == PO_OK) rc = po_backend_open("cim", p, &bad);
  assert_int_not_equal(rc, PO_OK);
  assert_non_null(strstr(po_last_error(), "ahc_target_mode"));
  if (bad) po_backend_close(bad);
  po_params_destroy(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ahc_target_fixed_point), cmocka_unit_test(test_ahc_sk_ground_states),
      cmocka_unit_test(test_ahc_success_vs_plain),   cmocka_unit_test(test_ahc_sk100_success),
      cmocka_unit_test(test_ahc_latched_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
