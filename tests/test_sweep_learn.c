/* Learning runs in sweeps (run.task = eval | train) through the physopt
 * binary ($BUILD/physopt), on a synthetic 4-class image set written here
 * in the MNIST IDX layout (8 x 8 images, class k lights quadrant k):
 *  - an eval sweep over backend x photons/MAC: the cpu runs' accuracy
 *    equals the library's exact evaluation, the MAC count equals the
 *    analytic count, and shot noise at 0.01 photons/MAC costs accuracy
 *    while 1000 photons/MAC recovers the exact result;
 *  - report --json: group means and bootstrap intervals against the runs
 *    read back from HDF5, and accuracy_vs_photons.png;
 *  - shards and thread counts give identical results; --resume after
 *    adding a value runs only the new runs;
 *  - train runs learn the set, with identical results for 1 and 2 threads;
 *  - every run is validated before the first starts;
 *  - MPI (make MPI=1 and mpirun): -np 1 and -np 2 give identical runs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <hdf5.h>
#include "io/h5.h"
#include "physopt/learn.h"
#include "physopt/physopt.h"
#include "physopt/rng.h"
#include "physopt/sweep.h"
#include "tests/util/testutil.h"

#define SIDE     8
#define N_TRAIN  800
#define N_TEST   400
#define MAX_RUNS 64

static char dir[256], bin[512], data_dir[300], model[300], origin[4096];

/* ---- synthetic data set ---------------------------------------------------- */

static void put_be32(FILE *f, uint32_t v) {
  unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
                        (unsigned char)v};
  fwrite(b, 1, 4, f);
}

/* Class k: quadrant k bright (200 +- 40), the rest dim (40 +- 40). */
static int write_split(const char *prefix, int n, uint64_t seed) {
  char path[400];
  snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte", data_dir, prefix);
  FILE *fi = fopen(path, "wb");
  snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte", data_dir, prefix);
  FILE *fl = fopen(path, "wb");
  if (!fi || !fl) return -1;
  put_be32(fi, 0x803);
  put_be32(fi, (uint32_t)n);
  put_be32(fi, SIDE);
  put_be32(fi, SIDE);
  put_be32(fl, 0x801);
  put_be32(fl, (uint32_t)n);
  po_rng r;
  po_rng_init(&r, seed, 0, 0);
  for (int i = 0; i < n; i++) {
    int k = (int)po_rng_below(&r, 4);
    for (int y = 0; y < SIDE; y++)
      for (int x = 0; x < SIDE; x++) {
        int q = (y >= SIDE / 2) * 2 + (x >= SIDE / 2);
        double v = (q == k ? 200 : 40) + 40 * (2 * po_rng_uniform(&r) - 1);
        fputc((int)fmin(255, fmax(0, v)), fi);
      }
    fputc(k, fl);
  }
  return fclose(fi) | fclose(fl);
}

static int setup(void **state) {
  (void)state;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  /* the binary's path is resolved before the chdir below */
  if (po_test_cli_workdir("sweep-learn", bin, sizeof bin, dir, sizeof dir)) return -1;
  /* Work inside the scratch directory and name the data set and model
   * relatively in sweep files: their run ids, and so their seeds, are then
   * the same on every execution (an absolute mkdtemp path would make them
   * random, and a bound on a trained accuracy a matter of luck). */
  if (!getcwd(origin, sizeof origin) || chdir(dir)) return -1;
  snprintf(data_dir, sizeof data_dir, "%s/data", dir);
  if (mkdir(data_dir, 0777) || write_split("train", N_TRAIN, 1) || write_split("t10k", N_TEST, 2))
    return -1;
  snprintf(model, sizeof model, "%s/m.h5", dir);
  char *args[] = {"train", "--data", data_dir, "--layers", "64-16-10", "--epochs", "4", "--lr",
                  "0.01",  "--seed", "3",      "--out",    model,      "--json",   NULL};
  return po_test_physopt(args, "/dev/null", NULL) ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  return chdir(origin) == 0 && po_test_remove_workdir(dir) == 0 ? 0 : -1;
}

