/* physopt solve: anneal an Ising/MaxCut problem on a backend, print a
 * summary (table or JSON), optionally write the run to HDF5.
 *
 * Every option is a config key ([run], [problem], [schedule] below, plus
 * the backend's [NAME] and [energy.NAME] sections); --config files load
 * first, --set and flags override them in command-line order.  With no
 * arguments the command runs the demonstration: G22 from the shared data
 * directory (PHYSOPT_DATA, else ../shared/data) when present, else a
 * planted Wishart instance with a known ground state. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <unistd.h>
#include "cli/common.h"
#include "io/h5.h"

/* Defaults for the CPU reference backend on G22 (N = 2000, 19990 edges,
 * +/-1 couplings -> multi-spin kernel): 128 replicas (two 64-bit words per
 * spin, one per core) and 5000 sweeps of the default geometric schedule
 * reach the best-known cut 13359 in about 5-10 s on 2 cores
 * (docs/cpu-backend.md). */
#define SOLVE_DEFAULT_REPLICAS "128"
static long default_steps(const char *backend) {
  return !strcmp(backend, "cpu") ? 5000 : 1000;
}

static const po_param_spec run_specs[] = {
    PO_CLI_COMMON_RUN_SPECS,
    {"backend", PO_PARAM_STRING, "cpu", 0, 0, NULL, "", "backend name (physopt backends)"},
    {"algorithm", PO_PARAM_STRING, NULL, 0, 0, NULL, "",
     "annealing algorithm of the backend (cpu: sa|pt); default: the backend's first"},
    {"replicas", PO_PARAM_INT, SOLVE_DEFAULT_REPLICAS, 1, 1 << 24, NULL, "1",
     "independent runs (pt: independent tempering chains)"},
    {"steps", PO_PARAM_INT, NULL, 1, 1e12, NULL, "1",
     "sweeps (cpu) or integration steps (cim); default cpu 5000, other backends 1000"},
    {"target_energy", PO_PARAM_DOUBLE, NULL, -1e300, 1e300, NULL, "1",
     "success when E <= target; default: the problem's known ground energy"},
    {"target_cut", PO_PARAM_DOUBLE, NULL, -1e300, 1e300, NULL, "1",
     "success when cut >= target (MaxCut problems without fields)"},
    {"run_id", PO_PARAM_INT, "0", 0, 9007199254740992.0, NULL, "1",
     "run id: random streams are (seed, run_id, replica)"},
};
static const po_param_section run_sec = {"run", run_specs, PO_CLI_N(run_specs)};

static const po_param_spec problem_specs[] = {
    {"spec", PO_PARAM_STRING, NULL, 0, 0, NULL, "",
     "file (G-set/rudy edge list) or sk:N:SEED[:gauss|:pm] or wishart:N:M:SEED; "
     "default: the demonstration (G22)"},
    {"duplicates", PO_PARAM_STRING, "reject", 0, 0, "reject|sum", "",
     "duplicate edges in files: reject (error naming the line) or sum the weights"},
    {"storage", PO_PARAM_STRING, "auto", 0, 0, "auto|dense|csr", "",
     "coupling storage; auto = CSR below 25% density"},
};
static const po_param_section problem_sec = {"problem", problem_specs, PO_CLI_N(problem_specs)};

static const po_param_spec schedule_specs[] = {
    {"spec", PO_PARAM_STRING, NULL, 0, 0, NULL, "",
     "one-string form: default, linear:A:B, geometric:A:B, tanh:A:B:C, table:FILE"},
    {"kind", PO_PARAM_STRING, "default", 0, 0, "default|linear|geometric|tanh|table", "",
     "default: the backend derives it (cpu: geometric beta from the couplings)"},
    {"start", PO_PARAM_DOUBLE, NULL, -1e300, 1e300, NULL, "1",
     "control value at the first step (cpu: inverse temperature)"},
    {"end", PO_PARAM_DOUBLE, NULL, -1e300, 1e300, NULL, "1", "control value at the last step"},
    {"steepness", PO_PARAM_DOUBLE, "3", 1e-9, 1e6, NULL, "1", "tanh only"},
    {"file", PO_PARAM_STRING, NULL, 0, 0, NULL, "", "table only: lines 't value', t in [0, 1]"},
};
static const po_param_section schedule_sec = {"schedule", schedule_specs, PO_CLI_N(schedule_specs)};

