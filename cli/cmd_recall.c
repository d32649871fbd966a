/* physopt recall: associative-memory recall on any backend with
 * PO_CAP_RECALL, and the capacity sweep (retrieval versus load alpha = P/N,
 * alpha_c, optional basin sizes) with HDF5 output and a gnuplot PNG.
 * Library side: include/physopt/memory.h; physics: docs/cavity.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/common.h"
#include "core/atomic_file.h"
#include "cli/recall_run.h"
#include "cli/run_config.h"
#include "io/h5.h"
#include "physopt/memory.h"

static const po_param_section *const base_secs[] = {&po_recall_run_section};

static const po_cli_option opts[] = {
    {"backend", "run.backend", "NAME", "backend (cpu, cavity)"},
    {"spins", "run.spins", "N", "number of neurons"},
    {"patterns", "run.patterns", "P", "number of stored patterns"},
    {"rule", "run.rule", "RULE", "hebbian|pseudoinverse|native"},
    {"dynamics", "run.dynamics", "DYN", "glauber|steepest|semiclassical (comma list in sweeps)"},
    {"corruption", "run.corruption", "F", "fraction of flipped bits in each cue"},
    {"trials", "run.trials", "T", "cues per pattern"},
    {"samples", "run.samples", "S", "pattern sets per load (capacity sweep)"},
    {"max-sweeps", "run.max_sweeps", "K", "sweep limit"},
    {"capacity-sweep", "run.capacity_sweep", "A:B:STEP", "sweep alpha = P/N over this grid"},
    {"basin-step", "run.basin_step", "DF", "capacity sweep: basin sizes on this corruption grid"},
    {"plot", "run.plot", "FILE.png", "capacity sweep: plot recall versus alpha"},
    {NULL, NULL, NULL, NULL}};

static const po_cli_spec spec = {
    "recall",
    "[--backend cpu|cavity] [--spins N] [--patterns P] [--rule hebbian|pseudoinverse|native]\n"
    "       [--dynamics glauber|steepest|semiclassical] [--corruption F] [--trials T]\n"
    "       [--capacity-sweep A:B:STEP [--samples S] [--basin-step DF] [--plot FILE.png]]\n"
    "       [--seed X] [--threads T] [--out FILE.h5] [--json]",
    "Stores P random +/-1 patterns in N neurons with a storage rule, corrupts each into\n"
    "T cues (a fraction F of bits flipped), lets the backend's dynamics relax them and\n"
    "reports the overlap m = (1/N) sum xi_i s_i and the recall fraction (share of\n"
    "trials with m > 0.95).  With --capacity-sweep it repeats this over the load\n"
    "alpha = P/N for each listed dynamics and reports alpha_c (where the recall\n"
    "fraction falls below 1/2).  The native rule stores the fixed points of the\n"
    "confocal-cavity connectivity of N ensembles (--set cavity.spread=..., sigma_a).",
    opts,
    base_secs,
    PO_CLI_N(base_secs),
    0};

/* A:B:STEP, the whole text (no trailing characters); B * N stored
 * patterns at most run.patterns' limit, so P = alpha N fits. */
static int parse_grid(const char *text, long n, double *a, double *b, double *step) {
  int used = -1;
  if (sscanf(text, "%lf:%lf:%lf%n", a, b, step, &used) != 3 || used < 0 || text[used] ||
      !(*a > 0) || !(*b >= *a) || !(*step > 0) || (*b - *a) / *step > 10000)
    return po_error(PO_ERR_ARG,
                    "run.capacity_sweep = '%s': expected A:B:STEP with 0 < A <= B, STEP > 0 "
                    "(at most 10000 points)",
                    text);
  if (*b * (double)n > 100000)
    return po_error(PO_ERR_ARG,
                    "run.capacity_sweep = '%s': B = %g gives P = B N = %.4g patterns for N = %ld "
                    "(accepted: at most 100000)",
                    text, *b, *b * (double)n, n);
  return PO_OK;
}

