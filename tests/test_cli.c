/* End-to-end tests of the physopt program, kept as data (the jq habit):
 * arguments -> expected exit code and substrings of stdout/stderr.  Plus
 * checks against the library: `solve --json` on sk:12:1 finds the ground
 * energy found here by exhaustive enumeration, --out writes a file whose
 * samples re-evaluate to the reported energies, and one or two threads give
 * identical spins.  Runs $BUILD/physopt (default build/) from the repository
 * root; {TMP} in arguments is a scratch directory, {DATA} is $PHYSOPT_DATA. */
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
#include "io/h5.h"
#include "physopt/learn.h"

static char tmpdir[64];
static const char *data_dir;

typedef struct cli_case {
  const char *args;    /* shell words after "physopt" */
  int exit_code;       /* expected exit status */
  const char *out[4];  /* substrings expected on stdout */
  const char *err[4];  /* substrings expected on stderr */
  const char *not_err; /* substring that must not appear on stderr */
} cli_case;

static const cli_case cases[] = {
    {"--version", 0, {"physopt 0.1.0 (git "}, {NULL}, NULL},
    {"--help", 0, {"commands:", "solve", "backends"}, {NULL}, NULL},
    {"", 2, {NULL}, {"usage: physopt COMMAND"}, NULL},
    {"frobnicate",
     2,
     {NULL},
     {"physopt: error: unknown command 'frobnicate'", "solve", "backends"},
     NULL},
    {"help solve", 0, {"usage: physopt solve", "[run.replicas]"}, {NULL}, NULL},
    {"solve --help",
     0,
     {"--target-cut C", "[run.target_cut]", "default 128", "--config FILE.ini"},
     {NULL},
     NULL},
    {"backends", 0, {"cpu:", "algorithms:   sa|pt", "spin_attempt_j", "Horowitz"}, {NULL}, NULL},
    {"backends cpu --json",
     0,
     {"\"name\": \"cpu\"", "\"key\": \"mac_j\"", "\"energy\": ["},
     {NULL},
     NULL},
    {"backends warp", 2, {NULL}, {"unknown backend 'warp'", "cpu"}, NULL},
    /* The fallback rule is the library's (po_backend_info): a backend that
     * anneals, matmuls or recalls on its fallback accepts the fallback's
     * parameters, and labels name the backend that did the work. */
    {"solve --problem sk:12:1 --backend photonic --set cpu.kernel=general --replicas 2 "
     "--steps 10",
     0,
     {"backend"},
     {NULL},
     "error"},
    {"solve --problem sk:12:1 --backend photonic --algorithm cac",
     2,
     {NULL},
     {"run.algorithm = 'cac' is not an algorithm of backend photonic, which anneals on cpu",
      "valid: sa|pt"},
     NULL},
    {"backends photonic",
     0,
     {"ising_anneal on cpu (fallback)", "sections:     [photonic] [energy.photonic] [cpu]"},
     {NULL},
     NULL},
    {"recall --backend cim --spins 20 --patterns 2 --trials 1",
     0,
     {"recall on cpu (fallback of cim)"},
     {NULL},
     NULL},
    {"recall --spins 20 --set bogus.x=1",
     2,
     {NULL},
     {"valid sections: run, cpu, energy.cpu, cavity"},
     "cavity, cavity"},
    {"recall --backend photonic --spins 20 --set cpu.bogus=1",
     2,
     {NULL},
     {"unknown parameter cpu.bogus"},
     NULL},
    /* Unknown keys, sections and options list the valid ones. */
    {"solve --problem sk:12:1 --set run.bogus=3",
     2,
     {NULL},
     {"physopt: error: unknown parameter run.bogus", "valid:", "replicas", "target_cut"},
     NULL},
    {"solve --problem sk:12:1 --set cpu.nope=1",
     2,
     {NULL},
     {"unknown parameter cpu.nope", "kernel"},
     NULL},
    {"solve --problem sk:12:1 --set foo.bar=1",
     2,
     {NULL},
     {"unknown section [foo]", "run", "energy.cpu"},
     NULL},
    {"solve --frob 1", 2, {NULL}, {"unknown option '--frob'", "--replicas", "--set"}, NULL},
    {"solve --problem sk:12:1 --set run.replicas", 2, {NULL}, {"section.key=value"}, NULL},
    {"solve --problem sk:12:1 --replicas", 2, {NULL}, {"--replicas needs a value"}, NULL},
    {"solve --problem sk:12:1 extra", 2, {NULL}, {"unexpected argument 'extra'"}, NULL},
    /* Bad values name the parameter and the accepted range. */
    {"solve --problem sk:12:1 --replicas 0",
     2,
     {NULL},
     {"run.replicas = 0 is outside the accepted range [1, "},
     NULL},
    {"solve --problem sk:12:1 --sweeps 2.5",
     2,
     {NULL},
     {"run.steps = '2.5' is not an integer"},
     NULL},
    {"solve --problem sk:12:1 --set energy.cpu.mac_j=5",
     2,
     {NULL},
     {"energy.cpu.mac_j = 5 is outside the accepted range [0, 1]"},
     NULL},
    {"solve --problem sk:12:1 --set cpu.kernel=fast",
     2,
     {NULL},
     {"cpu.kernel = 'fast' is not one of auto|general|multispin"},
     NULL},
    {"solve --problem sk:12:1 --set run.json=maybe", 2, {NULL}, {"run.json", "true|false"}, NULL},
    {"solve --problem sk:12:1 --backend warp", 2, {NULL}, {"unknown backend 'warp'", "cpu"}, NULL},
    {"solve --problem sk:12:1 --algorithm qa", 2, {NULL}, {"'qa'", "sa|pt"}, NULL},
    {"solve --problem sk:12:1 --target-energy -1 --target-cut 3", 2, {NULL}, {"both set"}, NULL},
    {"solve --problem sk:12:1 --schedule bogus:1",
     2,
     {NULL},
     {"schedule 'bogus:1' not understood"},
     NULL},
    {"solve --problem sk:12:1 --set schedule.kind=geometric",
     2,
     {NULL},
     {"schedule.start and schedule.end"},
     NULL},
    {"solve --problem sk:12:1 --schedule geometric:0.1:3 --set schedule.start=1",
     2,
     {NULL},
     {"use one form"},
     NULL},
    {"solve --problem sk:12:1 --schedule geometric:0:3", 2, {NULL}, {"start > 0"}, NULL},
    /* Files: missing, malformed, config errors name file and line. */
    {"solve --problem {TMP}/absent.txt", 4, {NULL}, {"{TMP}/absent.txt"}, NULL},
    {"solve --problem {TMP}/bad.txt", 3, {NULL}, {"{TMP}/bad.txt:3", "out of range"}, NULL},
    {"solve --config {TMP}/absent.ini", 4, {NULL}, {"{TMP}/absent.ini"}, NULL},
    {"solve --config {TMP}/syntax.ini", 3, {NULL}, {"{TMP}/syntax.ini:2"}, NULL},
    {"solve --config {TMP}/unknown.ini",
     2,
     {NULL},
     {"unknown parameter run.sweeps", "valid:", "steps"},
     NULL},
    {"solve --problem sk:12:1 --out {TMP}/no/such/dir/r.h5 --sweeps 10",
     4,
     {NULL},
     {"{TMP}/no/such/dir/r.h5"},
     NULL},
    /* Successful runs: table and JSON; config values and overrides. */
    {"solve --problem sk:12:1 --replicas 4 --sweeps 50",
     0,
     {"problem        sk:12:1  (N = 12, 66 edges)", "cpu / sa, 4 replicas x 50 steps",
      "best energy", "energy ledger"},
     {NULL},
     "error"},
    {"solve --config {TMP}/good.ini --json",
     0,
     {"\"replicas\": 6", "\"steps\": 40", "\"algorithm\": \"pt\"", "\"n\": 10"},
     {NULL},
     "error"},
    {"solve --config {TMP}/good.ini --replicas 3 --set run.steps=30 --json",
     0,
     {"\"replicas\": 3", "\"steps\": 30", "\"algorithm\": \"pt\""},
     {NULL},
     "error"},
    /* Issue 12 item 7: an output that cannot be written fails before the
     * work (train used to fail after training, without errno). */
    {"train --out /proc/physopt-x.h5 --epochs 1",
     4,
     {NULL},
     {"run.out = /proc/physopt-x.h5: cannot write there", "No such file or directory"},
     "Epoch"},
    /* Issue 12 item 11: an existing result (here any existing file) is not
     * replaced without --force, e.g. when a stored config is re-run. */
    {"solve --problem sk:12:1 --steps 10 --out {TMP}/good.ini",
     4,
     {NULL},
     {"run.out = {TMP}/good.ini exists: pass --force"},
     NULL},
    /* Robustness (regressions): a directory as a config or sweep file is a
     * read error, not an empty configuration. */
    {"solve --config {TMP}", 4, {NULL}, {"cannot read config file {TMP}: Is a directory"}, NULL},
    {"sweep {TMP} --dry-run", 4, {NULL}, {"cannot read config file {TMP}"}, NULL},
    /* Usage errors exit 2 (no leak under ASan turns it into 1). */
    {"sweep {TMP}/a.ini {TMP}/b.ini", 2, {NULL}, {"unexpected argument"}, "LeakSanitizer"},
    {"train --frob", 2, {NULL}, {"unknown option '--frob'"}, "LeakSanitizer"},
    {"eval --help", 0, {"usage: physopt eval"}, {NULL}, "LeakSanitizer"},
    /* Model files are untrusted: bad numbers are rejected before use. */
    {"eval --model {TMP}/m_qbits.h5",
     3,
     {NULL},
     {"{TMP}/m_qbits.h5: quant_w_bits = 40", "accepted"},
     "runtime error"},
    {"eval --model {TMP}/m_huge.h5",
     3,
     {NULL},
     {"{TMP}/m_huge.h5: attribute 'sizes': layer 1 has size 200000000"},
     NULL},
    {"eval --model {TMP}/m_nan.h5",
     3,
     {NULL},
     {"{TMP}/m_nan.h5: group layer0 holds non-finite"},
     NULL},
    {"eval --model {TMP}/m_float.h5",
     3,
     {NULL},
     {"{TMP}/m_float.h5: not a physopt MLP model"},
     NULL},
    /* Issue 12 item 9: a model without its format attribute is refused,
     * and so are settings of a backend the evaluation does not run. */
    {"eval --model {TMP}/m_noformat.h5",
     3,
     {NULL},
     {"{TMP}/m_noformat.h5: not a physopt MLP model (no 'format' attribute"},
     NULL},
    {"eval --model {TMP}/model_keep.h5 --set photonic.photons_per_mac=1",
     2,
     {NULL},
     {"photonic.photons_per_mac is a setting of backend photonic", "run.backend = cpu"},
     NULL},
    {"eval --model {TMP}/model_keep.h5 --backend photonic --set cim.dt=0.1",
     2,
     {NULL},
     {"cim.dt is a setting of backend cim", "it would be ignored"},
     NULL},
    /* merge refuses a file that is not a sweep's (and leaves it alone). */
    {"merge {TMP}/model_keep.h5",
     3,
     {NULL},
     {"{TMP}/model_keep.h5: not a sweep results file"},
     NULL},
    {"merge {TMP}/bad.txt", 3, {NULL}, {"{TMP}/bad.txt: not an HDF5 file"}, NULL},
    /* sweep never replaces a file that is not its master. */
    {"sweep {TMP}/sw.ini --out {TMP}/model_keep.h5",
     2,
     {NULL},
     {"{TMP}/model_keep.h5 exists and is an HDF5 file of another kind"},
     NULL},
    {"sweep {TMP}/sw.ini --out {TMP}/bad.txt",
     2,
     {NULL},
     {"{TMP}/bad.txt exists and is not an HDF5"},
     NULL},
    /* Output paths are checked before the run, not after it. */
    {"solve --problem sk:12:1 --sweeps 10 --out {TMP}",
     4,
     {NULL},
     {"run.out = {TMP} is a directory"},
     NULL},
    {"recall --spins 20 --capacity-sweep 0.1:0.2:0.1 --samples 1 --trials 1 --plot "
     "{TMP}/no/p.png",
     4,
     {NULL},
     {"run.plot = {TMP}/no/p.png: cannot write there"},
     NULL},
    {"report {TMP}/model_keep.h5",
     3,
     {NULL},
     {"{TMP}/model_keep.h5: not a physopt results file"},
     NULL},
    {"solve --problem ''", 2, {NULL}, {"problem.spec is empty"}, NULL},
    /* recall: malformed grids, P overflow, --plot without a sweep. */
    {"recall --spins 20 --capacity-sweep 0.1:0.2:0.1xyz",
     2,
     {NULL},
     {"run.capacity_sweep = '0.1:0.2:0.1xyz': expected A:B:STEP"},
     NULL},
    {"recall --spins 20 --capacity-sweep 1e9:1e9:1",
     2,
     {NULL},
     {"run.capacity_sweep = '1e9:1e9:1'", "at most 100000"},
     NULL},
    {"recall --spins 20 --patterns 2 --trials 1 --plot {TMP}/r.png",
     2,
     {NULL},
     {"--plot (run.plot) needs --capacity-sweep"},
     NULL},
    /* Options a command would silently ignore. */
    {"train --layers 784-10- --epochs 0", 2, {NULL}, {"layer sizes '784-10-'"}, NULL},
    {"backends --out {TMP}/b.h5", 2, {NULL}, {"--out (run.out) is not accepted"}, NULL},
    {"report {TMP}/model_keep.h5 --out {TMP}/r.h5",
     2,
     {NULL},
     {"--out (run.out) is not accepted"},
     NULL},
    {"eval --model {TMP}/model_keep.h5 --out {TMP}/e.h5",
     2,
     {NULL},
     {"--out (run.out) needs --sweep-photons"},
     NULL},
    {"eval --model {TMP}/absent.h5 --sweep-photons 1,2,",
     2,
     {NULL},
     {"run.sweep_photons = '1,2,': expected positive numbers"},
     NULL},
    /* Schedule tables: one clean line naming file and line. */
    {"solve --problem sk:12:1 --schedule table:{TMP}/sched_trail.txt",
     3,
     {NULL},
     {"{TMP}/sched_trail.txt:2: trailing text '3' after"},
     NULL},
    {"solve --problem sk:12:1 --schedule table:{TMP}/sched_range.txt",
     3,
     {NULL},
     {"{TMP}/sched_range.txt:1: value ' 1e400' out of the range"},
     NULL},
    {"solve --problem sk:12:1 --schedule table:{TMP}", 4, {NULL}, {"Is a directory"}, NULL},
    {"solve --problem sk:12:1 --replicas 2 --sweeps 20 --json --target-cut 1e9",
     0,
     {"\"success_probability\": 0,", "\"tts99_s\": null"},
     {NULL},
     "error"},
};