static const po_param_section *const base_secs[] = {&run_sec, &problem_sec, &schedule_sec};

static const po_cli_option opts[] = {
    {"problem", "problem.spec", "FILE|SPEC", "problem file or generator (sk:N:SEED, ...)"},
    {"backend", "run.backend", "NAME", "backend (physopt backends lists them)"},
    {"algorithm", "run.algorithm", "ALG", "annealing algorithm (cpu: sa|pt)"},
    {"replicas", "run.replicas", "R", "independent replicas"},
    {"sweeps", "run.steps", "S", "sweeps per replica (= --steps; default cpu 5000, others 1000)"},
    {"steps", "run.steps", "S", "steps per replica (= --sweeps)"},
    {"schedule", "schedule.spec", "SPEC", "annealing schedule"},
    {"target-energy", "run.target_energy", "E", "success threshold on the energy"},
    {"target-cut", "run.target_cut", "C", "success threshold on the cut"},
    {"duplicates", "problem.duplicates", "reject|sum", "duplicate edges in problem files"},
    {NULL, NULL, NULL, NULL}};

static const po_cli_spec spec = {
    "solve",
    "[--problem FILE|sk:N:SEED] [--backend cpu] [--algorithm sa|pt] [--replicas R]\n"
    "       [--sweeps S] [--seed X] [--threads T] [--schedule SPEC]\n"
    "       [--target-energy E | --target-cut C] [--config FILE.ini] [--set S.K=V]...\n"
    "       [--out FILE.h5] [--json]",
    "Anneals an Ising / MaxCut problem on a backend and reports the best energy and cut,\n"
    "the success probability against the target (the problem's known ground energy\n"
    "unless --target-energy/--target-cut is given), TTS99, wall and device time and the\n"
    "energy ledger.  With no options it runs the demonstration (G22 from the shared\n"
    "data, else wishart:200:200:1).  The backend's own parameters are set with\n"
    "--set BACKEND.KEY=VALUE (physopt backends lists them); besides the sections below,\n"
    "[BACKEND] and [energy.BACKEND] of the chosen backend are valid config sections.",
    opts,
    base_secs,
    PO_CLI_N(base_secs),
    0};

/* The demonstration problem: G22 when the shared data is reachable, else a
 * planted Wishart instance (Hamze et al., Phys. Rev. E 101, 052102, 2020;
 * alpha = M/N = 1) whose ground energy is known. */
#define DEMO_FALLBACK "wishart:200:200:1"
static const char *demo_problem(char *buf, size_t size) {
  const char *dirs[2] = {getenv("PHYSOPT_DATA"), "../shared/data"};
  for (int i = 0; i < 2; i++) {
    if (!dirs[i] || !*dirs[i]) continue;
    snprintf(buf, size, "%s/gset/G22.txt", dirs[i]);
    if (access(buf, R_OK) == 0) return buf;
  }
  return DEMO_FALLBACK;
}

/* Picks the algorithm: the given one must be listed in ops->algorithms
 * ("sa|pt"); the default is the first listed. */
/* The backend that runs ising_anneal: ops itself, or its fallback when it
 * leaves the op NULL (photonic anneals on the cpu reference). */
static const po_backend_ops *annealer(const po_backend_ops *ops) {
  for (int depth = 0; depth < 4 && ops && !ops->ising_anneal && ops->fallback; depth++) {
    const po_backend_ops *fb = po_backend_find(ops->fallback);
    if (!fb) break;
    ops = fb;
  }
  return ops;
}