static int write_plot(const char *png, const char *title, int nd, const char dyn_names[][16],
                      int na, const double *alpha, const double *frac, const double *ovl) {
  char dat[] = "/tmp/physopt-capacity-XXXXXX";
  int fd = mkstemp(dat);
  if (fd < 0) return po_error(PO_ERR_IO, "plot: cannot create a temporary file");
  FILE *f = fdopen(fd, "w");
  for (int d = 0; d < nd; d++) {
    for (int k = 0; k < na; k++)
      fprintf(f, "%.6g %.6g %.6g\n", alpha[k], frac[d * na + k], ovl[d * na + k]);
    fprintf(f, "\n\n");
  }
  fclose(f);
  po_atomic_file out;
  int rc = po_atomic_begin(&out, png);
  if (rc) {
    unlink(dat);
    return rc;
  }
  const char *tmp_png = out.tmp_path;
  FILE *g = popen("gnuplot >/dev/null 2>&1", "w");
  if (!g) {
    unlink(dat);
    po_atomic_abort(&out);
    return po_error(PO_ERR_IO, "plot: cannot run gnuplot");
  }
  fprintf(g, "set terminal pngcairo size 800,500\nset output '%s'\n", tmp_png);
  fprintf(g, "set title '%s' noenhanced\nset xlabel 'load alpha = P/N'\n", title);
  fprintf(g, "set ylabel 'recall fraction (m > 0.95) / mean overlap'\nset key bottom left\n");
  fprintf(g, "set yrange [0:1.05]\nset arrow from 0.138,0 to 0.138,1.05 nohead dt 2\n");
  fprintf(g, "plot ");
  for (int d = 0; d < nd; d++)
    fprintf(g,
            "%s'%s' index %d using 1:2 with linespoints lw 2 title '%s recall', "
            "'%s' index %d using 1:3 with lines dt 3 title '%s overlap'",
            d ? ", " : "", dat, d, dyn_names[d], dat, d, dyn_names[d]);
  fprintf(g, "\n");
  int st = pclose(g);
  unlink(dat);
  if (st != 0) {
    po_atomic_abort(&out);
    return po_error(PO_ERR_IO, "plot: gnuplot failed to write %s", png);
  }
  return po_atomic_commit(&out);
}

static int write_dataset(hid_t loc, const char *name, const double *v, size_t n) {
  return po_h5_write_doubles(loc, name, v, n);
}

static void json_ledger(po_json *j, const po_ledger *l) {
  po_json_number(j, "wall_s", l->wall_s);
  po_json_number(j, "device_s", l->device_s);
  po_json_number(j, "energy_j", po_ledger_total_joules(l));
  po_json_object(j, "ledger");
  for (int i = 0; i < l->n; i++) {
    po_json_object(j, l->e[i].category);
    po_json_number(j, "count", l->e[i].count);
    po_json_string(j, "unit", l->e[i].unit);
    po_json_number(j, "joules", l->e[i].joules);
    po_json_close(j);
  }
  po_json_close(j);
}

static int write_common_attrs(hid_t g, const po_recall_setup *s, const char *backend) {
  int rc;
  if ((rc = po_h5_attr_string(g, "backend", backend)) ||
      (rc = po_h5_attr_string(g, "rule", po_memory_rule_name(s->rule))) ||
      (rc = po_h5_attr_int64(g, "spins", s->n)) ||
      (rc = po_h5_attr_double(g, "corruption", s->F)) ||
      (rc = po_h5_attr_int64(g, "trials_per_pattern", s->trials)) ||
      (rc = po_h5_attr_uint64(g, "seed", s->seed)))
    return rc;
  return PO_OK;
}

/* What the command line asks for, beyond the experiment's settings. */
typedef struct recall_request {
  po_recall_config cfg;                      /* what the library read */
  const char *backend, *rule, *sweep, *plot; /* sweep/plot NULL when absent */
  po_backend_info info;                      /* recall runs on info.serves[PO_OP_RECALL] */
  long patterns;
  double basin_step;
  po_recall_dynamics dyn[3];
  char dyn_names[3][16];
  int nd;
} recall_request;

