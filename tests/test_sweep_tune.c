/* physopt tune end to end through the binary ($BUILD/physopt), on cpu SA
 * with the schedule's final inverse temperature tuned on three SK
 * instances with known ground energies:
 *  - the best configuration file loads in physopt solve and reproduces the
 *    recorded objective of its run bit for bit, and beats a deliberately
 *    bad region of the space (beta_end = 0.02: nearly random spins);
 *  - kill -9 at random moments, then the same command: the same trial
 *    table and the same best configuration as an uninterrupted tune;
 *  - MPI (binary built with `make MPI=1`, mpirun present): -np 1 and -np 2
 *    give the reference's trial table (named test_sweep_* so that the
 *    MPI CI step, `make MPI=1 test T=sweep`, runs it);
 *  - a range outside a key's accepted values fails before any run;
 *  - with tune.fidelity = replicas the run length is searched;
 *  - a diverging configuration scores the worst objective;
 *  - runs made on an instance file since edited are refused, not reused. */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <hdf5.h>
#include "physopt/physopt.h"
#include "tests/util/testutil.h"

static char dir[256], bin[512], tune_ini[512], data[512];

typedef struct table {
  size_t n, n_inst;
  double *objective, *steps, *end, *per_instance;
  uint64_t *run_id;
  long best;
  char *best_ini;
} table;

static void table_free(table *t) {
  free(t->objective);
  free(t->steps);
  free(t->end);
  free(t->per_instance);
  free(t->run_id);
  free(t->best_ini);
  memset(t, 0, sizeof *t);
}