static int pick_algorithm(const po_backend_ops *requested, const char *given, char *out,
                          size_t size) {
  const po_backend_ops *ops = annealer(requested);
  const char *list = ops->algorithms;
  if (!list || !*list) {
    if (given)
      return po_error(PO_ERR_ARG, "backend %s has no annealing algorithms (run.algorithm = %s)",
                      ops->name, given);
    snprintf(out, size, "default");
    return PO_OK;
  }
  if (!given) {
    size_t len = strcspn(list, "|");
    snprintf(out, size, "%.*s", (int)len, list);
    return PO_OK;
  }
  for (const char *c = list; *c;) {
    size_t len = strcspn(c, "|");
    if (len == strlen(given) && !strncmp(c, given, len)) {
      snprintf(out, size, "%s", given);
      return PO_OK;
    }
    c += len;
    if (*c) c++;
  }
  return po_error(PO_ERR_ARG,
                  "run.algorithm = '%s' is not an algorithm of backend %s%s%s (valid: %s)", given,
                  requested->name, ops != requested ? ", which anneals on " : "",
                  ops != requested ? ops->name : "", list);
}

/* Builds the schedule from schedule.spec or from kind/start/end/... */
static int make_schedule(const po_params *p, po_schedule *s, char *desc, size_t size) {
  memset(s, 0, sizeof *s);
  const char *sp = po_params_get(p, "schedule", "spec");
  static const char *const parts[] = {"kind", "start", "end", "steepness", "file"};
  if (sp) {
    for (size_t i = 0; i < PO_CLI_N(parts); i++)
      if (po_params_get(p, "schedule", parts[i]))
        return po_error(PO_ERR_ARG,
                        "schedule.spec = '%s' and schedule.%s are both set; use one form", sp,
                        parts[i]);
    snprintf(desc, size, "%s", sp);
    int rc = po_schedule_parse(s, sp);
    return rc ? po_error_wrap(rc, "schedule.spec") : PO_OK;
  }
  const char *kind;
  int rc = po_params_string(p, &schedule_sec, "kind", &kind);
  if (rc) return rc;
  if (!strcmp(kind, "default")) {
    snprintf(desc, size, "default");
    return PO_OK;
  }
  if (!strcmp(kind, "table")) {
    const char *file = po_params_get(p, "schedule", "file");
    if (!file) return po_error(PO_ERR_ARG, "schedule.kind = table needs schedule.file");
    snprintf(desc, size, "table:%s", file);
    return po_schedule_load_table(s, file);
  }
  double a, b, c = 0;
  if (!po_params_get(p, "schedule", "start") || !po_params_get(p, "schedule", "end"))
    return po_error(PO_ERR_ARG, "schedule.kind = %s needs schedule.start and schedule.end", kind);
  if ((rc = po_params_double(p, &schedule_sec, "start", &a)) ||
      (rc = po_params_double(p, &schedule_sec, "end", &b)) ||
      (rc = po_params_double(p, &schedule_sec, "steepness", &c)))
    return rc;
  po_schedule_kind k = !strcmp(kind, "linear")      ? PO_SCHED_LINEAR
                       : !strcmp(kind, "geometric") ? PO_SCHED_GEOMETRIC
                                                    : PO_SCHED_TANH;
  if (k == PO_SCHED_TANH)
    snprintf(desc, size, "tanh:%g:%g:%g", a, b, c);
  else
    snprintf(desc, size, "%s:%g:%g", kind, a, b);
  return po_schedule_init(s, k, a, b, c);
}

/* Optional double key: *has = 0 when unset. */
static int optional_double(const po_params *p, const char *key, int *has, double *v) {
  *has = po_params_get(p, "run", key) != NULL;
  return *has ? po_params_double(p, &run_sec, key, v) : PO_OK;
}

typedef struct solve_result {
  const po_ising *m;
  const char *backend, *algorithm, *schedule, *out;
  long steps;
  int threads;
  uint64_t seed;
  const char *target_note;
  po_metrics met;
  const po_ledger *led;
} solve_result;

