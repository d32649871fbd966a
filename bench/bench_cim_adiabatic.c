/* Adiabatic landscape annealing of the cim backend on Gaussian SK
 * (J_ij ~ N(0, 1/N)): energy per spin of the final state versus N, next to
 * the spectral solution (sign of the top eigenvector of K = -J, i.e. the
 * bifurcation direction) and the Parisi ground-state value -0.7633 (N ->
 * infinity).  Usage: bench_cim_adiabatic [N1 N2 ...] (default 100 200 400
 * 800); prints "N adiabatic spectral" rows (mean over instances) for
 * gnuplot.  Two instances per N (seeds 1, 2), one replica each (the flow
 * is deterministic), 50 pump steps. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "physopt/physopt.h"

static double spectral(const po_ising *m) {
  const int n = m->n;
  double s, mn;
  po_ising_coupling_scales(m, &s, &mn);
  double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
  int8_t *sp = malloc(n);
  for (int i = 0; i < n; i++) x[i] = 1.0 + 0.001 * (i % 7);
  for (int it = 0; it < 2000; it++) {
    double nx = 0;
#pragma omp parallel for reduction(+ : nx)
    for (int i = 0; i < n; i++) {
      double v = s * x[i];
      for (int j = 0; j < n; j++) v -= (double)m->dense[(size_t)i * n + j] * x[j];
      y[i] = v;
      nx += v * v;
    }
    nx = sqrt(nx);
    for (int i = 0; i < n; i++) x[i] = y[i] / nx;
  }
  for (int i = 0; i < n; i++) sp[i] = x[i] < 0 ? -1 : 1;
  double e = po_ising_energy(m, sp);
  free(x), free(y), free(sp);
  return e;
}

int main(int argc, char **argv) {
  int def[] = {100, 200, 400, 800}, nn = argc > 1 ? argc - 1 : 4;
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("# N  adiabatic_E/N  spectral_E/N  (Gaussian SK, mean of 2 instances; Parisi -0.7633)\n");
  for (int q = 0; q < nn; q++) {
    int n = argc > 1 ? atoi(argv[q + 1]) : def[q];
    double ea = 0, es = 0, t0 = omp_get_wtime();
    for (uint64_t seed = 1; seed <= 2; seed++) {
      po_ising *m;
      po_backend *b;
      if (po_ising_generate_sk(n, seed, 1, &m) || po_backend_open("cim", NULL, &b)) {
        fprintf(stderr, "%s\n", po_last_error());
        return 1;
      }
      po_anneal_opts o = {.algorithm = "adiabatic", .replicas = 1, .steps = 50, .seed = 1};
      po_samples s = {0};
      if (po_backend_ising_anneal(b, m, NULL, &o, &s)) {
        fprintf(stderr, "%s\n", po_last_error());
        return 1;
      }
      ea += s.energy[0] / n / 2;
      es += spectral(m) / n / 2;
      po_samples_free(&s);
      po_backend_close(b);
      po_ising_destroy(m);
    }
    printf("%d %.4f %.4f   # %.1f s\n", n, ea, es, omp_get_wtime() - t0);
  }
  return 0;
}