static void *read_ds(hid_t f, const char *name, hid_t type, size_t elem, size_t *n0, size_t *n1) {
  hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
  assert_true(ds >= 0);
  hid_t sp = H5Dget_space(ds);
  hsize_t dims[2] = {0, 1};
  int rank = H5Sget_simple_extent_dims(sp, dims, NULL);
  assert_true(rank >= 1);
  size_t total = (size_t)dims[0] * (rank > 1 ? (size_t)dims[1] : 1);
  void *v = malloc((total ? total : 1) * elem);
  assert_non_null(v);
  assert_true(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
  H5Sclose(sp);
  H5Dclose(ds);
  *n0 = (size_t)dims[0];
  if (n1) *n1 = rank > 1 ? (size_t)dims[1] : 1;
  return v;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  char *buf = calloc(1, 1 << 16);
  size_t n = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
  (void)n;
  fclose(f);
  return buf;
}

static void read_table(const char *out, const char *best_ini, table *t) {
  hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(f >= 0);
  size_t n;
  t->objective = read_ds(f, "/trials/objective", H5T_NATIVE_DOUBLE, 8, &t->n, NULL);
  t->steps = read_ds(f, "/trials/steps", H5T_NATIVE_DOUBLE, 8, &n, NULL);
  assert_int_equal(n, t->n);
  t->end = read_ds(f, "/trials/param/schedule.end", H5T_NATIVE_DOUBLE, 8, &n, NULL);
  assert_int_equal(n, t->n);
  t->per_instance = read_ds(f, "/trials/per_instance", H5T_NATIVE_DOUBLE, 8, &n, &t->n_inst);
  t->run_id = read_ds(f, "/trials/run_id", H5T_NATIVE_UINT64, 8, &n, NULL);
  hid_t a = H5Aopen(f, "best_trial", H5P_DEFAULT);
  int64_t best;
  assert_true(H5Aread(a, H5T_NATIVE_INT64, &best) >= 0);
  H5Aclose(a);
  H5Fclose(f);
  t->best = (long)best;
  t->best_ini = slurp(best_ini);
  assert_non_null(t->best_ini);
}

static void assert_same_table(const table *a, const table *b) {
  assert_int_equal(a->n, b->n);
  assert_int_equal(a->n_inst, b->n_inst);
  assert_int_equal(a->best, b->best);
  for (size_t i = 0; i < a->n; i++) {
    assert_true(a->objective[i] == b->objective[i]);
    assert_true(a->steps[i] == b->steps[i]);
    assert_true(a->end[i] == b->end[i]);
    for (size_t k = 0; k < a->n_inst; k++) {
      assert_true(a->per_instance[i * a->n_inst + k] == b->per_instance[i * b->n_inst + k]);
      assert_true(a->run_id[i * a->n_inst + k] == b->run_id[i * b->n_inst + k]);
    }
  }
  assert_string_equal(a->best_ini, b->best_ini);
}

static int tune(const char *name, const char *flush) {
  char out[600], best[600];
  snprintf(out, sizeof out, "%s/%s.h5", dir, name);
  snprintf(best, sizeof best, "%s/%s-best.ini", dir, name);
  char *argv[] = {bin,           "tune",    tune_ini, "--out",
                  out,           "--best",  best,     "--flush-seconds",
                  (char *)flush, "--quiet", NULL};
  return po_test_exec(argv, NULL, NULL);
}

static void load(const char *name, table *t) {
  char out[600], best[600];
  snprintf(out, sizeof out, "%s/%s.h5", dir, name);
  snprintf(best, sizeof best, "%s/%s-best.ini", dir, name);
  read_table(out, best, t);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int setup(void **state) {
  (void)state;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (po_test_cli_workdir("tune", bin, sizeof bin, dir, sizeof dir)) return -1;
  snprintf(data, sizeof data, "%s", po_test_data_dir());
  snprintf(tune_ini, sizeof tune_ini, "%s/tune.ini", dir);
  FILE *f = fopen(tune_ini, "w");
  if (!f) return -1;
  /* One Hyperband pass, eta 3, 3..81 sweeps: 4 brackets, 69 trials,
   * 207 runs of 16 replicas of N = 40 (a few ms each). */
  fprintf(f,
          "[tune]\nseed = 7\nobjective = residual_energy\nmin_steps = 3\nmax_steps = 81\n"
          "[problem]\nspec = %s/sk/SK1_N40_0.txt, %s/sk/SK1_N40_1.txt, %s/sk/SK1_N40_2.txt\n"
          "[run]\nbackend = cpu\nalgorithm = sa\nreplicas = 16\nthreads = 1\n"
          "[schedule]\nkind = geometric\nstart = 0.05\nend = log(0.02, 20)\n",
          data, data, data);
  fclose(f);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return po_test_remove_workdir(dir);
}

static table ref;
static double t_ref;

static void test_reference(void **state) {
  (void)state;
  double t0 = now();
  assert_int_equal(tune("ref", "10"), 0);
  t_ref = now() - t0;
  load("ref", &ref);
  assert_int_equal(ref.n, 69);
  assert_int_equal(ref.n_inst, 3);
  assert_true(ref.best >= 0 && (size_t)ref.best < ref.n);
  assert_true(ref.steps[ref.best] == 81);
  /* The best trial is the smallest objective at 81 sweeps. */
  for (size_t i = 0; i < ref.n; i++)
    if (ref.steps[i] == 81) assert_true(ref.objective[ref.best] <= ref.objective[i]);
  /* The objective is the mean residual over the instances. */
  const double *pi = ref.per_instance + (size_t)ref.best * 3;
  assert_true(fabs(ref.objective[ref.best] - (pi[0] + pi[1] + pi[2]) / 3) < 1e-12);
  print_message("best schedule.end = %.4g, mean residual %.4g; %.2f s\n", ref.end[ref.best],
                ref.objective[ref.best], t_ref);
  /* Running it again reuses every run and changes nothing. */
  assert_int_equal(tune("ref", "10"), 0);
  table again;
  load("ref", &again);
  assert_same_table(&ref, &again);
  table_free(&again);
}

static double solve_residual(const char *best_ini, const char *inst, uint64_t id,
                             const char *extra) {
  char seed[32], rid[64], out[600], problem[600];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)po_hash2(7, id));
  snprintf(rid, sizeof rid, "run.run_id=0x%016llx", (unsigned long long)id);
  snprintf(out, sizeof out, "%s/solve.json", dir);
  snprintf(problem, sizeof problem, "%s/sk/%s", data, inst);
  char *argv[] = {
      bin,     "solve", "--config", (char *)best_ini,       "--problem",   problem, "--seed", seed,
      "--set", rid,     "--json",   extra ? "--set" : NULL, (char *)extra, NULL};
  assert_int_equal(po_test_exec(argv, out, NULL), 0);
  char *text = slurp(out);
  assert_non_null(text);
  const char *p = text;
  double r = po_test_json_next(&p, "residual_energy");
  free(text);
  return r;
}