/* ---- reading the runs back ---------------------------------------------------- */

typedef struct lruns {
  size_t n;
  uint64_t id[MAX_RUNS];
  po_h5_learn_run r[MAX_RUNS];
} lruns;

static herr_t collect(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)info;
  lruns *L = data;
  uint64_t id;
  if (po_sweep_id_parse(name, &id) || L->n >= MAX_RUNS) return -1;
  hid_t rg = H5Gopen2(g, name, H5P_DEFAULT);
  if (rg < 0) return -1;
  int rc = po_h5_read_learn_run(rg, &L->r[L->n]);
  H5Gclose(rg);
  if (rc) return -1;
  L->id[L->n++] = id;
  return 0;
}

static void read_runs(const char *path, lruns *L) {
  memset(L, 0, sizeof *L);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(f >= 0);
  hid_t g = H5Gopen2(f, "runs", H5P_DEFAULT);
  assert_true(g >= 0);
  assert_true(H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, collect, L) >= 0);
  H5Gclose(g);
  H5Fclose(f);
}

/* Same ids (name order) and bit-identical accuracies, losses and counts. */
static void assert_same(const lruns *a, const lruns *b) {
  assert_int_equal(a->n, b->n);
  for (size_t i = 0; i < a->n; i++) {
    assert_true(a->id[i] == b->id[i]);
    assert_true(a->r[i].test_accuracy == b->r[i].test_accuracy);
    assert_true(a->r[i].test_loss == b->r[i].test_loss);
    assert_true(a->r[i].macs == b->r[i].macs);
    assert_true(a->r[i].seed == b->r[i].seed);
  }
}

/* The eval sweep: cpu and photonic at two photon budgets, 3 repeats. */
static void write_eval_sweep(const char *path, const char *photons) {
  char text[2048];
  snprintf(text, sizeof text,
           "[sweep]\nseed = 11\nrepeats = 3\n[run]\ntask = eval\nmodel = m.h5\ndata = data\n"
           "backend = cpu, photonic\n[photonic]\nphotons_per_mac = %s\n",
           photons);
  po_test_write_text(path, text);
}

static void exact_accuracy(double *acc, double *loss, double *macs_per_eval) {
  po_mlp *m;
  po_dataset *te;
  po_backend *b;
  assert_int_equal(po_mlp_load(model, &m), PO_OK);
  assert_int_equal(po_dataset_load(data_dir, "test", 0, &te), PO_OK);
  assert_int_equal(po_backend_open("cpu", NULL, &b), PO_OK);
  assert_int_equal(po_mlp_evaluate(m, b, te, 1000, acc, loss), PO_OK);
  double per_image = 0;
  for (int l = 0; l < m->n_layers; l++) per_image += (double)m->sizes[l] * m->sizes[l + 1];
  *macs_per_eval = per_image * te->n;
  po_backend_close(b);
  po_dataset_destroy(te);
  po_mlp_destroy(m);
}

static lruns ref; /* the eval sweep, one process */

