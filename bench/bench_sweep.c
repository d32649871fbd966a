/* Sweep scaling: wall time of a sweep of equal-cost runs on 1 and 2 workers
 * (one OpenMP thread each), as a speed-up ratio against the 1-worker
 * baseline measured in the same run.  Workers are MPI ranks (mpirun -np K)
 * when physopt was built with `make MPI=1`, else K concurrent Slurm-style
 * shard processes (--shard i/K), which exercise the same code path for
 * files and ids.  This machine has 2 cores shared with other jobs: expect
 * close to 2x on an idle machine, less when it is loaded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char bin[512], dir[256], ini[512];

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static pid_t spawn(char *const argv[]) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(127);
    setenv("OMP_NUM_THREADS", "1", 1);
    execv(argv[0], argv);
    _exit(127);
  }
  return pid;
}

static int wait_ok(pid_t pid) {
  int st;
  return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int mpi_build(void) {
  char cmd[700];
  snprintf(cmd, sizeof cmd, "'%s' sweep --help 2>/dev/null | grep -q 'MPI: built with MPI'", bin);
  return system(cmd) == 0 && access("/usr/bin/mpirun", X_OK) == 0;
}

/* Wall seconds of the whole sweep on k workers. */
static double run_sweep(int k, int mpi, int rep) {
  char out[600], np[8];
  snprintf(out, sizeof out, "%s/k%d-%d.h5", dir, k, rep);
  snprintf(np, sizeof np, "%d", k);
  double t0 = now();
  if (mpi) {
    char *argv[] = {"/usr/bin/mpirun",
                    "--allow-run-as-root",
                    "--oversubscribe",
                    "--bind-to",
                    "none",
                    "-np",
                    np,
                    bin,
                    "sweep",
                    ini,
                    "--out",
                    out,
                    "--threads",
                    "1",
                    NULL};
    if (!wait_ok(spawn(argv))) return -1;
  } else {
    pid_t pids[16];
    for (int i = 0; i < k; i++) {
      char shard[32];
      snprintf(shard, sizeof shard, "--shard=%d/%d", i, k);
      char *argv[] = {bin, "sweep", ini, "--out", out, "--threads", "1", shard, NULL};
      pids[i] = spawn(argv);
    }
    for (int i = 0; i < k; i++)
      if (!wait_ok(pids[i])) return -1;
  }
  return now() - t0;
}

int main(void) {
  const char *b = getenv("BUILD");
  snprintf(bin, sizeof bin, "%s/physopt", b && *b ? b : "build");
  snprintf(dir, sizeof dir, "/tmp/physopt-bench-sweep-XXXXXX");
  if (!mkdtemp(dir)) return 1;
  snprintf(ini, sizeof ini, "%s/sweep.ini", dir);
  FILE *f = fopen(ini, "w");
  if (!f) return 1;
  /* 16 equal-cost runs: one SK instance, 16 repeats (different seeds). */
  fprintf(f, "[sweep]\nseed = 1\nrepeats = 16\n[problem]\nspec = sk:128:5\n"
             "[run]\nsteps = 6000\nreplicas = 16\n");
  fclose(f);
  int mpi = mpi_build();
  printf("sweep scaling: 16 equal runs (SK N=128, 16 replicas x 6000 sweeps), 1 thread per "
         "worker, workers = %s\n",
         mpi ? "MPI ranks (mpirun)" : "shard processes (--shard i/K; build with MPI=1 for mpirun)");
  double best[3] = {0, 1e30, 1e30};
  for (int rep = 0; rep < 2; rep++)
    for (int k = 1; k <= 2; k++) {
      double t = run_sweep(k, mpi, rep);
      if (t < 0) {
        fprintf(stderr, "bench_sweep: sweep on %d workers failed\n", k);
        return 1;
      }
      if (t < best[k]) best[k] = t;
    }
  printf("  1 worker : %.3f s (best of 2)\n", best[1]);
  printf("  2 workers: %.3f s (best of 2)\n", best[2]);
  printf("  speed-up 1 -> 2 workers: %.2fx (ideal 2x; 2 shared cores)\n", best[1] / best[2]);
  /* Other jobs on the machine make the figure meaningless: show the load. */
  FILE *la = fopen("/proc/loadavg", "r");
  double l1;
  if (la && fscanf(la, "%lf", &l1) == 1)
    printf("  load average during the benchmark: %.2f (a second busy core halves the gain)\n", l1);
  if (la) fclose(la);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
  return system(cmd) == 0 ? 0 : 1;
}