static void print_number(const char *fmt, double v) {
  if (isfinite(v))
    printf(fmt, v);
  else
    printf("%s", isnan(v) ? "n/a" : (v > 0 ? "inf" : "-inf"));
}

static void print_table(const solve_result *r) {
  const po_ising *m = r->m;
  const po_metrics *x = &r->met;
  const po_ledger *l = r->led;
  printf("problem        %s  (N = %d, %ld edges)\n", m->source, m->n, m->n_edges);
  printf("backend        %s / %s, %d replicas x %ld steps, seed %llu, schedule %s\n", r->backend,
         r->algorithm, x->replicas, r->steps, (unsigned long long)r->seed, r->schedule);
  printf("best energy    %.10g", x->best_energy);
  if (isfinite(x->best_cut)) printf("   (cut %.10g)", x->best_cut);
  printf("\nmean energy    %.10g   (median %.10g)\n", x->mean_energy, x->median_energy);
  if (x->has_target) {
    printf("target energy  %.10g   (%s)\n", x->target_energy, r->target_note);
    int hits = (int)lround(x->success_probability * x->replicas);
    printf("success prob.  %.4g   (%d of %d replicas)\n", x->success_probability, hits,
           x->replicas);
    printf("TTS99          ");
    print_number("%.4g s", x->tts99_s);
    printf("   (per-replica run time %.4g s)\n", l->run_s);
  } else {
    printf("target         none (no known ground energy; pass --target-energy or --target-cut)\n");
  }
  printf("wall time      %.4g s   device time %.4g s\n", l->wall_s, l->device_s);
  printf("energy ledger  %-22s %14s %-10s %12s\n", "category", "count", "unit", "joules");
  for (int i = 0; i < l->n; i++)
    printf("               %-22s %14.6g %-10s %12.4g\n", l->e[i].category, l->e[i].count,
           l->e[i].unit, l->e[i].joules);
  printf("               %-22s %14s %-10s %12.4g\n", "total", "", "", po_ledger_total_joules(l));
  if (r->out) printf("results        %s\n", r->out);
}

static void print_json(const solve_result *r) {
  const po_ising *m = r->m;
  const po_metrics *x = &r->met;
  const po_ledger *l = r->led;
  po_json j;
  po_json_begin(&j, stdout);
  po_json_string(&j, "problem", m->source);
  po_json_int(&j, "n", m->n);
  po_json_int(&j, "n_edges", m->n_edges);
  po_json_string(&j, "backend", r->backend);
  po_json_string(&j, "algorithm", r->algorithm);
  po_json_string(&j, "schedule", r->schedule);
  po_json_int(&j, "replicas", x->replicas);
  po_json_int(&j, "steps", r->steps);
  po_json_int(&j, "seed", (long long)r->seed);
  po_json_int(&j, "threads", r->threads);
  po_json_number(&j, "best_energy", x->best_energy);
  po_json_number(&j, "best_cut", x->best_cut);
  po_json_number(&j, "mean_energy", x->mean_energy);
  po_json_number(&j, "median_energy", x->median_energy);
  po_json_number(&j, "target_energy", x->has_target ? x->target_energy : NAN);
  po_json_number(&j, "success_probability", x->success_probability);
  po_json_number(&j, "tts99_s", x->tts99_s);
  po_json_number(&j, "residual_energy", x->residual_energy);
  po_json_number(&j, "approx_ratio", x->approx_ratio);
  po_json_number(&j, "wall_s", l->wall_s);
  po_json_number(&j, "device_s", l->device_s);
  po_json_number(&j, "run_s", l->run_s);
  po_json_number(&j, "energy_j", po_ledger_total_joules(l));
  po_json_object(&j, "ledger");
  for (int i = 0; i < l->n; i++) {
    po_json_object(&j, l->e[i].category);
    po_json_number(&j, "count", l->e[i].count);
    po_json_string(&j, "unit", l->e[i].unit);
    po_json_number(&j, "joules", l->e[i].joules);
    po_json_close(&j);
  }
  po_json_close(&j);
  po_json_string(&j, "out", r->out);
  po_json_end(&j);
}

