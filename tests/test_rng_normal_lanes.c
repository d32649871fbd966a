/* po_rng_normal_fill_bm_lanes (solvers/rng.c: many streams advanced in
 * lockstep, written as the columns of a row-major array, the cim device
 * mode's noise path).  The main check is that it gives, bit for bit, what
 * po_rng_normal_fill_bm gives on each stream (times the scale), for any
 * lane count (full and partial chunks of 32 lanes), odd and even n, row
 * strides wider than the lane count and several calls in a row, leaving
 * every stream in the same state; tests/test_rng_normal.c checks that
 * generator against N(0, 1).  The same distribution checks are repeated
 * here on the columns as the backend reads them (moments, tail mass,
 * KS distance, correlation of the two rows of a pair and of neighbouring
 * lanes; 5 standard errors, KS at p = 1e-6), and 1 vs 2 threads filling
 * blocks of lanes are bit-identical. */
#include <math.h>
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "physopt/rng.h"
#include "tests/util/testutil.h"

/* Lanes x n values per call through both paths, for each lane count, n,
 * stride padding and scale; columns beyond the lanes stay untouched. */
static void test_same_bits_as_single_stream(void **state) {
  (void)state;
  const int lane_counts[] = {1, 3, 31, 32, 33, 64, 70};
  const long ns[] = {0, 1, 2, 3, 64, 101, 257};
  const float scales[] = {1.0f, 0.3713f};
  long checked = 0;
  for (size_t a = 0; a < sizeof lane_counts / sizeof *lane_counts; a++)
    for (size_t c = 0; c < sizeof ns / sizeof *ns; c++)
      for (int pad = 0; pad <= 5; pad += 5)
        for (size_t d = 0; d < 2; d++) {
          const int L = lane_counts[a];
          const long n = ns[c], ld = L + pad;
          const float sc = scales[d];
          po_rng *r1 = malloc((size_t)L * sizeof *r1), *r2 = malloc((size_t)L * sizeof *r2);
          float *x = malloc((size_t)(n + 1) * (size_t)ld * sizeof *x);
          float *z = malloc((size_t)(n + 1) * sizeof *z);
          assert_non_null(r1);
          assert_non_null(r2);
          assert_non_null(x);
          assert_non_null(z);
          for (int q = 0; q < L; q++) {
            po_rng_init(&r1[q], 4242, (uint64_t)L, (uint64_t)q);
            r2[q] = r1[q];
          }
          /* consecutive calls of different lengths continue the streams */
          const long lens[3] = {n, (n + 1) / 2, n};
          for (int call = 0; call < 3; call++) {
            const long mm = lens[call];
            for (long k = 0; k < (n + 1) * ld; k++) x[k] = -99.0f;
            po_rng_normal_fill_bm_lanes(r1, L, x, mm, ld, sc);
            for (int q = 0; q < L; q++) {
              po_rng_normal_fill_bm(&r2[q], z, mm);
              for (long i = 0; i < mm; i++) {
                const float want = sc * z[i];
                assert_memory_equal(&x[i * ld + q], &want, sizeof want);
                checked++;
              }
            }
            for (long i = 0; i <= n; i++)
              for (long q = (i < mm ? L : 0); q < ld; q++) assert_true(x[i * ld + q] == -99.0f);
            for (int q = 0; q < L; q++) assert_memory_equal(r1[q].s, r2[q].s, sizeof r1[q].s);
          }
          free(r1), free(r2), free(x), free(z);
        }
  printf("  %ld values bit-identical to po_rng_normal_fill_bm\n", checked);
  assert_true(checked > 100000);
}

enum { LANES = 64, ROWS = 31250, NS = LANES * ROWS }; /* 2 x 10^6 values */

/* The backend's use: blocks of 32 lanes (replicas), row stride 32, calls
 * of ROWS / 10 rows; x[(b ROWS + i) 32 + q] for block b. */
static float *draw(uint64_t seed) {
  float *x = malloc((size_t)NS * sizeof *x);
  assert_non_null(x);
  po_rng r[LANES];
  for (int q = 0; q < LANES; q++) po_rng_init(&r[q], seed, 0, (uint64_t)q);
  for (int b = 0; b < LANES / 32; b++)
    for (long i = 0; i < ROWS; i += ROWS / 10)
      po_rng_normal_fill_bm_lanes(r + 32 * b, 32, x + ((size_t)b * ROWS + (size_t)i) * 32,
                                  ROWS / 10, 32, 1.0f);
  return x;
}

