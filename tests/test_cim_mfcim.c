/* Measurement-feedback CIM, Gaussian-state model (--algorithm mfcim;
 * physics/mfcim.h, backends/cim/cim_mfcim.c, docs/cim.md).
 *
 * Budgets (stated here and in docs/cim.md): the 10 SK instances with N = 20
 * of ../shared/data/sk, 32 replicas x 1000 steps (dt = 0.05) each with the
 * default [cim] mf_* parameters; every instance must reach its ground energy. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "physics/mfcim.h"
#include "physopt/physopt.h"
#include "tests/util/testutil.h"

/* One pulse, J = 0, no pump (p = 0), measurement strength j: the variance
 * u = sigma - 1/2 obeys the Riccati equation du/dt = -2(1+j) u - 2 j u^2, so
 * u(t) = u0 e^{-a t} / (1 + (2 j u0 / a)(1 - e^{-a t})), a = 2(1+j): sigma
 * relaxes to the vacuum value 1/2; the noiseless mean decays as
 * mu0 e^{-(1+j) t}.  g^2 mu^2 terms vanish as mu -> 0 but are present
 * initially, so g = 0 here. */
static void test_vacuum_relaxation(void **state) {
  (void)state;
  const double js[] = {0.0, 0.5, 2.0};
  const double h = 1e-4, t_end = 1.0;
  for (size_t q = 0; q < 3; q++) {
    const double j = js[q], a = 2.0 * (1.0 + j), u0 = 1.5, mu0 = 1.0;
    float mu = (float)mu0, sg = (float)(0.5 + u0);
    const long steps = (long)(t_end / h + 0.5);
    for (long k = 0; k < steps; k++) po_mfcim_step(1, h, 0.0, 0.0, j, 0.0, &mu, &sg, NULL, NULL);
    const double e = exp(-a * t_end);
    const double u = u0 * e / (1.0 + (2.0 * j * u0 / a) * (1.0 - e));
    if (!(fabs((sg - 0.5) - u) < 1e-3 * u + 2e-5))
      fail_msg("j = %g: sigma - 1/2 = %g, analytic %g", j, sg - 0.5, u);
    assert_true(fabs(sg - 0.5) < 0.25);
    assert_true(fabs(mu - mu0 * exp(-(1.0 + j) * t_end)) < 1e-3 * mu0 * exp(-(1.0 + j) * t_end));
  }
  /* In the vacuum (mu = 0, sigma = 1/2) the measurement back-action
   * sqrt(j)(sigma - 1/2) dW vanishes: the state stays there exactly. */
  float mu = 0.0f, sg = 0.5f;
  po_rng r;
  po_rng_init(&r, 1, 2, 3);
  for (int k = 0; k < 1000; k++) {
    const float dw = (float)(0.1 * po_rng_normal(&r));
    po_mfcim_step(1, 0.01, 0.0, 0.01, 1.0, 0.0, &mu, &sg, NULL, &dw);
  }
  assert_true(mu == 0.0f && fabs(sg - 0.5f) < 1e-6);
  /* Measured amplitude: mu + dW / (sqrt(4 j) dt). */
  assert_true(fabs(po_mfcim_measured(1.0f, 0.2f, 0.1, 1.0) - 2.0f) < 1e-6);
}

static po_ising *load_sk(const char *name) {
  char rel[256];
  snprintf(rel, sizeof rel, "sk/%s", name);
  return po_test_load(rel);
}

