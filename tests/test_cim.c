/* Coherent Ising machine: physics (one OPO), the cim backend (CAC on every
 * SK instance with N <= 100, G-set cuts), reproducibility across thread
 * counts, ledger accounting and errors.
 *
 * Budgets (stated here, see docs/cim.md):
 *   SK: 48 replicas x 3000 steps (dt = 0.05) per instance, default [cim]
 *       (the hardest instance, SK1_N100_4, has a per-replica success
 *       probability of ~0.15, so 48 replicas fail with probability ~4e-4).
 *   G1: 8 replicas x 10000 steps, G22: 16 replicas x 10000 steps, with
 *       configs/cim-gset.ini.
 *   CFC / SFC on the 30 SK instances with N <= 30, default [cim]: CFC 32
 *       replicas x 1000 steps, SFC 64 x 1000 (lowest measured per-replica
 *       success: CFC 0.56 on SK1_N20_8, SFC 0.14 on SK1_N30_4, so a miss has
 *       probability < 1e-4 per instance). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "physics/opo.h"
#include "physopt/physopt.h"
#include "tests/util/testutil.h"
#include "solvers/sde.h"

/* ---- physics: one uncoupled noiseless OPO ------------------------------- */

/* dx/dt = (p-1) x - mu x^3: x -> 0 for p < 1, |x| -> sqrt((p-1)/mu) for p > 1
 * (pitchfork bifurcation at threshold p = 1; Wang et al. PRA 88, 063853). */
static void test_single_opo_threshold(void **state) {
  (void)state;
  const double pumps[] = {0.0, 0.5, 0.9, 1.1, 1.5, 2.0, 3.0};
  const double mu = 1.0, dt = 0.01;
  po_opo_params prm = {.mu = mu, .eps = 0.5, .sigma = 0.0, .e_max = 0, .x_max = 0};
  for (size_t q = 0; q < sizeof pumps / sizeof pumps[0]; q++) {
    const double p = pumps[q];
    /* 4 replicas starting at +-0.01 and +-1.7 */
    float x[4] = {0.01f, -0.01f, 1.7f, -1.7f}, c[4] = {0};
    int8_t sgn[4] = {1, -1, 1, -1};
    uint8_t flip[4];
    /* relaxation time 1/|p-1| (1/(2(p-1)) above): integrate for 20 of them */
    const long steps = (long)(20.0 / fabs(p - 1.0) / dt);
    for (long k = 0; k < steps; k++)
      assert_int_equal(po_opo_step_em(1, 4, dt, p, &prm, x, NULL, c, NULL, NULL, NULL, sgn, flip),
                       0);
    double want = po_opo_steady_amplitude(p, mu);
    for (int r = 0; r < 4; r++) {
      if (p < 1) {
        assert_true(fabs(x[r]) < 1e-4);
      } else {
        assert_true(fabs(fabs(x[r]) - want) < 1e-4 * (1 + want));
        assert_int_equal(sgn[r], r % 2 ? -1 : 1); /* the sign is kept */
      }
    }
  }
  assert_true(fabs(po_opo_steady_amplitude(2.0, 1.0) - 1.0) < 1e-12);
  assert_true(po_opo_steady_amplitude(0.5, 1.0) == 0.0);
}

/* The same model through the generic Heun stepper with the plain drift. */
typedef struct {
  po_opo_params prm;
  double p;
  long len;
} drift_ctx;
static int opo_drift(void *ctx, double t, const float *x, float *a) {
  (void)t;
  drift_ctx *d = ctx;
  float c[8] = {0};
  po_opo_drift(1, (int)d->len, d->p, &d->prm, x, c, a);
  return PO_OK;
}
static void test_single_opo_heun(void **state) {
  (void)state;
  drift_ctx d = {.prm = {.mu = 2.0, .eps = 1.0}, .p = 2.5, .len = 2};
  po_sde s;
  assert_int_equal(po_sde_create(&s, 1, 2, PO_SDE_HEUN, opo_drift, NULL, 0, &d, 1, 0), PO_OK);
  float x[2] = {0.001f, -0.3f};
  for (int k = 0; k < 2000; k++) assert_int_equal(po_sde_step(&s, x, k * 0.02, 0.02), PO_OK);
  double want = sqrt((2.5 - 1) / 2.0);
  assert_true(fabs(x[0] - want) < 1e-5);
  assert_true(fabs(x[1] + want) < 1e-5);
  po_sde_free(&s);
}

