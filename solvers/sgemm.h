/* SGEMM whose rounding does not depend on the thread count.
 *
 * C = alpha op(A) op(B) + beta C (row-major, as cblas_sgemm).  The rows of C
 * are cut into chunks whose size depends on M only (about M/8, 16 to 128
 * rows) and each chunk is one single-threaded cblas_sgemm (OpenBLAS threads
 * are set to 1 for the call and restored).  Products of at least 2^24
 * multiply-adds deal the chunks to the OpenMP threads; smaller ones run
 * them in turn.  The same calls happen for any thread count, so the result
 * is bit-identical for any OMP_NUM_THREADS, --threads or
 * OPENBLAS_NUM_THREADS (a whole-matrix multi-threaded OpenBLAS SGEMM is
 * not: its last bits change with OpenBLAS's thread count).
 * OpenBLAS's thread count is process-global: do not run this concurrently
 * with other BLAS calls from other threads. */
#ifndef PHYSOPT_SOLVERS_SGEMM_H
#define PHYSOPT_SOLVERS_SGEMM_H

#ifdef __cplusplus
extern "C" {
#endif

/* Rows per chunk for a product with M rows (shared with the photonic
 * product, physics/photonic.c). */
int po_sgemm_chunk_rows(int M);

void po_sgemm_det(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc);

#ifdef __cplusplus
}
#endif
#endif
