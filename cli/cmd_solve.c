/* physopt solve: anneal an Ising/MaxCut problem on a backend, print a
 * summary (table or JSON), optionally write the run to HDF5.
 *
 * Every option is a config key ([run], [problem], [schedule] of
 * algorithms/run.c (physopt/run.h), shared with physopt sweep, plus
 * the backend's [NAME] and [energy.NAME] sections); --config files load
 * first, --set and flags override them in command-line order.  With no
 * arguments the command runs the demonstration: G22 from the shared data
 * directory (PHYSOPT_DATA, else ../shared/data) when present, else a
 * planted Wishart instance with a known ground state. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/common.h"
#include "cli/devices.h"
#include "cli/run_config.h"
#include "io/h5.h"
#include "io/h5_trajectory.h"

static const po_param_section *const base_secs[] = {&po_run_section, &po_run_problem_section,
                                                    &po_run_schedule_section};

static const po_cli_option opts[] = {
    {"problem", "problem.spec", "FILE|SPEC", "problem file or generator (sk:N:SEED, ...)"},
    {"backend", "run.backend", "NAME", "backend (physopt backends lists them)"},
    {"algorithm", "run.algorithm", "ALG",
     "annealing algorithm (physopt backends lists each backend's)"},
    {"replicas", "run.replicas", "R", "independent replicas"},
    {"sweeps", "run.steps", "S",
     "sweeps per replica (= --steps; default: the backend's, see physopt backends)"},
    {"steps", "run.steps", "S", "steps per replica (= --sweeps)"},
    {"schedule", "schedule.spec", "SPEC", "annealing schedule"},
    {"target-energy", "run.target_energy", "E", "success threshold on the energy"},
    {"target-cut", "run.target_cut", "C", "success threshold on the cut"},
    {"duplicates", "problem.duplicates", "reject|sum", "duplicate edges in problem files"},
    {"save-trajectories", "run.save_trajectories", NULL,
     "write x(t) of one replica to /trajectory in --out (cim; chunked, compressed)"},
    {"trajectory-every", "run.trajectory_every", "K", "record every K steps"},
    {"trajectory-replica", "run.trajectory_replica", "R", "replica to record"},
    {NULL, NULL, NULL, NULL}};

static const po_cli_spec spec = {
    "solve",
    "[--problem FILE|sk:N:SEED] [--backend cpu] [--algorithm ALG] [--replicas R]\n"
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

typedef struct solve_result {
  const po_ising *m;
  const char *backend, *algorithm, *schedule, *out;
  long steps;
  int threads;
  uint64_t seed;
  const char *target_note;
  po_metrics met;
  const po_ledger *led;
  const po_recipe_choice *recipe; /* the recipe applied (name "none" when none) */
  const int8_t *best;             /* spins of the best replica (first of equal energies) */
  int binary;                     /* QUBO input: report x = (1 + s)/2 and f(x) */
  double qubo_best;               /* f(best x) from the file's terms, exact in double */
} solve_result;

/* States are printed in the text output up to this many spins. */
#define PRINT_STATE_MAX_N 64

/* The best replica's spins; for a QUBO input, its objective f(x) evaluated
 * on the file's own terms (po_qubo_terms_value), so that it matches the
 * user's x^T Q x + offset exactly rather than through float couplings. */
static int best_state(const po_ising *m, const po_samples *smp, const po_load_opts *load,
                      solve_result *r) {
  int b = 0;
  for (int k = 1; k < smp->replicas; k++)
    if (smp->energy[k] < smp->energy[b]) b = k;
  r->best = smp->spins + (size_t)b * smp->n;
  r->binary = m->binary;
  if (!m->binary) return PO_OK;
  po_qubo_terms t;
  int rc = po_qubo_read_file(m->source, load, &t);
  if (rc) return rc;
  uint8_t *x = malloc((size_t)m->n);
  if (!x) {
    po_qubo_terms_free(&t);
    return po_error(PO_ERR_NOMEM, "out of memory");
  }
  for (int i = 0; i < m->n; i++) x[i] = r->best[i] > 0;
  r->qubo_best = po_qubo_terms_value(&t, x);
  free(x);
  po_qubo_terms_free(&t);
  return PO_OK;
}

