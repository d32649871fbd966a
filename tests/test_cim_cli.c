/* physopt solve --backend cim: --save-trajectories writes /trajectory
 * (x [records][N] chunked + deflate, t, step) into --out, readable back;
 * clear errors for a missing --out and for unimplemented algorithms.
 * Runs $BUILD/physopt (default build/) from the repository root. */
#include <hdf5.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "physopt/backend.h"
#include "physopt/results_file.h"

static char tmpdir[64];

static int run(const char *args, char *err, size_t errsz) {
  const char *build = getenv("BUILD");
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "%s/physopt %s 2>%s/err.txt >/dev/null",
           build && *build ? build : "build", args, tmpdir);
  int st = system(cmd);
  char path[128];
  snprintf(path, sizeof path, "%s/err.txt", tmpdir);
  FILE *f = fopen(path, "r");
  err[0] = 0;
  if (f) {
    size_t k = fread(err, 1, errsz - 1, f);
    err[k] = 0;
    fclose(f);
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int setup(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/po_cim_cli.XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}
static int teardown(void **state) {
  (void)state;
  char p[128];
  const char *files[] = {"err.txt", "t.h5"};
  for (int i = 0; i < 2; i++) {
    snprintf(p, sizeof p, "%s/%s", tmpdir, files[i]);
    unlink(p);
  }
  return rmdir(tmpdir);
}

static void test_save_trajectories(void **state) {
  (void)state;
  char args[512], err[4096];
  snprintf(args, sizeof args,
           "solve --problem sk:24:3 --backend cim --algorithm cac --replicas 3 --steps 200 "
           "--out %s/t.h5 --save-trajectories --trajectory-every 20 --trajectory-replica 2",
           tmpdir);
  int rc = run(args, err, sizeof err);
  if (rc != 0) fail_msg("exit %d: %s", rc, err);
  char path[128];
  snprintf(path, sizeof path, "%s/t.h5", tmpdir);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(f >= 0);
  hid_t d = H5Dopen2(f, "/trajectory/x", H5P_DEFAULT);
  assert_true(d >= 0);
  hid_t sp = H5Dget_space(d);
  hsize_t dims[2];
  assert_int_equal(H5Sget_simple_extent_ndims(sp), 2);
  H5Sget_simple_extent_dims(sp, dims, NULL);
  assert_int_equal(dims[0], 11); /* steps 0, 20, ..., 200 */
  assert_int_equal(dims[1], 24);
  hid_t pl = H5Dget_create_plist(d);
  assert_int_equal(H5Pget_layout(pl), H5D_CHUNKED);
  int has_deflate = 0;
  for (int k = 0; k < H5Pget_nfilters(pl); k++)
    if (H5Pget_filter2(pl, (unsigned)k, NULL, NULL, NULL, 0, NULL, NULL) == H5Z_FILTER_DEFLATE)
      has_deflate = 1;
  assert_true(has_deflate);
  float x[11][24];
  assert_true(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0);
  /* starts at the tiny initial amplitudes, then bifurcates to O(1) */
  for (int i = 0; i < 24; i++) assert_true(fabsf(x[0][i]) <= 5e-4f);
  double amp = 0;
  for (int i = 0; i < 24; i++) amp += fabsf(x[10][i]);
  assert_true(amp / 24 > 0.3);
  double t[11];
  hid_t dt = H5Dopen2(f, "/trajectory/t", H5P_DEFAULT);
  assert_true(H5Dread(dt, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, t) >= 0);
  for (int k = 0; k < 11; k++) assert_true(fabs(t[k] - 20 * k * 0.05) < 1e-9);
  hid_t g = H5Gopen2(f, "/trajectory", H5P_DEFAULT);
  hid_t a = H5Aopen(g, "replica", H5P_DEFAULT);
  int64_t rep = -1;
  H5Aread(a, H5T_NATIVE_INT64, &rep);
  assert_int_equal(rep, 2);
  H5Aclose(a), H5Gclose(g), H5Dclose(dt), H5Pclose(pl), H5Sclose(sp), H5Dclose(d), H5Fclose(f);
}

static void test_errors(void **state) {
  (void)state;
  char err[4096];
  assert_int_not_equal(
      run("solve --problem sk:10:1 --backend cim --save-trajectories --steps 10", err, sizeof err),
      0);
  assert_non_null(strstr(err, "--out"));
  assert_int_not_equal(
      run("solve --problem sk:10:1 --backend cim --algorithm bogus --steps 10", err, sizeof err),
      0);
  assert_non_null(strstr(err, "cac|ahc|plain|adiabatic"));

  /* A backend without trajectories: the error comes before anything is
   * written, and a results file already at --out stays as it was (even
   * with --force, which allows replacing it; t.h5 exists from the test
   * above, hence --force for the first run too). */
  char args[512], path[128];
  snprintf(path, sizeof path, "%s/t.h5", tmpdir);
  snprintf(args, sizeof args, "solve --problem sk:10:1 --steps 10 --force --out %s", path);
  assert_int_equal(run(args, err, sizeof err), 0);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static unsigned char before[1 << 16], after[1 << 16];
  size_t nb = fread(before, 1, sizeof before, f);
  fclose(f);
  snprintf(args, sizeof args,
           "solve --problem sk:12:2 --backend cpu --steps 10 --save-trajectories --force --out %s",
           path);
  assert_int_not_equal(run(args, err, sizeof err), 0);
  assert_non_null(strstr(err, "does not record trajectories"));
  f = fopen(path, "rb");
  assert_non_null(f);
  size_t na = fread(after, 1, sizeof after, f);
  fclose(f);
  assert_true(nb > 0 && nb < sizeof before);
  assert_true(na == nb && memcmp(before, after, nb) == 0);
}

/* Without --steps, solve uses the default algorithm's default_steps (cim:
 * 10000, cavity: 20000, photonic: its fallback cpu's 5000) and reports it in
 * the JSON, as `physopt backends --json` advertises; an explicit --steps
 * wins. */
static long json_steps(const char *args) {
  const char *build = getenv("BUILD");
  char cmd[2048], path[128];
  snprintf(path, sizeof path, "%s/out.json", tmpdir);
  snprintf(cmd, sizeof cmd, "%s/physopt %s --json >%s 2>/dev/null",
           build && *build ? build : "build", args, path);
  int st = system(cmd);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fail_msg("'%s' failed", args);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char line[512];
  long steps = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, " \"steps\": %ld", &steps) == 1 ||
        sscanf(line, " \"default_steps\": %ld", &steps) == 1)
      break;
  fclose(f);
  unlink(path);
  return steps;
}
static void test_default_steps(void **state) {
  (void)state;
  const struct {
    const char *backend, *annealer;
    long want;
  } cases[] = {{"cim", "cim", 10000}, {"cavity", "cavity", 20000}, {"photonic", "cpu", 5000}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    po_backend_info info;
    assert_int_equal(po_backend_info_get(cases[k].backend, &info), 0);
    assert_string_equal(po_backend_info_server(&info, PO_OP_ANNEAL), cases[k].annealer);
    assert_int_equal(info.algorithms[0].default_steps, cases[k].want);
    char args[256];
    snprintf(args, sizeof args, "solve --problem sk:12:1 --backend %s --replicas 1",
             cases[k].backend);
    assert_int_equal(json_steps(args), cases[k].want);
    snprintf(args, sizeof args, "backends %s", cases[k].backend); /* what it advertises */
    assert_int_equal(json_steps(args), cases[k].want);
  }
  assert_int_equal(json_steps("solve --problem sk:12:1 --backend cim --replicas 1 --steps 77"), 77);
}

