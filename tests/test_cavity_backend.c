/* The cavity backend: semiclassical dynamics versus discrete steepest
 * descent in the strong-dissipation, low-noise limit; recall through the
 * registry; pump-ramp annealing of a ferromagnet; the ledger. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "physopt/physopt.h"
#include "physopt/memory.h"

static po_backend *open_cavity(const char *damping, const char *n_atoms, const char *omega_z,
                               const char *duration) {
  po_params *p;
  assert_int_equal(po_params_create(&p), PO_OK);
  po_params_set(p, "cavity.damping", damping);
  po_params_set(p, "cavity.n_atoms", n_atoms);
  po_params_set(p, "cavity.omega_z", omega_z);
  if (duration) po_params_set(p, "cavity.duration", duration);
  po_backend *b = NULL;
  assert_int_equal(po_backend_open("cavity", p, &b), PO_OK);
  po_params_destroy(p);
  return b;
}

/* Runs 20 instances; counts agreements with discrete steepest descent. */
static void compare_orders(po_backend *cav, int *first, int *final, int *order, int *flips) {
  po_backend *cpu = NULL;
  assert_int_equal(po_backend_open("cpu", NULL, &cpu), PO_OK);
  const int n = 16, L = 64;
  *first = *final = *order = *flips = 0;
  for (int k = 0; k < 20; k++) {
    float W[16 * 16];
    int8_t xi[16], a[16], c[16];
    int la[64], lc[64];
    assert_int_equal(po_memory_native(n, 1.5, 0.1, (uint64_t)k, W), PO_OK);
    assert_int_equal(po_memory_patterns_random(n, 1, (uint64_t)k, xi), PO_OK);
    po_rng r;
    po_rng_init(&r, 9, (uint64_t)k, 0);
    assert_int_equal(po_memory_corrupt(n, xi, 0.3, &r, a), PO_OK);
    memcpy(c, a, n);
    po_recall_task t = {.n = n,
                        .W = W,
                        .dynamics = PO_DYN_STEEPEST,
                        .max_sweeps = 100,
                        .seed = 1,
                        .flip_log = la,
                        .flip_log_len = L};
    assert_int_equal(po_backend_recall(cpu, &t, a, 1), PO_OK);
    t.dynamics = PO_DYN_SEMICLASSICAL;
    t.flip_log = lc;
    assert_int_equal(po_backend_recall(cav, &t, c, 1), PO_OK);
    *first += la[0] == lc[0];
    *final += !memcmp(a, c, n);
    *order += !memcmp(la, lc, sizeof la);
    for (int q = 0; q < L && la[q] >= 0; q++) (*flips)++;
  }
  po_backend_close(cpu);
}

static void semiclassical_follows_steepest_descent(void **state) {
  (void)state;
  /* Strong dissipation (Gamma = 20 x precession), low noise (1e9 atoms),
   * bistable ensembles (self-interaction 0.2 x max row sum of |W|), pump
   * lowered geometrically from 20 to 1.01 x threshold: the barrier of every
   * misaligned ensemble shrinks at the same rate, so the one with the
   * largest field flips first, then the fields change (docs/cavity.md).
   * Couplings: native cavity connectivity (continuous values, so the most
   * unstable spin is unique).  Measured: first flip 20/20, final state
   * 19/20, complete flip sequence 18/20; without the self-interaction the
   * complete sequence agrees in 6/20 only (misaligned spins keep the growth
   * they accumulated before an earlier flip changed their fields). */
  po_backend *cav = open_cavity("20", "1e9", "0.05", NULL);
  int first, final, order, flips;
  compare_orders(cav, &first, &final, &order, &flips);
  print_message("semiclassical vs steepest: first flip %d/20, final state %d/20, full order "
                "%d/20 (%d flips)\n",
                first, final, order, flips);
  assert_true(flips > 40); /* the cues really need several flips */
  assert_true(first >= 19);
  assert_true(final >= 17);
  assert_true(order >= 15);
  po_backend_close(cav);
  /* Monostable ensembles (no self-interaction): the order is lost. */
  po_params *p;
  assert_int_equal(po_params_create(&p), PO_OK);
  po_params_set(p, "cavity.n_atoms", "1e9");
  po_params_set(p, "cavity.self_coupling", "0");
  assert_int_equal(po_backend_open("cavity", p, &cav), PO_OK);
  po_params_destroy(p);
  int order0;
  compare_orders(cav, &first, &final, &order0, &flips);
  print_message("without self-interaction: full order %d/20\n", order0);
  assert_true(order0 < order);
  po_backend_close(cav);
  /* Self-interaction derived from the geometry (self_interaction =
   * geometry; spread 1.5 w0 and sigma_A 0.1 w0 are the backend defaults, the
   * geometry of the couplings above): J_ii / rms J_ij = 17.6, i.e. W_self
   * of about 1.2 x the largest row sum of |W| instead of the hand-set 0.2.
   * Barriers then exceed every field until the pump is close to threshold,
   * where the geometric ramp spends little time: with the default duration
   * (200) the full order agrees in 10/20, with a five times slower ramp
   * (duration 1000, used here) in 15/20 (first flip 20/20, final state
   * 16/20; duration 5000: 15/20), against 6/20 without self-interaction. */
  assert_int_equal(po_params_create(&p), PO_OK);
  po_params_set(p, "cavity.n_atoms", "1e9");
  po_params_set(p, "cavity.self_interaction", "geometry");
  po_params_set(p, "cavity.duration", "1000");
  assert_int_equal(po_backend_open("cavity", p, &cav), PO_OK);
  po_params_destroy(p);
  int order_g, first_g, final_g;
  compare_orders(cav, &first_g, &final_g, &order_g, &flips);
  print_message("derived self-interaction: first flip %d/20, final state %d/20, full order %d/20\n",
                first_g, final_g, order_g);
  assert_true(first_g >= 18);
  assert_true(order_g >= 12 && order_g > order0);
  po_backend_close(cav);
}