/* The best configuration file reproduces the recorded objective of its
 * run exactly, and beats the hot end of the range by a wide margin. */
static void test_best_config(void **state) {
  (void)state;
  char best[600];
  snprintf(best, sizeof best, "%s/ref-best.ini", dir);
  const char *inst[3] = {"SK1_N40_0.txt", "SK1_N40_1.txt", "SK1_N40_2.txt"};
  double bad_sum = 0;
  for (int k = 0; k < 3; k++) {
    uint64_t id = ref.run_id[(size_t)ref.best * 3 + (size_t)k];
    double r = solve_residual(best, inst[k], id, NULL);
    assert_true(r == ref.per_instance[(size_t)ref.best * 3 + (size_t)k]);
    bad_sum += solve_residual(best, inst[k], id, "schedule.end=0.02");
  }
  print_message("mean residual: best %.4g, schedule.end = 0.02: %.4g\n", ref.objective[ref.best],
                bad_sum / 3);
  assert_true(bad_sum / 3 > ref.objective[ref.best] + 10);
}

static void test_kill_resume(void **state) {
  (void)state;
  char out[600], best[600];
  snprintf(out, sizeof out, "%s/killed.h5", dir);
  snprintf(best, sizeof best, "%s/killed-best.ini", dir);
  po_rng rng;
  po_rng_init(&rng, (uint64_t)time(NULL), 2, 0);
  int kills = 0;
  for (int attempt = 0; attempt < 4; attempt++) {
    pid_t pid = fork();
    if (pid == 0) {
      if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(127);
      execl(bin, bin, "tune", tune_ini, "--out", out, "--best", best, "--flush-seconds",
            attempt % 2 ? "0" : "0.05", (char *)NULL);
      _exit(127);
    }
    assert_true(pid > 0);
    double delay = (0.1 + 0.3 * po_rng_uniform(&rng)) * t_ref;
    struct timespec ts = {(time_t)delay, (long)((delay - floor(delay)) * 1e9)};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) kills++;
  }
  assert_true(kills >= 2);
  assert_int_equal(tune("killed", "10"), 0);
  table got;
  load("killed", &got);
  assert_same_table(&ref, &got);
  table_free(&got);
}

static void test_mpi(void **state) {
  (void)state;
  char scratch[600];
  snprintf(scratch, sizeof scratch, "%s/help.txt", dir);
  if (!po_test_has_mpi(bin, scratch)) {
    print_message("physopt built without MPI (make MPI=1) or no mpirun: skipped\n");
    skip();
  }
  for (int np = 1; np <= 2; np++) {
    char out[600], best[600], name[16];
    snprintf(name, sizeof name, "mpi%d", np);
    snprintf(out, sizeof out, "%s/%s.h5", dir, name);
    snprintf(best, sizeof best, "%s/%s-best.ini", dir, name);
    char *args[] = {bin, "tune", tune_ini, "--out", out, "--best", best, "--quiet", NULL};
    assert_int_equal(po_test_mpirun(np, args, NULL, NULL), 0);
    table got;
    load(name, &got);
    assert_same_table(&ref, &got);
    table_free(&got);
  }
}