/* "glauber,steepest" -> dynamics list (at most three). */
static int parse_dynamics_list(const char *text, recall_request *q) {
  char buf[128];
  snprintf(buf, sizeof buf, "%s", text);
  q->nd = 0;
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    if (q->nd == 3) return po_error(PO_ERR_ARG, "run.dynamics: at most three entries");
    int rc = po_recall_dynamics_parse(tok, &q->dyn[q->nd]);
    if (rc) return rc;
    snprintf(q->dyn_names[q->nd], sizeof q->dyn_names[q->nd], "%s", tok);
    q->nd++;
  }
  if (q->nd == 0 || (!q->sweep && q->nd > 1))
    return po_error(PO_ERR_ARG,
                    "run.dynamics: give one dynamics (a list only with --capacity-sweep)");
  return PO_OK;
}

/* "cpu", or "cpu (fallback of cim)" when the backend recalls on its
 * fallback: the label names the backend that did the work. */
static const char *recall_server(const struct recall_request *q, char *buf, size_t size) {
  const char *server = po_backend_info_server(&q->info, PO_OP_RECALL);
  if (server && strcmp(server, q->backend))
    snprintf(buf, size, "%s (fallback of %s)", server, q->backend);
  else
    snprintf(buf, size, "%s", q->backend);
  return buf;
}

/* The library checks and reads the configuration (po_recall_config_read,
 * as for the Python binding's physopt.recall); the command adds the
 * dynamics list of a capacity sweep and its output files.  s->b is not
 * opened yet. */
static int read_request(po_cli *cli, po_recall_setup *s, recall_request *q) {
  int rc;
  if ((rc = po_recall_config_read(cli->params, &q->cfg)) ||
      (rc = po_cli_read_common(cli, &po_recall_run_section)))
    return rc;
  const po_recall_config *c = &q->cfg;
  q->backend = c->backend;
  q->rule = c->rule;
  q->info = c->info;
  q->patterns = c->patterns;
  q->basin_step = c->basin_step;
  q->sweep = c->capacity_sweep;
  q->plot = c->plot;
  *s = c->setup;
  if ((rc = parse_dynamics_list(c->dynamics, q))) return rc;
  if (q->plot && (rc = po_cli_check_out(q->plot, "run.plot"))) return rc;
  return PO_OK;
}

/* OUT.h5 written under a temporary name by fill(file, ctx), then renamed. */
static int save_results(const po_cli *cli, int (*fill)(hid_t file, const void *ctx),
                        const void *ctx) {
  po_h5_quiet();
  char *cmdline = po_cli_command_line(), *config = po_params_to_ini(cli->params);
  po_h5_provenance prov = {.command_line = cmdline, .config = config, .seed = cli->seed};
  po_h5_file f;
  int rc = po_h5_file_begin(cli->out, &f);
  if (!rc) {
    rc = po_h5_write_provenance(f.id, &prov);
    if (!rc) rc = fill(f.id, ctx);
    if (!rc)
      rc = po_h5_file_commit(&f);
    else
      po_h5_file_abort(&f);
  }
  free(cmdline);
  free(config);
  return rc;
}

/* ---- one recall experiment ---- */

typedef struct single_result {
  const po_recall_setup *s;
  const recall_request *q;
  const po_recall_result *res; /* po_recall_run */
} single_result;

static int fill_single(hid_t file, const void *ctx) {
  const single_result *r = ctx;
  const po_ledger *l = &r->res->ledger;
  hid_t g;
  int rc = po_h5_group_create(file, "recall", &g);
  if (rc) return rc;
  rc = write_common_attrs(g, r->s, r->q->backend);
  if (!rc) rc = po_h5_attr_string(g, "dynamics", r->q->dyn_names[0]);
  if (!rc) rc = po_h5_attr_int64(g, "patterns", r->q->patterns);
  if (!rc) rc = po_h5_attr_double(g, "overlap_mean", r->res->stats.overlap_mean);
  if (!rc) rc = po_h5_attr_double(g, "recall_fraction", r->res->stats.recall_fraction);
  if (!rc) rc = po_h5_attr_double(g, "energy_j", po_ledger_total_joules(l));
  if (!rc) rc = po_h5_attr_double(g, "device_s", l->device_s);
  if (!rc)
    rc = write_dataset(g, "overlaps", r->res->overlaps, (size_t)(r->q->patterns * r->s->trials));
  po_h5_group_close(g);
  return rc;
}

