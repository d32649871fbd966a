/* Thread-count-independent SGEMM; see sgemm.h. */
#include "solvers/sgemm.h"

#include <cblas.h>
#include "core/threads.h"

#define PAR_MIN_MACS ((double)(1 << 24))

int po_sgemm_chunk_rows(int M) {
  int r = (M + 7) / 8;
  return r < 16 ? 16 : r > 128 ? 128 : r;
}

/* Rows i0 .. i0 + rows of C: rows of op(A), i.e. rows of A or, transposed,
 * its columns. */
static void sgemm_chunk(int trans_a, int trans_b, int i0, int rows, int N, int K, float alpha,
                        const float *A, int lda, const float *B, int ldb, float beta, float *C,
                        int ldc) {
  const float *Ai = trans_a ? A + i0 : A + (long)i0 * lda;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, rows, N, K, alpha, Ai, lda, B, ldb, beta,
              C + (long)i0 * ldc, ldc);
}

void po_sgemm_det(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc) {
  if (M <= 0 || N <= 0) return;
  const int R = po_sgemm_chunk_rows(M), chunks = (M + R - 1) / R;
  po_blas_threads_enter(1);
  if ((double)M * N * K >= PAR_MIN_MACS && po_omp_team_useful()) {
#pragma omp parallel for schedule(static, 1)
    for (int c = 0; c < chunks; c++)
      sgemm_chunk(trans_a, trans_b, c * R, c * R + R < M ? R : M - c * R, N, K, alpha, A, lda, B,
                  ldb, beta, C, ldc);
  } else { /* the same chunks in turn: the same result for any thread count */
    for (int c = 0; c < chunks; c++)
      sgemm_chunk(trans_a, trans_b, c * R, c * R + R < M ? R : M - c * R, N, K, alpha, A, lda, B,
                  ldb, beta, C, ldc);
  }
  po_blas_threads_leave();
}