static const char *bin_path(void) {
  static char path[256];
  const char *build = getenv("BUILD");
  snprintf(path, sizeof path, "%s/physopt", build && *build ? build : "build");
  return path;
}

/* Replaces {TMP} and {DATA}. */
static void expand(const char *in, char *out, size_t size) {
  size_t n = 0;
  while (*in && n + 1 < size) {
    const char *rep = NULL;
    size_t skip = 0;
    if (!strncmp(in, "{TMP}", 5)) rep = tmpdir, skip = 5;
    if (!strncmp(in, "{DATA}", 6)) rep = data_dir, skip = 6;
    if (rep) {
      n += (size_t)snprintf(out + n, size - n, "%s", rep);
      in += skip;
    } else {
      out[n++] = *in++;
    }
  }
  out[n < size ? n : size - 1] = '\0';
}

/* Runs physopt with args; returns the exit code, fills out/err (malloc'd). */
static int run(const char *args, char **out, char **err) {
  char ex[2048], cmd[4096], errpath[128];
  expand(args, ex, sizeof ex);
  snprintf(errpath, sizeof errpath, "%s/stderr.txt", tmpdir);
  snprintf(cmd, sizeof cmd, "%s %s 2>%s", bin_path(), ex, errpath);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t cap = 1 << 16, len = 0;
  *out = malloc(cap);
  size_t got;
  while ((got = fread(*out + len, 1, cap - len - 1, p)) > 0) {
    len += got;
    if (len + 1 == cap) *out = realloc(*out, cap *= 2);
  }
  (*out)[len] = '\0';
  int status = pclose(p);
  FILE *e = fopen(errpath, "r");
  assert_non_null(e);
  *err = calloc(1 << 16, 1);
  size_t elen = fread(*err, 1, (1 << 16) - 1, e);
  (*err)[elen] = '\0';
  fclose(e);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void write_file(const char *name, const char *text) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static int setup(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/physopt-cli-XXXXXX");
  if (!mkdtemp(tmpdir)) return -1;
  data_dir = getenv("PHYSOPT_DATA");
  if (!data_dir || !*data_dir) data_dir = "../shared/data";
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

/* Replaces integer attribute `name` of the file's root by vals[0..n-1]
 * (as doubles when as_double). */
static void set_attr(const char *path, const char *name, const double *vals, int n, int as_double) {
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  assert_true(f >= 0);
  if (H5Aexists(f, name) > 0) H5Adelete(f, name);
  hsize_t dim = (hsize_t)n;
  hid_t sp = H5Screate_simple(1, &dim, NULL);
  hid_t a = H5Acreate2(f, name, as_double ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT, sp, H5P_DEFAULT,
                       H5P_DEFAULT);
  assert_true(a >= 0);
  int iv[8];
  for (int i = 0; i < n; i++) iv[i] = (int)vals[i];
  assert_true(H5Awrite(a, as_double ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT,
                       as_double ? (const void *)vals : (const void *)iv) >= 0);
  H5Aclose(a);
  H5Sclose(sp);
  H5Fclose(f);
}

/* Small 4-3-2 model files, each broken in one way. */
static void write_models(void) {
  static const int sizes[3] = {4, 3, 2};
  const char *names[] = {"model_keep.h5", "m_qbits.h5", "m_huge.h5",
                         "m_nan.h5",      "m_float.h5", "m_noformat.h5"};
  for (int k = 0; k < 6; k++) {
    po_mlp *m;
    assert_int_equal(po_mlp_create(2, sizes, 1, &m), PO_OK);
    if (k == 1) m->quant_w_bits = 40;
    if (k == 3) m->W[0][0] = NAN;
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, names[k]);
    assert_int_equal(po_mlp_save(m, path, 0, NULL, NULL), PO_OK);
    po_mlp_destroy(m);
    if (k == 2) set_attr(path, "sizes", (const double[]){4, 2e8, 2}, 3, 0);
    if (k == 4) set_attr(path, "sizes", (const double[]){4.5, 3, 2}, 3, 1);
    if (k == 5) {
      hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
      assert_true(f >= 0 && H5Adelete(f, "format") >= 0);
      H5Fclose(f);
    }
  }
}

static void test_cases(void **state) {
  (void)state;
  write_file("bad.txt", "3 2\n1 2 1\n1 9 1\n");
  write_file("syntax.ini", "[run]\nthis line has no equals sign\n");
  write_file("unknown.ini", "[run]\nsweeps = 10\n");
  write_file("good.ini", "; a run configured in a file\n[run]\nalgorithm = pt\nreplicas = 6\n"
                         "steps = 40\n[problem]\nspec = sk:10:3:pm\n");
  write_models();
  write_file("sw.ini", "[run]\nreplicas = 2\nsteps = 10, 20\n[problem]\nspec = sk:10:1\n");
  write_file("sched_trail.txt", "0 1\n1 2 3\n");
  write_file("sched_range.txt", "0 1e400\n1 2\n");
  int failures = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const cli_case *c = &cases[i];
    char *out, *err;
    int code = run(c->args, &out, &err);
    int ok = code == c->exit_code;
    char want[512];
    for (int k = 0; k < 4 && c->out[k]; k++) {
      expand(c->out[k], want, sizeof want);
      ok = ok && strstr(out, want);
    }
    for (int k = 0; k < 4 && c->err[k]; k++) {
      expand(c->err[k], want, sizeof want);
      ok = ok && strstr(err, want);
    }
    if (c->not_err) ok = ok && !strstr(err, c->not_err);
    if (!ok) {
      failures++;
      fprintf(stderr, "FAILED: physopt %s\n  exit %d (expected %d)\n  stdout: %s\n  stderr: %s\n",
              c->args, code, c->exit_code, out, err);
    }
    free(out);
    free(err);
  }
  assert_int_equal(failures, 0);
  /* `merge` above refused model_keep.h5 and left it intact. */
  char path[256];
  snprintf(path, sizeof path, "%s/model_keep.h5", tmpdir);
  po_mlp *m = NULL;
  assert_int_equal(po_mlp_load(path, &m), PO_OK);
  assert_int_equal(m->sizes[1], 3);
  po_mlp_destroy(m);
}