static void test_eval_sweep(void **state) {
  (void)state;
  char ini[400], out[400];
  snprintf(ini, sizeof ini, "%s/eval.ini", dir);
  snprintf(out, sizeof out, "%s/eval.h5", dir);
  write_eval_sweep(ini, "0.01, 1000");
  char *args[] = {"sweep", ini, "--out", out, NULL};
  assert_int_equal(po_test_physopt(args, NULL, NULL), 0);
  read_runs(out, &ref);
  /* (cpu + photonic x 2 budgets) x 3 repeats: the photon budget is a
   * photonic setting, so it does not multiply the cpu runs (issue 12
   * item 10; they used to run twice, under two ids). */
  assert_int_equal(ref.n, 9);
  double acc, loss, macs;
  exact_accuracy(&acc, &loss, &macs);
  assert_true(acc > 0.9); /* the set is easy: training worked */
  double mean_low = 0, mean_high = 0;
  for (size_t i = 0; i < ref.n; i++) {
    const po_h5_learn_run *r = &ref.r[i];
    assert_string_equal(r->task, "eval");
    assert_int_equal(r->test_samples, N_TEST);
    assert_true(r->macs == macs);
    if (!strcmp(r->backend, "cpu")) {
      assert_true(r->test_accuracy == acc && fabs(r->test_loss - loss) < 1e-12);
      assert_true(isnan(r->photons_per_mac));
    } else if (r->photons_per_mac == 0.01) {
      mean_low += r->test_accuracy / 3;
    } else {
      assert_true(r->photons_per_mac == 1000);
      mean_high += r->test_accuracy / 3;
      assert_true(r->optical_energy_per_mac_j > 0);
    }
  }
  print_message("exact %.4f, photonic 1000 photons/MAC %.4f, 0.01 photons/MAC %.4f\n", acc,
                mean_high, mean_low);
  assert_true(fabs(mean_high - acc) < 0.03);
  assert_true(mean_low < acc - 0.2);
}

static void test_report(void **state) {
  (void)state;
  char out[400], txt[400], plots[400], png[450];
  snprintf(out, sizeof out, "%s/eval.h5", dir);
  snprintf(txt, sizeof txt, "%s/report.json", dir);
  snprintf(plots, sizeof plots, "%s/plots", dir);
  char *args[] = {"report", out, "--json", "--by", "backend,photons", "--plots", plots, NULL};
  assert_int_equal(po_test_physopt(args, txt, NULL), 0);
  FILE *f = fopen(txt, "r");
  assert_non_null(f);
  static char text[1 << 18];
  size_t len = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[len] = '\0';
  const char *p = strstr(text, "\"learning_groups\"");
  assert_non_null(p);
  /* Groups in order cpu ("-"), photonic 0.01, photonic 1000. */
  const char *backend[] = {"cpu", "photonic", "photonic"};
  const double photons[] = {NAN, 0.01, 1000};
  for (int gi = 0; gi < 3; gi++) {
    double sum = 0, lo = 1, hi = 0;
    int n = 0;
    for (size_t i = 0; i < ref.n; i++) {
      const po_h5_learn_run *r = &ref.r[i];
      if (strcmp(r->backend, backend[gi])) continue;
      if (!isnan(photons[gi]) && r->photons_per_mac != photons[gi]) continue;
      sum += r->test_accuracy;
      lo = fmin(lo, r->test_accuracy);
      hi = fmax(hi, r->test_accuracy);
      n++;
    }
    assert_true(po_test_json_next(&p, "runs") == 3);
    double mean = po_test_json_next(&p, "test_accuracy");
    double clo = po_test_json_next(&p, "test_accuracy_lo"),
           chi = po_test_json_next(&p, "test_accuracy_hi");
    assert_true(fabs(mean - sum / n) < 1e-12);
    /* A bootstrap interval of a mean lies within the range of the values. */
    assert_true(clo >= lo - 1e-12 && chi <= hi + 1e-12 && clo <= mean && mean <= chi);
  }
  snprintf(png, sizeof png, "%s/accuracy_vs_photons.png", plots);
  struct stat sb;
  if (access("/usr/bin/gnuplot", X_OK) == 0) assert_true(stat(png, &sb) == 0 && sb.st_size > 1000);
}