int po_cmd_solve(int argc, char **argv) {
  po_cli cli;
  po_ising *m = NULL;
  po_backend *b = NULL;
  po_samples samples = {0};
  po_schedule sched = {0};
  char *cmdline = NULL, *config = NULL;
  char demo_buf[1024], algorithm[64], sched_desc[256], num[96], steps_text[32];
  const char *backend_name, *problem;
  const char *target_note = "";
  int rc = po_cli_parse(&cli, &spec, argc, argv);
  if (rc) goto done;

  /* The backend's sections join the check, so its keys are valid too. */
  if ((rc = po_params_string(cli.params, &run_sec, "backend", &backend_name))) goto done;
  const po_backend_ops *ops = po_backend_find(backend_name);
  if (!ops) {
    rc = po_backend_open(backend_name, NULL, &b); /* phrases the error with the list */
    if (!rc) rc = po_error(PO_ERR_NOT_FOUND, "unknown backend '%s'", backend_name);
    goto done;
  }
  const po_param_section *const secs[] = {&run_sec, &problem_sec, &schedule_sec, ops->params,
                                          ops->energy};
  if ((rc = po_params_check(cli.params, secs, PO_CLI_N(secs)))) goto done;
  if ((rc = po_cli_read_common(&cli, &run_sec))) goto done;

  /* Run settings. */
  long replicas, steps, run_id;
  const char *alg_given = po_params_get(cli.params, "run", "algorithm");
  if ((rc = po_params_int(cli.params, &run_sec, "replicas", &replicas)) ||
      (rc = po_params_int(cli.params, &run_sec, "run_id", &run_id)) ||
      (rc = pick_algorithm(ops, alg_given, algorithm, sizeof algorithm)))
    goto done;
  if (po_params_get(cli.params, "run", "steps")) {
    if ((rc = po_params_int(cli.params, &run_sec, "steps", &steps))) goto done;
  } else {
    steps = default_steps(annealer(ops)->name);
  }
  int has_te, has_tc;
  double target_e = 0, target_c = 0;
  if ((rc = optional_double(cli.params, "target_energy", &has_te, &target_e)) ||
      (rc = optional_double(cli.params, "target_cut", &has_tc, &target_c)))
    goto done;
  if (has_te && has_tc) {
    rc = po_error(PO_ERR_ARG, "run.target_energy and run.target_cut are both set; give one");
    goto done;
  }

  /* Problem. */
  const char *dup, *storage;
  if ((rc = po_params_string(cli.params, &problem_sec, "duplicates", &dup)) ||
      (rc = po_params_string(cli.params, &problem_sec, "storage", &storage)))
    goto done;
  problem = po_params_get(cli.params, "problem", "spec");
  int demo_g22 = 0;
  if (!problem || !*problem) {
    /* The demonstration: G22 with the best-known cut 13359 (Benlic & Hao
     * 2013, ../shared/data/README.md) as the target unless one is given. */
    problem = demo_problem(demo_buf, sizeof demo_buf);
    demo_g22 = strcmp(problem, DEMO_FALLBACK) != 0;
    const char *extra = "";
    if (demo_g22 && !has_te && !has_tc) {
      has_tc = 1;
      target_c = 13359;
      extra = " --target-cut 13359";
      if ((rc = po_params_set(cli.params, "run.target_cut", "13359"))) goto done;
    }
    if (!cli.json)
      fprintf(stderr,
              "physopt: no --problem given: running the demonstration, as\n"
              "  physopt solve --problem %s%s\n",
              problem, extra);
  }
  po_load_opts lo = {!strcmp(dup, "sum") ? PO_DUP_SUM : PO_DUP_REJECT,
                     !strcmp(storage, "dense") ? PO_STORAGE_DENSE
                     : !strcmp(storage, "csr") ? PO_STORAGE_CSR
                                               : -1};
  if ((rc = po_problem_open(problem, &lo, &m))) goto done;

  int has_target = 0;
  double target = NAN;
  if (has_te) {
    has_target = 1;
    target = target_e;
    target_note = "run.target_energy";
  } else if (has_tc) {
    if (m->h) {
      rc = po_error(PO_ERR_ARG,
                    "run.target_cut needs a MaxCut problem without fields (%s has "
                    "fields); use run.target_energy",
                    m->source);
      goto done;
    }
    has_target = 1;
    target = po_ising_energy_of_cut(m, target_c);
    snprintf(num, sizeof num, "cut >= %.10g%s", target_c,
             demo_g22 && target_c == 13359 ? ", the best-known cut of G22" : "");
    target_note = num;
  } else if (m->has_ground) {
    has_target = 1;
    target = m->ground_energy;
    target_note = "known ground energy";
  }

  if ((rc = make_schedule(cli.params, &sched, sched_desc, sizeof sched_desc))) goto done;

  /* Record the resolved values so that the provenance reproduces the run. */
  snprintf(steps_text, sizeof steps_text, "%ld", steps);
  if ((rc = po_params_set(cli.params, "run.algorithm", algorithm)) ||
      (rc = po_params_set(cli.params, "run.steps", steps_text)) ||
      (rc = po_params_set(cli.params, "problem.spec", problem)))
    goto done;

  if ((rc = po_backend_open(ops->name, cli.params, &b))) goto done;

  /* Report the thread count actually used. */
  int threads = cli.threads > 0 ? cli.threads : omp_get_max_threads();
  po_cli_progress bar;
  po_cli_progress_init(&bar, "solve");
  po_anneal_opts ao = {.algorithm = algorithm,
                       .replicas = (int)replicas,
                       .steps = steps,
                       .seed = cli.seed,
                       .run_id = (uint64_t)run_id,
                       .threads = threads,
                       .progress = po_cli_progress_update,
                       .progress_ctx = &bar};
  double t0 = po_cli_now();
  rc = po_backend_ising_anneal(b, m, &sched, &ao, &samples);
  double wall = po_cli_now() - t0;
  po_cli_progress_done(&bar);
  if (rc) goto done;

  po_ledger *led = po_backend_ledger(b);
  /* Backends book their own times; fill what one left out. */
  if (led->wall_s <= 0) led->wall_s = wall;
  if (led->device_s <= 0) led->device_s = led->wall_s;
  if (led->run_s <= 0) led->run_s = led->device_s;

  solve_result r = {.m = m,
                    .backend = ops->name,
                    .algorithm = algorithm,
                    .schedule = sched_desc,
                    .out = cli.out,
                    .steps = steps,
                    .threads = threads,
                    .seed = cli.seed,
                    .target_note = target_note,
                    .led = led};
  if ((rc = po_metrics_compute(&samples, m, has_target, target, led->run_s, &r.met))) goto done;

  if (cli.out) {
    cmdline = po_cli_command_line();
    config = po_cli_config_text(cli.params, secs, PO_CLI_N(secs));
    po_h5_provenance prov = {.command_line = cmdline, .config = config, .seed = cli.seed};
    po_h5_run run = {.steps = steps,
                     .threads = threads,
                     .seed = cli.seed,
                     .run_id = (uint64_t)run_id,
                     .samples = samples,
                     .metrics = r.met,
                     .ledger = *led};
    snprintf(run.backend, sizeof run.backend, "%s", ops->name);
    snprintf(run.algorithm, sizeof run.algorithm, "%s", algorithm);
    snprintf(run.schedule, sizeof run.schedule, "%s", sched_desc);
    po_h5_problem_from_ising(&run.problem, m);
    if ((rc = po_h5_save_run(cli.out, &prov, &run))) goto done;
  }
  if (cli.json)
    print_json(&r);
  else
    print_table(&r);

done:
  free(cmdline);
  free(config);
  po_samples_free(&samples);
  po_schedule_free(&sched);
  po_backend_close(b);
  if (m) po_ising_destroy(m);
  po_cli_free(&cli);
  return po_cli_exit(rc);
}
