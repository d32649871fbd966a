/* End-to-end: `physopt recall` (JSON keys, HDF5 layout read back, capacity
 * sweep with PNG, error exit codes, thread invariance).  Runs
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
#include "io/h5.h"

static char tmpdir[64];

static int run(const char *args, char **out) {
  char cmd[4096];
  const char *build = getenv("BUILD");
  snprintf(cmd, sizeof cmd, "%s/physopt %s 2>%s/stderr.txt", build && *build ? build : "build",
           args, tmpdir);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t cap = 1 << 16, len = 0, got;
  *out = malloc(cap);
  while ((got = fread(*out + len, 1, cap - len - 1, p)) > 0) len += got;
  (*out)[len] = '\0';
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double json_number(const char *text, const char *key) {
  char pat[128];
  snprintf(pat, sizeof pat, "\"%s\": ", key);
  const char *p = strstr(text, pat);
  assert_non_null(p);
  return strtod(p + strlen(pat), NULL);
}

static void recall_json_and_hdf5(void **state) {
  (void)state;
  char args[512], *out, path[128];
  snprintf(path, sizeof path, "%s/r.h5", tmpdir);
  snprintf(args, sizeof args,
           "recall --spins 200 --patterns 10 --corruption 0.1 --trials 4 --json --out %s", path);
  assert_int_equal(run(args, &out), 0);
  assert_true(json_number(out, "spins") == 200);
  assert_true(json_number(out, "patterns") == 10);
  const double rf = json_number(out, "recall_fraction"), om = json_number(out, "overlap_mean");
  assert_true(rf == 1.0); /* alpha = 0.05, 10% noise */
  assert_true(om > 0.99);
  free(out);
  po_h5_quiet();
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(f >= 0);
  hid_t g = H5Gopen2(f, "recall", H5P_DEFAULT);
  assert_true(g >= 0);
  double v;
  assert_int_equal(po_h5_get_double(g, "recall_fraction", &v), 0);
  assert_true(v == rf);
  assert_int_equal(po_h5_get_double(g, "overlap_mean", &v), 0);
  assert_true(fabs(v - om) < 1e-12);
  char *s = NULL;
  assert_int_equal(po_h5_get_string(g, "rule", &s), 0);
  assert_string_equal(s, "hebbian");
  free(s);
  hid_t d = H5Dopen2(g, "overlaps", H5P_DEFAULT);
  hid_t sp = H5Dget_space(d);
  hsize_t dim;
  H5Sget_simple_extent_dims(sp, &dim, NULL);
  assert_int_equal(dim, 40);
  double buf[40], sum = 0;
  H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  for (int k = 0; k < 40; k++) sum += buf[k];
  assert_true(fabs(sum / 40 - om) < 1e-12);
  H5Sclose(sp);
  H5Dclose(d);
  H5Gclose(g);
  assert_int_equal(po_h5_get_string(f, "command_line", &s), 0);
  assert_non_null(strstr(s, "recall"));
  free(s);
  H5Fclose(f);
}

static void capacity_sweep_files(void **state) {
  (void)state;
  char args[512], *out, h5[128], png[128];
  snprintf(h5, sizeof h5, "%s/c.h5", tmpdir);
  snprintf(png, sizeof png, "%s/c.png", tmpdir);
  snprintf(args, sizeof args,
           "recall --spins 100 --corruption 0 --dynamics glauber,steepest --capacity-sweep "
           "0.05:0.35:0.1 --samples 2 --trials 1 --json --out %s --plot %s",
           h5, png);
  assert_int_equal(run(args, &out), 0);
  assert_non_null(strstr(out, "\"steepest\""));
  free(out);
  struct stat st;
  assert_int_equal(stat(png, &st), 0);
  assert_true(st.st_size > 1000);
  hid_t f = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(f >= 0);
  hid_t g = H5Gopen2(f, "capacity/glauber", H5P_DEFAULT);
  assert_true(g >= 0);
  double ac;
  assert_int_equal(po_h5_get_double(g, "alpha_c", &ac), 0);
  assert_true(ac > 0.05 && ac < 0.35); /* N = 100: retrieval lost within the grid */
  double rf[4];
  hid_t d = H5Dopen2(g, "recall_fraction", H5P_DEFAULT);
  H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, rf);
  assert_true(rf[0] == 1.0 && rf[3] < 0.5);
  H5Dclose(d);
  H5Gclose(g);
  H5Fclose(f);
}

static void errors_and_threads(void **state) {
  (void)state;
  char *out, *a, *b;
  assert_int_equal(run("recall --rule hebian", &out), 2);
  free(out);
  assert_int_equal(run("recall --spins 20 --patterns 2 --dynamics semiclassical", &out), 6);
  free(out);
  assert_int_equal(run("recall --backend cavity --set cavity.damping=-1", &out), 2);
  free(out);
  assert_int_equal(run("recall --spins 20 --patterns 20 --rule pseudoinverse", &out), 2);
  free(out);
  assert_int_equal(run("recall --spins 300 --patterns 45 --corruption 0.2 --threads 1 --json", &a),
                   0);
  assert_int_equal(run("recall --spins 300 --patterns 45 --corruption 0.2 --threads 2 --json", &b),
                   0);
  assert_true(json_number(a, "overlap_mean") == json_number(b, "overlap_mean"));
  assert_true(json_number(a, "flips_mean") == json_number(b, "flips_mean"));
  free(a);
  free(b);
}

static int setup(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/physopt-recall-XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  const char *names[] = {"r.h5", "c.h5", "c.png", "stderr.txt"};
  char p[128];
  for (size_t k = 0; k < 4; k++) {
    snprintf(p, sizeof p, "%s/%s", tmpdir, names[k]);
    unlink(p);
  }
  return rmdir(tmpdir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(recall_json_and_hdf5),
      cmocka_unit_test(capacity_sweep_files),
      cmocka_unit_test(errors_and_threads),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