/* Noise enters as sigma sqrt(dt) N(0,1): below threshold the linearised OPO
 * is an OU process with stationary variance sigma^2 / (2 (1 - p)), whatever
 * dt is (a sigma dt scaling would give a dt-dependent variance). */
static void test_opo_noise_scaling(void **state) {
  (void)state;
  const int R = 4000;
  const double p = 0.0, sigma = 0.1, want = sigma * sigma / (2 * (1 - p));
  const double dts[] = {0.02, 0.08};
  for (int q = 0; q < 2; q++) {
    const double dt = dts[q];
    po_opo_params prm = {.mu = 1.0, .eps = 0.0, .sigma = sigma};
    float *x = calloc(R, sizeof *x), *c = calloc(R, sizeof *c), *dw = malloc(R * sizeof *dw);
    int8_t *sgn = calloc(R, 1);
    uint8_t *flip = calloc(R, 1);
    po_rng *rng = malloc(R * sizeof *rng);
    for (int r = 0; r < R; r++) po_rng_init(&rng[r], 5, 0, (uint64_t)r);
    long steps = (long)(10.0 / dt);
    for (long k = 0; k < steps; k++) {
      for (int r = 0; r < R; r++) dw[r] = (float)(sqrt(dt) * po_rng_normal(&rng[r]));
      po_opo_step_em(1, R, dt, p, &prm, x, NULL, c, NULL, NULL, dw, sgn, flip);
    }
    double v = 0;
    for (int r = 0; r < R; r++) v += (double)x[r] * x[r];
    v /= R;
    /* EM's stationary variance of the OU process: sigma^2 dt / (1 - (1 - k dt)^2), k = 1 - p */
    double em = sigma * sigma * dt / (1 - pow(1 - (1 - p) * dt, 2));
    printf("OPO noise: dt=%g variance %.5f (EM exact %.5f, continuum %.5f)\n", dt, v, em, want);
    assert_true(fabs(v - em) < 5 * em * sqrt(2.0 / R));
    free(x), free(c), free(dw), free(sgn), free(flip), free(rng);
  }
}

/* ---- the backend -------------------------------------------------------- */

/* CAC with the default [cim] parameters reaches the exact ground energy of
 * all 100 SK instances (N = 10..100) of ../shared/data/sk. */
static void test_cac_sk_ground_states(void **state) {
  (void)state;
  FILE *f = po_test_open_data("sk/ground_energies.txt");
  po_backend *b = po_test_open_backend("cim", NULL, NULL);
  char line[256], name[128];
  double ground;
  int count = 0;
  double p_sum = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || sscanf(line, "%127s %lf", name, &ground) != 2) continue;
    char rel[200];
    snprintf(rel, sizeof rel, "sk/%s", name);
    po_ising *m = po_test_load(rel);
    po_anneal_opts o = {.algorithm = "cac", .replicas = 48, .steps = 3000, .seed = 2024};
    po_samples s = {0};
    if (po_backend_ising_anneal(b, m, NULL, &o, &s) != PO_OK) fail_msg("%s", po_last_error());
    double best = INFINITY;
    int hits = 0;
    for (int r = 0; r < s.replicas; r++) {
      assert_true(s.energy[r] >= ground - 1e-9); /* never below the ground state */
      assert_true(fabs(s.energy[r] - po_ising_energy(m, s.spins + (size_t)r * m->n)) < 1e-9);
      best = fmin(best, s.energy[r]);
      hits += s.energy[r] <= ground + 1e-9;
    }
    if (best > ground + 1e-9) fail_msg("%s: CAC best %g, ground %g", name, best, ground);
    p_sum += hits / 48.0;
    count++;
    po_samples_free(&s);
    po_ising_destroy(m);
  }
  fclose(f);
  assert_int_equal(count, 100);
  printf("CAC on SK N<=100: all %d ground states reached; mean per-replica success %.3f\n", count,
         p_sum / count);
  po_backend_close(b);
}