static void test_shards_threads_resume(void **state) {
  (void)state;
  char ini[400], out[400], s[16];
  snprintf(ini, sizeof ini, "%s/eval.ini", dir);
  snprintf(out, sizeof out, "%s/shards.h5", dir);
  for (int i = 0; i < 2; i++) { /* shard 1/2 with 1 thread, shard 0/2 with 2 */
    snprintf(s, sizeof s, "%d/2", 1 - i);
    char *args[] = {"sweep", ini, "--out", out, "--shard", s, "--threads", i ? "2" : "1", NULL};
    assert_int_equal(po_test_physopt(args, NULL, NULL), 0);
  }
  lruns got;
  read_runs(out, &got);
  assert_same(&ref, &got);

  /* One more budget: --resume runs only its 3 photonic runs (the cpu runs
   * do not depend on photonic.photons_per_mac; they used to be rerun). */
  snprintf(out, sizeof out, "%s/resume.h5", dir);
  char *args[] = {"sweep", ini, "--out", out, NULL};
  assert_int_equal(po_test_physopt(args, NULL, NULL), 0);
  write_eval_sweep(ini, "0.01, 1000, 10");
  char json[400];
  snprintf(json, sizeof json, "%s/resume.json", dir);
  char *args2[] = {"sweep", ini, "--out", out, "--resume", "--json", NULL};
  assert_int_equal(po_test_physopt(args2, json, NULL), 0);
  FILE *f = fopen(json, "r");
  char text[2048];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  const char *p = text;
  assert_true(po_test_json_next(&p, "runs_total") == 12);
  assert_true(po_test_json_next(&p, "runs_done_before") == 9);
  assert_true(po_test_json_next(&p, "runs_run_now") == 3);
  read_runs(out, &got);
  assert_int_equal(got.n, 12);
  write_eval_sweep(ini, "0.01, 1000");
}

static void test_train_sweep(void **state) {
  (void)state;
  char ini[400], text[1024];
  snprintf(ini, sizeof ini, "%s/train.ini", dir);
  /* The data set is named relatively (setup), so these four runs have the
   * same seeds on every execution.  Batch 16 (75 Adam steps at 400
   * samples): all of 2000 seeds tried (physopt train --seed) and 600 sweep
   * runs reach accuracy 1.0; at the default batch of 64 (21 steps) 9 of
   * 200 seeds stopped below 0.9. */
  snprintf(text, sizeof text,
           "[sweep]\nseed = 5\nrepeats = 2\n[run]\ntask = train\ndata = data\nlayers = 64-16-10\n"
           "epochs = 3\nbatch = 16\nlr = 0.01\ntrain_samples = 400, 800\n");
  po_test_write_text(ini, text);
  lruns a, b;
  for (int t = 1; t <= 2; t++) {
    char out[400], th[16];
    snprintf(out, sizeof out, "%s/train%d.h5", dir, t);
    snprintf(th, sizeof th, "%d", t);
    char *args[] = {"sweep", ini, "--out", out, "--threads", th, NULL};
    assert_int_equal(po_test_physopt(args, NULL, NULL), 0);
    read_runs(out, t == 1 ? &a : &b);
  }
  assert_same(&a, &b);
  assert_int_equal(a.n, 4);
  for (size_t i = 0; i < a.n; i++) {
    assert_string_equal(a.r[i].task, "train");
    assert_string_equal(a.r[i].model, "64-16-10");
    assert_int_equal(a.r[i].epochs, 3);
    assert_true(a.r[i].train_samples == 400 || a.r[i].train_samples == 800);
    if (!(a.r[i].test_accuracy > 0.9))
      fail_msg("run %zu (seed %llu, %ld samples): test accuracy %g, train loss %g, data %s", i,
               (unsigned long long)a.r[i].seed, (long)a.r[i].train_samples, a.r[i].test_accuracy,
               a.r[i].train_loss, data_dir);
    assert_true(a.r[i].train_loss > 0 && a.r[i].train_loss < 1);
    assert_true(a.r[i].train_joules > 0);
  }
  /* Repeats start from different initialisations (seeds differ). */
  assert_true(a.r[0].seed != a.r[1].seed);
  /* Each run stores its trained model: evaluating it reproduces the run. */
  char out[400], spec[600], json[400], hex[17];
  snprintf(out, sizeof out, "%s/train1.h5", dir);
  snprintf(json, sizeof json, "%s/stored.json", dir);
  for (size_t i = 0; i < a.n; i++) {
    po_sweep_id_format(a.id[i], hex);
    snprintf(spec, sizeof spec, "%s:/runs/%s/model", out, hex);
    char *args[] = {"eval", "--model", spec, "--data", data_dir, "--json", NULL};
    assert_int_equal(po_test_physopt(args, json, NULL), 0);
    FILE *f = fopen(json, "r");
    char reply[4096];
    size_t n = fread(reply, 1, sizeof reply - 1, f);
    fclose(f);
    reply[n] = '\0';
    const char *p = reply;
    assert_true(po_test_json_next(&p, "test_accuracy") == a.r[i].test_accuracy);
  }
}

