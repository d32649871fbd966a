/* Throughput of the cim backend, as ratios against baselines measured in
 * the same run:
 *   1. dense SK N = 1000 (Gaussian couplings), 64 replicas, CAC:
 *      replica-steps/s versus cblas_sgemm of the same shape
 *      (1000 x 1000 times 1000 x 64) alone; target >= 80%;
 *   2. sparse G22 (N = 2000, 19990 edges), 64 replicas, CAC with
 *      configs/cim-gset.ini: replica-steps/s; target >= 200,000/s;
 *   3. G1 (16 replicas x 20000 steps) and G22 (256 x 40000) with
 *      configs/cim-gset.ini: best cut, success probability per replica and
 *      TTS99 (device and wall seconds) of reaching the best-known cut
 *      (11624, 13359), next to the cpu backend's SA on the same instance
 *      (reported, not asserted).
 * Usage: bench_cim [steps_dense [steps_sparse [quick]]]; PHYSOPT_DATA points at the
 * shared data.  Timings on a shared 2-core machine are noisy: each figure is
 * the best of 3 repetitions. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "physopt/physopt.h"

static const char *data_dir(void) {
  const char *d = getenv("PHYSOPT_DATA");
  return d && *d ? d : "../shared/data";
}

static po_backend *open_cim(const char *ini) {
  po_params *p;
  if (po_params_create(&p)) return NULL;
  if (ini && po_params_load_ini(p, ini)) {
    fprintf(stderr, "%s\n", po_last_error());
    return NULL;
  }
  po_backend *b = NULL;
  if (po_backend_open("cim", p, &b)) fprintf(stderr, "%s\n", po_last_error());
  po_params_destroy(p);
  return b;
}

/* Best-of-3 wall seconds of one CAC anneal (R replicas, K steps). */
static double g_cpu; /* CPU seconds of the best repetition (all threads) */

static double time_anneal(po_backend *b, const po_ising *m, int R, long K, int threads,
                          double *best_e) {
  double best = INFINITY;
  for (int rep = 0; rep < 3; rep++) {
    po_anneal_opts o = {
        .algorithm = "cac", .replicas = R, .steps = K, .seed = 11, .threads = threads};
    po_samples s = {0};
    double t0 = omp_get_wtime();
    clock_t c0 = clock();
    if (po_backend_ising_anneal(b, m, NULL, &o, &s)) {
      fprintf(stderr, "%s\n", po_last_error());
      exit(1);
    }
    double t = omp_get_wtime() - t0;
    if (t < best) {
      best = t;
      g_cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    }
    if (best_e) {
      *best_e = INFINITY;
      for (int r = 0; r < R; r++) *best_e = fmin(*best_e, s.energy[r]);
    }
    po_samples_free(&s);
  }
  return best;
}

static double time_sgemm(int n, int R, long K) {
  float *J = malloc((size_t)n * n * sizeof *J), *X = malloc((size_t)n * R * sizeof *X),
        *C = malloc((size_t)n * R * sizeof *C);
  for (long k = 0; k < (long)n * n; k++) J[k] = (float)((k * 2654435761u % 1000) / 1000.0 - 0.5);
  for (long k = 0; k < (long)n * R; k++) X[k] = (float)((k % 17) / 17.0 - 0.5);
  double best = INFINITY;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = omp_get_wtime();
    clock_t c0 = clock();
    for (long k = 0; k < K; k++) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, R, n, -1.0f, J, n, X, R, 0.0f, C,
                  R);
      X[k % ((long)n * R)] += C[0] * 1e-9f; /* keep the calls dependent */
    }
    double t = omp_get_wtime() - t0;
    if (t < best) {
      best = t;
      g_cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    }
  }
  free(J), free(X), free(C);
  return best;
}

/* Time to the best-known cut on a G-set graph: CAC with configs/cim-gset.ini
 * (R replicas x K steps) and the cpu backend's SA (R replicas x sa_sweeps)
 * on the same instance in the same run.  Reported per solver: best cut,
 * success probability per replica P, the time of one run (device: K round
 * trips of the simulated ring; wall: this simulation, R replicas sharing the
 * threads, so one replica's wall = wall x threads / R) and TTS99 = t_run
 * ln(0.01) / ln(1 - P) on both clocks. */
