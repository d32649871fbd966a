/* Adiabatic landscape annealing (physics/cim_landscape.c) on Gaussian SK,
 * J_ij ~ N(0, 1/N) (po_ising_generate_sk(n, seed, 1)), against the spectral
 * baseline measured in the same run (sign of the top eigenvector of K = -J).
 *
 * Prints, per N, the mean energy per spin E/N of the final annealed state,
 * of the best state along the anneal and of spectral rounding, the ratio
 * adiabatic/spectral, the Parisi ground-state value -0.7633 (Parisi 1980;
 * Crisanti & Rizzo, PRE 65, 046137, 2002: e_0 = -0.76317), the wall time and the
 * coupling products (MVMs) per anneal, and the wall time per MVM relative
 * to one bare cblas_dgemv of the same shape timed in the same run.
 *
 *   build/bench/bench_cim_adiabatic [--sizes 100,200,500,1000] [--instances 3]
 *                                   [--steps 150] [--out FILE.dat]
 *
 * With --out, one row per N is written (temporary file, then rename):
 *   N instances mean_final sem_final mean_best spectral_mean spectral_sem parisi
 *   wall_s mvm
 * With --trace FILE, the per-pump-step trace of the first instance of the
 * first size is written: a, E_ising/N, E_a/N, RMS gradient, RMS amplitude,
 * flow time. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cblas.h>

#include "core/atomic_file.h"
#include "physopt/physopt.h"
#include "physics/cim_landscape.h"

#define PARISI_E0 (-0.7633)

static double dgemv_seconds(int n) {
  double *A = malloc((size_t)n * n * sizeof *A), *x = malloc(n * sizeof *x),
         *y = malloc(n * sizeof *y);
  for (size_t k = 0; k < (size_t)n * n; k++) A[k] = (double)(k % 7) - 3.0;
  for (int i = 0; i < n; i++) x[i] = 1.0 / (1 + i);
  int reps = (int)(2e8 / ((double)n * n)) + 3;
  double t0 = omp_get_wtime();
  for (int r = 0; r < reps; r++) {
    cblas_dgemv(CblasRowMajor, CblasNoTrans, n, n, 1.0, A, n, x, 1, 0.0, y, 1);
    x[r % n] += 1e-9 * y[(r + 1) % n];
  }
  double dt = (omp_get_wtime() - t0) / reps;
  free(A);
  free(x);
  free(y);
  return dt;
}

static int write_trace(const char *path, const po_cim_adiabatic_trace *tr, int n) {
  po_atomic_file af;
  FILE *f = po_atomic_begin(&af, path) ? NULL : fopen(af.tmp_path, "w");
  if (!f) {
    fprintf(stderr, "%s: %s\n", path, po_last_error());
    po_atomic_abort(&af);
    return 1;
  }
  fprintf(f, "# SK N=%d seed 1, a_c = %.6f\n# a E_ising/N E_soft/N grad_rms amp_rms flow_time\n", n,
          tr->a_c);
  for (int p = 0; p < tr->n_points; p++)
    fprintf(f, "%.6f %.6f %.6f %.3e %.6f %.4f\n", tr->a[p], tr->ising_energy[p] / n,
            tr->soft_energy[p] / n, tr->grad_rms[p], tr->amp_rms[p], tr->flow_time[p]);
  if (fclose(f) != 0) {
    po_atomic_abort(&af);
    perror(path);
    return 1;
  }
  if (po_atomic_commit(&af)) {
    fprintf(stderr, "%s\n", po_last_error());
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  int sizes[16] = {100, 200, 500, 1000}, nsizes = 4, inst = 3, steps = 150;
  const char *out = NULL, *trace_out = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
      nsizes = 0;
      for (char *p = strtok(argv[++i], ","); p && nsizes < 16; p = strtok(NULL, ","))
        sizes[nsizes++] = atoi(p);
    } else if (!strcmp(argv[i], "--instances") && i + 1 < argc) {
      inst = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--steps") && i + 1 < argc) {
      steps = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--trace") && i + 1 < argc) {
      trace_out = argv[++i];
    } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
      out = argv[++i];
    } else {
      fprintf(
          stderr,
          "usage: %s [--sizes N1,N2,..] [--instances K] [--steps S] [--out FILE] [--trace FILE]\n",
          argv[0]);
      return 2;
    }
  }
  if (inst < 1 || steps < 1) {
    fprintf(stderr, "--instances and --steps must be >= 1\n");
    return 2;
  }
  FILE *f = NULL;
  po_atomic_file af = {0};
  if (out) {
    f = po_atomic_begin(&af, out) ? NULL : fopen(af.tmp_path, "w");
    if (!f) {
      fprintf(stderr, "%s: %s\n", out, po_last_error());
      po_atomic_abort(&af);
      return 1;
    }
    fprintf(f,
            "# Gaussian SK J_ij ~ N(0,1/N), E = sum_{i<j} J_ij s_i s_j; adiabatic: n_steps=%d\n"
            "# N instances mean_final sem_final mean_best spectral_mean spectral_sem parisi "
            "wall_s mvm\n",
            steps);
  }
  printf("%6s %4s %10s %10s %10s %9s %8s %9s %9s %10s\n", "N", "inst", "adiab_fin", "adiab_best",
         "spectral", "ratio", "parisi", "wall_s", "mvm", "t/mvm:dgemv");
  for (int si = 0; si < nsizes; si++) {
    const int n = sizes[si];
    if (n < 2) continue;
    double sf = 0, sf2 = 0, sb = 0, ss = 0, ss2 = 0, wall = 0, mvm = 0;
    int8_t *s = malloc(n);
    for (int k = 0; k < inst; k++) {
      po_ising *m = NULL;
      if (po_ising_generate_sk(n, (uint64_t)k + 1, 1, &m) != PO_OK) {
        fprintf(stderr, "sk: %s\n", po_last_error());
        return 1;
      }
      double es = 0, best = 0;
      if (po_spectral_round(m, s, &es) != PO_OK) {
        fprintf(stderr, "spectral: %s\n", po_last_error());
        return 1;
      }
      po_cim_adiabatic_opts o;
      po_cim_adiabatic_opts_default(&o);
      o.n_steps = steps;
      o.seed = (uint64_t)k + 1;
      po_cim_adiabatic_trace tr;
      double t0 = omp_get_wtime();
      if (po_cim_adiabatic_anneal(m, &o, NULL, &best, &tr) != PO_OK) {
        fprintf(stderr, "anneal: %s\n", po_last_error());
        return 1;
      }
      wall += omp_get_wtime() - t0;
      if (trace_out && si == 0 && k == 0 && write_trace(trace_out, &tr, n) != 0) return 1;
      mvm += (double)tr.mvm;
      double e = tr.final_energy / n;
      sf += e;
      sf2 += e * e;
      sb += best / n;
      ss += es / n;
      ss2 += (es / n) * (es / n);
      po_cim_adiabatic_trace_free(&tr);
      po_ising_destroy(m);
    }
    free(s);
    const double mf = sf / inst, ms = ss / inst;
    const double sem_f = inst > 1 ? sqrt(fmax(sf2 / inst - mf * mf, 0) / (inst - 1)) : 0;
    const double sem_s = inst > 1 ? sqrt(fmax(ss2 / inst - ms * ms, 0) / (inst - 1)) : 0;
    const double tg = dgemv_seconds(n);
    printf("%6d %4d %10.4f %10.4f %10.4f %9.3f %8.4f %9.2f %9.0f %10.2f\n", n, inst, mf, sb / inst,
           ms, mf / ms, PARISI_E0, wall / inst, mvm / inst, (wall / mvm) / tg);
    fflush(stdout);
    if (f) {
      fprintf(f, "%d %d %.6f %.6f %.6f %.6f %.6f %.4f %.3f %.0f\n", n, inst, mf, sem_f, sb / inst,
              ms, sem_s, PARISI_E0, wall / inst, mvm / inst);
      fflush(f);
    }
  }
  if (f) {
    if (fclose(f) != 0) {
      po_atomic_abort(&af);
      perror(out);
      return 1;
    }
    if (po_atomic_commit(&af)) {
      fprintf(stderr, "%s\n", po_last_error());
      return 1;
    }
    printf("wrote %s\n", out);
  }
  return 0;
}