/* A bad value in the last run of a list stops the sweep before any run. */
static void test_validation(void **state) {
  (void)state;
  char ini[400], out[400], err[400], text[1024];
  snprintf(ini, sizeof ini, "%s/bad.ini", dir);
  snprintf(out, sizeof out, "%s/bad.h5", dir);
  snprintf(err, sizeof err, "%s/bad.err", dir);
  const char *cases[][2] = {
      {"[run]\ntask = eval\nmodel = %s\ndata = %s\nbackend = photonic\n"
       "[photonic]\nphotons_per_mac = 1, 10, -3\n",
       "photonic.photons_per_mac = -3"},
      {"[run]\ntask = eval\nmodel = %s, %s.missing\nbackend = cpu\n", "cannot open"},
      {"[run]\ntask = train\ndata = %s\nlayers = 64-16-10, 64-x-4\n%s", "run.layers"},
      {"[run]\ntask = evaluate\nmodel = %s\ndata = %s\n", "run.task = evaluate"},
      {"[run]\ntask = eval\nmodel = %s\ndata = %s, /nonexistent-data\n", "/nonexistent-data"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    /* Arguments of the templates: train (case 2) data dir and nothing; eval
     * model and data dir, or the model twice (case 1). */
    const char *a1 = c == 2 ? data_dir : model;
    const char *a2 = c == 2 ? "" : c == 1 ? model : data_dir;
    snprintf(text, sizeof text, cases[c][0], a1, a2);
    po_test_write_text(ini, text);
    char *args[] = {"sweep", ini, "--out", out, NULL};
    assert_int_not_equal(po_test_physopt(args, NULL, err), 0);
    FILE *f = fopen(err, "r");
    char msg[2048] = "";
    size_t n = fread(msg, 1, sizeof msg - 1, f);
    fclose(f);
    msg[n] = '\0';
    if (!strstr(msg, cases[c][1])) fail_msg("case %zu: expected '%s' in: %s", c, cases[c][1], msg);
    struct stat sb;
    assert_int_not_equal(stat(out, &sb), 0); /* nothing written */
  }
}

static void test_mpi(void **state) {
  (void)state;
  char scratch[400];
  snprintf(scratch, sizeof scratch, "%s/help.txt", dir);
  if (!po_test_has_mpi(bin, scratch)) {
    print_message("physopt built without MPI (make MPI=1) or no mpirun: skipped\n");
    skip();
  }
  char ini[400];
  snprintf(ini, sizeof ini, "%s/eval.ini", dir);
  for (int np = 1; np <= 2; np++) {
    char out[400], nps[16];
    snprintf(out, sizeof out, "%s/mpi%d.h5", dir, np);
    snprintf(nps, sizeof nps, "%d", np);
    char *argv[] = {"/usr/bin/mpirun",
                    "--allow-run-as-root",
                    "--oversubscribe",
                    "-np",
                    nps,
                    bin,
                    "sweep",
                    ini,
                    "--out",
                    out,
                    NULL};
    assert_int_equal(po_test_exec(argv, NULL, NULL), 0);
    lruns got;
    read_runs(out, &got);
    assert_same(&ref, &got);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_eval_sweep),
      cmocka_unit_test(test_report),
      cmocka_unit_test(test_shards_threads_resume),
      cmocka_unit_test(test_train_sweep),
      cmocka_unit_test(test_validation),
      cmocka_unit_test(test_mpi),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