static int cmp_float(const void *a, const void *b) {
  const float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

static void test_moments(void **state) {
  (void)state;
  float *x = draw(12345);
  po_test_assert_normal_moments(x, NS);
  free(x);
}

static void test_kolmogorov_smirnov(void **state) {
  (void)state;
  float *x = draw(777);
  qsort(x, NS, sizeof *x, cmp_float);
  double d = 0;
  for (long i = 0; i < NS; i++) {
    const double F = 0.5 * erfc(-x[i] / sqrt(2.0));
    d = fmax(d, fmax(fabs(F - (double)i / NS), fabs((double)(i + 1) / NS - F)));
  }
  const double crit = sqrt(-log(1e-6 / 2) / 2) / sqrt((double)NS);
  printf("  KS distance %.3e (critical value at p = 1e-6: %.3e)\n", d, crit);
  assert_true(d < crit);
  free(x);
}

/* Rows 2j and 2j+1 of a lane (the two values of one pair) and lanes q and
 * q+1 of a row (two streams drawn in lockstep) are uncorrelated, in z and
 * in z^2. */
static void test_pair_and_lane_independence(void **state) {
  (void)state;
  float *x = draw(99);
  double p1 = 0, p2 = 0, l1 = 0, l2 = 0;
  long np = 0, nl = 0;
  for (int b = 0; b < LANES / 32; b++)
    for (long i = 0; i + 1 < ROWS; i++) {
      const float *row = x + ((size_t)b * ROWS + (size_t)i) * 32;
      for (int q = 0; q < 32; q++) {
        const double a = row[q];
        const long ic = i % (ROWS / 10);         /* row within its call */
        if (ic % 2 == 0 && ic + 1 < ROWS / 10) { /* first row of a pair */
          const double c = row[32 + q];
          p1 += a * c, p2 += (a * a - 1) * (c * c - 1), np++;
        }
        if (q + 1 < 32) {
          const double c = row[q + 1];
          l1 += a * c, l2 += (a * a - 1) * (c * c - 1), nl++;
        }
      }
    }
  p1 /= np, p2 /= np * 2.0, l1 /= nl, l2 /= nl * 2.0;
  printf("  pair correlations: z %.5f, z^2 %.5f (5 s.e. %.5f); neighbouring lanes: z %.5f, z^2 "
         "%.5f (5 s.e. %.5f)\n",
         p1, p2, 5 / sqrt((double)np), l1, l2, 5 / sqrt((double)nl));
  assert_true(fabs(p1) < 5 / sqrt((double)np));
  assert_true(fabs(p2) < 5 / sqrt((double)np));
  assert_true(fabs(l1) < 5 / sqrt((double)nl));
  assert_true(fabs(l2) < 5 / sqrt((double)nl));
  free(x);
}

/* Blocks of 32 lanes filled by 1 and by 2 threads: the same bits. */
static void fill_blocks(float *x, int threads) {
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int b = 0; b < 4; b++) {
    po_rng r[32];
    for (int q = 0; q < 32; q++) po_rng_init(&r[q], 2024, 7, (uint64_t)(32 * b + q));
    po_rng_normal_fill_bm_lanes(r, 32, x + (size_t)b * 1001 * 32, 1001, 32, 0.5f);
  }
}
static void test_threads_identical(void **state) {
  (void)state;
  float *a = malloc(4 * 1001 * 32 * sizeof *a), *b = malloc(4 * 1001 * 32 * sizeof *b);
  assert_non_null(a);
  assert_non_null(b);
  fill_blocks(a, 1);
  fill_blocks(b, 2);
  assert_memory_equal(a, b, 4 * 1001 * 32 * sizeof *a);
  free(a);
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_bits_as_single_stream),
      cmocka_unit_test(test_moments),
      cmocka_unit_test(test_kolmogorov_smirnov),
      cmocka_unit_test(test_pair_and_lane_independence),
      cmocka_unit_test(test_threads_identical),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