/* "+-+--" (spins) or "01001" (x) on one line. */
static void print_state(const char *label, const int8_t *s, int n, int binary) {
  printf("%-15s", label);
  for (int i = 0; i < n; i++) putchar(binary ? (s[i] > 0 ? '1' : '0') : (s[i] > 0 ? '+' : '-'));
  putchar('\n');
}

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
  if (strcmp(r->recipe->name, "none"))
    printf("recipe         %s (%s; %s)\n", r->recipe->name, r->recipe->file, r->recipe->note);
  else if (r->recipe->note[0])
    printf("recipe         none (%s)\n", r->recipe->note);
  if (r->binary)
    printf("best energy    %.10g   (QUBO objective x^T Q x + offset of the best x)", r->qubo_best);
  else
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
  if (m->n <= PRINT_STATE_MAX_N) {
    print_state("best spins", r->best, m->n, 0);
    if (r->binary) print_state("best x", r->best, m->n, 1);
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
  po_json_string(&j, "recipe", r->recipe->name);
  po_json_string(&j, "recipe_file", r->recipe->file[0] ? r->recipe->file : NULL);
  po_json_string(&j, "recipe_note", r->recipe->note[0] ? r->recipe->note : NULL);
  po_json_int(&j, "replicas", x->replicas);
  po_json_int(&j, "steps", r->steps);
  po_json_uint(&j, "seed", r->seed);
  po_json_int(&j, "threads", r->threads);
  po_json_bool(&j, "qubo", r->binary);
  po_json_number(&j, "best_energy", r->binary ? r->qubo_best : x->best_energy);
  po_json_number(&j, "best_cut", x->best_cut);
  po_json_int8_array(&j, "best_spins", r->best, (size_t)m->n, 0);
  if (r->binary) po_json_int8_array(&j, "best_x", r->best, (size_t)m->n, 1);
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
  po_cli_model_json(&j, l);
  po_json_string(&j, "out", r->out);
  po_json_end(&j);
}

/* The recorded trajectory, written into the run's file before its rename. */
typedef struct traj_out {
  const po_traj_buffer *b;
  int replica;
  long every;
} traj_out;

static int write_traj(hid_t file, void *ctx) {
  const traj_out *t = ctx;
  return po_h5_write_trajectory(file, t->b, t->replica, t->every);
}

/* problem.spec, or the demonstration when it is absent (G22 gets the
 * best-known cut 13359 as its target unless one is given); opens it and
 * resolves the target.  buf holds the demonstration's path. */
static int open_problem(po_cli *cli, po_run_config *cfg, char *buf, size_t size,
                        const char **problem, po_ising **m) {
  *problem = po_params_get(cli->params, "problem", "spec");
  int demo_g22 = 0, rc;
  if (*problem && !**problem) /* e.g. --problem "$UNSET_VARIABLE" */
    return po_error(PO_ERR_ARG,
                    "problem.spec is empty (give a file or sk:N:SEED; omit --problem for the "
                    "demonstration)");
  if (!*problem) {
    /* Benlic & Hao 2013, ../shared/data/README.md */
    *problem = demo_problem(buf, size);
    demo_g22 = strcmp(*problem, DEMO_FALLBACK) != 0;
    const char *extra = "";
    if (demo_g22 && !cfg->has_target_energy && !cfg->has_target_cut) {
      cfg->has_target_cut = 1;
      cfg->target_cut = 13359;
      extra = " --target-cut 13359";
      if ((rc = po_params_set(cli->params, "run.target_cut", "13359"))) return rc;
    }
    if (!cli->json)
      fprintf(stderr,
              "physopt: no --problem given: running the demonstration, as\n"
              "  physopt solve --problem %s%s\n",
              *problem, extra);
  }
  if ((rc = po_problem_open(*problem, &cfg->load, m)) || (rc = po_run_resolve_target(cfg, *m)))
    return rc;
  if (demo_g22 && cfg->has_target_cut && cfg->target_cut == 13359) {
    size_t len = strlen(cfg->target_note);
    snprintf(cfg->target_note + len, sizeof cfg->target_note - len, ", the best-known cut of G22");
  }
  return PO_OK;
}

/* Records the resolved values so that the provenance reproduces the run. */
static int record_resolved(po_params *p, const po_run_config *cfg, const char *problem) {
  char steps_text[32];
  snprintf(steps_text, sizeof steps_text, "%ld", cfg->steps);
  int rc;
  if ((rc = po_params_set(p, "run.algorithm", cfg->algorithm)) ||
      (rc = po_params_set(p, "run.steps", steps_text)) ||
      (rc = po_params_set(p, "problem.spec", problem)))
    return rc;
  return PO_OK;
}

typedef struct traj_opts {
  int save;
  long every, replica;
} traj_opts;

static int read_traj_opts(const po_cli *cli, const po_run_config *cfg, traj_opts *t) {
  *t = (traj_opts){0, 10, 0};
  int rc;
  if ((rc = po_params_bool(cli->params, &po_run_section, "save_trajectories", &t->save)) ||
      (rc = po_params_int(cli->params, &po_run_section, "trajectory_every", &t->every)) ||
      (rc = po_params_int(cli->params, &po_run_section, "trajectory_replica", &t->replica)))
    return rc;
  if (t->save && !cli->out) return po_error(PO_ERR_ARG, "--save-trajectories needs --out FILE.h5");
  if (t->save && t->replica >= cfg->replicas)
    return po_error(PO_ERR_ARG, "run.trajectory_replica = %ld must be below run.replicas = %ld",
                    t->replica, (long)cfg->replicas);
  return PO_OK;
}