static void recall_through_registry_and_ledger(void **state) {
  (void)state;
  po_backend *b = open_cavity("20", "1e4", "0.05", "40");
  assert_true(po_backend_caps(b) & PO_CAP_RECALL);
  const int n = 32, P = 2;
  int8_t xi[2 * 32];
  float W[32 * 32];
  assert_int_equal(po_memory_patterns_random(n, P, 3, xi), PO_OK);
  assert_int_equal(po_memory_store(PO_RULE_HEBBIAN, n, P, xi, W), PO_OK);
  po_recall_task t = {.n = n, .W = W, .dynamics = PO_DYN_SEMICLASSICAL, .seed = 2};
  po_recall_stats st;
  assert_int_equal(po_memory_recall_eval(b, &t, P, xi, 0.15, 4, 5, &st, NULL), PO_OK);
  assert_true(st.recall_fraction == 1.0); /* alpha = 1/16, 15% noise: easy */
  const po_ledger *l = po_backend_ledger(b);
  const po_ledger_entry *prep = po_ledger_find(l, "atom_preparation");
  assert_non_null(prep);
  assert_true(prep->count == 8); /* one shot per trial */
  assert_true(fabs(prep->joules - 8 * 1.5e4) < 1e-6);
  assert_non_null(po_ledger_find(l, "pump"));
  assert_true(l->device_s > 0);
  /* glauber on the cavity backend uses the shared kernel. */
  t.dynamics = PO_DYN_GLAUBER;
  assert_int_equal(po_memory_recall_eval(b, &t, P, xi, 0.15, 4, 5, &st, NULL), PO_OK);
  assert_true(st.recall_fraction == 1.0);
  po_backend_close(b);
}

static void sde_integrator(void **state) {
  (void)state;
  /* The stochastic Heun path (solvers/sde.c): easy recall succeeds, and the
   * result is the same for 1 and 2 threads (streams per trial). */
  po_params *p;
  assert_int_equal(po_params_create(&p), PO_OK);
  po_params_set(p, "cavity.integrator", "sde");
  po_params_set(p, "cavity.sde_steps", "4000");
  po_backend *b = NULL;
  assert_int_equal(po_backend_open("cavity", p, &b), PO_OK);
  po_params_destroy(p);
  const int n = 32, P = 2, T = 6;
  int8_t xi[2 * 32], a[6 * 32], c[6 * 32];
  float W[32 * 32];
  assert_int_equal(po_memory_patterns_random(n, P, 3, xi), PO_OK);
  assert_int_equal(po_memory_store(PO_RULE_HEBBIAN, n, P, xi, W), PO_OK);
  po_rng r;
  po_rng_init(&r, 4, 0, 0);
  for (int k = 0; k < T; k++)
    assert_int_equal(po_memory_corrupt(n, xi + (k % P) * n, 0.15, &r, a + k * n), PO_OK);
  memcpy(c, a, sizeof a);
  po_recall_task t = {.n = n, .W = W, .dynamics = PO_DYN_SEMICLASSICAL, .seed = 2, .threads = 1};
  assert_int_equal(po_backend_recall(b, &t, a, T), PO_OK);
  t.threads = 2;
  assert_int_equal(po_backend_recall(b, &t, c, T), PO_OK);
  assert_memory_equal(a, c, sizeof a);
  for (int k = 0; k < T; k++) assert_true(po_memory_overlap(n, xi + (k % P) * n, a + k * n) == 1.0);
  po_backend_close(b);
}

static void anneal_ferromagnet(void **state) {
  (void)state;
  /* Ensembles near the axis couple ferromagnetically: ramping the pump
   * through the superradiant threshold orders them all alike. */
  po_backend *b = open_cavity("20", "1e4", "0.05", "40");
  const int n = 10;
  float W[100], J[100];
  assert_int_equal(po_memory_native(n, 0.3, 0.1, 1, W), PO_OK);
  for (int k = 0; k < 100; k++) J[k] = -W[k];
  po_ising m = {.n = n, .storage = PO_STORAGE_DENSE, .dense = J};
  po_schedule s = {.kind = PO_SCHED_DEFAULT};
  po_anneal_opts o = {.replicas = 4, .steps = 100, .seed = 3};
  po_samples out;
  assert_int_equal(po_backend_ising_anneal(b, &m, &s, &o, &out), PO_OK);
  for (int r = 0; r < 4; r++) {
    int sum = 0;
    for (int i = 0; i < n; i++) sum += out.spins[r * n + i];
    assert_int_equal(abs(sum), n);
  }
  free(out.spins);
  free(out.energy);
  float h[10] = {0};
  m.h = h;
  assert_int_equal(po_backend_ising_anneal(b, &m, &s, &o, &out), PO_ERR_UNSUPPORTED);
  po_backend_close(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(semiclassical_follows_steepest_descent),
      cmocka_unit_test(recall_through_registry_and_ledger),
      cmocka_unit_test(sde_integrator),
      cmocka_unit_test(anneal_ferromagnet),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
