/* Ferromagnet-to-spin-glass crossover of the confocal-cavity connectivity
 * (Marsh et al., PRX 11, 021048, 2021, Sec. III) as the spread of ensemble
 * positions grows: fraction of negative couplings, fraction of frustrated
 * triangles, number of distinct steepest-descent fixed points from random
 * starts and their mutual overlaps |q|.  The baseline in the same run is an
 * SK matrix of the same size (independent Gaussian couplings), whose values
 * the spin-glass side should approach (ratios printed).
 *
 *   build/bench/bench_cavity_crossover [N] [OUT.dat]
 * writes a table (and OUT.dat for docs/figures, plotted by gnuplot). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "physics/cavity.h"
#include "physopt/physopt.h"
#include "physopt/memory.h"

typedef struct stats {
  double neg, frus, distinct, q_abs, e_mean;
} stats;

static void measure(po_backend *cpu, int n, const float *W, uint64_t seed, stats *st) {
  const int R = 64;
  double *K = malloc(sizeof(double) * n * n);
  long neg = 0, tot = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      K[i * n + j] = W[i * n + j];
      if (i != j) tot++, neg += W[i * n + j] < 0;
    }
  st->neg = (double)neg / tot;
  st->frus = po_cavity_frustration(n, K);
  int8_t *s = malloc((size_t)R * n);
  po_memory_patterns_random(n, R, seed, s);
  po_recall_task t = {
      .n = n, .W = W, .dynamics = PO_DYN_STEEPEST, .max_sweeps = 1000, .seed = seed};
  po_backend_recall(cpu, &t, s, R);
  int distinct = 0;
  double qa = 0, em = 0;
  long pairs = 0;
  for (int a = 0; a < R; a++) {
    int dup = 0;
    for (int b = 0; b < a; b++) {
      double q = po_memory_overlap(n, s + (long)a * n, s + (long)b * n);
      qa += fabs(q);
      pairs++;
      if (fabs(fabs(q) - 1) < 1e-12) dup = 1;
    }
    distinct += !dup;
    double e = 0;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) e -= 0.5 * W[i * n + j] * s[a * n + i] * s[a * n + j];
    em += e / n;
  }
  st->distinct = distinct;
  st->q_abs = qa / pairs;
  st->e_mean = em / R;
  free(K);
  free(s);
}

int main(int argc, char **argv) {
  const int n = argc > 1 ? atoi(argv[1]) : 100;
  const char *out = argc > 2 ? argv[2] : NULL;
  const int G = 8;
  po_backend *cpu;
  if (po_backend_open("cpu", NULL, &cpu)) {
    fprintf(stderr, "%s\n", po_last_error());
    return 1;
  }
  float *W = malloc(sizeof(float) * n * n);
  /* Baseline: SK couplings N(0, 1/N). */
  stats sk = {0};
  for (int g = 0; g < G; g++) {
    po_rng r;
    po_rng_init(&r, 77, (uint64_t)g, 0);
    for (int i = 0; i < n; i++) {
      W[i * n + i] = 0;
      for (int j = i + 1; j < n; j++)
        W[i * n + j] = W[j * n + i] = (float)(po_rng_normal(&r) / sqrt(n));
    }
    stats st;
    measure(cpu, n, W, 1000 + g, &st);
    sk.neg += st.neg / G, sk.frus += st.frus / G, sk.distinct += st.distinct / G;
    sk.q_abs += st.q_abs / G, sk.e_mean += st.e_mean / G;
  }
  FILE *f = out ? fopen(out, "w") : NULL;
  printf("confocal cavity, N = %d ensembles, sigma_A = 0.1 w0, %d geometries per spread, 64 "
         "steepest-descent runs each\n",
         n, G);
  printf("%-8s %8s %8s %10s %8s %9s   %s\n", "spread", "neg", "frustr", "distinct", "<|q|>", "E/N",
         "frustration / SK");
  if (f) fprintf(f, "# spread neg frustration distinct q_abs e_per_spin\n");
  const double spreads[] = {0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0};
  for (size_t k = 0; k < sizeof spreads / sizeof spreads[0]; k++) {
    stats m = {0};
    for (int g = 0; g < G; g++) {
      po_memory_native(n, spreads[k], 0.1, (uint64_t)(100 * k + g), W);
      stats st;
      measure(cpu, n, W, 2000 + g, &st);
      m.neg += st.neg / G, m.frus += st.frus / G, m.distinct += st.distinct / G;
      m.q_abs += st.q_abs / G, m.e_mean += st.e_mean / G;
    }
    printf("%-8.2f %8.3f %8.3f %10.1f %8.3f %9.4f   %.3f\n", spreads[k], m.neg, m.frus, m.distinct,
           m.q_abs, m.e_mean, m.frus / sk.frus);
    if (f)
      fprintf(f, "%g %g %g %g %g %g\n", spreads[k], m.neg, m.frus, m.distinct, m.q_abs, m.e_mean);
  }
  printf("%-8s %8.3f %8.3f %10.1f %8.3f %9.4f   1 (baseline: SK, same N)\n", "SK", sk.neg, sk.frus,
         sk.distinct, sk.q_abs, sk.e_mean);
  if (f) fclose(f);
  free(W);
  po_backend_close(cpu);
  return 0;
}
