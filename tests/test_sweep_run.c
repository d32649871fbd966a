/* End-to-end sweeps through the physopt binary ($BUILD/physopt):
 *  - kill-and-resume: a sweep SIGKILLed at random moments and resumed holds
 *    every run exactly once, every part file opens, and the results equal
 *    those of an uninterrupted sweep;
 *  - shards: --shard i/3 run one after the other give the same results;
 *  - MPI (when the binary was built with `make MPI=1` and mpirun exists):
 *    mpirun -np 1 and -np 2 give identical results;
 *  - report --json on the sweep: the pooled success probability equals
 *    the count of replicas at the ground energy, read back from HDF5. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <hdf5.h>
#include "io/h5.h"
#include "io/sweep_store.h"
#include "physopt/physopt.h"
#include "physopt/sweep.h"
#include "tests/util/testutil.h"

static char dir[256];
static char bin[512];
static char sweep_ini[512];

#define N_RUNS 16

static int run(char *const argv[], const char *out_path) {
  return po_test_exec(argv, out_path, NULL);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int sweep(const char *out, const char *extra1, const char *extra2) {
  char *argv[12];
  int k = 0;
  argv[k++] = bin;
  argv[k++] = "sweep";
  argv[k++] = sweep_ini;
  argv[k++] = "--out";
  argv[k++] = (char *)out;
  argv[k++] = "--flush-seconds";
  argv[k++] = "0.05";
  if (extra1) argv[k++] = (char *)extra1;
  if (extra2) argv[k++] = (char *)extra2;
  argv[k] = NULL;
  return run(argv, NULL);
}

/* Reads every run of a results file (master or merged): id -> energies. */
typedef struct runs {
  size_t n;
  uint64_t id[4 * N_RUNS];
  double e[4 * N_RUNS][16];
  int replicas[4 * N_RUNS];
  double ground[4 * N_RUNS];
} runs;

static herr_t collect(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)info;
  runs *r = data;
  uint64_t id;
  if (po_sweep_id_parse(name, &id) || r->n >= 4 * N_RUNS) return -1;
  hid_t rg = H5Gopen2(g, name, H5P_DEFAULT);
  if (rg < 0) return -1;
  po_h5_run rec;
  int rc = po_h5_read_run(rg, &rec);
  H5Gclose(rg);
  if (rc || rec.samples.replicas > 16) return -1;
  r->id[r->n] = id;
  r->replicas[r->n] = rec.samples.replicas;
  r->ground[r->n] = rec.problem.ground_energy;
  memcpy(r->e[r->n], rec.samples.energy, (size_t)rec.samples.replicas * sizeof(double));
  r->n++;
  po_h5_run_free(&rec);
  return 0;
}

/* Calls fn on every group of /runs in name order; H5Literate's status. */
static herr_t iterate_runs(const char *path, H5L_iterate_t fn, void *data) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return -1;
  hid_t g = H5Gopen2(f, "runs", H5P_DEFAULT);
  herr_t st = g >= 0 ? H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, fn, data) : -1;
  if (g >= 0) H5Gclose(g);
  H5Fclose(f);
  return st;
}

static int read_runs(const char *path, runs *r) {
  memset(r, 0, sizeof *r);
  return iterate_runs(path, collect, r) < 0 ? -1 : 0;
}

static void assert_same_runs(const runs *a, const runs *b) {
  assert_int_equal(a->n, b->n);
  for (size_t i = 0; i < a->n; i++) {
    assert_true(a->id[i] == b->id[i]); /* both iterated in name order */
    assert_int_equal(a->replicas[i], b->replicas[i]);
    assert_memory_equal(a->e[i], b->e[i], (size_t)a->replicas[i] * sizeof(double));
  }
}

/* Every part file in OUT.d opens, and no run id occurs in two of them. */
static size_t check_parts(const char *out, int allow_tmp) {
  char pd[600];
  snprintf(pd, sizeof pd, "%s.d", out);
  DIR *d = opendir(pd);
  if (!d) return 0;
  uint64_t seen[4 * N_RUNS];
  size_t n_seen = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t ln = strlen(de->d_name);
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
        (de->d_name[0] == '.' && ln > 5 && !strcmp(de->d_name + ln - 5, ".lock")))
      continue; /* the master lock and the writer locks */
    if (de->d_name[0] == '.') {
      /* A writer's temporary file: only ever left by a kill. */
      assert_true(allow_tmp);
      assert_true(ln > 4 && !strcmp(de->d_name + ln - 4, ".tmp"));
      continue;
    }
    char p[900];
    snprintf(p, sizeof p, "%s/%s", pd, de->d_name);
    runs r;
    if (read_runs(p, &r)) fail_msg("part file %s does not open", p);
    for (size_t i = 0; i < r.n; i++) {
      for (size_t k = 0; k < n_seen; k++)
        if (seen[k] == r.id[i]) fail_msg("run %016llx appears twice", (unsigned long long)r.id[i]);
      assert_true(n_seen < 4 * N_RUNS);
      seen[n_seen++] = r.id[i];
    }
  }
  closedir(d);
  return n_seen;
}

