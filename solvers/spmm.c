/* CSR x dense batch product; see spmm.h. */
#include "solvers/spmm.h"

#include <string.h>

void po_spmm_csr(long n, int R, float alpha, const int64_t *row_ptr, const int32_t *col,
                 const float *val, const float *X, float *C) {
#pragma omp parallel for schedule(dynamic, 64)
  for (long i = 0; i < n; i++) {
    float *ci = C + i * R;
    memset(ci, 0, (size_t)R * sizeof *ci);
    for (int64_t k = row_ptr[i]; k < row_ptr[i + 1]; k++) {
      const float v = alpha * val[k];
      const float *xj = X + (long)col[k] * R;
#pragma omp simd
      for (int r = 0; r < R; r++) ci[r] += v * xj[r];
    }
  }
}