/* CFC and SFC ([R21] in docs/cim.md) with the default [cim] parameters reach
 * the exact ground energy of every SK instance with N <= 30. */
static void fc_sk_ground_states(const char *alg, int R, long K) {
  FILE *f = po_test_open_data("sk/ground_energies.txt");
  po_backend *b = po_test_open_backend("cim", NULL, NULL);
  char line[256], name[128];
  double ground, p_sum = 0, p_min = 1;
  int count = 0, n;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || sscanf(line, "%127s %lf", name, &ground) != 2) continue;
    if (sscanf(name, "SK1_N%d_", &n) != 1 || n > 30) continue;
    char rel[200];
    snprintf(rel, sizeof rel, "sk/%s", name);
    po_ising *m = po_test_load(rel);
    po_anneal_opts o = {.algorithm = alg, .replicas = R, .steps = K, .seed = 2024};
    po_samples s = {0};
    if (po_backend_ising_anneal(b, m, NULL, &o, &s) != PO_OK) fail_msg("%s", po_last_error());
    double best = INFINITY;
    int hits = 0;
    for (int r = 0; r < s.replicas; r++) {
      assert_true(s.energy[r] >= ground - 1e-9);
      assert_true(fabs(s.energy[r] - po_ising_energy(m, s.spins + (size_t)r * m->n)) < 1e-9);
      best = fmin(best, s.energy[r]);
      hits += s.energy[r] <= ground + 1e-9;
    }
    if (best > ground + 1e-9) fail_msg("%s: %s best %g, ground %g", name, alg, best, ground);
    p_sum += (double)hits / R;
    p_min = fmin(p_min, (double)hits / R);
    count++;
    po_samples_free(&s);
    po_ising_destroy(m);
  }
  fclose(f);
  assert_int_equal(count, 30);
  printf("%s on SK N<=30 (%d x %ld): all %d ground states reached; per-replica success mean "
         "%.3f, min %.3f\n",
         alg, R, K, count, p_sum / count, p_min);
  po_backend_close(b);
}
static void test_cfc_sk_ground_states(void **state) {
  (void)state;
  fc_sk_ground_states("cfc", 32, 1000);
}
static void test_sfc_sk_ground_states(void **state) {
  (void)state;
  fc_sk_ground_states("sfc", 64, 1000);
}

static double best_cut(po_backend *b, po_ising *m, int R, long K) {
  po_anneal_opts o = {.algorithm = "cac", .replicas = R, .steps = K, .seed = 7};
  po_samples s = {0};
  if (po_backend_ising_anneal(b, m, NULL, &o, &s) != PO_OK) fail_msg("%s", po_last_error());
  double best = INFINITY;
  for (int r = 0; r < R; r++) best = fmin(best, s.energy[r]);
  po_samples_free(&s);
  return po_ising_cut(m, best);
}

/* G-set with configs/cim-gset.ini: G1 >= 11600, G22 >= 13340 on small budgets. */
static void test_cac_gset(void **state) {
  (void)state;
  po_backend *b = po_test_open_backend("cim", "configs/cim-gset.ini", NULL);
  po_ising *g1 = po_test_load("gset/G1.txt");
  double c1 = best_cut(b, g1, 8, 10000);
  po_ising *g22 = po_test_load("gset/G22.txt");
  double c22 = best_cut(b, g22, 16, 10000);
  printf("CAC G-set: G1 cut %.0f (best known 11624), G22 cut %.0f (best known 13359)\n", c1, c22);
  assert_true(c1 >= 11600);
  assert_true(c22 >= 13340);
  po_ising_destroy(g1);
  po_ising_destroy(g22);
  po_backend_close(b);
}

/* Same seed -> identical samples for 1 and 2 threads, for every algorithm,
 * with noise switched on. */