static int setup(void **state) {
  (void)state;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (po_test_cli_workdir("sweep", bin, sizeof bin, dir, sizeof dir)) return -1;
  snprintf(sweep_ini, sizeof sweep_ini, "%s/sweep.ini", dir);
  FILE *f = fopen(sweep_ini, "w");
  if (!f) return -1;
  /* 4 SK instances with known ground energies x 2 budgets x 2 repeats =
   * 16 runs of a few ms to ~0.1 s. */
  const char *data = getenv("PHYSOPT_DATA");
  if (!data || !*data) data = "../shared/data";
  fprintf(f,
          "[sweep]\nseed = 7\nrepeats = 2\n"
          "[problem]\nspec = %s/sk/SK1_N40_0.txt, %s/sk/SK1_N40_1.txt, %s/sk/SK1_N60_0.txt, "
          "%s/sk/SK1_N60_1.txt\n"
          "[run]\nsteps = 30, 1000\nreplicas = 16\n",
          data, data, data, data);
  fclose(f);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return po_test_remove_workdir(dir);
}

static char ref_path[600];
static runs ref;
static double t_ref;

static void test_reference(void **state) {
  (void)state;
  snprintf(ref_path, sizeof ref_path, "%s/ref.h5", dir);
  double t0 = now();
  assert_int_equal(sweep(ref_path, NULL, NULL), 0);
  t_ref = now() - t0;
  assert_int_equal(read_runs(ref_path, &ref), 0);
  assert_int_equal(ref.n, N_RUNS);
  assert_int_equal(check_parts(ref_path, 0), N_RUNS);
  /* Without --resume an existing sweep is refused. */
  assert_int_not_equal(sweep(ref_path, NULL, NULL), 0);
  /* --resume of a complete sweep runs nothing and changes nothing. */
  assert_int_equal(sweep(ref_path, "--resume", NULL), 0);
  runs again;
  assert_int_equal(read_runs(ref_path, &again), 0);
  assert_same_runs(&ref, &again);
}

static void test_kill_resume(void **state) {
  (void)state;
  char out[600];
  snprintf(out, sizeof out, "%s/killed.h5", dir);
  po_rng rng;
  po_rng_init(&rng, (uint64_t)time(NULL), 1, 0);
  int kills = 0;
  for (int attempt = 0; attempt < 6; attempt++) {
    pid_t pid = fork();
    if (pid == 0) {
      if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(127);
      execl(bin, bin, "sweep", sweep_ini, "--out", out, "--resume", "--flush-seconds",
            attempt % 2 ? "0" : "0.05", (char *)NULL);
      _exit(127);
    }
    assert_true(pid > 0);
    /* A random moment within the first quarter of an uninterrupted sweep
     * (later attempts resume with fewer runs left). */
    double delay = po_rng_uniform(&rng) * 0.25 * t_ref;
    struct timespec ts = {(time_t)delay, (long)((delay - floor(delay)) * 1e9)};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) kills++;
    size_t present = check_parts(out, 1);
    assert_true(present <= N_RUNS);
  }
  assert_true(kills >= 2); /* the sweep was really interrupted */
  assert_int_equal(sweep(out, "--resume", NULL), 0);
  assert_int_equal(check_parts(out, 0), N_RUNS); /* no temporary file left */
  runs got;
  assert_int_equal(read_runs(out, &got), 0);
  assert_same_runs(&ref, &got);
  /* merge: one self-contained file with the same runs. */
  char merged[700];
  snprintf(merged, sizeof merged, "%s/merged.h5", dir);
  char *argv[] = {bin, "merge", out, "--out", merged, NULL};
  assert_int_equal(run(argv, NULL), 0);
  assert_int_equal(po_h5_check_heaps(merged), PO_OK); /* what report checks first */
  assert_int_equal(read_runs(merged, &got), 0);
  assert_same_runs(&ref, &got);
  hid_t f = H5Fopen(merged, H5F_ACC_RDONLY, H5P_DEFAULT);
  H5O_info_t oi;
  assert_true(H5Oget_info_by_name(f, "/runs", &oi, H5P_DEFAULT) >= 0);
  H5L_info_t li;
  char name[32];
  snprintf(name, sizeof name, "/runs/%016llx", (unsigned long long)ref.id[0]);
  assert_true(H5Lget_info(f, name, &li, H5P_DEFAULT) >= 0);
  assert_int_equal(li.type, H5L_TYPE_HARD); /* copied, not linked */
  H5Fclose(f);
}