static void print_single(const po_cli *cli, const single_result *r) {
  const po_recall_setup *s = r->s;
  const recall_request *q = r->q;
  const po_ledger *l = &r->res->ledger;
  const double alpha = (double)q->patterns / s->n;
  if (cli->json) {
    po_json j;
    po_json_begin(&j, stdout);
    po_json_string(&j, "backend", q->backend);
    po_json_string(&j, "rule", q->rule);
    po_json_string(&j, "dynamics", q->dyn_names[0]);
    po_json_int(&j, "spins", s->n);
    po_json_int(&j, "patterns", q->patterns);
    po_json_number(&j, "alpha", alpha);
    po_json_number(&j, "corruption", s->F);
    po_json_int(&j, "trials", r->res->stats.trials);
    po_json_uint(&j, "seed", cli->seed);
    po_json_number(&j, "overlap_mean", r->res->stats.overlap_mean);
    po_json_number(&j, "overlap_std", r->res->stats.overlap_std);
    po_json_number(&j, "recall_fraction", r->res->stats.recall_fraction);
    po_json_number(&j, "flips_mean", r->res->stats.flips_mean);
    json_ledger(&j, l);
    po_json_string(&j, "out", cli->out);
    po_json_end(&j);
    return;
  }
  char where[96];
  printf("recall on %s: N = %d, P = %ld (alpha = %.4g), rule %s, dynamics %s, %.3g of "
         "bits flipped\n",
         recall_server(q, where, sizeof where), s->n, q->patterns, alpha, q->rule, q->dyn_names[0],
         s->F);
  printf("  overlap m = %.4f +/- %.4f, recall fraction (m > 0.95) = %.4f over %d trials\n",
         r->res->stats.overlap_mean, r->res->stats.overlap_std, r->res->stats.recall_fraction,
         r->res->stats.trials);
  printf("  mean flips %.2f, wall %.3g s, device %.3g s, energy %.4g J\n", r->res->stats.flips_mean,
         l->wall_s, l->device_s, po_ledger_total_joules(l));
  if (cli->out) printf("  results: %s\n", cli->out);
}

/* One experiment: po_recall_run, as the Python binding's physopt.recall. */
static int recall_single(const po_cli *cli, const po_recall_setup *s, const recall_request *q) {
  po_recall_result res;
  single_result r = {s, q, &res};
  int rc = po_recall_run(cli->params, &res);
  if (!rc && cli->out) rc = save_results(cli, fill_single, &r);
  if (!rc) print_single(cli, &r);
  po_recall_result_free(&res);
  return rc;
}

/* ---- capacity sweep: recall versus alpha = P/N for each dynamics ---- */

typedef struct capacity {
  const po_recall_setup *s;
  const recall_request *q;
  int na;
  double *alpha;                     /* na */
  double *frac, *ovl, *ostd, *basin; /* nd x na, row d = dynamics d */
  double ac[3];                      /* alpha_c per dynamics */
} capacity;

static void capacity_free(capacity *c) {
  free(c->alpha);
  free(c->frac);
  free(c->ovl);
  free(c->ostd);
  free(c->basin);
}

static int capacity_alloc(capacity *c, const char *grid) {
  double a0, a1, da;
  const int n = c->s->n, nd = c->q->nd;
  int rc = parse_grid(grid, n, &a0, &a1, &da);
  if (rc) return rc;
  const int na = c->na = (int)floor((a1 - a0) / da + 1e-9) + 1;
  c->alpha = malloc(sizeof(double) * na);
  c->frac = calloc((size_t)nd * na, sizeof(double));
  c->ovl = calloc((size_t)nd * na, sizeof(double));
  c->ostd = calloc((size_t)nd * na, sizeof(double));
  c->basin = calloc((size_t)nd * na, sizeof(double));
  if (!c->alpha || !c->frac || !c->ovl || !c->ostd || !c->basin)
    return po_error(PO_ERR_NOMEM, "recall: out of memory");
  for (int k = 0; k < na; k++) {
    const int Pk = (int)lround((a0 + k * da) * n);
    c->alpha[k] = (double)(Pk < 1 ? 1 : Pk) / n;
  }
  return PO_OK;
}

