/* Sparse (CSR) times dense products over a batch of replicas.
 *
 * C = alpha A X with A an n x n CSR matrix and X, C n x R row-major (column r
 * = replica r).  Row i of C is alpha sum_k val[k] X[col[k], :], a contiguous
 * length-R axpy per nonzero, so the inner loop vectorises across replicas.
 * Rows are distributed over OpenMP threads; each output element is summed in
 * the same order for any thread count (bit-identical results). */
#ifndef PHYSOPT_SOLVERS_SPMM_H
#define PHYSOPT_SOLVERS_SPMM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void po_spmm_csr(long n, int R, float alpha, const int64_t *row_ptr, const int32_t *col,
                 const float *val, const float *X, float *C);

#ifdef __cplusplus
}
#endif
#endif
