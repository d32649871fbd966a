/* End to end: physopt train / eval (single backend and photon sweep with
 * HDF5 + PNG) on small Fashion-MNIST subsets, and their error paths.  Runs
 * $BUILD/physopt (default build/) from the repository root. */
#include <hdf5.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

static char tmpdir[64];

static int run(const char *args, char **out) {
  const char *build = getenv("BUILD");
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s/physopt %s 2>&1", build && *build ? build : "build", args);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t cap = 1 << 16, len = 0, got;
  *out = malloc(cap);
  while ((got = fread(*out + len, 1, cap - len - 1, p)) > 0) len += got;
  (*out)[len] = '\0';
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static double json_num(const char *text, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\": ", key);
  const char *s = strstr(text, pat);
  if (!s) fail_msg("no key %s in: %s", key, text);
  return strtod(s + strlen(pat), NULL);
}

static int have_fashion(void) {
  struct stat sb;
  const char *env = getenv("PHYSOPT_FASHION_MNIST");
  return stat(env && *env ? env : "/usr/share/datasets/fashion-mnist", &sb) == 0;
}

static void test_train_eval_sweep(void **state) {
  (void)state;
  if (!have_fashion()) skip();
  char args[1024], *out;
  snprintf(args, sizeof args,
           "train --train-samples 3000 --test-samples 1000 --epochs 2 --out %s/m.h5 --json",
           tmpdir);
  if (run(args, &out)) fail_msg("%s", out);
  double acc = json_num(out, "test_accuracy");
  assert_true(acc > 0.7 && acc <= 1);
  assert_true(json_num(out, "energy_per_mac_j") == 4.6e-12); /* cpu cost model */
  assert_true(json_num(out, "wall_s") > 0);
  assert_non_null(strstr(out, "\"photons_per_mac\": null"));
  free(out);

  snprintf(args, sizeof args,
           "eval --model %s/m.h5 --backend photonic --set photonic.photons_per_mac=100 "
           "--test-samples 1000 --json",
           tmpdir);
  if (run(args, &out)) fail_msg("%s", out);
  assert_true(fabs(json_num(out, "test_accuracy") - acc) < 0.03);
  assert_true(json_num(out, "photons_per_mac") == 100);
  double e = json_num(out, "energy_per_mac_j");
  assert_true(e > 0 && e < 4.6e-12);
  free(out);

  snprintf(args, sizeof args,
           "eval --model %s/m.h5 --sweep-photons 0.01,100 --test-samples 1000 --out %s/s.h5 "
           "--plot %s/s.png",
           tmpdir, tmpdir, tmpdir);
  if (run(args, &out)) fail_msg("%s", out);
  free(out);
  char path[256];
  snprintf(path, sizeof path, "%s/s.png", tmpdir);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  unsigned char magic[4];
  assert_int_equal(fread(magic, 1, 4, f), 4);
  fclose(f);
  assert_memory_equal(magic, "\x89PNG", 4);
  snprintf(path, sizeof path, "%s/s.h5", tmpdir);
  hid_t h = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(h >= 0);
  double a[2], n[2];
  hid_t d = H5Dopen2(h, "test_accuracy", H5P_DEFAULT);
  assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a) >= 0);
  H5Dclose(d);
  d = H5Dopen2(h, "photons_per_mac", H5P_DEFAULT);
  assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, n) >= 0);
  H5Dclose(d);
  assert_true(H5Aexists(h, "command_line") > 0 && H5Aexists(h, "config") > 0);
  H5Fclose(h);
  assert_true(n[0] == 0.01 && n[1] == 100);
  assert_true(a[0] < 0.5 && a[1] > 0.7);
}

static void test_errors(void **state) {
  (void)state;
  char args[512], *out;
  assert_int_equal(run("eval", &out), 2);
  assert_non_null(strstr(out, "--model"));
  free(out);
  assert_int_equal(run("eval --model /nonexistent/m.h5", &out), 4);
  assert_non_null(strstr(out, "/nonexistent/m.h5"));
  free(out);
  snprintf(args, sizeof args, "eval --model %s/m.h5 --sweep-photons 1,x", tmpdir);
  int rc = run(args, &out);
  assert_true(rc == 2 || (!have_fashion() && rc == 4));
  free(out);
  assert_int_equal(run("train --set photonic.photons_per_mac=-1 --backend photonic", &out), 2);
  assert_non_null(strstr(out, "photons_per_mac"));
  free(out);
  assert_int_equal(run("train --set photonic.nonsense=1 --backend photonic", &out), 2);
  free(out);
  assert_int_equal(run("train --data /nonexistent/dir --epochs 0", &out), 2);
  assert_non_null(strstr(out, "/nonexistent/dir"));
  free(out);
}

static int setup(void **state) {
  (void)state;
  strcpy(tmpdir, "/tmp/physopt-cli-learn-XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  const char *names[] = {"m.h5", "s.h5", "s.png"};
  char p[256];
  for (size_t i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
    remove(p);
  }
  return rmdir(tmpdir);
}

int main(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_train_eval_sweep),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