static void test_shards(void **state) {
  (void)state;
  char out[600];
  snprintf(out, sizeof out, "%s/shards.h5", dir);
  assert_int_equal(sweep(out, "--shard", "2/3"), 0);
  assert_int_equal(check_parts(out, 0), N_RUNS / 3);
  /* Shards of one array share OUT.d; a shard refuses only when its own runs
   * are already there and --resume is not given. */
  assert_int_not_equal(sweep(out, "--shard", "2/3"), 0);
  setenv("SLURM_ARRAY_TASK_ID", "0", 1);
  setenv("SLURM_ARRAY_TASK_COUNT", "3", 1);
  assert_int_equal(sweep(out, NULL, NULL), 0);
  unsetenv("SLURM_ARRAY_TASK_ID");
  unsetenv("SLURM_ARRAY_TASK_COUNT");
  assert_int_equal(sweep(out, "--resume", "--shard=1/3"), 0);
  assert_int_equal(check_parts(out, 0), N_RUNS);
  runs got;
  assert_int_equal(read_runs(out, &got), 0);
  assert_same_runs(&ref, &got);

  /* --dry-run --shard 2/3 lists exactly the runs that shard runs. */
  char listing[700];
  snprintf(listing, sizeof listing, "%s/dry.txt", dir);
  char *argv[] = {bin, "sweep", sweep_ini, "--dry-run", "--shard", "2/3", NULL};
  assert_int_equal(run(argv, listing), 0);
  FILE *f = fopen(listing, "r");
  assert_non_null(f);
  char line[1024];
  int rows = 0;
  assert_non_null(fgets(line, sizeof line, f)); /* header */
  while (fgets(line, sizeof line, f)) {
    int index = -1;
    assert_int_equal(sscanf(line, "%d", &index), 1);
    assert_int_equal(index % 3, 2);
    rows++;
  }
  fclose(f);
  assert_int_equal(rows, (N_RUNS + 1) / 3); /* indices 2, 5, ..., 14 */
}

/* Three shards at once (a Slurm array): the master written by the shard that
 * finishes last links every run (scan + rewrite under a lock file). */
static void test_concurrent_shards(void **state) {
  (void)state;
  char out[600];
  snprintf(out, sizeof out, "%s/array.h5", dir);
  pid_t pid[3];
  for (int i = 0; i < 3; i++) {
    char shard[32];
    snprintf(shard, sizeof shard, "--shard=%d/3", i);
    pid[i] = fork();
    if (pid[i] == 0) {
      if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(127);
      execl(bin, bin, "sweep", sweep_ini, "--out", out, "--flush-seconds", "0", shard,
            (char *)NULL);
      _exit(127);
    }
    assert_true(pid[i] > 0);
  }
  for (int i = 0; i < 3; i++) {
    int st;
    assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  assert_int_equal(check_parts(out, 0), N_RUNS);
  runs got;
  assert_int_equal(read_runs(out, &got), 0); /* through the master's links */
  assert_same_runs(&ref, &got);
}

/* Runs physopt with argv in a child whose files may not grow beyond
 * fsize bytes (ulimit -f): every write past it fails with EFBIG, as on a
 * full disk.  stderr goes to err_path.  Returns the wait status. */
static int exec_fsize_limited(char *const argv[], long fsize, const char *err_path) {
  pid_t pid = fork();
  if (pid == 0) {
    struct rlimit rl = {(rlim_t)fsize, (rlim_t)fsize};
    if (!freopen("/dev/null", "w", stdout) || !freopen(err_path, "w", stderr) ||
        setrlimit(RLIMIT_FSIZE, &rl) != 0)
      _exit(127);
    execv(argv[0], argv);
    _exit(127);
  }
  int st = -1;
  if (pid > 0) waitpid(pid, &st, 0);
  return st;
}

static int file_contains(const char *path, const char *text) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char msg[4096] = "";
  size_t n = fread(msg, 1, sizeof msg - 1, f);
  fclose(f);
  msg[n] = '\0';
  if (!strstr(msg, text)) print_error("expected '%s' in: %s\n", text, msg);
  return strstr(msg, text) != NULL;
}

