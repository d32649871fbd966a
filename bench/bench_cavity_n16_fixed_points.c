/* How many memories can the native N = 16 cavity network hold at most?
 * Native memories are fixed points of the device's dynamics (docs/cavity.md,
 * section 3), so their number bounds the native capacity.  Exhaustive count
 * over all 2^15 states (up to global sign) of the states stable against
 * every single-spin flip (s_i h_i > 0 for all i), for 20 geometries per
 * spread (sigma_A = 0.1 w0), and the same count for SK couplings of the same
 * size (independent Gaussian J_ij, 20 instances) as the baseline in the same
 * run (ratio printed).
 *
 *   build/bench/bench_cavity_n16_fixed_points */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "physopt/memory.h"
#include "physopt/rng.h"

enum { N = 16, INSTANCES = 20 };

static int count_fixed_points(const float *W) {
  int count = 0;
  for (int m = 0; m < (1 << (N - 1)); m++) { /* spin N-1 fixed to -1: one per sign pair */
    int s[N], stable = 1;
    for (int i = 0; i < N; i++) s[i] = (m >> i) & 1 ? 1 : -1;
    for (int i = 0; i < N && stable; i++) {
      double h = 0;
      for (int j = 0; j < N; j++) h += W[i * N + j] * s[j];
      stable = s[i] * h > 0;
    }
    count += stable;
  }
  return count;
}

static void report(const char *name, const int *c, double baseline) {
  double mean = 0;
  int lo = c[0], hi = c[0];
  for (int k = 0; k < INSTANCES; k++) {
    mean += (double)c[k] / INSTANCES;
    lo = c[k] < lo ? c[k] : lo;
    hi = c[k] > hi ? c[k] : hi;
  }
  printf("%-22s %8.2f %5d %5d %10.3f\n", name, mean, lo, hi, baseline > 0 ? mean / baseline : 1.0);
}

int main(void) {
  float W[N * N];
  int c[INSTANCES];
  /* Baseline: SK couplings of the same size. */
  po_rng r;
  po_rng_init(&r, 42, 0x736b, 0);
  for (int k = 0; k < INSTANCES; k++) {
    for (int i = 0; i < N; i++)
      for (int j = 0; j <= i; j++)
        W[i * N + j] = W[j * N + i] = i == j ? 0.0f : (float)(po_rng_normal(&r) / sqrt(N));
    c[k] = count_fixed_points(W);
  }
  double sk = 0;
  for (int k = 0; k < INSTANCES; k++) sk += (double)c[k] / INSTANCES;
  printf("N = %d, %d instances: single-flip-stable states up to global sign\n", N, INSTANCES);
  printf("%-22s %8s %5s %5s %10s\n", "couplings", "mean", "min", "max", "ratio/SK");
  report("SK baseline", c, sk);
  const double spreads[] = {1.0, 1.5, 2.0, 3.0};
  for (int a = 0; a < 4; a++) {
    for (int k = 0; k < INSTANCES; k++) {
      if (po_memory_native(N, spreads[a], 0.1, (uint64_t)k, W)) return 1;
      c[k] = count_fixed_points(W);
    }
    char name[64];
    snprintf(name, sizeof name, "native, spread %.1f w0", spreads[a]);
    report(name, c, sk);
  }
  return 0;
}