static void time_to_target(const char *name, double best_known_cut, long K, int R, long sa_sweeps) {
  char path[1024];
  snprintf(path, sizeof path, "%s/gset/%s.txt", data_dir(), name);
  po_ising *m;
  if (po_ising_read_file(path, NULL, &m)) {
    fprintf(stderr, "%s\n", po_last_error());
    return;
  }
  const int threads = omp_get_max_threads();
  const double target = po_ising_energy_of_cut(m, best_known_cut);
  po_backend *b = open_cim("configs/cim-gset.ini");
  if (!b) return;
  po_anneal_opts o = {.algorithm = "cac", .replicas = R, .steps = K, .seed = 5};
  po_samples s = {0};
  double t0 = omp_get_wtime();
  if (po_backend_ising_anneal(b, m, NULL, &o, &s)) {
    fprintf(stderr, "%s\n", po_last_error());
    return;
  }
  double wall = omp_get_wtime() - t0;
  po_metrics mt;
  const po_ledger *l = po_backend_ledger(b);
  po_metrics_compute(&s, m, 1, target, l->run_s, &mt);
  double run_wall = wall / R * threads;
  printf(
      "%-4s CAC %d x %ld steps: best cut %.0f (best known %.0f), %d/%d replicas hit, P = %.3f; "
      "one run: %.3g s device, %.3g s wall; TTS99 %.3g s device, %.3g s wall; batch wall %.1f s, "
      "E = %.3g J\n",
      name, R, K, po_ising_cut(m, mt.best_energy), best_known_cut,
      (int)lround(mt.success_probability * R), R, mt.success_probability, l->run_s, run_wall,
      mt.tts99_s, po_tts99(run_wall, mt.success_probability), wall, po_ledger_total_joules(l));
  po_samples_free(&s);
  po_backend_close(b);

  /* CPU SA on the same instance, when the cpu backend offers it. */
  po_backend *cpu;
  if (po_backend_open("cpu", NULL, &cpu) == PO_OK) {
    po_anneal_opts oc = {.algorithm = "sa", .replicas = R, .steps = sa_sweeps, .seed = 5};
    po_samples sc = {0};
    t0 = omp_get_wtime();
    if (po_backend_ising_anneal(cpu, m, NULL, &oc, &sc) == PO_OK) {
      double wc = omp_get_wtime() - t0;
      const po_ledger *lc = po_backend_ledger(cpu);
      po_metrics mc;
      po_metrics_compute(&sc, m, 1, target, lc->run_s, &mc);
      printf("%-4s cpu SA %d x %ld sweeps: best cut %.0f, %d/%d replicas hit, P = %.3f; one run "
             "%.3g s; TTS99 %.3g s; batch wall %.1f s, E = %.3g J\n",
             name, R, sa_sweeps, po_ising_cut(m, mc.best_energy),
             (int)lround(mc.success_probability * R), R, mc.success_probability, lc->run_s,
             mc.tts99_s, wc, po_ledger_total_joules(lc));
      po_samples_free(&sc);
    } else {
      printf("%-4s cpu SA not available: %s\n", name, po_last_error());
    }
    po_backend_close(cpu);
  }
  po_ising_destroy(m);
}

int main(int argc, char **argv) {
  long kd = argc > 1 ? atol(argv[1]) : 300, ks = argc > 2 ? atol(argv[2]) : 2000;
  const int R = 64, n = 1000;
  setvbuf(stdout, NULL, _IOLBF, 0);
  int threads = omp_get_max_threads();
  printf("bench_cim: %d OpenMP threads, load average may distort timings\n", threads);

  /* 1. sparse G22 (first: OpenBLAS threads spinning after SGEMM calls would
   * inflate its CPU time) */
  char path[1024];
  po_backend *b;
  snprintf(path, sizeof path, "%s/gset/G22.txt", data_dir());
  po_ising *g22;
  if (po_ising_read_file(path, NULL, &g22)) {
    fprintf(stderr, "%s\n", po_last_error());
    return 1;
  }
  b = open_cim("configs/cim-gset.ini");
  if (!b) return 1;
  for (int th = 1; th <= threads; th++) {
    double t = time_anneal(b, g22, R, ks, th, NULL);
    printf("sparse G22 (CSR, nnz %lld), %d replicas, %ld steps, %d thread(s): %.0f "
           "replica-steps/s (target >= 200,000)\n",
           (long long)g22->row_ptr[g22->n], R, ks, th, R * ks / t);
    printf("  per CPU-second: %.0f replica-steps/s\n", R * ks / g_cpu);
  }
  po_ising_destroy(g22);
  po_backend_close(b);

  /* 2. dense SK N = 1000 */
  po_ising *sk;
  if (po_ising_generate_sk(n, 1, 1, &sk)) {
    fprintf(stderr, "%s\n", po_last_error());
    return 1;
  }
  b = open_cim(NULL);
  if (!b) return 1;
  double t_sgemm = time_sgemm(n, R, kd), c_sgemm = g_cpu;
  double t_cac = time_anneal(b, sk, R, kd, 0, NULL), c_cac = g_cpu;
  double rs_sgemm = R * kd / t_sgemm, rs_cac = R * kd / t_cac;
  printf("dense SK N=%d, %d replicas, %ld steps: CAC %.0f replica-steps/s, SGEMM alone %.0f "
         "replica-steps/s (%.1f GFLOP/s): ratio %.1f%% (target >= 80%%)\n",
         n, R, kd, rs_cac, rs_sgemm, 2.0 * n * n * R * kd / t_sgemm * 1e-9,
         100.0 * rs_cac / rs_sgemm);
  printf("  per CPU-second (includes spin-waiting of idle threads): CAC %.0f, SGEMM %.0f "
         "replica-steps/s: "
         "ratio %.1f%%\n",
         R * kd / c_cac, R * kd / c_sgemm, 100.0 * c_sgemm / c_cac);
  /* the same comparison with one thread each (robust to other load) */
  openblas_set_num_threads(1);
  double t_sgemm1 = time_sgemm(n, R, kd);
  double t_cac1 = time_anneal(b, sk, R, kd, 1, NULL);
  openblas_set_num_threads(threads);
  printf("  one thread each: CAC %.0f, SGEMM %.0f replica-steps/s: ratio %.1f%%\n", R * kd / t_cac1,
         R * kd / t_sgemm1, 100.0 * t_sgemm1 / t_cac1);
  po_ising_destroy(sk);
  po_backend_close(b);

  /* 3. time to target (skipped with a third argument "quick") */
  if (argc > 3 && !strcmp(argv[3], "quick")) return 0;
  time_to_target("G1", 11624, 20000, 16, 2000);
  time_to_target("G22", 13359, 40000, 256, 20000);
  return 0;
}
