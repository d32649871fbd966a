/* The backend registry's query (po_backend_info) and algorithm tables: every
 * backend's declared capabilities match the ops it fills, algorithm tables
 * are well formed, the fallback rule is applied once in the library, and a
 * backend annealing on its fallback gives the fallback's results bit for
 * bit, with the fallback's parameters honoured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "physopt/physopt.h"

static void test_caps_match_ops(void **state) {
  (void)state;
  assert_true(po_backend_count() >= 4);
  for (size_t i = 0; i < po_backend_count(); i++) {
    const po_backend_ops *o = po_backend_ops_at(i);
    const int anneals = o->algorithms && o->algorithms[0].name;
    if (!!(o->caps & PO_CAP_MATMUL) != (o->matmul != NULL))
      fail_msg("%s: PO_CAP_MATMUL does not match its matmul op", o->name);
    if (!!(o->caps & PO_CAP_ISING) != anneals)
      fail_msg("%s: PO_CAP_ISING does not match its algorithm table", o->name);
    if (!!(o->caps & PO_CAP_RECALL) != (o->recall != NULL))
      fail_msg("%s: PO_CAP_RECALL does not match its recall op", o->name);
    if (o->fallback) assert_non_null(po_backend_find(o->fallback));
  }
}

static void test_algorithm_tables(void **state) {
  (void)state;
  for (size_t i = 0; i < po_backend_count(); i++) {
    const po_backend_ops *o = po_backend_ops_at(i);
    for (const po_algorithm *a = o->algorithms; a && a->name; a++) {
      if (!a->run || !a->summary || !*a->summary || a->default_steps < 1)
        fail_msg("%s.%s: run, summary and default_steps >= 1 are required", o->name, a->name);
      for (const po_algorithm *b = o->algorithms; b != a; b++)
        if (!strcmp(a->name, b->name)) fail_msg("%s: algorithm %s twice", o->name, a->name);
    }
  }
}

static void test_info_applies_fallback(void **state) {
  (void)state;
  po_backend_info info;
  assert_int_equal(po_backend_info_get("photonic", &info), PO_OK);
  assert_string_equal(po_backend_info_server(&info, PO_OP_MATMUL), "photonic");
  assert_string_equal(po_backend_info_server(&info, PO_OP_ANNEAL), "cpu");
  assert_string_equal(po_backend_info_server(&info, PO_OP_RECALL), "cpu");
  assert_true(info.caps & PO_CAP_ISING);
  /* the fallback's table, whatever rows it has */
  po_backend_info cpu;
  assert_int_equal(po_backend_info_get("cpu", &cpu), PO_OK);
  char names[256], cpu_names[256];
  assert_string_equal(po_backend_algorithm_names(&info, "|", names, sizeof names),
                      po_backend_algorithm_names(&cpu, "|", cpu_names, sizeof cpu_names));
  assert_non_null(strstr(names, "sa|pt"));
  int has_cpu = 0;
  for (int k = 0; k < info.n_sections; k++) has_cpu |= !strcmp(info.sections[k]->name, "cpu");
  assert_true(has_cpu);

  const po_algorithm *a;
  assert_int_equal(po_backend_algorithm(&info, NULL, &a), PO_OK);
  assert_string_equal(a->name, "sa");
  assert_int_equal(po_backend_algorithm(&info, "cac", &a), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "which anneals on cpu"));
  assert_non_null(strstr(po_last_error(), "valid: sa|pt"));

  assert_int_equal(po_backend_info_get("warp", &info), PO_ERR_NOT_FOUND);
  assert_non_null(strstr(po_last_error(), "cavity"));
}

/* Anneals sk:16:3 on `backend` with cpu.kernel = general. */
static void anneal_on(const char *backend, po_samples *out) {
  po_params *p;
  po_ising *m;
  po_backend *b;
  assert_int_equal(po_params_create(&p), PO_OK);
  assert_int_equal(po_params_set(p, "cpu.kernel", "general"), PO_OK);
  assert_int_equal(po_ising_generate_sk(16, 3, 0, &m), PO_OK);
  assert_int_equal(po_backend_open(backend, p, &b), PO_OK);
  po_anneal_opts o = {.algorithm = "sa", .replicas = 4, .steps = 50, .seed = 9, .threads = 1};
  if (po_backend_ising_anneal(b, m, NULL, &o, out)) fail_msg("%s", po_last_error());
  const po_ledger_entry *e = po_ledger_find(po_backend_ledger(b), "spin_updates");
  assert_non_null(e); /* the fallback's ledger is merged into the caller's */
  assert_true(e->count == 4.0 * 16 * 50);
  po_backend_close(b);
  po_ising_destroy(m);
  po_params_destroy(p);
}

static void test_fallback_anneal_is_the_fallbacks(void **state) {
  (void)state;
  po_samples a, b;
  anneal_on("cpu", &a);
  anneal_on("photonic", &b);
  assert_int_equal(a.replicas, b.replicas);
  assert_memory_equal(a.spins, b.spins, (size_t)a.replicas * a.n);
  assert_memory_equal(a.energy, b.energy, sizeof(double) * a.replicas);
  po_samples_free(&a);
  po_samples_free(&b);
}

/* cpu.kernel reaches the fallback: multispin refuses pt, so the error
 * shows the photonic backend passed the key on. */
static void test_fallback_parameters_reach_the_fallback(void **state) {
  (void)state;
  po_params *p;
  po_ising *m;
  po_backend *b;
  po_samples s;
  assert_int_equal(po_params_create(&p), PO_OK);
  assert_int_equal(po_params_set(p, "cpu.kernel", "multispin"), PO_OK);
  assert_int_equal(po_ising_generate_sk(16, 3, 0, &m), PO_OK);
  assert_int_equal(po_backend_open("photonic", p, &b), PO_OK);
  po_anneal_opts o = {.algorithm = "pt", .replicas = 2, .steps = 5, .seed = 1, .threads = 1};
  assert_int_equal(po_backend_ising_anneal(b, m, NULL, &o, &s), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "multispin supports algorithm sa only"));
  po_backend_close(b);
  po_ising_destroy(m);
  po_params_destroy(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_caps_match_ops),
      cmocka_unit_test(test_algorithm_tables),
      cmocka_unit_test(test_info_applies_fallback),
      cmocka_unit_test(test_fallback_anneal_is_the_fallbacks),
      cmocka_unit_test(test_fallback_parameters_reach_the_fallback),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
