/* Thread-count-independent SGEMM; see sgemm.h. */
#include "solvers/sgemm.h"

#include <cblas.h>
#include <omp.h>
#include "core/threads.h"

#define PAR_MIN_MACS ((double)(1 << 24))

int po_sgemm_chunk_rows(int M) {
  int r = (M + 7) / 8;
  return r < 16 ? 16 : r > 128 ? 128 : r;
}

void po_sgemm_det(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc) {
  if (M <= 0 || N <= 0) return;
  const int R = po_sgemm_chunk_rows(M), chunks = (M + R - 1) / R;
  const int par = (double)M * N * K >= PAR_MIN_MACS && omp_get_max_threads() > 1;
  po_blas_threads_enter(1);
#pragma omp parallel for schedule(static, 1) if (par)
  for (int c = 0; c < chunks; c++) {
    const int i0 = c * R, rows = i0 + R < M ? R : M - i0;
    /* rows i0.. of op(A): rows of A, or columns of A when transposed */
    const float *Ai = trans_a ? A + i0 : A + (long)i0 * lda;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, rows, N, K, alpha, Ai, lda, B, ldb, beta,
                C + (long)i0 * ldc, ldc);
  }
  po_blas_threads_leave();
}