/* Grid point k of dynamics d, averaged over s->samples pattern sets. */
static int capacity_point(capacity *c, int d, int k) {
  const po_recall_setup *s = c->s;
  const int Pk = (int)lround(c->alpha[k] * s->n), i = d * c->na + k;
  const double step = c->q->basin_step;
  if (s->rule == PO_RULE_PSEUDOINVERSE && Pk >= s->n)
    return po_error(PO_ERR_ARG, "capacity sweep: the pseudoinverse rule needs alpha < 1");
  double m = 0, m2 = 0, f = 0, bs = 0;
  for (long smp = 0; smp < s->samples; smp++) {
    po_recall_stats st;
    double bsz = NAN;
    /* Identical patterns and cues for every dynamics (set id k, smp). */
    int rc = po_recall_point(s, Pk, c->q->dyn[d], (uint64_t)k * 100003u + smp, &st, NULL,
                             step > 0 ? &bsz : NULL, step);
    if (rc) return rc;
    m += st.overlap_mean;
    m2 += st.overlap_mean * st.overlap_mean;
    f += st.recall_fraction;
    bs += isnan(bsz) ? 0 : bsz;
  }
  c->ovl[i] = m / s->samples;
  c->ostd[i] = sqrt(fmax(0, m2 / s->samples - c->ovl[i] * c->ovl[i]));
  c->frac[i] = f / s->samples;
  c->basin[i] = step > 0 ? bs / s->samples : NAN;
  return PO_OK;
}

static int fill_capacity(hid_t file, const void *ctx) {
  const capacity *c = ctx;
  const int na = c->na;
  hid_t top;
  int rc = po_h5_group_create(file, "capacity", &top);
  if (rc) return rc;
  rc = write_common_attrs(top, c->s, c->q->backend);
  if (!rc) rc = po_h5_attr_int64(top, "samples", c->s->samples);
  if (!rc) rc = write_dataset(top, "alpha", c->alpha, (size_t)na);
  for (int d = 0; d < c->q->nd && !rc; d++) {
    hid_t g;
    rc = po_h5_group_create(top, c->q->dyn_names[d], &g);
    if (!rc) rc = po_h5_attr_double(g, "alpha_c", c->ac[d]);
    if (!rc) rc = write_dataset(g, "recall_fraction", c->frac + d * na, (size_t)na);
    if (!rc) rc = write_dataset(g, "overlap_mean", c->ovl + d * na, (size_t)na);
    if (!rc) rc = write_dataset(g, "overlap_std_over_samples", c->ostd + d * na, (size_t)na);
    if (!rc && c->q->basin_step > 0) rc = write_dataset(g, "basin", c->basin + d * na, (size_t)na);
    po_h5_group_close(g);
  }
  po_h5_group_close(top);
  return rc;
}

static void json_row(po_json *j, const char *key, const double *v, int n) {
  po_json_array(j, key);
  for (int k = 0; k < n; k++) po_json_number(j, NULL, v[k]);
  po_json_close(j);
}

static void print_capacity_json(const po_cli *cli, const capacity *c) {
  const po_recall_setup *s = c->s;
  const recall_request *q = c->q;
  const int na = c->na;
  po_json j;
  po_json_begin(&j, stdout);
  po_json_string(&j, "backend", q->backend);
  po_json_string(&j, "rule", q->rule);
  po_json_int(&j, "spins", s->n);
  po_json_number(&j, "corruption", s->F);
  po_json_int(&j, "samples", s->samples);
  po_json_int(&j, "trials", s->trials);
  po_json_uint(&j, "seed", cli->seed);
  json_row(&j, "alpha", c->alpha, na);
  po_json_object(&j, "dynamics");
  for (int d = 0; d < q->nd; d++) {
    po_json_object(&j, q->dyn_names[d]);
    po_json_number(&j, "alpha_c", c->ac[d]);
    json_row(&j, "recall_fraction", c->frac + d * na, na);
    json_row(&j, "overlap_mean", c->ovl + d * na, na);
    if (q->basin_step > 0) json_row(&j, "basin", c->basin + d * na, na);
    po_json_close(&j);
  }
  po_json_close(&j);
  json_ledger(&j, po_backend_ledger(s->b));
  po_json_string(&j, "out", cli->out);
  po_json_string(&j, "plot", q->plot);
  po_json_end(&j);
}

