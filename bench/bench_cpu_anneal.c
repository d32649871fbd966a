/* Throughput and quality of the CPU backend's Metropolis SA on G-set graphs.
 *
 * Baseline (measured in the same run): a plain single-threaded Metropolis
 * loop over CSR neighbour lists that recomputes the local field from the
 * neighbour list at every attempt, accepts with exp(), and draws from a
 * xorshift64* generator.  Then the general SA kernel (forced) and the
 * multispin kernel with 1 and 2 threads; flips/s = spin-update attempts per
 * second.  Finally the best cut on G22 and G1 with the recommended defaults
 * (BENCH_REPLICAS, BENCH_SWEEPS override them).
 *
 *   PHYSOPT_DATA=/work/shared/data build/bench/bench_cpu_anneal */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/physopt.h"
#include "backends/cpu/cpu_anneal.h"

/* Recommended defaults for `physopt solve --backend cpu` (docs/cpu-backend.md). */
#define REC_REPLICAS 128
#define REC_SWEEPS   5000

static uint64_t xs_state = 88172645463325252ULL;
static inline uint64_t xorshift64s(void) {
  xs_state ^= xs_state >> 12;
  xs_state ^= xs_state << 25;
  xs_state ^= xs_state >> 27;
  return xs_state * 2685821657736338717ULL;
}

/* (a) the plain loop; returns attempts per second. */
static double plain_loop(const po_ising *m, long sweeps, double *cut_out) {
  const int n = m->n;
  double hot, cold, mx, mn;
  po_ising_coupling_scales(m, &mx, &mn);
  hot = log(2.0) / (2.0 * mx);
  cold = log(100.0) / (2.0 * mn);
  int8_t *s = malloc((size_t)n);
  for (int i = 0; i < n; i++) s[i] = (xorshift64s() >> 63) ? 1 : -1;
  double t0 = omp_get_wtime();
  for (long k = 0; k < sweeps; k++) {
    const double beta = hot * pow(cold / hot, (double)k / (double)(sweeps - 1));
    for (int i = 0; i < n; i++) {
      double f = 0.0;
      for (int64_t e = m->row_ptr[i]; e < m->row_ptr[i + 1]; e++) f += m->val[e] * s[m->col[e]];
      const double dE = -2.0 * s[i] * f;
      if (dE <= 0.0 || (double)(xorshift64s() >> 11) * 0x1.0p-53 < exp(-beta * dE))
        s[i] = (int8_t)-s[i];
    }
  }
  double dt = omp_get_wtime() - t0;
  *cut_out = po_ising_cut(m, po_ising_energy(m, s));
  free(s);
  return (double)sweeps * n / dt;
}

typedef struct measured {
  double flips_per_s, wall, best_cut;
} measured;

static measured kernel_run(const po_ising *m, const char *kernel, int threads, int R, long K) {
  po_anneal_opts o = {.algorithm = "sa", .replicas = R, .steps = K, .seed = 1, .threads = threads};
  po_cpu_extra x = {.kernel = kernel, .final_state = 0};
  po_samples out;
  measured r = {0};
  double t0 = omp_get_wtime();
  if (po_cpu_anneal_ex(NULL, m, NULL, &o, &x, &out) != PO_OK) {
    fprintf(stderr, "bench: %s\n", po_last_error());
    exit(1);
  }
  r.wall = omp_get_wtime() - t0;
  /* multispin lanes are rounded up to 64: R is chosen as a multiple */
  r.flips_per_s = (double)R * m->n * (double)K / r.wall;
  double best = INFINITY;
  for (int i = 0; i < R; i++)
    if (out.energy[i] < best) best = out.energy[i];
  r.best_cut = po_ising_cut(m, best);
  po_samples_free(&out);
  return r;
}

/* Best of three: the machine is shared, so the fastest repetition is the
 * least disturbed one. */
static measured best_of3(const po_ising *m, const char *kernel, int threads, int R, long K) {
  measured best = kernel_run(m, kernel, threads, R, K);
  for (int i = 0; i < 2; i++) {
    measured r = kernel_run(m, kernel, threads, R, K);
    if (r.flips_per_s > best.flips_per_s) best = r;
  }
  return best;
}

