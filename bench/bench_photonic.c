/* Photonic backend speed and the full-data accuracy check.
 *
 * 1. Noisy matmul of 1024x1024 by 1024x256 against cblas_sgemm of the same
 *    shape in the same run (target: <= 2x), for each encoding/detection.
 * 2. One training epoch of the 784-100-100-10 MLP on Fashion-MNIST on the
 *    cpu and photonic backends (ratio).
 * 3. Full training on cpu (default options, 10 epochs): test accuracy must
 *    reach 0.87 (exit status 1 otherwise).
 * PHYSOPT_BENCH_QUICK=1 skips part 3. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "physics/photonic.h"
#include "physopt/learn.h"
#include "physopt/physopt.h"

static double best_of(int reps, void (*fn)(void *), void *ctx) {
  double best = INFINITY;
  for (int r = 0; r < reps; r++) {
    double t0 = omp_get_wtime();
    fn(ctx);
    double dt = omp_get_wtime() - t0;
    if (dt < best) best = dt;
  }
  return best;
}

typedef struct mm_ctx {
  int M, N, K;
  float *A, *B, *C;
  po_photonic_model model;
  po_photonic_ws ws;
  uint64_t call;
} mm_ctx;

static void run_sgemm(void *p) {
  mm_ctx *c = p;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c->M, c->N, c->K, 1.0f, c->A, c->K, c->B,
              c->N, 0.0f, c->C, c->N);
}

static void run_photonic(void *p) {
  mm_ctx *c = p;
  po_photonic_matmul(&c->model, 1, c->call++, 0, 0, c->M, c->N, c->K, 1.0f, c->A, c->K, c->B, c->N,
                     0.0f, c->C, c->N, &c->ws, NULL);
}

static void epoch_cb(void *ctx, int e, double loss, double acc) {
  (void)ctx;
  printf("    epoch %2d  train loss %.4f  train accuracy %.4f\n", e, loss, acc);
  fflush(stdout);
}

int main(void) {
  int status = 0;
  printf("photonic matmul 1024x1024 by 1024x256, best of 7, %d threads\n", omp_get_max_threads());
  mm_ctx c = {.M = 1024, .N = 256, .K = 1024};
  c.A = malloc(sizeof(float) * c.M * c.K);
  c.B = malloc(sizeof(float) * c.K * c.N);
  c.C = malloc(sizeof(float) * c.M * c.N);
  po_rng r;
  po_rng_init(&r, 1, 0, 0);
  for (int i = 0; i < c.M * c.K; i++) c.A[i] = (float)po_rng_normal(&r);
  for (int i = 0; i < c.K * c.N; i++) c.B[i] = po_rng_uniformf(&r); /* activations >= 0 */
  run_sgemm(&c);
  double t_ref = best_of(7, run_sgemm, &c);
  printf("  cblas_sgemm                         %8.2f ms  (%.1f GFLOP/s)\n", 1e3 * t_ref,
         2.0 * c.M * c.N * c.K / t_ref * 1e-9);
  struct {
    const char *label;
    po_ph_encoding enc;
    po_ph_detection det;
    int signed_b;
    int bits_out;
  } cases[] = {
      {"incoherent differential, B >= 0", PO_PH_DIFFERENTIAL, PO_PH_INCOHERENT, 0, 0},
      {"incoherent differential, B signed", PO_PH_DIFFERENTIAL, PO_PH_INCOHERENT, 1, 0},
      {"incoherent differential, 8-bit ADC", PO_PH_DIFFERENTIAL, PO_PH_INCOHERENT, 0, 8},
      {"incoherent offset", PO_PH_OFFSET, PO_PH_INCOHERENT, 0, 0},
      {"homodyne", PO_PH_DIFFERENTIAL, PO_PH_HOMODYNE, 0, 0},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    po_photonic_model_default(&c.model);
    c.model.encoding = cases[k].enc;
    c.model.detection = cases[k].det;
    c.model.bits_out = cases[k].bits_out;
    for (int i = 0; i < c.K * c.N; i++)
      c.B[i] = cases[k].signed_b ? fabsf(c.B[i]) * (i % 2 ? -1.0f : 1.0f) : fabsf(c.B[i]);
    run_photonic(&c);
    double t = best_of(7, run_photonic, &c);
    printf("  %-35s %8.2f ms  ratio %.2fx%s\n", cases[k].label, 1e3 * t, t / t_ref,
           k == 0 ? "  (default; target <= 2x)" : "");
  }
  po_photonic_ws_free(&c.ws);
  free(c.A);
  free(c.B);
  free(c.C);

  po_dataset *tr, *te;
  if (po_dataset_load("fashion-mnist", "train", 0, &tr) ||
      po_dataset_load("fashion-mnist", "test", 0, &te)) {
    printf("Fashion-MNIST not available (%s): skipping training benchmarks\n", po_last_error());
    return status;
  }
  printf("one training epoch, 784-100-100-10, Adam, batch 64, %d images\n", tr->n);
  int sizes[] = {784, 100, 100, 10};
  double t_epoch[2];
  const char *names[] = {"cpu", "photonic"};
  for (int k = 0; k < 2; k++) {
    po_backend *b;
    po_mlp *m;
    po_backend_open(names[k], NULL, &b);
    po_mlp_create(3, sizes, 1, &m);
    po_train_opts o;
    po_train_opts_default(&o);
    o.epochs = 1;
    double t0 = omp_get_wtime();
    po_mlp_train(m, b, tr, &o);
    t_epoch[k] = omp_get_wtime() - t0;
    double acc;
    po_mlp_evaluate(m, b, te, 1000, &acc, NULL);
    printf("  %-9s %6.2f s/epoch  ratio %.2fx  test accuracy after 1 epoch %.4f\n", names[k],
           t_epoch[k], t_epoch[k] / t_epoch[0], acc);
    po_mlp_destroy(m);
    po_backend_close(b);
  }
  const char *quick = getenv("PHYSOPT_BENCH_QUICK");
  if (!(quick && *quick == '1')) {
    printf("full training on cpu (defaults: 10 epochs, Adam lr 1e-3 x 0.8/epoch, batch 64)\n");
    po_backend *b;
    po_mlp *m;
    po_backend_open("cpu", NULL, &b);
    po_mlp_create(3, sizes, 1, &m);
    po_train_opts o;
    po_train_opts_default(&o);
    o.on_epoch = epoch_cb;
    double t0 = omp_get_wtime();
    po_mlp_train(m, b, tr, &o);
    double t = omp_get_wtime() - t0, acc;
    po_mlp_evaluate(m, b, te, 1000, &acc, NULL);
    printf("  test accuracy %.4f after %.1f s  (required >= 0.87: %s)\n", acc, t,
           acc >= 0.87 ? "PASS" : "FAIL");
    if (acc < 0.87) status = 1;
    po_mlp_destroy(m);
    po_backend_close(b);
  }
  po_dataset_destroy(tr);
  po_dataset_destroy(te);
  return status;
}