/* A solve result given to merge is refused and stays readable. */
static void test_merge_keeps_non_sweep_file(void **state) {
  (void)state;
  char *out, *err;
  assert_int_equal(
      run("solve --problem sk:12:1 --replicas 2 --sweeps 10 --out {TMP}/keep.h5", &out, &err), 0);
  free(out);
  free(err);
  assert_int_equal(run("merge {TMP}/keep.h5", &out, &err), 3);
  assert_non_null(strstr(err, "not a sweep results file"));
  free(out);
  free(err);
  char path[256];
  snprintf(path, sizeof path, "%s/keep.h5", tmpdir);
  po_h5_provenance prov;
  po_h5_run r;
  assert_int_equal(po_h5_load_run(path, &prov, &r), PO_OK);
  assert_int_equal(r.samples.replicas, 2);
  po_h5_run_free(&r);
  po_h5_provenance_free(&prov);
}

/* The value of "key": in a JSON text (NaN for null or absent). */
static double json_number(const char *json, const char *key) {
  char pat[128];
  snprintf(pat, sizeof pat, "\"%s\": ", key);
  const char *p = strstr(json, pat);
  if (!p) return NAN;
  p += strlen(pat);
  if (!strncmp(p, "null", 4)) return NAN;
  char *end;
  double v = strtod(p, &end);
  return end == p ? NAN : v;
}