/* A range beyond a key's accepted values fails before any run. */
static void test_validation(void **state) {
  (void)state;
  char ini[600], out[600], err[600];
  snprintf(ini, sizeof ini, "%s/bad.ini", dir);
  snprintf(out, sizeof out, "%s/bad.h5", dir);
  snprintf(err, sizeof err, "%s/bad.err", dir);
  FILE *f = fopen(ini, "w");
  assert_non_null(f);
  fprintf(f,
          "[tune]\nmax_steps = 9\n[problem]\nspec = %s/sk/SK1_N40_0.txt\n"
          "[run]\nbackend = cpu\nreplicas = int(0, 4)\n",
          data);
  fclose(f);
  char *argv[] = {bin, "tune", ini, "--out", out, NULL};
  assert_int_equal(po_test_exec(argv, NULL, err), 2);
  char *text = slurp(err);
  assert_non_null(text);
  assert_non_null(strstr(text, "run.replicas"));
  free(text);
  struct stat st;
  char d[700];
  snprintf(d, sizeof d, "%s.d", out);
  assert_int_not_equal(stat(d, &st), 0); /* nothing was run */
  /* --out naming a file that is not a tune record is never replaced. */
  char other[600];
  snprintf(other, sizeof other, "%s/other.h5", dir);
  f = fopen(other, "w");
  assert_non_null(f);
  fputs("not a tune record\n", f);
  fclose(f);
  char *argv2[] = {bin, "tune", tune_ini, "--out", other, NULL};
  assert_int_equal(po_test_exec(argv2, NULL, err), 2);
  text = slurp(other);
  assert_string_equal(text, "not a tune record\n");
  free(text);
}

/* Writes text (a printf format taking data three times) to dir/NAME.ini,
 * runs physopt tune on it; the exit code, stderr in dir/NAME.err. */
static int tune_file(const char *name, const char *fmt) {
  char ini[600], out[600], err[600];
  snprintf(ini, sizeof ini, "%s/%s.ini", dir, name);
  snprintf(out, sizeof out, "%s/%s.h5", dir, name);
  snprintf(err, sizeof err, "%s/%s.err", dir, name);
  FILE *f = fopen(ini, "w");
  assert_non_null(f);
  fprintf(f, fmt, data, data, data);
  fclose(f);
  char *argv[] = {bin, "tune", ini, "--out", out, "--quiet", NULL};
  return po_test_exec(argv, NULL, err);
}

/* Opens dir/NAME.h5 (a trial record) and reads its objective column. */
static hid_t open_record(const char *name, double **objective, size_t *n) {
  char out[600];
  snprintf(out, sizeof out, "%s/%s.h5", dir, name);
  hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(f >= 0);
  *objective = read_ds(f, "/trials/objective", H5T_NATIVE_DOUBLE, 8, n, NULL);
  return f;
}

/* fidelity = replicas: the rungs grow run.replicas (4, 12, 36, 108) and
 * run.steps is searched, so the tune finds the run length too.  TTS99 at
 * run length L is at least L, so a best objective far below the top of
 * the steps range can only come from short runs being tried; with the
 * steps range ignored (every trial at one length) it could not be.  The
 * range is logint (docs/tune.md's example): most proposals below 100
 * sweeps (72% for this seed; 46% with int(3, 3000)). */
