#include "tests/util/testutil.h"
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

const char *po_test_data_dir(void) {
  const char *d = getenv("PHYSOPT_DATA");
  return d && *d ? d : "../shared/data";
}

FILE *po_test_open_data(const char *rel) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", po_test_data_dir(), rel);
  FILE *f = fopen(path, "r");
  if (!f) fail_msg("cannot open %s (set PHYSOPT_DATA)", path);
  return f;
}

po_ising *po_test_load(const char *rel) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", po_test_data_dir(), rel);
  po_ising *m = NULL;
  if (po_ising_read_file(path, NULL, &m) != PO_OK) fail_msg("%s", po_last_error());
  return m;
}

po_backend *po_test_open_backend(const char *name, const char *ini, const char *const *sets) {
  po_params *p;
  assert_int_equal(po_params_create(&p), PO_OK);
  if (ini && po_params_load_ini(p, ini) != PO_OK) fail_msg("%s", po_last_error());
  for (; sets && *sets; sets++)
    if (po_params_assign(p, *sets) != PO_OK) fail_msg("%s", po_last_error());
  po_backend *b = NULL;
  if (po_backend_open(name, p, &b) != PO_OK) fail_msg("%s", po_last_error());
  po_params_destroy(p);
  return b;
}

int po_test_exec(char *const argv[], const char *out_path, const char *err_path) {
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(out_path ? out_path : "/dev/null", "w", stdout)) _exit(127);
    if (!freopen(err_path ? err_path : "/dev/null", "w", stderr)) _exit(127);
    execv(argv[0], argv);
    _exit(127);
  }
  int st;
  if (pid < 0 || waitpid(pid, &st, 0) < 0) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int po_test_has_mpi(const char *bin, const char *scratch) {
  char line[256];
  char *argv[] = {(char *)bin, "sweep", "--help", NULL};
  if (po_test_exec(argv, scratch, NULL)) return 0;
  FILE *f = fopen(scratch, "r");
  int yes = 0;
  while (f && fgets(line, sizeof line, f))
    if (strstr(line, "MPI: built with MPI")) yes = 1;
  if (f) fclose(f);
  return yes && access("/usr/bin/mpirun", X_OK) == 0;
}

int po_test_mpirun(int np, char *const args[], const char *out_path, const char *err_path) {
  char nps[16];
  snprintf(nps, sizeof nps, "%d", np);
  char *argv[64] = {"/usr/bin/mpirun", "--allow-run-as-root", "--oversubscribe", "-np", nps};
  int k = 5;
  for (; *args && k < 63; args++) argv[k++] = *args;
  argv[k] = NULL;
  return po_test_exec(argv, out_path, err_path);
}

const char *po_test_physopt_bin(void) {
  static char resolved[PATH_MAX];
  if (!resolved[0]) {
    const char *b = getenv("BUILD");
    char rel[512], cwd[PATH_MAX - 600];
    snprintf(rel, sizeof rel, "%s/physopt", b && *b ? b : "build");
    if (rel[0] == '/' || !getcwd(cwd, sizeof cwd))
      snprintf(resolved, sizeof resolved, "%s", rel);
    else
      snprintf(resolved, sizeof resolved, "%s/%s", cwd, rel);
  }
  return resolved;
}

void po_test_assert_normal_moments(const float *x, long count) {
  double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
  long tail = 0, bad = 0;
  for (long i = 0; i < count; i++) {
    const double z = x[i], z2 = z * z;
    s1 += z, s2 += z2, s3 += z2 * z, s4 += z2 * z2;
    tail += fabs(z) > 3.0;
    bad += !isfinite(z);
  }
  const double n = (double)count, m = s1 / n, v = s2 / n, sk = s3 / n, k4 = s4 / n;
  const double p3 = erfc(3.0 / sqrt(2.0)); /* P(|z| > 3) = 2.6998e-3 */
  printf("  n = %ld: mean %.5f, E z^2 %.5f, E z^3 %.5f, E z^4 %.4f, P(|z|>3) %.6f (%.6f)\n", count,
         m, v, sk, k4, tail / n, p3);
  assert_int_equal(bad, 0);
  assert_true(fabs(m) < 5 * sqrt(1 / n));
  assert_true(fabs(v - 1) < 5 * sqrt(2 / n));
  assert_true(fabs(sk) < 5 * sqrt(15 / n));
  assert_true(fabs(k4 - 3) < 5 * sqrt(96 / n));
  assert_true(fabs(tail / n - p3) < 5 * sqrt(p3 * (1 - p3) / n));
}

int po_test_cli_workdir(const char *tag, char *bin, size_t bin_size, char *dir, size_t dir_size) {
  snprintf(bin, bin_size, "%s", po_test_physopt_bin());
  if (access(bin, X_OK)) {
    print_error("%s not found (make builds it)\n", bin);
    return -1;
  }
  snprintf(dir, dir_size, "/tmp/physopt-%s-XXXXXX", tag);
  return mkdtemp(dir) ? 0 : -1;
}

int po_test_remove_workdir(const char *dir) {
  if (strncmp(dir, "/tmp/physopt-", 13) || strchr(dir, '\'')) return -1;
  char cmd[PATH_MAX + 32];
  snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

int po_test_physopt(char *const args[], const char *out_path, const char *err_path) {
  char bin[PATH_MAX];
  snprintf(bin, sizeof bin, "%s", po_test_physopt_bin());
  char *argv[64];
  int n = 0;
  argv[n++] = bin;
  while (n < 63 && args[n - 1]) {
    argv[n] = args[n - 1];
    n++;
  }
  argv[n] = NULL;
  return po_test_exec(argv, out_path, err_path);
}

double po_test_json_next(const char **from, const char *name) {
  char pat[96];
  snprintf(pat, sizeof pat, "\"%s\": ", name);
  const char *s = strstr(*from, pat);
  if (!s) fail_msg("no %s in the rest of: %.200s", name, *from);
  *from = s + strlen(pat);
  return strncmp(*from, "null", 4) ? strtod(*from, NULL) : NAN;
}

double po_test_enumerate_ground(const po_ising *m) {
  const int n = m->n;
  assert_true(n <= 24 && m->h == NULL);
  int8_t s[24];
  for (int i = 0; i < n; i++) s[i] = 1;
  double e = po_ising_energy(m, s), best = e;
  for (uint32_t g = 1; g < (1u << (n - 1)); g++) {
    const int i = 1 + __builtin_ctz(g); /* spin flipped by the Gray code */
    e += po_ising_flip_delta(m, s, i);
    s[i] = (int8_t)-s[i];
    if (e < best) best = e;
  }
  return best;
}

int po_test_anneal(po_backend *b, const po_ising *m, const char *alg, int R, long K, uint64_t seed,
                   int threads, po_samples *out) {
  po_anneal_opts o = {0};
  o.algorithm = alg;
  o.replicas = R;
  o.steps = K;
  o.seed = seed;
  o.run_id = 3;
  o.threads = threads;
  return po_backend_ising_anneal(b, m, NULL, &o, out);
}

void po_test_write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  assert_true(fputs(text, f) >= 0);
  assert_int_equal(fclose(f), 0);
}