/* The run (and the trajectory) into --out, through a temporary name. */
static int save_solve(const po_cli *cli, const po_params *params,
                      const po_param_section *const *secs, size_t nsecs, const solve_result *r,
                      const po_run_result *res, uint64_t run_id, const traj_opts *t,
                      const po_traj_buffer *traj) {
  if (t->save && traj->records == 0)
    return po_error(PO_ERR_UNSUPPORTED, "backend %s does not record trajectories", r->backend);
  char *cmdline = po_cli_command_line(), *config = po_cli_config_text(params, secs, nsecs);
  po_h5_provenance prov = {.command_line = cmdline, .config = config, .seed = cli->seed};
  po_h5_run run = {.steps = r->steps,
                   .threads = r->threads,
                   .seed = cli->seed,
                   .run_id = run_id,
                   .samples = res->samples,
                   .metrics = res->metrics,
                   .ledger = *res->ledger};
  snprintf(run.backend, sizeof run.backend, "%s", r->backend);
  snprintf(run.algorithm, sizeof run.algorithm, "%s", r->algorithm);
  snprintf(run.schedule, sizeof run.schedule, "%s", r->schedule);
  po_h5_problem_from_ising(&run.problem, r->m);
  traj_out to = {traj, (int)t->replica, t->every};
  int rc = po_h5_save_run_with(cli->out, &prov, &run, t->save ? write_traj : NULL, &to);
  free(cmdline);
  free(config);
  return rc;
}

int po_cmd_solve(int argc, char **argv) {
  po_cli cli;
  po_ising *m = NULL;
  po_run_result res = {0};
  po_traj_buffer traj = {0};
  po_schedule sched = {0};
  po_params *resolved = NULL; /* cli.params with a recipe's values, when one applies */
  char demo_buf[1024], sched_desc[256];
  const char *problem;
  int rc = po_cli_parse(&cli, &spec, argc, argv);
  if (rc) goto done;

  /* The backend's sections join the check, so its keys are valid too. */
  const po_backend_ops *ops;
  po_backend_info info;
  if ((rc = po_run_find_backend(cli.params, &ops)) || (rc = po_backend_info_get(ops->name, &info)))
    goto done;
  const po_param_section *secs[3 + PO_BACKEND_MAX_SECTIONS] = {
      &po_run_section, &po_run_problem_section, &po_run_schedule_section};
  const size_t nsecs = po_run_sections(&info, secs, 3, PO_CLI_N(secs));
  po_run_config cfg;
  traj_opts to;
  if ((rc = po_params_check(cli.params, secs, nsecs)) ||
      (rc = po_cli_check_task(cli.params, "anneal", "solve")) ||
      (rc = po_cli_read_common(&cli, &po_run_section)) ||
      (rc = po_run_config_read(cli.params, ops, &cfg)) ||
      (rc = open_problem(&cli, &cfg, demo_buf, sizeof demo_buf, &problem, &m)) ||
      (rc = po_run_make_schedule(cli.params, &sched, sched_desc, sizeof sched_desc)) ||
      (rc = record_resolved(cli.params, &cfg, problem)) || (rc = read_traj_opts(&cli, &cfg, &to)))
    goto done;
  /* A recipe's values join the configuration here, so that the stored config
   * (HDF5 provenance) holds what ran; po_run_anneal resolves it again to the
   * same values and reports it. */
  po_recipe_choice recipe;
  if ((rc = po_run_recipe_resolve(cli.params, ops->name, cfg.algorithm, m, &resolved, &recipe)))
    goto done;
  const po_params *run_params = resolved ? resolved : cli.params;

  po_cli_progress bar;
  po_cli_progress_init(&bar, "solve", cli.quiet);
  if (cli.out)
    po_cli_interrupt_note("nothing was saved: %s is written only when the run completes; run "
                          "the same command again (same seed, same result)",
                          cli.out);
  po_anneal_opts ao = {.seed = cli.seed,
                       .threads = cli.threads,
                       .progress = po_cli_progress_update,
                       .progress_ctx = &bar};
  if (to.save) {
    ao.trajectory = po_traj_buffer_add;
    ao.trajectory_ctx = &traj;
    ao.trajectory_every = to.every;
    ao.trajectory_replica = (int)to.replica;
  }
  rc = po_run_anneal(&cfg, run_params, m, &sched, &ao, &res);
  po_cli_progress_done(&bar);
  if (rc) goto done;

  solve_result r = {.m = m,
                    .backend = ops->name,
                    .algorithm = cfg.algorithm,
                    .schedule = sched_desc,
                    .out = cli.out,
                    .steps = cfg.steps,
                    .threads = res.threads,
                    .seed = cli.seed,
                    .target_note = cfg.target_note,
                    .recipe = &res.recipe,
                    .met = res.metrics,
                    .led = res.ledger};
  if ((rc = best_state(m, &res.samples, &cfg.load, &r))) goto done;
  if (cli.out && (rc = save_solve(&cli, run_params, secs, nsecs, &r, &res, cfg.run_id, &to, &traj)))
    goto done;
  if (cli.json)
    print_json(&r);
  else
    print_table(&r);

done:
  po_params_destroy(resolved);
  po_traj_buffer_free(&traj);
  po_run_result_free(&res);
  po_schedule_free(&sched);
  if (m) po_ising_destroy(m);
  po_cli_free(&cli);
  return po_cli_exit(rc);
}
