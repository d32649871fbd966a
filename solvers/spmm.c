/* CSR x dense batch product; see spmm.h.  Replicas are processed in blocks
 * of 32 columns whose partial sums stay in four 8-float vector registers
 * (GCC/Clang vector extensions) while the nonzeros of a row stream past. */
#include "solvers/spmm.h"

#include <string.h>
#include "core/threads.h"

#define PF 8 /* prefetch distance in nonzeros */

typedef float v8f __attribute__((vector_size(32)));

/* Unaligned 8-float loads/stores as macros (no vector-typed function
 * arguments or results, so no ABI warnings on builds without AVX). */
#define LOAD8(v, p)  memcpy(&(v), (p), sizeof(v8f))
#define STORE8(p, v) memcpy((p), &(v), sizeof(v8f))

/* Row i of C = alpha J X. */
static inline __attribute__((always_inline)) void spmm_row(long i, int R, float alpha,
                                                           const int64_t *row_ptr,
                                                           const int32_t *col, const float *val,
                                                           const float *X, float *C) {
  float *ci = C + i * R;
  const int64_t k0 = row_ptr[i], k1 = row_ptr[i + 1];
  int r0 = 0;
  for (; r0 + 32 <= R; r0 += 32) {
    v8f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    for (int64_t k = k0; k < k1; k++) {
      const float v = val[k];
      const float *xj = X + (long)col[k] * R + r0;
      if (k + PF < k1) { /* rows are visited in random order: prefetch ahead */
        const float *xp = X + (long)col[k + PF] * R + r0;
        __builtin_prefetch(xp);
        __builtin_prefetch(xp + 16);
      }
      v8f x0, x1, x2, x3;
      LOAD8(x0, xj);
      LOAD8(x1, xj + 8);
      LOAD8(x2, xj + 16);
      LOAD8(x3, xj + 24);
      a0 += v * x0;
      a1 += v * x1;
      a2 += v * x2;
      a3 += v * x3;
    }
    a0 *= alpha, a1 *= alpha, a2 *= alpha, a3 *= alpha;
    STORE8(ci + r0, a0);
    STORE8(ci + r0 + 8, a1);
    STORE8(ci + r0 + 16, a2);
    STORE8(ci + r0 + 24, a3);
  }
  for (; r0 + 8 <= R; r0 += 8) {
    v8f a0 = {0};
    for (int64_t k = k0; k < k1; k++) {
      v8f x0;
      LOAD8(x0, X + (long)col[k] * R + r0);
      a0 += val[k] * x0;
    }
    a0 *= alpha;
    STORE8(ci + r0, a0);
  }
  for (; r0 < R; r0++) {
    float acc = 0.0f;
    for (int64_t k = k0; k < k1; k++) acc += val[k] * X[(long)col[k] * R + r0];
    ci[r0] = alpha * acc;
  }
}

void po_spmm_csr(long n, int R, float alpha, const int64_t *row_ptr, const int32_t *col,
                 const float *val, const float *X, float *C) {
  if (po_omp_team_useful()) { /* rows are independent: same result either way */
#pragma omp parallel for schedule(dynamic, 64)
    for (long i = 0; i < n; i++) spmm_row(i, R, alpha, row_ptr, col, val, X, C);
  } else {
    for (long i = 0; i < n; i++) spmm_row(i, R, alpha, row_ptr, col, val, X, C);
  }
}