static po_ising *load(const char *name) {
  const char *dir = getenv("PHYSOPT_DATA");
  char path[1024];
  snprintf(path, sizeof path, "%s/gset/%s.txt", dir ? dir : "../shared/data", name);
  po_ising *m;
  if (po_ising_read_file(path, NULL, &m) != PO_OK) {
    fprintf(stderr, "bench: %s\n", po_last_error());
    exit(1);
  }
  return m;
}

/* Best cut of `physopt solve`-style runs through the backend with defaults. */
static void quality(const char *name, int R, long K, double best_known) {
  po_ising *m = load(name);
  po_backend *b;
  if (po_backend_open("cpu", NULL, &b) != PO_OK) exit(1);
  po_anneal_opts o = {.algorithm = "sa", .replicas = R, .steps = K, .seed = 1};
  po_samples out;
  double t0 = omp_get_wtime();
  if (po_backend_ising_anneal(b, m, NULL, &o, &out) != PO_OK) {
    fprintf(stderr, "bench: %s\n", po_last_error());
    exit(1);
  }
  double wall = omp_get_wtime() - t0, best = INFINITY, mean = 0;
  for (int i = 0; i < R; i++) {
    if (out.energy[i] < best) best = out.energy[i];
    mean += po_ising_cut(m, out.energy[i]) / R;
  }
  printf("%-4s  sa, %d replicas x %ld sweeps, %d threads: best cut %.0f (best known %.0f), "
         "mean %.1f, %.1f s, %.3g J\n",
         name, R, K, omp_get_max_threads(), po_ising_cut(m, best), best_known, mean, wall,
         po_ledger_total_joules(po_backend_ledger(b)));
  po_samples_free(&out);
  po_backend_close(b);
  po_ising_destroy(m);
}

int main(void) {
  po_ising *m = load("G22");
  printf("G22: n = %d, %ld edges; flips/s = spin-update attempts per second (best of 3)\n", m->n,
         m->n_edges);
  double cut_plain;
  const long plain_sweeps = 3000;
  double base = 0.0;
  for (int i = 0; i < 3; i++) {
    double f = plain_loop(m, plain_sweeps, &cut_plain);
    if (f > base) base = f;
  }
  printf("(a) plain loop, 1 thread:            %10.3e flips/s  ratio 1.00  (cut %.0f after %ld "
         "sweeps)\n",
         base, cut_plain, plain_sweeps);
  measured g1 = best_of3(m, "general", 1, 4, 2000);
  measured g2 = best_of3(m, "general", 2, 4, 2000);
  printf("(b) general kernel, 1 thread:        %10.3e flips/s  ratio %.2f\n", g1.flips_per_s,
         g1.flips_per_s / base);
  printf("    general kernel, 2 threads:       %10.3e flips/s  ratio %.2f (%.2f per thread)\n",
         g2.flips_per_s, g2.flips_per_s / base, g2.flips_per_s / base / 2);
  measured s1 = best_of3(m, "multispin", 1, 64, 5000);
  measured s2 = best_of3(m, "multispin", 2, 128, 5000);
  printf("(c) multispin kernel, 1 thread:      %10.3e flips/s  ratio %.2f\n", s1.flips_per_s,
         s1.flips_per_s / base);
  printf("    multispin kernel, 2 threads:     %10.3e flips/s  ratio %.2f (%.2f per thread)\n",
         s2.flips_per_s, s2.flips_per_s / base, s2.flips_per_s / base / 2);
  po_ising_destroy(m);

  int R = REC_REPLICAS;
  long K = REC_SWEEPS;
  if (getenv("BENCH_REPLICAS")) R = atoi(getenv("BENCH_REPLICAS"));
  if (getenv("BENCH_SWEEPS")) K = atol(getenv("BENCH_SWEEPS"));
  quality("G22", R, K, 13359);
  quality("G1", R, K, 11624);
  return 0;
}
