/* CSR x dense batch product; see spmm.h.  Replicas are processed in blocks
 * of 32 columns whose partial sums stay in four 8-float vector registers
 * (GCC/Clang vector extensions) while the nonzeros of a row stream past. */
#include "solvers/spmm.h"

#include <string.h>

typedef float v8f __attribute__((vector_size(32)));

static inline v8f load8(const float *p) {
  v8f v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline void store8(float *p, v8f v) {
  memcpy(p, &v, sizeof v);
}

void po_spmm_csr(long n, int R, float alpha, const int64_t *row_ptr, const int32_t *col,
                 const float *val, const float *X, float *C) {
#pragma omp parallel for schedule(dynamic, 64)
  for (long i = 0; i < n; i++) {
    float *ci = C + i * R;
    const int64_t k0 = row_ptr[i], k1 = row_ptr[i + 1];
    int r0 = 0;
    for (; r0 + 32 <= R; r0 += 32) {
      v8f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
      for (int64_t k = k0; k < k1; k++) {
        const float v = val[k];
        const float *xj = X + (long)col[k] * R + r0;
        a0 += v * load8(xj);
        a1 += v * load8(xj + 8);
        a2 += v * load8(xj + 16);
        a3 += v * load8(xj + 24);
      }
      store8(ci + r0, alpha * a0);
      store8(ci + r0 + 8, alpha * a1);
      store8(ci + r0 + 16, alpha * a2);
      store8(ci + r0 + 24, alpha * a3);
    }
    for (; r0 + 8 <= R; r0 += 8) {
      v8f a0 = {0};
      for (int64_t k = k0; k < k1; k++) a0 += val[k] * load8(X + (long)col[k] * R + r0);
      store8(ci + r0, alpha * a0);
    }
    for (; r0 < R; r0++) {
      float acc = 0.0f;
      for (int64_t k = k0; k < k1; k++) acc += val[k] * X[(long)col[k] * R + r0];
      ci[r0] = alpha * acc;
    }
  }
}
