/* po_rng_normal_fill_bm (batched Box-Muller, solvers/rng.c) against N(0, 1):
 * moments, the Kolmogorov-Smirnov distance, the tail mass, independence of
 * the two members of a pair, and bit-identical results for 1 and 2
 * threads.  Every bound is 5 standard errors (or the KS critical value at
 * p = 1e-6), so a correct generator fails with probability < 1e-5 per
 * check; the seed is fixed, so the test is deterministic.  Mutations that
 * fail it (checked by compiling mutated copies of solvers/rng.c): the
 * a^3 sine coefficient off by 1%, the radius sqrt(-1.9 ln u1) instead of
 * sqrt(-2 ln u1), the angle over half the circle.  Too small to detect at
 * this n (also checked): dropping the f^7 and f^9 terms of the ln series. */
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

enum { NS = 2000000 };

static int cmp_float(const void *a, const void *b) {
  const float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

static float *draw(uint64_t seed, long n) {
  float *x = malloc((size_t)n * sizeof *x);
  assert_non_null(x);
  po_rng r;
  po_rng_init(&r, seed, 0, 0);
  /* calls of several lengths, as the backend makes them (one per replica) */
  for (long i = 0; i < n; i += 1000) po_rng_normal_fill_bm(&r, x + i, n - i < 1000 ? n - i : 1000);
  return x;
}

static void test_moments(void **state) {
  (void)state;
  float *x = draw(12345, NS);
  po_test_assert_normal_moments(x, NS);
  free(x);
}

/* One-sample KS distance to Phi; critical value sqrt(-ln(p/2)/2)/sqrt(n)
 * (asymptotic Kolmogorov distribution), p = 1e-6: 2.70 / sqrt(n). */
static void test_kolmogorov_smirnov(void **state) {
  (void)state;
  float *x = draw(777, NS);
  qsort(x, NS, sizeof *x, cmp_float);
  double d = 0;
  for (long i = 0; i < NS; i++) {
    const double F = 0.5 * erfc(-x[i] / sqrt(2.0));
    d = fmax(d, fmax(fabs(F - (double)i / NS), fabs((double)(i + 1) / NS - F)));
  }
  const double crit = sqrt(-log(1e-6 / 2) / 2) / sqrt((double)NS);
  printf("  KS distance %.3e (critical value at p = 1e-6: %.3e), |z| max %.3f\n", d, crit,
         fmax(-x[0], x[NS - 1]));
  assert_true(d < crit);
  free(x);
}

/* The two values of a pair are independent: correlation of z and of z^2
 * (Box-Muller with a wrong radius or angle correlates them). */
static void test_pair_independence(void **state) {
  (void)state;
  float *x = draw(99, NS);
  const long np = NS / 2;
  double c1 = 0, c2 = 0;
  for (long j = 0; j < np; j++) {
    const double a = x[2 * j], b = x[2 * j + 1];
    c1 += a * b;
    c2 += (a * a - 1) * (b * b - 1);
  }
  c1 /= np, c2 /= np * 2.0; /* Var(z0 z1) = 1, Var((z0^2-1)(z1^2-1)) = 4 */
  printf("  pair correlations: z %.5f, z^2 %.5f (5 s.e. %.5f)\n", c1, c2, 5 / sqrt((double)np));
  assert_true(fabs(c1) < 5 / sqrt((double)np));
  assert_true(fabs(c2) < 5 / sqrt((double)np));
  free(x);
}

/* Streams are per replica, so the values cannot depend on the threads that
 * fill them: 64 replicas x 1000 values with 1 and with 2 threads. */
static void fill_replicas(float *x, int threads) {
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int q = 0; q < 64; q++) {
    po_rng r;
    po_rng_init(&r, 2024, 7, (uint64_t)q);
    po_rng_normal_fill_bm(&r, x + (size_t)q * 1001, 1001); /* odd: last pair half used */
  }
}
static void test_threads_identical(void **state) {
  (void)state;
  float *a = malloc(64 * 1001 * sizeof *a), *b = malloc(64 * 1001 * sizeof *b);
  assert_non_null(a);
  assert_non_null(b);
  fill_replicas(a, 1);
  fill_replicas(b, 2);
  assert_memory_equal(a, b, 64 * 1001 * sizeof *a);
  free(a);
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_moments),
      cmocka_unit_test(test_kolmogorov_smirnov),
      cmocka_unit_test(test_pair_independence),
      cmocka_unit_test(test_threads_identical),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
