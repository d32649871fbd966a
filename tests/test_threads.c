/* Thread safety and the thread policy (core/threads.h, docs/design-notes.md):
 * two user threads running different backends at the same time get the
 * same bytes as sequential runs; the caller's OpenBLAS and OpenMP settings
 * survive library calls; errors raised on worker threads reach the caller
 * with their message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cblas.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/threads.h"
#include "physopt/physopt.h"

enum { N = 48, R = 8, MM = 96 };

typedef struct job {
  const char *backend, *algorithm;
  int storage; /* PO_STORAGE_DENSE or PO_STORAGE_CSR */
  int8_t spins[R * N];
  float product[MM * MM];
  int rc;
  char err[256];
} job;

/* Anneals sk:N:7 (or multiplies two fixed matrices when algorithm is
 * NULL) on the job's backend with 2 OpenMP threads. */
static void *run_job(void *arg) {
  job *j = arg;
  po_backend *b = NULL;
  po_ising *m = NULL, *conv = NULL;
  j->rc = po_backend_open(j->backend, NULL, &b);
  if (!j->rc) po_backend_set_seed(b, 11);
  if (!j->rc && j->algorithm) {
    po_samples s;
    j->rc = po_ising_generate_sk(N, 7, 0, &m);
    if (!j->rc && j->storage == PO_STORAGE_CSR) j->rc = po_ising_to_csr(m, &conv);
    po_anneal_opts o = {
        .algorithm = j->algorithm, .replicas = R, .steps = 400, .seed = 5, .threads = 2};
    if (!j->rc) j->rc = po_backend_ising_anneal(b, conv ? conv : m, NULL, &o, &s);
    if (!j->rc) {
      memcpy(j->spins, s.spins, sizeof j->spins);
      po_samples_free(&s);
    }
  } else if (!j->rc) {
    float *A = malloc(sizeof(float) * MM * MM), *B = malloc(sizeof(float) * MM * MM);
    for (int i = 0; i < MM * MM; i++) {
      A[i] = (float)((i * 37) % 101) / 101.0f;
      B[i] = (float)((i * 53) % 97) / 97.0f - 0.5f;
    }
    for (int rep = 0; rep < 20 && !j->rc; rep++)
      j->rc = po_backend_matmul(b, PO_NO_TRANS, PO_NO_TRANS, MM, MM, MM, 1.0f, A, MM, B, MM, 0.0f,
                                j->product, MM);
    free(A);
    free(B);
  }
  if (j->rc) snprintf(j->err, sizeof j->err, "%s", po_last_error());
  po_ising_destroy(conv);
  po_ising_destroy(m);
  po_backend_close(b);
  return NULL;
}

static void init_jobs(job *jobs) {
  memset(jobs, 0, 4 * sizeof *jobs);
  jobs[0].backend = "cpu", jobs[0].algorithm = "sa", jobs[0].storage = PO_STORAGE_DENSE;
  jobs[1].backend = "cim", jobs[1].algorithm = "cac", jobs[1].storage = PO_STORAGE_DENSE;
  jobs[2].backend = "cim", jobs[2].algorithm = "cac", jobs[2].storage = PO_STORAGE_CSR;
  jobs[3].backend = "photonic", jobs[3].algorithm = NULL;
}

static void test_concurrent_equals_sequential(void **state) {
  (void)state;
  job seq[4], par[4];
  init_jobs(seq);
  for (int k = 0; k < 4; k++) {
    run_job(&seq[k]);
    if (seq[k].rc) fail_msg("%s: %s", seq[k].backend, seq[k].err);
  }
  for (int round = 0; round < 3; round++) {
    init_jobs(par);
    pthread_t t[4];
    for (int k = 0; k < 4; k++) assert_int_equal(pthread_create(&t[k], NULL, run_job, &par[k]), 0);
    for (int k = 0; k < 4; k++) pthread_join(t[k], NULL);
    for (int k = 0; k < 4; k++) {
      if (par[k].rc) fail_msg("%s: %s", par[k].backend, par[k].err);
      assert_memory_equal(seq[k].spins, par[k].spins, sizeof seq[k].spins);
      assert_memory_equal(seq[k].product, par[k].product, sizeof seq[k].product);
    }
  }
}

/* The user's OpenBLAS and OpenMP settings are what they were. */
static void test_caller_settings_survive(void **state) {
  (void)state;
  openblas_set_num_threads(2);
  omp_set_num_threads(3);
  job jobs[4];
  init_jobs(jobs);
  for (int k = 0; k < 4; k++) run_job(&jobs[k]);
  assert_int_equal(openblas_get_num_threads(), 2);
  assert_int_equal(omp_get_max_threads(), 3);
}

static void test_blas_regions_nest(void **state) {
  (void)state;
  openblas_set_num_threads(2);
  po_blas_threads_enter(1);
  assert_int_equal(openblas_get_num_threads(), 1);
  po_blas_threads_enter(2); /* nested: the outer count holds */
  assert_int_equal(openblas_get_num_threads(), 1);
  po_blas_threads_leave();
  assert_int_equal(openblas_get_num_threads(), 1);
  po_blas_threads_leave();
  assert_int_equal(openblas_get_num_threads(), 2);
  po_blas_threads_leave(); /* unmatched: ignored */
  assert_int_equal(openblas_get_num_threads(), 2);
}

/* Workers fail at items 5 and 9 (and 13 later): the caller gets item 5's
 * message and location, whatever the thread timing. */
static void test_error_slot_keeps_the_lowest_index(void **state) {
  (void)state;
  for (int threads = 1; threads <= 4; threads++) {
    po_error_slot slot;
    po_error_slot_init(&slot);
    po_error_clear();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int i = 20; i >= 0; i--)
      if (i % 4 == 1 && i > 1)
        po_error_slot_capture(&slot, i, po_error(PO_ERR_NUMERIC, "item %d", i));
    po_error_clear(); /* with one thread the caller ran the items itself */
    assert_int_equal(po_error_slot_raise(&slot), PO_ERR_NUMERIC);
    assert_string_equal(po_last_error(), "item 5");
    assert_non_null(strstr(po_last_error_location(), "test_threads.c:"));
  }
  po_error_slot empty;
  po_error_slot_init(&empty);
  assert_int_equal(po_error_slot_raise(&empty), PO_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_concurrent_equals_sequential),
      cmocka_unit_test(test_caller_settings_survive),
      cmocka_unit_test(test_blas_regions_nest),
      cmocka_unit_test(test_error_slot_keeps_the_lowest_index),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