/* Issue 12 item 1: two sweeps without --shard on one --out, started
 * together.  Both used to write as "solo", deleting and overwriting each
 * other's part files; one then exited 0 with runs missing.  Now the second
 * is refused (exit 4) or, if the first finished before it started, finds
 * the runs done; whatever exits 0 leaves every run present, once. */
static void test_two_solo_sweeps(void **state) {
  (void)state;
  for (int trial = 0; trial < 2; trial++) {
    char out[600];
    snprintf(out, sizeof out, "%s/twice-%d.h5", dir, trial);
    pid_t pid[2];
    for (int i = 0; i < 2; i++) {
      pid[i] = fork();
      if (pid[i] == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(127);
        execl(bin, bin, "sweep", sweep_ini, "--out", out, "--flush-seconds", "0.01", (char *)NULL);
        _exit(127);
      }
      assert_true(pid[i] > 0);
    }
    int ok = 0;
    for (int i = 0; i < 2; i++) {
      int st;
      assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
      assert_true(WIFEXITED(st));
      int code = WEXITSTATUS(st);
      if (code != 0 && code != 2 && code != 4) fail_msg("sweep %d exited %d", i, code);
      ok += code == 0;
    }
    assert_true(ok >= 1);
    assert_int_equal(check_parts(out, 0), N_RUNS);
    runs got;
    assert_int_equal(read_runs(out, &got), 0);
    assert_same_runs(&ref, &got);
  }
}

/* The refusal itself, made certain: this process holds the writer lock of
 * "solo", as a running sweep does; the sweep started now must run nothing
 * and say why. */
static void test_locked_writer_refused(void **state) {
  (void)state;
  char out[600], pd[700], lock[800], err[700];
  snprintf(out, sizeof out, "%s/locked.h5", dir);
  snprintf(pd, sizeof pd, "%s.d", out);
  snprintf(lock, sizeof lock, "%s/.solo.lock", pd);
  snprintf(err, sizeof err, "%s/locked.err", dir);
  assert_int_equal(mkdir(pd, 0777), 0);
  int fd = open(lock, O_RDWR | O_CREAT, 0666);
  assert_true(fd >= 0);
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
  assert_int_equal(fcntl(fd, F_SETLK, &fl), 0);
  char *argv[] = {bin, "sweep", sweep_ini, "--out", out, NULL};
  assert_int_equal(po_test_exec(argv, NULL, err), 4);
  assert_true(file_contains(err, "being written by another physopt sweep"));
  assert_int_equal(check_parts(out, 0), 0);
  close(fd); /* the "other sweep" ends: now it runs */
  assert_int_equal(po_test_exec(argv, NULL, err), 0);
  assert_int_equal(check_parts(out, 0), N_RUNS);
}

/* Issue 12 item 2 and the fault-injection test: a sweep whose files may
 * not grow past a few KiB (the write failures of a full disk).  It used to
 * die of SIGSEGV in HDF5's exit handler; now it exits 4, leaves no
 * temporary file, and --resume once space is back completes it with
 * results identical to an uninterrupted sweep. */
static void test_full_disk_then_resume(void **state) {
  (void)state;
  char out[600], err[700];
  snprintf(out, sizeof out, "%s/full.h5", dir);
  snprintf(err, sizeof err, "%s/full.err", dir);
  const char *flush[] = {"0", "1000"}; /* a part file per run; one for all */
  for (int k = 0; k < 2; k++) {
    char *argv[] = {bin,        "sweep",           sweep_ini,        "--out", out,
                    "--resume", "--flush-seconds", (char *)flush[k], NULL};
    int st = exec_fsize_limited(argv, 6000, err);
    if (!WIFEXITED(st)) fail_msg("sweep under a file size limit died of signal %d", WTERMSIG(st));
    assert_int_equal(WEXITSTATUS(st), 4);
    assert_true(check_parts(out, 0) < N_RUNS); /* no temporary file, some runs missing */
  }
  char *argv[] = {bin, "sweep", sweep_ini, "--out", out, "--resume", NULL};
  assert_int_equal(po_test_exec(argv, NULL, NULL), 0);
  assert_int_equal(check_parts(out, 0), N_RUNS);
  runs got;
  assert_int_equal(read_runs(out, &got), 0);
  assert_same_runs(&ref, &got);
}

/* The same for one run: solve --out under the limit exits 4 with a message
 * naming the file, and leaves neither the result nor a temporary file. */