static void print_capacity_table(const po_cli *cli, const capacity *c) {
  const po_recall_setup *s = c->s;
  const recall_request *q = c->q;
  const int na = c->na, basin = q->basin_step > 0;
  char where[96];
  printf("capacity sweep on %s: N = %d, rule %s, corruption %.3g, %ld pattern sets x %ld "
         "cues per pattern\n",
         recall_server(q, where, sizeof where), s->n, q->rule, s->F, s->samples, s->trials);
  printf("  %-8s", "alpha");
  for (int d = 0; d < q->nd; d++)
    printf(basin ? "  %-13s recall  overlap  basin" : "  %-13s recall  overlap", q->dyn_names[d]);
  printf("\n");
  for (int k = 0; k < na; k++) {
    printf("  %-8.4f", c->alpha[k]);
    for (int d = 0; d < q->nd; d++) {
      printf("  %-13s %6.3f  %7.4f", "", c->frac[d * na + k], c->ovl[d * na + k]);
      if (basin) printf("  %5.3f", c->basin[d * na + k]);
    }
    printf("\n");
  }
  for (int d = 0; d < q->nd; d++) {
    if (isnan(c->ac[d]))
      printf("  alpha_c(%s): recall stays above 0.5 up to alpha = %.4f (extend the sweep)\n",
             q->dyn_names[d], c->alpha[na - 1]);
    else
      printf("  alpha_c(%s) = %.4f\n", q->dyn_names[d], c->ac[d]);
  }
  if (cli->out) printf("  results: %s\n", cli->out);
  if (q->plot) printf("  plot: %s\n", q->plot);
}

static int recall_capacity(const po_cli *cli, const po_recall_setup *s, const recall_request *q) {
  capacity c = {.s = s, .q = q};
  int rc = capacity_alloc(&c, q->sweep);
  po_cli_progress bar;
  po_cli_progress_init(&bar, "recall --capacity-sweep", cli->quiet);
  po_cli_interrupt_note("nothing was saved: the capacity sweep is written when it completes; "
                        "run the same command again (same seed, same result)");
  for (int d = 0; d < q->nd && !rc; d++) {
    for (int k = 0; k < c.na && !rc; k++) {
      rc = capacity_point(&c, d, k);
      po_cli_progress_update(&bar, (double)(d * c.na + k + 1) / (q->nd * c.na));
    }
    if (!rc) c.ac[d] = po_memory_alpha_c(c.na, c.alpha, c.frac + d * c.na);
  }
  po_cli_progress_done(&bar);
  if (!rc && cli->out) rc = save_results(cli, fill_capacity, &c);
  if (!rc && q->plot) {
    char title[256];
    snprintf(title, sizeof title, "%s, N = %d, rule %s, corruption %.3g", q->backend, s->n, q->rule,
             s->F);
    rc = write_plot(q->plot, title, q->nd, q->dyn_names, c.na, c.alpha, c.frac, c.ovl);
  }
  if (!rc) (cli->json ? print_capacity_json : print_capacity_table)(cli, &c);
  capacity_free(&c);
  return rc;
}

int po_cmd_recall(int argc, char **argv) {
  po_cli cli;
  po_recall_setup s = {0};
  recall_request q = {0};
  int rc = po_cli_parse(&cli, &spec, argc, argv);
  if (!rc) rc = read_request(&cli, &s, &q);
  if (!rc && !q.sweep) rc = recall_single(&cli, &s, &q);
  if (!rc && q.sweep) {
    rc = po_recall_open(cli.params, &q.cfg);
    s.b = q.cfg.setup.b;
    if (!rc) rc = recall_capacity(&cli, &s, &q);
  }
  po_backend_close(s.b);
  po_cli_free(&cli);
  return po_cli_exit(rc);
}