static void test_sk_n20_ground(void **state) {
  (void)state;
  char path[1024], line[256], name[128];
  snprintf(path, sizeof path, "%s/sk/ground_energies.txt", po_test_data_dir());
  FILE *f = fopen(path, "r");
  if (!f) fail_msg("cannot open %s (set PHYSOPT_DATA)", path);
  po_backend *b = po_test_open_backend("cim", NULL, NULL);
  double ground;
  int count = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || sscanf(line, "%127s %lf", name, &ground) != 2) continue;
    if (!strstr(name, "_N20_")) continue;
    po_ising *m = load_sk(name);
    po_anneal_opts o = {.algorithm = "mfcim", .replicas = 32, .steps = 1000, .seed = 7};
    po_samples s = {0};
    if (po_backend_ising_anneal(b, m, NULL, &o, &s) != PO_OK) fail_msg("%s", po_last_error());
    double best = INFINITY;
    for (int r = 0; r < s.replicas; r++) {
      assert_true(s.energy[r] >= ground - 1e-9);
      best = fmin(best, s.energy[r]);
    }
    if (best > ground + 1e-9) fail_msg("%s: best %g, ground %g", name, best, ground);
    count++;
    po_samples_free(&s);
    po_ising_destroy(m);
  }
  fclose(f);
  assert_int_equal(count, 10);
  /* ledger: one round trip per step and replica */
  const po_ledger *l = po_backend_ledger(b);
  assert_true(l->device_s > 0 && l->run_s > 0);
  po_backend_close(b);
}

/* Same seed => identical spins for 1 and 2 threads, dense and sparse; and the
 * two storages agree with each other to within float rounding (energies). */
static void test_threads_reproducible(void **state) {
  (void)state;
  po_backend *b = po_test_open_backend("cim", NULL, NULL);
  po_ising *m = load_sk("SK1_N20_3.txt"), *mc;
  assert_int_equal(po_ising_to_csr(m, &mc), PO_OK);
  po_ising *ms[2] = {m, mc};
  for (int k = 0; k < 2; k++) {
    po_samples s1 = {0}, s2 = {0};
    po_anneal_opts o = {
        .algorithm = "mfcim", .replicas = 12, .steps = 400, .seed = 5, .threads = 1};
    assert_int_equal(po_backend_ising_anneal(b, ms[k], NULL, &o, &s1), PO_OK);
    o.threads = 2;
    assert_int_equal(po_backend_ising_anneal(b, ms[k], NULL, &o, &s2), PO_OK);
    assert_memory_equal(s1.spins, s2.spins, (size_t)12 * 20);
    for (int r = 0; r < 12; r++) assert_true(s1.energy[r] == s2.energy[r]);
    po_samples_free(&s1);
    po_samples_free(&s2);
  }
  po_ising_destroy(mc);
  po_ising_destroy(m);
  po_backend_close(b);
}

static void test_param_errors(void **state) {
  (void)state;
  const char *bad[] = {"cim.mf_g2=-1", "cim.mf_j0=0", "cim.mf_j_decay=100", "cim.mf_eval_every=0",
                       "cim.mf_lambda=-2"};
  po_ising *m = load_sk("SK1_N10_0.txt");
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    po_params *p;
    assert_int_equal(po_params_create(&p), PO_OK);
    assert_int_equal(po_params_assign(p, bad[k]), PO_OK);
    po_backend *b = NULL;
    int rc = po_backend_open("cim", p, &b);
    if (rc == PO_OK) {
      po_anneal_opts o = {.algorithm = "mfcim", .replicas = 2, .steps = 10, .seed = 1};
      po_samples s = {0};
      rc = po_backend_ising_anneal(b, m, NULL, &o, &s);
      po_samples_free(&s);
      po_backend_close(b);
    }
    po_params_destroy(p);
    assert_int_not_equal(rc, PO_OK);
    char key[64];
    sscanf(bad[k] + 4, "%63[^=]", key);
    if (!strstr(po_last_error(), key)) fail_msg("error does not name %s: %s", key, po_last_error());
  }
  /* zero steps */
  po_backend *b = po_test_open_backend("cim", NULL, NULL);
  po_anneal_opts o = {.algorithm = "mfcim", .replicas = 2, .steps = 0, .seed = 1};
  po_samples s = {0};
  assert_int_not_equal(po_backend_ising_anneal(b, m, NULL, &o, &s), PO_OK);
  po_backend_close(b);
  po_ising_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vacuum_relaxation),
      cmocka_unit_test(test_sk_n20_ground),
      cmocka_unit_test(test_threads_reproducible),
      cmocka_unit_test(test_param_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