static void test_full_disk_solve(void **state) {
  (void)state;
  char sub[600], out[700], err[700];
  snprintf(sub, sizeof sub, "%s/solve-full", dir);
  assert_int_equal(mkdir(sub, 0777), 0);
  snprintf(out, sizeof out, "%s/s.h5", sub);
  snprintf(err, sizeof err, "%s/solve.err", dir);
  char *argv[] = {bin,       "solve", "--problem", "sk:300:1", "--replicas", "64",
                  "--steps", "10",    "--out",     out,        NULL};
  int st = exec_fsize_limited(argv, 10000, err);
  if (!WIFEXITED(st)) fail_msg("solve under a file size limit died of signal %d", WTERMSIG(st));
  assert_int_equal(WEXITSTATUS(st), 4);
  assert_true(file_contains(err, out));
  DIR *d = opendir(sub);
  assert_non_null(d);
  struct dirent *de;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      fail_msg("left behind: %s/%s", sub, de->d_name);
  closedir(d);
}

/* Temporary files of a process that died (kill -9, SIGXFSZ) are removed by
 * the next writer of the same file; a live process's are kept. */
static void test_stale_tmp_removed(void **state) {
  (void)state;
  char sub[600], out[700], stale[1100], live[1100], host[256] = "";
  snprintf(sub, sizeof sub, "%s/stale", dir);
  assert_int_equal(mkdir(sub, 0777), 0);
  snprintf(out, sizeof out, "%s/s.h5", sub);
  assert_int_equal(gethostname(host, sizeof host - 1), 0);
  pid_t dead = fork(); /* a pid that surely is no process any more */
  if (dead == 0) _exit(0);
  waitpid(dead, NULL, 0);
  /* core/atomic_file.h names them DIR/.BASE.PID.K@HOST.tmp */
  snprintf(stale, sizeof stale, "%s/.s.h5.%ld.3@%s.tmp", sub, (long)dead, host);
  snprintf(live, sizeof live, "%s/.s.h5.%ld.3@%s.tmp", sub, (long)getpid(), host);
  FILE *f = fopen(stale, "w");
  assert_non_null(f);
  fclose(f);
  assert_non_null(f = fopen(live, "w"));
  fclose(f);
  char *argv[] = {bin, "solve", "--problem", "sk:12:1", "--steps", "10", "--out", out, NULL};
  assert_int_equal(po_test_exec(argv, NULL, NULL), 0);
  assert_int_not_equal(access(stale, F_OK), 0);
  assert_int_equal(access(live, F_OK), 0);
}

/* Issue 12 item 6: --steps inside its documented range (up to 10^12) must
 * start annealing; it exited 5 at once with "out of memory for
 * 1000000000000 betas" (a table of 8 TB).  Such a run takes years, so the
 * child is stopped by us once it has been running for a second: what is
 * asserted is that it had not exited by then (no result is timed). */