static void test_replicas_fidelity(void **state) {
  (void)state;
  const char *body = "[tune]\nseed = 7\nobjective = tts99_steps\nfidelity = replicas\n"
                     "min_replicas = 4\nmax_replicas = 108\n"
                     "[problem]\nspec = %s/sk/SK1_N40_0.txt, %s/sk/SK1_N40_1.txt, "
                     "%s/sk/SK1_N40_2.txt\n"
                     "[run]\nbackend = cpu\nalgorithm = sa\nsteps = logint(3, 3000)\nthreads = 1\n"
                     "[schedule]\nkind = geometric\nstart = 0.05\nend = 3\n";
  assert_int_equal(tune_file("reps", body), 0);
  size_t n, m;
  double *obj;
  hid_t f = open_record("reps", &obj, &n);
  double *reps = read_ds(f, "/trials/replicas", H5T_NATIVE_DOUBLE, 8, &m, NULL);
  double *steps = read_ds(f, "/trials/param/run.steps", H5T_NATIVE_DOUBLE, 8, &m, NULL);
  assert_int_equal(m, n);
  H5Fclose(f);
  size_t best = 0, at_top = 0, short_runs = 0;
  for (size_t i = 0; i < n; i++) {
    assert_true(reps[i] == 4 || reps[i] == 12 || reps[i] == 36 || reps[i] == 108);
    assert_true(steps[i] >= 3 && steps[i] <= 3000);
    at_top += reps[i] == 108;
    short_runs += steps[i] < 100;
    if (reps[i] == 108 && (reps[best] != 108 || obj[i] < obj[best])) best = i;
  }
  print_message("%zu trials, %zu at 108 replicas, %zu shorter than 100 sweeps; best TTS99 %.4g "
                "sweeps at %g sweeps\n",
                n, at_top, short_runs, obj[best], steps[best]);
  assert_true(at_top >= 4 && 2 * short_runs >= n);
  assert_true(obj[best] >= steps[best]); /* TTS99(L) >= L */
  assert_true(obj[best] < 300);
  char path[600];
  snprintf(path, sizeof path, "%s/reps-best.ini", dir);
  char *ini = slurp(path);
  assert_non_null(ini);
  assert_non_null(strstr(ini, "replicas = 108"));
  free(ini);
  free(obj), free(reps), free(steps);
  /* the fidelity's key cannot be set, nor the other fidelity's ladder */
  const char *fixed = "[tune]\nfidelity = replicas\nmax_replicas = 9\n[problem]\nspec = "
                      "%s/sk/SK1_N40_0.txt\n[run]\nreplicas = 16\nsteps = int(3, 30)\n# %s %s\n";
  assert_int_equal(tune_file("reps_fixed", fixed), 2);
  snprintf(path, sizeof path, "%s/reps_fixed.err", dir);
  char *text = slurp(path);
  assert_non_null(strstr(text, "run.replicas is the fidelity"));
  free(text);
  const char *mixed = "[tune]\nfidelity = replicas\nmax_replicas = 9\nmax_steps = 9\n"
                      "[problem]\nspec = %s/sk/SK1_N40_0.txt\n[run]\nsteps = int(3, 30)\n"
                      "# %s %s\n";
  assert_int_equal(tune_file("reps_mixed", mixed), 2);
  snprintf(path, sizeof path, "%s/reps_mixed.err", dir);
  text = slurp(path);
  assert_non_null(strstr(text, "tune.max_steps is for tune.fidelity = steps"));
  free(text);
}

/* A configuration whose runs diverge (explicit Euler of the cim without the
 * amplitude clamp, dt above ~0.15) scores the worst objective instead of
 * ending the tune, and the record of it is reused on a rerun. */
static void test_diverged_runs(void **state) {
  (void)state;
  const char *body = "[tune]\nseed = 3\nmax_steps = 243\nmin_steps = 27\n"
                     "[problem]\nspec = %s/sk/SK1_N40_0.txt, %s/sk/SK1_N40_1.txt\n# %s\n"
                     "[run]\nbackend = cim\nalgorithm = cac\nreplicas = 8\nthreads = 1\n"
                     "[cim]\nx_max = 0\ndt = log(0.02, 0.5)\n";
  assert_int_equal(tune_file("div", body), 0);
  size_t n, m;
  double *obj;
  hid_t f = open_record("div", &obj, &n);
  double *dt = read_ds(f, "/trials/param/cim.dt", H5T_NATIVE_DOUBLE, 8, &m, NULL);
  hid_t a = H5Aopen(f, "best_trial", H5P_DEFAULT);
  int64_t best;
  assert_true(H5Aread(a, H5T_NATIVE_INT64, &best) >= 0);
  H5Aclose(a);
  H5Fclose(f);
  size_t worst = 0;
  for (size_t i = 0; i < n; i++) {
    worst += isinf(obj[i]);
    if (dt[i] < 0.1) assert_true(isfinite(obj[i])); /* stable steps are scored */
  }
  print_message("%zu trials, %zu diverged; best dt %.3g\n", n, worst, dt[best]);
  assert_true(worst >= 1);
  assert_true(isfinite(obj[best]) && dt[best] < 0.2);
  free(obj), free(dt);
  /* the rerun reuses every run, the diverged ones included */
  char err[600], ini[600], out[600];
  snprintf(out, sizeof out, "%s/div.h5", dir);
  snprintf(ini, sizeof ini, "%s/div.ini", dir);
  snprintf(err, sizeof err, "%s/div2.out", dir);
  char *argv[] = {bin, "tune", ini, "--out", out, "--quiet", NULL};
  assert_int_equal(po_test_exec(argv, err, NULL), 0);
  char *text = slurp(err);
  assert_non_null(strstr(text, "(0 runs run now, "));
  free(text);
}