/* Exhaustive ground energy of a model with n <= 20 spins. */
static double exhaustive_ground(const po_ising *m) {
  int n = m->n;
  int8_t s[32];
  double best = INFINITY;
  for (uint32_t x = 0; x < (1u << n); x++) {
    for (int i = 0; i < n; i++) s[i] = (x >> i) & 1 ? 1 : -1;
    double e = po_ising_energy(m, s);
    if (e < best) best = e;
  }
  return best;
}

static void test_solve_finds_exhaustive_ground(void **state) {
  (void)state;
  static const char *const specs[] = {"sk:12:1", "sk:14:5:pm"};
  for (int k = 0; k < 2; k++) {
    po_ising *m;
    assert_int_equal(po_problem_open(specs[k], NULL, &m), PO_OK);
    double ground = exhaustive_ground(m);
    char args[256], *out, *err;
    snprintf(args, sizeof args, "solve --problem %s --replicas 16 --sweeps 500 --json", specs[k]);
    assert_int_equal(run(args, &out, &err), 0);
    double best = json_number(out, "best_energy");
    assert_true(fabs(best - ground) <= 1e-9 * fabs(ground));
    assert_true(json_number(out, "n") == m->n);
    assert_true(json_number(out, "replicas") == 16);
    if (!m->h) assert_true(fabs(json_number(out, "best_cut") - po_ising_cut(m, ground)) < 1e-6);
    assert_true(json_number(out, "wall_s") >= 0);
    assert_true(json_number(out, "energy_j") > 0);
    assert_non_null(strstr(out, "\"ledger\": {"));
    free(out);
    free(err);
    /* With the exact ground energy as target every replica that reached it
     * counts: p > 0, TTS99 finite. */
    snprintf(args, sizeof args,
             "solve --problem %s --replicas 16 --sweeps 500 --json --target-energy %.17g", specs[k],
             ground);
    assert_int_equal(run(args, &out, &err), 0);
    double p = json_number(out, "success_probability");
    assert_true(p > 0 && p <= 1);
    assert_true(isfinite(json_number(out, "tts99_s")));
    free(out);
    free(err);
    po_ising_destroy(m);
  }
}