static void test_huge_steps_start(void **state) {
  (void)state;
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(127);
    execl(bin, bin, "solve", "--problem", "sk:8:1", "--replicas", "1", "--threads", "1", "--steps",
          "1000000000000", (char *)NULL);
    _exit(127);
  }
  assert_true(pid > 0);
  struct timespec ts = {1, 0};
  nanosleep(&ts, NULL);
  int st;
  pid_t done = waitpid(pid, &st, WNOHANG);
  kill(pid, SIGKILL);
  waitpid(pid, &st, 0);
  if (done == pid)
    fail_msg("physopt solve --steps 1000000000000 exited at once (status %d)",
             WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* Without a terminal every progress line stands alone (log files, batch
 * jobs): the closing line must not repeat the one written for the last run.
 * A one-run sweep printed "sweep: 1/1 runs ..." twice. */
static void test_progress_no_repeat(void **state) {
  (void)state;
  char ini[600], out[600], err[600];
  snprintf(ini, sizeof ini, "%s/one.ini", dir);
  snprintf(out, sizeof out, "%s/one.h5", dir);
  snprintf(err, sizeof err, "%s/one.err", dir);
  FILE *f = fopen(ini, "w");
  assert_non_null(f);
  fprintf(f, "[problem]\nspec = sk:12:1\n[run]\nbackend = cpu\nreplicas = 4\nsteps = 50\n");
  fclose(f);
  char *args[] = {"sweep", ini, "--out", out, NULL};
  assert_int_equal(po_test_physopt(args, NULL, err), 0);
  f = fopen(err, "r");
  assert_non_null(f);
  char line[512];
  int n = 0;
  while (fgets(line, sizeof line, f)) n += strncmp(line, "sweep: 1/1 runs", 15) == 0;
  fclose(f);
  assert_int_equal(n, 1);
}

static int has_mpi(void) {
  char out[600];
  snprintf(out, sizeof out, "%s/help.txt", dir);
  return po_test_has_mpi(bin, out);
}

static void test_mpi(void **state) {
  (void)state;
  if (!has_mpi()) {
    print_message("physopt built without MPI (make MPI=1) or no mpirun: skipped\n");
    skip();
  }
  runs got;
  for (int np = 1; np <= 2; np++) {
    char out[600], nps[16];
    snprintf(out, sizeof out, "%s/mpi%d.h5", dir, np);
    snprintf(nps, sizeof nps, "%d", np);
    char *argv[] = {"/usr/bin/mpirun",
                    "--allow-run-as-root",
                    "--oversubscribe",
                    "-np",
                    nps,
                    bin,
                    "sweep",
                    sweep_ini,
                    "--out",
                    out,
                    NULL};
    assert_int_equal(run(argv, NULL), 0);
    assert_int_equal(check_parts(out, 0), N_RUNS);
    assert_int_equal(read_runs(out, &got), 0);
    assert_same_runs(&ref, &got);
  }
}

/* report --json: pooled p_success and hits against the energies read back. */
static void test_report(void **state) {
  (void)state;
  char out[600];
  snprintf(out, sizeof out, "%s/report.json", dir);
  char *argv[] = {bin, "report", ref_path, "--by", "backend", "--json", NULL};
  assert_int_equal(run(argv, out), 0);
  long hits = 0, total = 0;
  for (size_t i = 0; i < ref.n; i++)
    for (int k = 0; k < ref.replicas[i]; k++, total++)
      hits += ref.e[i][k] <= ref.ground[i] + 1e-9 * fmax(1, fabs(ref.ground[i]));
  FILE *f = fopen(out, "r");
  assert_non_null(f);
  static char buf[1 << 20];
  size_t len = fread(buf, 1, sizeof buf - 1, f);
  buf[len] = '\0';
  fclose(f);
  const char *g = strstr(buf, "\"groups\"");
  assert_non_null(g);
  const char *h = strstr(g, "\"hits\":");
  const char *r = strstr(g, "\"replicas\":");
  const char *p = strstr(g, "\"success_probability\":");
  assert_non_null(h);
  assert_non_null(r);
  assert_non_null(p);
  assert_int_equal(strtol(h + 7, NULL, 10), hits);
  assert_int_equal(strtol(r + 11, NULL, 10), total);
  assert_true(fabs(strtod(p + 22, NULL) - (double)hits / (double)total) < 1e-12);
  assert_true(hits > 0 && hits < total); /* the budgets span easy and hard */
}

/* The one run of a results file (master or part) and its id. */
static herr_t first_run(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)info;
  po_h5_run *rec = data;
  hid_t rg = H5Gopen2(g, name, H5P_DEFAULT);
  if (rg < 0) return -1;
  int rc = po_h5_read_run(rg, rec);
  H5Gclose(rg);
  return rc ? -1 : 1;
}

static int read_one_run(const char *path, po_h5_run *rec) {
  return iterate_runs(path, first_run, rec) == 1 ? 0 : -1;
}

/* A sweep run is configured exactly like `physopt solve` (cli/run_config.c):
 * a one-run sweep and solve with the run's derived seed and run id give the
 * same spins and energies, and the same resolved algorithm and default steps
 * (photonic anneals on its cpu fallback: sa, 5000 sweeps). */