static void test_threads_reproducible(void **state) {
  (void)state;
  const char *sets[] = {"cim.sigma=0.05", NULL};
  po_backend *b = po_test_open_backend("cim", NULL, sets);
  po_ising *m;
  assert_int_equal(po_ising_generate_sk(60, 3, 1, &m), PO_OK);
  po_ising *mc;
  assert_int_equal(po_ising_to_csr(m, &mc), PO_OK);
  const char *algs[] = {"cac", "ahc", "plain", "cfc", "sfc"};
  for (int q = 0; q < 5; q++) {
    for (int sparse = 0; sparse < 2; sparse++) {
      po_samples s1 = {0}, s2 = {0};
      po_anneal_opts o = {
          .algorithm = algs[q], .replicas = 5, .steps = 400, .seed = 9, .threads = 1};
      const po_ising *mm = sparse ? mc : m;
      assert_int_equal(po_backend_ising_anneal(b, mm, NULL, &o, &s1), PO_OK);
      o.threads = 2;
      assert_int_equal(po_backend_ising_anneal(b, mm, NULL, &o, &s2), PO_OK);
      assert_memory_equal(s1.spins, s2.spins, (size_t)5 * 60);
      assert_memory_equal(s1.energy, s2.energy, 5 * sizeof(double));
      po_samples_free(&s1);
      po_samples_free(&s2);
    }
  }
  po_ising_destroy(m);
  po_ising_destroy(mc);
  po_backend_close(b);
}

/* Ledger: device seconds from round trips, run_s for TTS, costs priced. */
static void test_ledger(void **state) {
  (void)state;
  const char *sets[] = {"cim.ring_length_m=1000", "cim.group_index=1.5",
                        "energy.cim.pump_power_w=2", NULL};
  po_backend *b = po_test_open_backend("cim", NULL, sets);
  po_ising *m;
  assert_int_equal(po_ising_generate_sk(20, 1, 0, &m), PO_OK);
  po_anneal_opts o = {.algorithm = "cac", .replicas = 4, .steps = 100, .seed = 1};
  po_samples s = {0};
  assert_int_equal(po_backend_ising_anneal(b, m, NULL, &o, &s), PO_OK);
  const po_ledger *l = po_backend_ledger(b);
  const double t_rt = 1000 * 1.5 / 299792458.0;
  assert_true(fabs(l->device_s - 4 * 100 * t_rt) < 1e-12);
  assert_true(fabs(l->run_s - 100 * t_rt) < 1e-12);
  const po_ledger_entry *e = po_ledger_find(l, "round_trips");
  assert_non_null(e);
  assert_true(fabs(e->count - 400) < 1e-9);
  assert_true(fabs(e->joules - 2.0 * 400 * t_rt) < 1e-12);
  e = po_ledger_find(l, "feedback_digital_macs");
  assert_non_null(e);
  assert_true(fabs(e->count - 400.0 * 20 * 19) < 1e-6);
  assert_true(fabs(e->joules - 400.0 * 20 * 19 * 4.6e-12) < 1e-15);
  assert_non_null(po_ledger_find(l, "adc_conversions"));
  assert_true(l->wall_s > 0);
  po_samples_free(&s);
  po_ising_destroy(m);
  po_backend_close(b);
}

/* The trajectory callback gets step 0 and every K-th step of the chosen
 * replica, n amplitudes each; recording does not change the results. */
