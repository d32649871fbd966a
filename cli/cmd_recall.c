/* physopt recall: associative-memory recall on any backend with
 * PO_CAP_RECALL, and the capacity sweep (retrieval versus load alpha = P/N,
 * alpha_c, optional basin sizes) with HDF5 output and a gnuplot PNG.
 * Library side: include/physopt/memory.h; physics: docs/cavity.md. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/common.h"
#include "cli/recall_run.h"
#include "io/h5.h"
#include "physopt/memory.h"

static const po_param_section *const base_secs[] = {&po_recall_run_section, &po_cavity_params};

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

static int write_plot(const char *png, const char *title, int nd, char dyn_names[][16], int na,
                      const double *alpha, const double *frac, const double *ovl) {
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
  char tmp_png[4096];
  snprintf(tmp_png, sizeof tmp_png, "%s.tmp", png);
  FILE *g = popen("gnuplot >/dev/null 2>&1", "w");
  if (!g) {
    unlink(dat);
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
  if (st != 0 || rename(tmp_png, png) != 0) {
    unlink(tmp_png);
    return po_error(PO_ERR_IO, "plot: gnuplot failed to write %s", png);
  }
  return PO_OK;
}

static int write_dataset(hid_t loc, const char *name, const double *v, hsize_t n) {
  hid_t sp = H5Screate_simple(1, &n, NULL);
  hid_t ds = H5Dcreate2(loc, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t e = ds < 0 ? -1 : H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  if (ds >= 0) H5Dclose(ds);
  H5Sclose(sp);
  return e < 0 ? po_error(PO_ERR_IO, "HDF5: cannot write dataset %s", name) : PO_OK;
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

int po_cmd_recall(int argc, char **argv) {
  po_cli cli;
  po_recall_setup s = {0};
  char *cmdline = NULL, *config = NULL;
  double *overlaps = NULL, *alpha = NULL, *frac = NULL, *ovl = NULL, *ostd = NULL, *basin = NULL;
  int rc = po_cli_parse(&cli, &spec, argc, argv);
  if (rc) goto done;
  const char *backend, *rule, *dyn_text, *sweep = NULL, *plot = NULL;
  if ((rc = po_params_string(cli.params, &po_recall_run_section, "backend", &backend))) goto done;
  const po_backend_ops *ops = po_backend_find(backend);
  if (!ops) {
    rc = po_backend_open(backend, NULL, &s.b); /* phrases the error with the list */
    goto done;
  }
  const po_param_section *const secs[] = {
      &po_recall_run_section, ops->params ? ops->params : &po_cavity_params,
      ops->energy ? ops->energy : &po_cavity_params, &po_cavity_params};
  if ((rc = po_params_check(cli.params, secs, PO_CLI_N(secs)))) goto done;
  if ((rc = po_cli_read_common(&cli, &po_recall_run_section))) goto done;
  long n, P;
  double basin_step;
  if ((rc = po_cli_check_task(cli.params, "recall", "recall")) ||
      (rc = po_recall_read(cli.params, &s, &P, &rule, &dyn_text, &basin_step)))
    goto done;
  n = s.n;
  if (po_params_get(cli.params, "run", "capacity_sweep"))
    po_params_string(cli.params, &po_recall_run_section, "capacity_sweep", &sweep);
  if (po_params_get(cli.params, "run", "plot"))
    po_params_string(cli.params, &po_recall_run_section, "plot", &plot);
  /* The dynamics list. */
  po_recall_dynamics dyn[3];
  char dyn_names[3][16];
  int nd = 0;
  {
    char buf[128];
    snprintf(buf, sizeof buf, "%s", dyn_text);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
      if (nd == 3) {
        rc = po_error(PO_ERR_ARG, "run.dynamics: at most three entries");
        goto done;
      }
      if ((rc = po_recall_dynamics_parse(tok, &dyn[nd]))) goto done;
      snprintf(dyn_names[nd], sizeof dyn_names[nd], "%s", tok);
      nd++;
    }
  }
  if (plot && !sweep) {
    rc = po_error(PO_ERR_ARG, "--plot (run.plot) needs --capacity-sweep");
    goto done;
  }
  if (plot && (rc = po_cli_check_out(plot, "run.plot"))) goto done;
  if (nd == 0 || (!sweep && nd > 1)) {
    rc =
        po_error(PO_ERR_ARG, "run.dynamics: give one dynamics (a list only with --capacity-sweep)");
    goto done;
  }
  if (!sweep && P >= n && s.rule == PO_RULE_PSEUDOINVERSE) {
    rc = po_error(PO_ERR_ARG, "run.patterns = %ld: the pseudoinverse rule needs P < N = %ld", P, n);
    goto done;
  }
  s.n = (int)n;
  s.seed = cli.seed;
  s.threads = cli.threads;
  if ((rc = po_backend_open(backend, cli.params, &s.b))) goto done;
  po_backend_set_seed(s.b, cli.seed);
  if (!(po_backend_caps(s.b) & PO_CAP_RECALL)) {
    rc = po_error(PO_ERR_UNSUPPORTED, "backend %s has no recall", backend);
    goto done;
  }
  hid_t none = -1;
  (void)none;
  if (!sweep) {
    /* ---- one recall experiment ---- */
    po_recall_stats st;
    overlaps = malloc(sizeof(double) * P * s.trials);
    if (!overlaps) {
      rc = po_error(PO_ERR_NOMEM, "recall: out of memory");
      goto done;
    }
    if ((rc = po_recall_point(&s, (int)P, dyn[0], 0, &st, overlaps, NULL, 0))) goto done;
    const po_ledger *l = po_backend_ledger(s.b);
    if (cli.out) {
      po_h5_quiet();
      po_h5_file f;
      cmdline = po_cli_command_line();
      config = po_params_to_ini(cli.params);
      po_h5_provenance prov = {.command_line = cmdline, .config = config, .seed = cli.seed};
      if ((rc = po_h5_file_begin(cli.out, &f))) goto done;
      hid_t g = H5Gcreate2(f.id, "recall", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      rc = po_h5_write_provenance(f.id, &prov);
      if (!rc) rc = write_common_attrs(g, &s, backend);
      if (!rc) rc = po_h5_attr_string(g, "dynamics", dyn_names[0]);
      if (!rc) rc = po_h5_attr_int64(g, "patterns", P);
      if (!rc) rc = po_h5_attr_double(g, "overlap_mean", st.overlap_mean);
      if (!rc) rc = po_h5_attr_double(g, "recall_fraction", st.recall_fraction);
      if (!rc) rc = po_h5_attr_double(g, "energy_j", po_ledger_total_joules(l));
      if (!rc) rc = po_h5_attr_double(g, "device_s", l->device_s);
      if (!rc) rc = write_dataset(g, "overlaps", overlaps, (hsize_t)(P * s.trials));
      H5Gclose(g);
      if (!rc)
        rc = po_h5_file_commit(&f);
      else
        po_h5_file_abort(&f);
      if (rc) goto done;
    }
    if (cli.json) {
      po_json j;
      po_json_begin(&j, stdout);
      po_json_string(&j, "backend", backend);
      po_json_string(&j, "rule", rule);
      po_json_string(&j, "dynamics", dyn_names[0]);
      po_json_int(&j, "spins", n);
      po_json_int(&j, "patterns", P);
      po_json_number(&j, "alpha", (double)P / n);
      po_json_number(&j, "corruption", s.F);
      po_json_int(&j, "trials", st.trials);
      po_json_uint(&j, "seed", cli.seed);
      po_json_number(&j, "overlap_mean", st.overlap_mean);
      po_json_number(&j, "overlap_std", st.overlap_std);
      po_json_number(&j, "recall_fraction", st.recall_fraction);
      po_json_number(&j, "flips_mean", st.flips_mean);
      json_ledger(&j, l);
      po_json_string(&j, "out", cli.out);
      po_json_end(&j);
    } else {
      printf("recall on %s: N = %ld, P = %ld (alpha = %.4g), rule %s, dynamics %s, %.3g of "
             "bits flipped\n",
             backend, n, P, (double)P / n, rule, dyn_names[0], s.F);
      printf("  overlap m = %.4f +/- %.4f, recall fraction (m > 0.95) = %.4f over %d trials\n",
             st.overlap_mean, st.overlap_std, st.recall_fraction, st.trials);
      printf("  mean flips %.2f, wall %.3g s, device %.3g s, energy %.4g J\n", st.flips_mean,
             l->wall_s, l->device_s, po_ledger_total_joules(l));
      if (cli.out) printf("  results: %s\n", cli.out);
    }
    goto done;
  }
  /* ---- capacity sweep ---- */
  double a0, a1, da;
  if ((rc = parse_grid(sweep, n, &a0, &a1, &da))) goto done;
  const int na = (int)floor((a1 - a0) / da + 1e-9) + 1;
  alpha = malloc(sizeof(double) * na);
  frac = calloc((size_t)nd * na, sizeof(double));
  ovl = calloc((size_t)nd * na, sizeof(double));
  ostd = calloc((size_t)nd * na, sizeof(double));
  basin = calloc((size_t)nd * na, sizeof(double));
  if (!alpha || !frac || !ovl || !ostd || !basin) {
    rc = po_error(PO_ERR_NOMEM, "recall: out of memory");
    goto done;
  }
  double ac[3];
  for (int k = 0; k < na; k++) {
    const int Pk = (int)lround((a0 + k * da) * n);
    alpha[k] = (double)(Pk < 1 ? 1 : Pk) / n;
  }
  for (int d = 0; d < nd; d++) {
    for (int k = 0; k < na; k++) {
      const int Pk = (int)lround(alpha[k] * n);
      if (s.rule == PO_RULE_PSEUDOINVERSE && Pk >= n) {
        rc = po_error(PO_ERR_ARG, "capacity sweep: the pseudoinverse rule needs alpha < 1");
        goto done;
      }
      double m = 0, m2 = 0, f = 0, bs = 0;
      for (long smp = 0; smp < s.samples; smp++) {
        po_recall_stats st;
        double bsz = NAN;
        /* Identical patterns and cues for every dynamics (set id k, smp). */
        if ((rc = po_recall_point(&s, Pk, dyn[d], (uint64_t)k * 100003u + smp, &st, NULL,
                                  basin_step > 0 ? &bsz : NULL, basin_step)))
          goto done;
        m += st.overlap_mean;
        m2 += st.overlap_mean * st.overlap_mean;
        f += st.recall_fraction;
        bs += isnan(bsz) ? 0 : bsz;
      }
      ovl[d * na + k] = m / s.samples;
      ostd[d * na + k] = sqrt(fmax(0, m2 / s.samples - ovl[d * na + k] * ovl[d * na + k]));
      frac[d * na + k] = f / s.samples;
      basin[d * na + k] = basin_step > 0 ? bs / s.samples : NAN;
    }
    ac[d] = po_memory_alpha_c(na, alpha, frac + d * na);
  }
  const po_ledger *l = po_backend_ledger(s.b);
  if (cli.out) {
    po_h5_quiet();
    po_h5_file f;
    cmdline = po_cli_command_line();
    config = po_params_to_ini(cli.params);
    po_h5_provenance prov = {.command_line = cmdline, .config = config, .seed = cli.seed};
    if ((rc = po_h5_file_begin(cli.out, &f))) goto done;
    rc = po_h5_write_provenance(f.id, &prov);
    hid_t top = H5Gcreate2(f.id, "capacity", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (!rc) rc = write_common_attrs(top, &s, backend);
    if (!rc) rc = po_h5_attr_int64(top, "samples", s.samples);
    if (!rc) rc = write_dataset(top, "alpha", alpha, (hsize_t)na);
    for (int d = 0; d < nd && !rc; d++) {
      hid_t g = H5Gcreate2(top, dyn_names[d], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      rc = po_h5_attr_double(g, "alpha_c", ac[d]);
      if (!rc) rc = write_dataset(g, "recall_fraction", frac + d * na, (hsize_t)na);
      if (!rc) rc = write_dataset(g, "overlap_mean", ovl + d * na, (hsize_t)na);
      if (!rc) rc = write_dataset(g, "overlap_std_over_samples", ostd + d * na, (hsize_t)na);
      if (!rc && basin_step > 0) rc = write_dataset(g, "basin", basin + d * na, (hsize_t)na);
      H5Gclose(g);
    }
    H5Gclose(top);
    if (!rc)
      rc = po_h5_file_commit(&f);
    else
      po_h5_file_abort(&f);
    if (rc) goto done;
  }
  if (plot) {
    char title[256];
    snprintf(title, sizeof title, "%s, N = %ld, rule %s, corruption %.3g", backend, n, rule, s.F);
    if ((rc = write_plot(plot, title, nd, dyn_names, na, alpha, frac, ovl))) goto done;
  }
  if (cli.json) {
    po_json j;
    po_json_begin(&j, stdout);
    po_json_string(&j, "backend", backend);
    po_json_string(&j, "rule", rule);
    po_json_int(&j, "spins", n);
    po_json_number(&j, "corruption", s.F);
    po_json_int(&j, "samples", s.samples);
    po_json_int(&j, "trials", s.trials);
    po_json_uint(&j, "seed", cli.seed);
    po_json_array(&j, "alpha");
    for (int k = 0; k < na; k++) po_json_number(&j, NULL, alpha[k]);
    po_json_close(&j);
    po_json_object(&j, "dynamics");
    for (int d = 0; d < nd; d++) {
      po_json_object(&j, dyn_names[d]);
      po_json_number(&j, "alpha_c", ac[d]);
      po_json_array(&j, "recall_fraction");
      for (int k = 0; k < na; k++) po_json_number(&j, NULL, frac[d * na + k]);
      po_json_close(&j);
      po_json_array(&j, "overlap_mean");
      for (int k = 0; k < na; k++) po_json_number(&j, NULL, ovl[d * na + k]);
      po_json_close(&j);
      if (basin_step > 0) {
        po_json_array(&j, "basin");
        for (int k = 0; k < na; k++) po_json_number(&j, NULL, basin[d * na + k]);
        po_json_close(&j);
      }
      po_json_close(&j);
    }
    po_json_close(&j);
    json_ledger(&j, l);
    po_json_string(&j, "out", cli.out);
    po_json_string(&j, "plot", plot);
    po_json_end(&j);
  } else {
    printf("capacity sweep on %s: N = %ld, rule %s, corruption %.3g, %ld pattern sets x %ld "
           "cues per pattern\n",
           backend, n, rule, s.F, s.samples, s.trials);
    printf("  %-8s", "alpha");
    for (int d = 0; d < nd; d++)
      printf(basin_step > 0 ? "  %-13s recall  overlap  basin" : "  %-13s recall  overlap",
             dyn_names[d]);
    printf("\n");
    for (int k = 0; k < na; k++) {
      printf("  %-8.4f", alpha[k]);
      for (int d = 0; d < nd; d++) {
        printf("  %-13s %6.3f  %7.4f", "", frac[d * na + k], ovl[d * na + k]);
        if (basin_step > 0) printf("  %5.3f", basin[d * na + k]);
      }
      printf("\n");
    }
    for (int d = 0; d < nd; d++) printf("  alpha_c(%s) = %.4f\n", dyn_names[d], ac[d]);
    if (cli.out) printf("  results: %s\n", cli.out);
    if (plot) printf("  plot: %s\n", plot);
  }
done:
  free(overlaps);
  free(alpha);
  free(frac);
  free(ovl);
  free(ostd);
  free(basin);
  free(cmdline);
  free(config);
  po_backend_close(s.b);
  po_cli_free(&cli);
  return po_cli_exit(rc);
}