static void test_sweep_run_equals_solve(void **state) {
  (void)state;
  char ini[600], out[600], solo[600], solo0[600];
  snprintf(ini, sizeof ini, "%s/one.ini", dir);
  snprintf(out, sizeof out, "%s/one.h5", dir);
  snprintf(solo, sizeof solo, "%s/solve.h5", dir);
  snprintf(solo0, sizeof solo0, "%s/solve0.h5", dir);
  FILE *f = fopen(ini, "w");
  assert_non_null(f);
  fprintf(f, "[sweep]\nseed = 3\n[problem]\nspec = sk:40:2\n"
             "[run]\nbackend = photonic\nreplicas = 16\n");
  fclose(f);
  char *sw[] = {bin, "sweep", ini, "--out", out, NULL};
  assert_int_equal(run(sw, NULL), 0);
  po_h5_run a, b, c;
  assert_int_equal(read_one_run(out, &a), 0);
  assert_string_equal(a.algorithm, "sa");
  assert_int_equal(a.steps, 5000);

  char seed[32], run_id[64];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)a.seed);
  snprintf(run_id, sizeof run_id, "run.run_id=0x%016llx", (unsigned long long)a.run_id);
  char *sv[] = {bin,        "solve",      "--problem", "sk:40:2", "--backend",
                "photonic", "--replicas", "16",        "--seed",  seed,
                "--set",    run_id,       "--out",     solo,      NULL};
  assert_int_equal(run(sv, NULL), 0);
  assert_int_equal(po_h5_load_run(solo, NULL, &b), 0);
  assert_string_equal(b.algorithm, a.algorithm);
  assert_int_equal(b.steps, a.steps);
  assert_true(b.seed == a.seed && b.run_id == a.run_id);
  assert_int_equal(b.samples.replicas, 16);
  assert_int_equal(b.samples.n, a.samples.n);
  assert_memory_equal(b.samples.energy, a.samples.energy, 16 * sizeof(double));
  assert_memory_equal(b.samples.spins, a.samples.spins, (size_t)16 * (size_t)a.samples.n);

  /* The run id matters: solve's default run id 0 gives other replicas. */
  sv[11] = "run.run_id=0";
  sv[13] = solo0;
  assert_int_equal(run(sv, NULL), 0);
  assert_int_equal(po_h5_load_run(solo0, NULL, &c), 0);
  assert_true(memcmp(c.samples.spins, a.samples.spins, (size_t)16 * (size_t)a.samples.n) != 0);
  po_h5_run_free(&a);
  po_h5_run_free(&b);
  po_h5_run_free(&c);

  /* Solve's checks hold in a sweep: both schedule forms at once, run.run_id. */
  f = fopen(ini, "w");
  assert_non_null(f);
  fprintf(f, "[problem]\nspec = sk:12:1\n[run]\nsteps = 10\n"
             "[schedule]\nspec = geometric:0.1:3\nkind = linear\n");
  fclose(f);
  snprintf(out, sizeof out, "%s/two.h5", dir);
  assert_int_not_equal(run(sw, NULL), 0);
  f = fopen(ini, "w");
  assert_non_null(f);
  fprintf(f, "[problem]\nspec = sk:12:1\n[run]\nsteps = 10\nrun_id = 4\n");
  fclose(f);
  snprintf(out, sizeof out, "%s/three.h5", dir);
  assert_int_not_equal(run(sw, NULL), 0);
}

/* A bad value in the last run of a list stops an anneal sweep before any
 * run, with a message naming the key (po_sweep_validate_run). */