typedef struct {
  long calls, last_step;
  double last_t;
  int n;
  float x0;
} traj_rec;
static void on_traj(void *ctx, long step, double t, const float *x, int n) {
  traj_rec *r = ctx;
  assert_int_equal(step, r->calls * 5);
  r->calls++;
  r->last_step = step;
  r->last_t = t;
  r->n = n;
  r->x0 = x[0];
}
static void test_trajectory(void **state) {
  (void)state;
  po_backend *b = po_test_open_backend("cim", NULL, NULL);
  po_ising *m;
  assert_int_equal(po_ising_generate_sk(30, 2, 0, &m), PO_OK);
  traj_rec rec = {0};
  po_anneal_opts o = {.algorithm = "cac",
                      .replicas = 40,
                      .steps = 100,
                      .seed = 4,
                      .trajectory = on_traj,
                      .trajectory_ctx = &rec,
                      .trajectory_every = 5,
                      .trajectory_replica = 37};
  po_samples s1 = {0}, s2 = {0};
  assert_int_equal(po_backend_ising_anneal(b, m, NULL, &o, &s1), PO_OK);
  assert_int_equal(rec.calls, 21);
  assert_int_equal(rec.last_step, 100);
  assert_true(fabs(rec.last_t - 100 * 0.05) < 1e-9);
  assert_int_equal(rec.n, 30);
  assert_true(fabs(rec.x0) > 0.05); /* amplitudes have grown from 1e-3 */
  o.trajectory = NULL;
  assert_int_equal(po_backend_ising_anneal(b, m, NULL, &o, &s2), PO_OK);
  assert_memory_equal(s1.spins, s2.spins, (size_t)40 * 30);
  o.trajectory = on_traj;
  o.trajectory_replica = 40;
  assert_int_equal(po_backend_ising_anneal(b, m, NULL, &o, &s2), PO_ERR_ARG);
  po_samples_free(&s1);
  po_samples_free(&s2);
  po_ising_destroy(m);
  po_backend_close(b);
}

static void test_errors(void **state) {
  (void)state;
  po_backend *b = po_test_open_backend("cim", NULL, NULL);
  po_ising *m;
  assert_int_equal(po_ising_generate_sk(10, 1, 0, &m), PO_OK);
  po_samples s = {0};
  po_anneal_opts o = {.algorithm = "bogus", .replicas = 2, .steps = 10, .seed = 1};
  assert_int_equal(po_backend_ising_anneal(b, m, NULL, &o, &s), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "cac|ahc"));
  po_backend_close(b);
  /* out-of-range parameter names the key */
  po_params *p;
  assert_int_equal(po_params_create(&p), PO_OK);
  assert_int_equal(po_params_assign(p, "cim.dt=5"), PO_OK);
  assert_int_not_equal(po_backend_open("cim", p, &b), PO_OK);
  assert_non_null(strstr(po_last_error(), "dt"));
  po_params_destroy(p);
  /* CFC / SFC parameters are range-checked too */
  const char *bad_fc[] = {"cim.sfc_k=-1", "cim.cfc_ramp=2", "cim.cfc_beta=-0.1"};
  const char *bad_key[] = {"sfc_k", "cfc_ramp", "cfc_beta"};
  for (int q = 0; q < 3; q++) {
    assert_int_equal(po_params_create(&p), PO_OK);
    assert_int_equal(po_params_assign(p, bad_fc[q]), PO_OK);
    assert_int_not_equal(po_backend_open("cim", p, &b), PO_OK);
    assert_non_null(strstr(po_last_error(), bad_key[q]));
    po_params_destroy(p);
  }
  /* ring too short for N pulses */
  const char *sets[] = {"cim.ring_length_m=1", "cim.pulse_rate_hz=1e9", NULL};
  b = po_test_open_backend("cim", NULL, sets);
  o.algorithm = "cac";
  assert_int_equal(po_backend_ising_anneal(b, m, NULL, &o, &s), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "ring"));
  /* a diverging integration is reported, not returned as a result */
  po_backend_close(b);
  const char *bad[] = {"cim.dt=1", "cim.x_max=0", "cim.eps=1000", NULL};
  b = po_test_open_backend("cim", NULL, bad);
  assert_int_equal(po_backend_ising_anneal(b, m, NULL, &o, &s), PO_ERR_NUMERIC);
  assert_non_null(strstr(po_last_error(), "dt"));
  po_backend_close(b);
  po_ising_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_single_opo_threshold),
      cmocka_unit_test(test_single_opo_heun),
      cmocka_unit_test(test_opo_noise_scaling),
      cmocka_unit_test(test_cac_sk_ground_states),
      cmocka_unit_test(test_cac_gset),
      cmocka_unit_test(test_cfc_sk_ground_states),
      cmocka_unit_test(test_sfc_sk_ground_states),
      cmocka_unit_test(test_threads_reproducible),
      cmocka_unit_test(test_ledger),
      cmocka_unit_test(test_trajectory),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