/* Shared SK instance with its ground energy from ground_energies.txt: the
 * default target is the known ground energy. */
static void test_solve_known_ground_default_target(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/sk/SK1_N20_0.txt", data_dir);
  if (access(path, R_OK) != 0) {
    fprintf(stderr, "%s missing: skipping\n", path);
    skip();
  }
  po_ising *m;
  assert_int_equal(po_problem_open(path, NULL, &m), PO_OK);
  assert_true(m->has_ground);
  char args[1024], *out, *err;
  snprintf(args, sizeof args, "solve --problem %s --replicas 8 --sweeps 300 --json", path);
  assert_int_equal(run(args, &out, &err), 0);
  assert_true(json_number(out, "target_energy") == m->ground_energy);
  assert_true(json_number(out, "best_energy") == m->ground_energy);
  assert_true(json_number(out, "success_probability") > 0);
  free(out);
  free(err);
  po_ising_destroy(m);
}

/* --out: the file holds the run; its samples re-evaluate to its energies,
 * the provenance reproduces the command; 1 and 2 threads agree bit for bit. */
static void test_solve_out_and_threads(void **state) {
  (void)state;
  po_h5_run runs[2];
  for (int t = 0; t < 2; t++) {
    char args[512], *out, *err;
    snprintf(args, sizeof args,
             "solve --problem sk:40:9:pm --replicas 70 --sweeps 200 --seed 42 --threads %d "
             "--out {TMP}/run%d.h5 --json",
             t + 1, t);
    assert_int_equal(run(args, &out, &err), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/run%d.h5", tmpdir, t);
    po_h5_provenance prov;
    assert_int_equal(po_h5_load_run(path, &prov, &runs[t]), PO_OK);
    assert_true(runs[t].metrics.best_energy == json_number(out, "best_energy"));
    assert_true(runs[t].ledger.wall_s == json_number(out, "wall_s"));
    assert_int_equal(runs[t].samples.replicas, 70);
    assert_int_equal(runs[t].seed, 42);
    assert_string_equal(runs[t].problem.source, "sk:40:9:pm");
    assert_non_null(strstr(prov.command_line, "--seed 42"));
    assert_non_null(strstr(prov.config, "replicas = 70"));
    assert_non_null(strstr(prov.config, "[energy.cpu]"));
    assert_true(prov.seed == 42);
    po_ising *m;
    assert_int_equal(po_problem_open("sk:40:9:pm", NULL, &m), PO_OK);
    assert_true(runs[t].problem.content_hash == m->content_hash);
    for (int r = 0; r < 70; r++) {
      double e = po_ising_energy(m, runs[t].samples.spins + (size_t)r * 40);
      assert_true(fabs(e - runs[t].samples.energy[r]) < 1e-9);
    }
    po_ising_destroy(m);
    po_h5_provenance_free(&prov);
    free(out);
    free(err);
  }
  assert_memory_equal(runs[0].samples.spins, runs[1].samples.spins, 70 * 40);
  assert_memory_equal(runs[0].samples.energy, runs[1].samples.energy, 70 * sizeof(double));
  po_h5_run_free(&runs[0]);
  po_h5_run_free(&runs[1]);
}

/* The progress bar appears only on a terminal and only after the delay
 * (1 s; PHYSOPT_PROGRESS_AFTER=0 removes it for the test): none through a
 * pipe even without delay; on a pseudo-terminal from script(1) (skipped
 * without it) a bar with no delay, none for a short run with the default. */
static void test_progress_bar_only_on_terminal(void **state) {
  (void)state;
  const char *args = "solve --problem sk:200:1:pm --replicas 64 --sweeps 300 --json";
  char *out, *err;
  setenv("PHYSOPT_PROGRESS_AFTER", "0", 1);
  assert_int_equal(run(args, &out, &err), 0);
  assert_null(strstr(err, "solve ["));
  free(out);
  free(err);
  if (system("command -v script >/dev/null 2>&1") != 0) {
    unsetenv("PHYSOPT_PROGRESS_AFTER");
    fprintf(stderr, "no script(1): skipping the terminal half\n");
    return;
  }
  for (int delay = 0; delay < 2; delay++) {
    if (delay) unsetenv("PHYSOPT_PROGRESS_AFTER");
    char cmd[1024], log[128];
    snprintf(log, sizeof log, "%s/tty%d.txt", tmpdir, delay);
    snprintf(cmd, sizeof cmd, "script -qec '%s %s >/dev/null' %s >/dev/null 2>&1", bin_path(),
             delay ? "solve --problem sk:20:1 --replicas 4 --sweeps 20" : args, log);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char buf[8192];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    buf[len] = '\0';
    fclose(f);
    if (delay)
      assert_null(strstr(buf, "solve ["));
    else
      assert_non_null(strstr(buf, "solve ["));
  }
}

/* Without --problem, solve runs the demonstration: G22 with the target cut
 * 13359 (E = 19990 - 2 x 13359 = -6728), here with a tiny budget. */
static void test_demo_defaults(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/gset/G22.txt", data_dir);
  if (access(path, R_OK) != 0) {
    fprintf(stderr, "%s missing: skipping\n", path);
    skip();
  }
  char *out, *err;
  assert_int_equal(run("solve --replicas 2 --sweeps 10 --json", &out, &err), 0);
  assert_non_null(strstr(out, "G22.txt\","));
  assert_true(json_number(out, "n") == 2000);
  assert_true(json_number(out, "n_edges") == 19990);
  assert_true(json_number(out, "target_energy") == -6728);
  assert_true(json_number(out, "best_cut") > 10000);
  free(out);
  free(err);
  /* The table names the equivalent command. */
  assert_int_equal(run("solve --replicas 2 --sweeps 10", &out, &err), 0);
  assert_non_null(strstr(err, "--target-cut 13359"));
  assert_non_null(strstr(out, "the best-known cut of G22"));
  free(out);
  free(err);
}

/* solve runs on every backend that can anneal (itself or through its
 * fallback): valid JSON summary, energies consistent with the problem. */
static void test_solve_every_backend(void **state) {
  (void)state;
  po_ising *m;
  assert_int_equal(po_problem_open("sk:12:2:pm", NULL, &m), PO_OK);
  double ground = exhaustive_ground(m);
  for (size_t i = 0; i < po_backend_count(); i++) {
    const po_backend_ops *ops = po_backend_ops_at(i);
    const po_backend_ops *fb = ops->fallback ? po_backend_find(ops->fallback) : NULL;
    if (!((ops->caps | (fb ? fb->caps : 0)) & PO_CAP_ISING)) continue;
    char args[256], want[64], *out, *err;
    snprintf(args, sizeof args,
             "solve --problem sk:12:2:pm --backend %s --replicas 4 --steps 100 --json", ops->name);
    int code = run(args, &out, &err);
    if (code != 0) fprintf(stderr, "physopt %s: exit %d: %s\n", args, code, err);
    assert_int_equal(code, 0);
    snprintf(want, sizeof want, "\"backend\": \"%s\"", ops->name);
    assert_non_null(strstr(out, want));
    double best = json_number(out, "best_energy");
    /* An energy of some +/-1 state: at or above the ground, integer-valued. */
    assert_true(best >= ground - 1e-9 && best == floor(best));
    assert_true(isnan(json_number(out, "target_energy"))); /* no known ground */
    assert_true(json_number(out, "energy_j") >= 0);
    free(out);
    free(err);
  }
  po_ising_destroy(m);
}

/* JSON strings are escaped: a problem file whose name holds a quote, a
 * backslash and a tab. */
static void test_json_escapes_strings(void **state) {
  (void)state;
  char path[256];
  snprintf(path, sizeof path, "%s/we\"ird\\na\tme.txt", tmpdir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("3 3\n1 2 1\n2 3 1\n1 3 1\n", f);
  fclose(f);
  char *out, *err;
  assert_int_equal(
      run("solve --problem '{TMP}/we\"ird\\na\tme.txt' --replicas 2 --sweeps 10 --json", &out,
          &err),
      0);
  char want[256];
  snprintf(want, sizeof want, "\"problem\": \"%s/we\\\"ird\\\\na\\tme.txt\",", tmpdir);
  assert_non_null(strstr(out, want));
  /* Triangle: the best cut is 2 of 3 edges (E = -1). */
  assert_true(json_number(out, "best_energy") == -1);
  assert_true(json_number(out, "best_cut") == 2);
  free(out);
  free(err);
}

static char *slurp_pipe(const char *cmd) {
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t cap = 1 << 16, len = 0, got;
  char *text = malloc(cap);
  while ((got = fread(text + len, 1, cap - len - 1, p)) > 0) {
    len += got;
    if (len + 1 == cap) text = realloc(text, cap *= 2);
  }
  text[len] = '\0';
  assert_int_equal(pclose(p), 0);
  return text;
}

/* docs/cli.md ends with every subcommand's --help, generated by
 * scripts/cli-reference.sh: it must match the binary (regenerate with
 * that script when an option changes).  The MPI build's sweep --help
 * differs by a line, so the check runs in the plain build only. */
static void test_cli_reference_is_current(void **state) {
  (void)state;
  char cmd[600];
  snprintf(cmd, sizeof cmd, "%s sweep --help", bin_path());
  char *sweep_help = slurp_pipe(cmd);
  int mpi_build = strstr(sweep_help, "not in this build") == NULL;
  free(sweep_help);
  if (mpi_build) skip();
  snprintf(cmd, sizeof cmd, "sh scripts/cli-reference.sh %s", bin_path());
  char *want = slurp_pipe(cmd);
  char *doc = slurp_pipe("cat docs/cli.md");
  const char *mark = strstr(doc, "<!-- generated:");
  if (!mark) fail_msg("docs/cli.md has no generated reference (scripts/cli-reference.sh)");
  if (strcmp(mark, want) != 0)
    fail_msg("docs/cli.md is out of date: sh scripts/cli-reference.sh > ref.md and replace "
             "everything from '<!-- generated:' on");
  free(want);
  free(doc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cases),
      cmocka_unit_test(test_merge_keeps_non_sweep_file),
      cmocka_unit_test(test_solve_finds_exhaustive_ground),
      cmocka_unit_test(test_solve_known_ground_default_target),
      cmocka_unit_test(test_solve_out_and_threads),
      cmocka_unit_test(test_solve_every_backend),
      cmocka_unit_test(test_demo_defaults),
      cmocka_unit_test(test_json_escapes_strings),
      cmocka_unit_test(test_progress_bar_only_on_terminal),
      cmocka_unit_test(test_cli_reference_is_current),
  };
  if (access(bin_path(), X_OK) != 0) {
    fprintf(stderr, "%s not built\n", bin_path());
    return 1;
  }
  return cmocka_run_group_tests(tests, setup, teardown);
}