static void test_validation(void **state) {
  (void)state;
  char ini[600], out[600], err[600];
  snprintf(ini, sizeof ini, "%s/bad.ini", dir);
  snprintf(out, sizeof out, "%s/bad.h5", dir);
  snprintf(err, sizeof err, "%s/bad.err", dir);
  const char *cases[][2] = {
      {"[problem]\nspec = sk:12:1\n[run]\nbackend = cim\nsteps = 10\n[cim]\ndt = 0.1, -1\n",
       "cim.dt = -1 is outside the accepted range"},
      {"[problem]\nspec = sk:12:1, sk:0:1\n[run]\nsteps = 10\n",
       "problem.spec: problem 'sk:0:1': sk:N:SEED[:gauss|:pm]: N must be an integer in [2, "
       "100000]"},
      {"[problem]\nspec = sk:12:1, wishart:10:0:3\n[run]\nsteps = 10\n", "M must be an integer"},
      {"[problem]\nspec = sk:12:1, no:such-file.txt\n[run]\nsteps = 10\n",
       "no:such-file.txt: cannot open"},
      {"[problem]\nspec = sk:12:1\n[run]\nsteps = 10\nbackend = cpu, nope\n", "'nope'"},
      {"[problem]\nspec = sk:12:1\n[run]\nsteps = 10\nbackend = cim, cpu\nalgorithm = cac\n",
       "not an algorithm of backend cpu"},
      {"[problem]\nspec = sk:12:1\n[run]\nsteps = 10\n[schedule]\nspec = linear:0.1:3, nope\n",
       "schedule.spec"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    FILE *f = fopen(ini, "w");
    assert_non_null(f);
    fputs(cases[c][0], f);
    fclose(f);
    char *argv[] = {bin, "sweep", ini, "--out", out, NULL};
    assert_int_not_equal(po_test_exec(argv, NULL, err), 0);
    f = fopen(err, "r");
    assert_non_null(f);
    char msg[2048] = "";
    size_t n = fread(msg, 1, sizeof msg - 1, f);
    fclose(f);
    msg[n] = '\0';
    if (!strstr(msg, cases[c][1]) || !strstr(msg, "nothing was run"))
      fail_msg("case %zu: expected '%s' and 'nothing was run' in: %s", c, cases[c][1], msg);
    struct stat sb;
    assert_int_not_equal(stat(out, &sb), 0); /* nothing written */
  }
}

/* Runs `physopt ARGS` and asserts it fails with every needle in its stderr. */
static void assert_fails_saying(char *const argv[], const char *err, const char *n1,
                                const char *n2) {
  assert_int_not_equal(po_test_exec(argv, NULL, err), 0);
  FILE *f = fopen(err, "r");
  assert_non_null(f);
  char msg[4096] = "";
  size_t n = fread(msg, 1, sizeof msg - 1, f);
  fclose(f);
  msg[n] = '\0';
  if (!strstr(msg, n1) || !strstr(msg, n2)) fail_msg("expected '%s' and '%s' in: %s", n1, n2, msg);
}

/* --resume reuses a run only if it was made on the instance the file
 * holds now: an edited coupling or a changed ground_energies.txt is
 * refused (the runs on disk would mix two problems), nothing already
 * written changes, and restoring the file lets the sweep go on. */
static void test_resume_refuses_changed_instance(void **state) {
  (void)state;
  char inst[600], ground[600], ini[600], out[600], err[600];
  snprintf(inst, sizeof inst, "%s/tri.txt", dir);
  snprintf(ground, sizeof ground, "%s/ground_energies.txt", dir);
  snprintf(ini, sizeof ini, "%s/changed.ini", dir);
  snprintf(out, sizeof out, "%s/changed.h5", dir);
  snprintf(err, sizeof err, "%s/changed.err", dir);
  /* A frustrated triangle: ground energy -1 (two bonds satisfied). */
  const char *tri = "3 3\n1 2 1\n2 3 1\n1 3 1\n";
  po_test_write_text(inst, tri);
  po_test_write_text(ground, "tri.txt -1\n");
  char text[900];
  snprintf(text, sizeof text,
           "[sweep]\nseed = 3\n[problem]\nspec = %s\n[run]\nreplicas = 8\nsteps = 5, 10\n", inst);
  po_test_write_text(ini, text);
  char *argv[] = {bin, "sweep", ini, "--out", out, "--quiet", NULL};
  char *resume[] = {bin, "sweep", ini, "--out", out, "--quiet", "--resume", NULL};
  assert_int_equal(po_test_exec(argv, NULL, NULL), 0);
  runs before, after;
  assert_int_equal(read_runs(out, &before), 0);
  assert_int_equal(before.n, 2);
  assert_int_equal(po_test_exec(resume, NULL, NULL), 0); /* unchanged: accepted */

  po_test_write_text(ground, "tri.txt -3\n");
  assert_fails_saying(resume, err, "known ground energy of", "-1 then, -3 now");
  po_test_write_text(ground, "# none known\n");
  assert_fails_saying(resume, err, "tri.txt", "-1 then, none now");
  po_test_write_text(ground, "tri.txt -1\n");
  po_test_write_text(inst, "3 3\n1 2 1\n2 3 1\n1 3 -1\n");
  assert_fails_saying(resume, err, "tri.txt changed since the runs in", "would mix two problems");
  assert_int_equal(read_runs(out, &after), 0);
  assert_same_runs(&before, &after);

  /* Restored: the sweep goes on (one more run length), the old runs kept. */
  po_test_write_text(inst, tri);
  snprintf(text, sizeof text,
           "[sweep]\nseed = 3\n[problem]\nspec = %s\n[run]\nreplicas = 8\nsteps = 5, 10, 20\n",
           inst);
  po_test_write_text(ini, text);
  assert_int_equal(po_test_exec(resume, NULL, NULL), 0);
  assert_int_equal(read_runs(out, &after), 0);
  assert_int_equal(after.n, 3);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reference),
      cmocka_unit_test(test_kill_resume),
      cmocka_unit_test(test_shards),
      cmocka_unit_test(test_concurrent_shards),
      cmocka_unit_test(test_two_solo_sweeps),
      cmocka_unit_test(test_locked_writer_refused),
      cmocka_unit_test(test_full_disk_then_resume),
      cmocka_unit_test(test_full_disk_solve),
      cmocka_unit_test(test_stale_tmp_removed),
      cmocka_unit_test(test_huge_steps_start),
      cmocka_unit_test(test_progress_no_repeat),
      cmocka_unit_test(test_mpi),
      cmocka_unit_test(test_report),
      cmocka_unit_test(test_sweep_run_equals_solve),
      cmocka_unit_test(test_validation),
      cmocka_unit_test(test_resume_refuses_changed_instance),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
