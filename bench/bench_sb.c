/* Throughput of simulated bifurcation (cpu backend, backends/cpu/cpu_sb.c)
 * and of the Kerr-parametric-oscillator step (cim --algorithm kpo,
 * physics/kpo.h: three coupling products per step, CAC and SB one) as
 * ratios against the CIM CAC step (cim backend) measured in the same run
 * on the same instances and replica counts:
 *   1. dense SK N = 1000 (Gaussian couplings, sk generator seed 1), 64
 *      replicas: replica-steps/s of bsb, dsb and kpo over CAC (cim
 *      defaults), with all threads and with one thread each;
 *   2. sparse G22 (N = 2000, 19990 edges), 64 replicas: the same, CAC with
 *      configs/cim-gset.ini (as bench/bench_cim.c);
 *   3. G22 quality (skipped with "quick"): bsb and dsb, 64 replicas x
 *      steps_quality steps: best cut, success probability per replica of the
 *      best-known cut 13359, TTS99 on the run_s clock (reported, not
 *      asserted; docs/cpu-backend.md compares with Goto et al. 2021).
 * Usage: bench_sb [steps_dense [steps_sparse [quick|steps_quality]]];
 * PHYSOPT_DATA points at the shared data.  Each timing is the best of 3. */
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

static po_backend *open_backend(const char *name, const char *ini) {
  po_params *p;
  if (po_params_create(&p)) return NULL;
  if (ini && po_params_load_ini(p, ini)) {
    fprintf(stderr, "%s\n", po_last_error());
    po_params_destroy(p);
    return NULL;
  }
  po_backend *b = NULL;
  if (po_backend_open(name, p, &b)) fprintf(stderr, "%s\n", po_last_error());
  po_params_destroy(p);
  return b;
}

/* Best-of-3 replica-steps per wall second of one anneal; *per_cpu gets the
 * best replica-steps per CPU second (all threads), which other jobs on the
 * machine disturb less than wall time. */
static double rate(po_backend *b, const po_ising *m, const char *alg, int R, long K, int threads,
                   double *per_cpu) {
  double best = INFINITY, best_cpu = INFINITY;
  for (int rep = 0; rep < 3; rep++) {
    po_anneal_opts o = {
        .algorithm = alg, .replicas = R, .steps = K, .seed = 11, .threads = threads};
    po_samples s = {0};
    const double t0 = omp_get_wtime();
    const clock_t c0 = clock();
    if (po_backend_ising_anneal(b, m, NULL, &o, &s)) {
      fprintf(stderr, "%s\n", po_last_error());
      exit(1);
    }
    best = fmin(best, omp_get_wtime() - t0);
    best_cpu = fmin(best_cpu, (double)(clock() - c0) / CLOCKS_PER_SEC);
    po_samples_free(&s);
  }
  *per_cpu = (double)R * (double)K / best_cpu;
  return (double)R * (double)K / best;
}

static void compare(const char *label, const po_ising *m, const char *cim_ini, int R, long K) {
  po_backend *cpu = open_backend("cpu", NULL), *cim = open_backend("cim", cim_ini);
  if (!cpu || !cim) exit(1);
  const int T = omp_get_max_threads();
  for (int th = T; th >= 1; th = th > 1 ? 1 : 0) {
    double cac_c, bsb_c, dsb_c, kpo_c;
    const double cac = rate(cim, m, "cac", R, K, th, &cac_c);
    const double bsb = rate(cpu, m, "bsb", R, K, th, &bsb_c);
    const double dsb = rate(cpu, m, "dsb", R, K, th, &dsb_c);
    const double kpo = rate(cim, m, "kpo", R, K, th, &kpo_c);
    printf("%s, %d replicas x %ld steps, %d thread(s): CAC %.0f, bSB %.0f (ratio %.2f), dSB %.0f "
           "(ratio %.2f), KPO %.0f (ratio %.2f) replica-steps/s\n",
           label, R, K, th, cac, bsb, bsb / cac, dsb, dsb / cac, kpo, kpo / cac);
    printf("  per CPU second: CAC %.0f, bSB %.0f (ratio %.2f), dSB %.0f (ratio %.2f), KPO %.0f "
           "(ratio %.2f)\n",
           cac_c, bsb_c, bsb_c / cac_c, dsb_c, dsb_c / cac_c, kpo_c, kpo_c / cac_c);
    if (T == 1) break;
  }
  po_backend_close(cpu);
  po_backend_close(cim);
}

static void quality(const po_ising *m, const char *name, double best_known, int R, long K) {
  po_backend *cpu = open_backend("cpu", NULL);
  if (!cpu) exit(1);
  const char *algs[] = {"bsb", "dsb"};
  const double target = po_ising_energy_of_cut(m, best_known);
  for (int a = 0; a < 2; a++) {
    po_backend_ledger_reset(cpu);
    po_anneal_opts o = {.algorithm = algs[a], .replicas = R, .steps = K, .seed = 5};
    po_samples s = {0};
    if (po_backend_ising_anneal(cpu, m, NULL, &o, &s)) {
      fprintf(stderr, "%s\n", po_last_error());
      exit(1);
    }
    const po_ledger *l = po_backend_ledger(cpu);
    po_metrics mt;
    po_metrics_compute(&s, m, 1, target, l->run_s, &mt);
    double mean_cut = 0.0;
    for (int r = 0; r < R; r++) mean_cut += po_ising_cut(m, s.energy[r]) / R;
    printf("%s %s %d x %ld steps: best cut %.0f (best known %.0f), mean cut %.1f, P = %.3f, "
           "one run %.3g s, TTS99 %.3g s, batch wall %.2f s\n",
           name, algs[a], R, K, po_ising_cut(m, mt.best_energy), best_known, mean_cut,
           mt.success_probability, l->run_s, mt.tts99_s, l->wall_s);
    po_samples_free(&s);
  }
  po_backend_close(cpu);
}

int main(int argc, char **argv) {
  const long kd = argc > 1 ? atol(argv[1]) : 300, ks = argc > 2 ? atol(argv[2]) : 2000;
  const int R = 64;
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("bench_sb: %d OpenMP threads, load average may distort timings\n", omp_get_max_threads());
  char path[1024];
  snprintf(path, sizeof path, "%s/gset/G22.txt", data_dir());
  po_ising *g22, *sk;
  if (po_ising_read_file(path, NULL, &g22) || po_ising_generate_sk(1000, 1, 1, &sk)) {
    fprintf(stderr, "%s\n", po_last_error());
    return 1;
  }
  compare("sparse G22", g22, "configs/cim-gset.ini", R, ks);
  compare("dense SK N=1000", sk, NULL, R, kd);
  if (!(argc > 3 && !strcmp(argv[3], "quick"))) {
    const long kq = argc > 3 ? atol(argv[3]) : 10000;
    quality(g22, "G22", 13359, R, kq);
  }
  po_ising_destroy(g22);
  po_ising_destroy(sk);
  return 0;
}
