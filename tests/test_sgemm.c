/* po_sgemm_det (solvers/sgemm.h): every transpose combination against a
 * double-precision reference, chunk edges included (M not a multiple of the
 * chunk), and bit-identical results for 1, 2 and 3 OpenMP threads and 1 or
 * 2 OpenBLAS threads on the shapes of the MLP's products (the whole-matrix
 * multi-threaded cblas_sgemm changes its last bits with OpenBLAS's thread
 * count, which made cpu training depend on the machine's core count). */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "physopt/rng.h"
#include "solvers/sgemm.h"

static float *uniform(size_t n, uint64_t seed) {
  float *v = malloc(n * sizeof *v);
  po_rng r;
  po_rng_init(&r, seed, 0, 0);
  for (size_t i = 0; i < n; i++) v[i] = (float)(2 * po_rng_uniform(&r) - 1);
  return v;
}

/* element (i, k) of op(A), A stored row-major with leading dimension lda */
static double op(const float *A, int lda, int trans, int i, int k) {
  return trans ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
}

static void test_against_reference(void **state) {
  (void)state;
  const int M = 70, N = 23, K = 31; /* 70 rows: chunks of 16, last one 6 */
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++) {
      const int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 2, ldc = N + 5;
      float *A = uniform((size_t)(ta ? K : M) * lda, 1),
            *B = uniform((size_t)(tb ? N : K) * ldb, 2);
      float *C = uniform((size_t)M * ldc, 3), *C0 = malloc((size_t)M * ldc * sizeof *C0);
      memcpy(C0, C, (size_t)M * ldc * sizeof *C0);
      po_sgemm_det(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, 2.0f, C, ldc);
      for (int i = 0; i < M; i++)
        for (int j = 0; j < ldc; j++) {
          double want = C0[(size_t)i * ldc + j]; /* padding untouched */
          if (j < N) {
            double s = 0;
            for (int k = 0; k < K; k++) s += op(A, lda, ta, i, k) * op(B, ldb, tb, k, j);
            want = 0.5 * s + 2.0 * want;
          }
          if (fabs(C[(size_t)i * ldc + j] - want) > 1e-4)
            fail_msg("ta %d tb %d: C[%d][%d] = %g, want %g", ta, tb, i, j, C[(size_t)i * ldc + j],
                     want);
        }
      free(A), free(B), free(C), free(C0);
    }
}

static void test_thread_independent(void **state) {
  (void)state;
  /* forward (W X^T), input gradient (W^T dZ), weight gradient (dZ^T X)
   * of a 784-100 layer at batch 1000 (the first two are >= 2^24 MACs) */
  const struct {
    int ta, tb, M, N, K;
  } sh[] = {{0, 1, 100, 1000, 784}, {1, 0, 784, 1000, 100}, {0, 0, 100, 784, 1000}};
  const int omp_saved = omp_get_max_threads(), blas_saved = openblas_get_num_threads();
  for (size_t s = 0; s < sizeof sh / sizeof *sh; s++) {
    const int M = sh[s].M, N = sh[s].N, K = sh[s].K;
    const int lda = sh[s].ta ? M : K, ldb = sh[s].tb ? K : N;
    float *A = uniform((size_t)M * K, 4), *B = uniform((size_t)K * N, 5);
    float *ref = malloc((size_t)M * N * sizeof *ref), *C = malloc((size_t)M * N * sizeof *C);
    omp_set_num_threads(1);
    openblas_set_num_threads(1);
    po_sgemm_det(sh[s].ta, sh[s].tb, M, N, K, 1, A, lda, B, ldb, 0, ref, N);
    for (int t = 1; t <= 3; t++)
      for (int bt = 1; bt <= 2; bt++) {
        omp_set_num_threads(t);
        openblas_set_num_threads(bt);
        po_sgemm_det(sh[s].ta, sh[s].tb, M, N, K, 1, A, lda, B, ldb, 0, C, N);
        if (memcmp(ref, C, (size_t)M * N * sizeof *C))
          fail_msg("shape %zu: %d OpenMP / %d OpenBLAS threads differ from 1 / 1", s, t, bt);
        assert_int_equal(openblas_get_num_threads(), bt); /* restored */
      }
    free(A), free(B), free(ref), free(C);
  }
  omp_set_num_threads(omp_saved);
  openblas_set_num_threads(blas_saved);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_against_reference),
      cmocka_unit_test(test_thread_independent),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