/* The run's model description (issue 13): --out records it as attributes of
 * model/, read back here through the public reader (results_file.h).  The
 * derived values are checked against (D1)-(D4) of physics/cim_device.h with
 * the device file's numbers (L = 0.9, R = 0.1, eta = 0.7, n_sat = 1e4, P/P_th
 * = 2.25, mu = 0.8, dt = 0.05), computed here, not copied from a run. */
static void load_model(const char *extra, po_h5_run *rec) {
  char args[512], err[4096], path[128];
  snprintf(path, sizeof path, "%s/t.h5", tmpdir);
  snprintf(args, sizeof args,
           "solve --problem sk:12:1 --backend cim --replicas 2 --steps 100 --force --out %s %s",
           path, extra);
  int rc = run(args, err, sizeof err);
  if (rc != 0) fail_msg("exit %d: %s", rc, err);
  assert_int_equal(po_h5_load_run(path, NULL, rec), 0);
}
static const po_model_item *item(const po_h5_run *r, const char *key) {
  const po_model_item *it = po_ledger_model_find(&r->ledger, key);
  if (!it) fail_msg("model/%s missing", key);
  return it;
}
static void test_model_record(void **state) {
  (void)state;
  po_h5_run r;
  load_model("--config configs/devices/cim-hamerly2019.ini", &r);
  assert_string_equal(item(&r, "mode")->text, "device");
  assert_string_equal(item(&r, "device")->text, "hamerly2019");
  assert_int_equal(item(&r, "quantum_noise")->value, 1);
  assert_int_equal(item(&r, "measured_feedback")->value, 1);
  const double kt = -0.5 * log(1.0 - 0.9);
  assert_true(fabs(item(&r, "photon_lifetimes_per_round_trip")->value - kt) < 1e-12);
  assert_true(fabs(item(&r, "steps_per_round_trip")->value - kt / 0.05) < 1e-9);
  assert_int_equal(item(&r, "steps_per_measurement")->value, lround(kt / 0.05));
  assert_true(fabs(item(&r, "pump_operating")->value - 1.5) < 1e-12);
  assert_true(fabs(item(&r, "noise_vacuum")->value - sqrt(1.0 / (2 * 0.8 * 1e4))) < 1e-12);
  assert_true(fabs(item(&r, "measurement_sigma")->value -
                   sqrt((1 - 0.07) / 0.07) / (2 * sqrt(0.8 * 1e4))) < 1e-12);
  assert_true(fabs(item(&r, "feedback_gain")->value - 1 / sqrt(0.07)) < 1e-12);
  assert_int_equal(item(&r, "feedback_delay_round_trips")->value, 1);
  po_h5_run_free(&r);

  load_model("--config configs/devices/cim-hamerly2019.ini --set cim.quantum_noise=false", &r);
  assert_int_equal(item(&r, "quantum_noise")->value, 0);
  assert_int_equal(item(&r, "measured_feedback")->value, 1);
  po_h5_run_free(&r);

  load_model("--set cim.recipe=none", &r); /* the dimensionless mode, labelled as such */
  assert_string_equal(item(&r, "mode")->text, "dimensionless (cim-optimizer compatible)");
  assert_string_equal(item(&r, "device")->text, "");
  assert_int_equal(item(&r, "quantum_noise")->value, 0);
  assert_int_equal(item(&r, "measured_feedback")->value, 0);
  assert_null(po_ledger_model_find(&r.ledger, "steps_per_round_trip"));
  assert_null(po_ledger_model_find(&r.ledger, "recipe")); /* cim.recipe = none */
  po_h5_run_free(&r);

  /* scale-aware defaults, by default: sk:12:1 (complete, Gaussian) is class
   * sk; asked for explicitly, the same */
  const char *const recipe_args[] = {"", "--set cim.recipe=auto"};
  for (int k = 0; k < 2; k++) {
    load_model(recipe_args[k], &r);
    assert_string_equal(item(&r, "recipe")->text, "sk");
    assert_string_equal(item(&r, "recipe_file")->text, "configs/cim-recipes/sk.ini");
    po_h5_run_free(&r);
  }
  /* a cim key set, recipe left at its default: none */
  load_model("--set cim.dt=0.04", &r);
  assert_null(po_ledger_model_find(&r.ledger, "recipe"));
  po_h5_run_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_save_trajectories), cmocka_unit_test(test_errors),
      cmocka_unit_test(test_default_steps), cmocka_unit_test(test_model_record)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