/* A rerun reuses the runs on disk only if they were made on the instances
 * the files hold now: a changed ground energy or coupling is refused by
 * name, not scored against the new target; restored, the rerun reuses
 * every run again. */
static void test_changed_instance_refused(void **state) {
  (void)state;
  char sub[600], inst[700], ground[700], ini[700], out[700], err[700], text[1400];
  snprintf(sub, sizeof sub, "%s/changed", dir);
  assert_int_equal(mkdir(sub, 0755), 0);
  snprintf(inst, sizeof inst, "%s/tri.txt", sub);
  snprintf(ground, sizeof ground, "%s/ground_energies.txt", sub);
  snprintf(ini, sizeof ini, "%s/tune.ini", sub);
  snprintf(out, sizeof out, "%s/tune.h5", sub);
  snprintf(err, sizeof err, "%s/tune.err", sub);
  const char *tri = "3 3\n1 2 1\n2 3 1\n1 3 1\n"; /* frustrated: ground energy -1 */
  po_test_write_text(inst, tri);
  po_test_write_text(ground, "tri.txt -1\n");
  snprintf(text, sizeof text,
           "[tune]\nseed = 5\nobjective = residual_energy\nmin_steps = 3\nmax_steps = 9\n"
           "[problem]\nspec = %s\n[run]\nbackend = cpu\nalgorithm = sa\nreplicas = 4\n"
           "threads = 1\n[schedule]\nkind = geometric\nstart = 0.1\nend = log(0.5, 5)\n",
           inst);
  po_test_write_text(ini, text);
  char *argv[] = {bin, "tune", ini, "--out", out, "--quiet", NULL};
  assert_int_equal(po_test_exec(argv, NULL, NULL), 0);

  po_test_write_text(ground, "tri.txt -3\n");
  assert_int_not_equal(po_test_exec(argv, NULL, err), 0);
  char *msg = slurp(err);
  assert_non_null(msg);
  if (!strstr(msg, "known ground energy of") || !strstr(msg, "-1 then, -3 now"))
    fail_msg("unexpected message: %s", msg);
  free(msg);
  po_test_write_text(ground, "tri.txt -1\n");
  po_test_write_text(inst, "3 3\n1 2 1\n2 3 -1\n1 3 1\n");
  assert_int_not_equal(po_test_exec(argv, NULL, err), 0);
  msg = slurp(err);
  assert_non_null(msg);
  if (!strstr(msg, "tri.txt changed since the runs in") || !strstr(msg, "tune.h5.d/"))
    fail_msg("unexpected message: %s", msg);
  free(msg);

  po_test_write_text(inst, tri);
  assert_int_equal(po_test_exec(argv, err, NULL), 0);
  msg = slurp(err);
  assert_non_null(strstr(msg, "(0 runs run now, "));
  free(msg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reference),     cmocka_unit_test(test_best_config),
      cmocka_unit_test(test_kill_resume),   cmocka_unit_test(test_mpi),
      cmocka_unit_test(test_validation),    cmocka_unit_test(test_replicas_fidelity),
      cmocka_unit_test(test_diverged_runs), cmocka_unit_test(test_changed_instance_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
