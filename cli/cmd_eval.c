/* physopt eval: test accuracy of a trained model (physopt train --out) on a
 * backend; --sweep-photons runs the photonic backend over a list of photon
 * budgets, next to the exact cpu result, and writes accuracy and energy per
 * MAC to HDF5 (--out) and a PNG plot (--plot, gnuplot). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <omp.h>
#include "cli/common.h"
#include "core/atomic_file.h"
#include "cli/learn_run.h"
#include "io/h5.h"
#include "physopt/learn.h"

static const po_param_section *const base_secs[] = {&po_eval_run_section};

static const po_cli_option options[] = {
    {"model", "run.model", "FILE.h5", "trained model (or SWEEP.h5:/runs/ID/model)"},
    {"backend", "run.backend", "NAME", "cpu | photonic"},
    {"data", "run.data", "NAME", "data set"},
    {"test-samples", "run.test_samples", "N", "use the first N test images"},
    {"batch", "run.batch", "B", "images per product"},
    {"sweep-photons", "run.sweep_photons", "LIST", "e.g. 0.1,0.3,1,3,10,30,100"},
    {"plot", "run.plot", "FILE.png", "plot of the sweep"},
    {"repeats", "run.repeats", "R", "average over R noise realisations"},
    {NULL, NULL, NULL, NULL}};

static const po_cli_spec spec = {
    "eval",
    "--model model.h5 [--backend cpu|photonic] [--sweep-photons LIST [--plot F.png]] [options]",
    "Evaluates a trained model on the test set.  With --sweep-photons the photonic\n"
    "backend ([photonic] parameters apply) is run at each photon budget and the\n"
    "accuracy and energy per MAC are reported next to the exact cpu backend;\n"
    "--out writes them to HDF5 and --plot draws them with gnuplot.",
    options,
    base_secs,
    PO_CLI_N(base_secs),
    0};

typedef po_learn_point point;

static int parse_list(const char *s, double **out, int *n) {
  int cap = 1;
  for (const char *c = s; *c; c++) cap += *c == ',';
  double *v = malloc(sizeof(double) * cap);
  if (!v) return po_error(PO_ERR_NOMEM, "out of memory");
  int k = 0;
  const char *c = s;
  while (*c) {
    char *end;
    double x = strtod(c, &end);
    if (end == c || !(x > 0) || !isfinite(x) || (*end && *end != ',') || (*end == ',' && !end[1])) {
      free(v);
      return po_error(PO_ERR_ARG,
                      "run.sweep_photons = '%s': expected positive numbers "
                      "separated by commas",
                      s);
    }
    v[k++] = x;
    c = *end ? end + 1 : end;
  }
  if (!k) {
    free(v);
    return po_error(PO_ERR_ARG, "run.sweep_photons is empty");
  }
  *out = v;
  *n = k;
  return PO_OK;
}

/* One column of the sweep table as a float64 dataset. */
static int h5_col(hid_t loc, const char *name, const point *pts, int n, size_t off) {
  double *v = malloc(sizeof(double) * n);
  if (!v) return -1;
  for (int i = 0; i < n; i++) v[i] = *(const double *)((const char *)&pts[i] + off);
  int rc = po_h5_write_doubles(loc, name, v, (size_t)n);
  free(v);
  return rc ? -1 : 0;
}

/* Sweep file: root provenance attributes; datasets photons_per_mac,
 * test_accuracy, test_loss, energy_per_mac_j, optical_energy_per_mac_j,
 * wall_s (one entry per budget); group cpu_baseline with the same as
 * attributes. */
static int write_sweep(const char *path, const char *model, const char *cmdline, const char *cfg,
                       uint64_t seed, const point *pts, int n, const point *cpu) {
  po_h5_file out;
  if (po_h5_file_begin(path, &out))
    return po_error_wrap(PO_ERR_IO, "%s: cannot create HDF5 file", path);
  hid_t f = out.id;
  /* Strings as variable-length UTF-8 and the seed as uint64, as in the
   * results files (docs/hdf5-layout.md). */
  int bad = po_h5_attr_string(f, "program", "physopt") ||
            po_h5_attr_string(f, "version", po_version()) ||
            po_h5_attr_string(f, "git_revision", po_git_revision()) ||
            po_h5_attr_string(f, "command_line", cmdline ? cmdline : "") ||
            po_h5_attr_string(f, "config", cfg ? cfg : "") || po_h5_attr_uint64(f, "seed", seed) ||
            po_h5_attr_string(f, "model", model) || po_h5_attr_string(f, "kind", "photon_sweep");
  bad |= h5_col(f, "photons_per_mac", pts, n, offsetof(point, photons));
  bad |= h5_col(f, "test_accuracy", pts, n, offsetof(point, accuracy));
  bad |= h5_col(f, "test_accuracy_sd", pts, n, offsetof(point, accuracy_sd));
  bad |= h5_col(f, "test_loss", pts, n, offsetof(point, loss));
  bad |= h5_col(f, "energy_per_mac_j", pts, n, offsetof(point, e_mac));
  bad |= h5_col(f, "optical_energy_per_mac_j", pts, n, offsetof(point, e_optical));
  bad |= h5_col(f, "wall_s", pts, n, offsetof(point, wall));
  hid_t g;
  if (po_h5_group_create(f, "cpu_baseline", &g) == PO_OK) {
    bad |= po_h5_attr_double(g, "test_accuracy", cpu->accuracy) ||
           po_h5_attr_double(g, "test_loss", cpu->loss) ||
           po_h5_attr_double(g, "energy_per_mac_j", cpu->e_mac);
    po_h5_group_close(g);
  } else {
    bad = 1;
  }
  if (bad) {
    po_h5_file_abort(&out);
    return po_error(PO_ERR_IO, "%s: cannot write the sweep file", path);
  }
  if (po_h5_file_commit(&out))
    return po_error_wrap(PO_ERR_IO, "%s: cannot write the sweep file", path);
  return PO_OK;
}

/* gnuplot: accuracy (left axis) and energy/MAC (right axis, log) against
 * photons/MAC (log), with the cpu accuracy and energy as dashed lines. */
static int plot_sweep(const char *png, const point *pts, int n, const point *cpu) {
  char dat[] = "/tmp/physopt-sweep-XXXXXX";
  int fd = mkstemp(dat);
  if (fd < 0) return po_error(PO_ERR_IO, "cannot create a temporary file for the plot data");
  FILE *f = fdopen(fd, "w");
  for (int i = 0; i < n; i++)
    fprintf(f, "%.9g %.9g %.9g %.9g\n", pts[i].photons, 100 * pts[i].accuracy, pts[i].e_mac,
            pts[i].e_optical);
  fclose(f);
  po_atomic_file out;
  int rc = po_atomic_begin(&out, png);
  if (rc) {
    remove(dat);
    return rc;
  }
  const char *tmp = out.tmp_path;
  FILE *g = popen("gnuplot >/dev/null 2>&1", "w");
  if (!g) {
    remove(dat);
    po_atomic_abort(&out);
    return po_error(PO_ERR_IO, "cannot run gnuplot (Debian package gnuplot-nox)");
  }
  fprintf(g,
          "set terminal pngcairo size 900,600 font 'sans,11'\n"
          "set output '%s'\n"
          "set logscale x\nset logscale y2\n"
          "set xlabel 'detected photons per MAC'\n"
          "set ylabel 'test accuracy (%%)'\nset y2label 'energy per MAC (J)'\n"
          "set ytics nomirror\nset y2tics\nset format y2 '10^{%%L}'\n"
          "set grid\nset key center right\n"
          "set title 'MLP on Fashion-MNIST: photonic inference vs photon budget'\n"
          "plot '%s' u 1:2 w lp pt 7 lw 2 t 'accuracy (photonic)', "
          "%.9g w l dt 2 lw 2 t 'accuracy (cpu, exact)', "
          "'%s' u 1:3 axes x1y2 w lp pt 5 lw 2 t 'energy/MAC (photonic, total)', "
          "'%s' u 1:4 axes x1y2 w lp pt 4 lw 2 t 'energy/MAC (photonic, optical)', "
          "%.9g axes x1y2 w l dt 3 lw 2 t 'energy/MAC (cpu)'\n",
          tmp, dat, 100 * cpu->accuracy, dat, dat, cpu->e_mac);
  int st = pclose(g);
  remove(dat);
  if (st != 0) {
    po_atomic_abort(&out);
    return po_error(PO_ERR_IO, "%s: gnuplot failed (status %d)", png, st);
  }
  return po_atomic_commit(&out);
}

/* Parameters first, files after: a typo fails before any loading.  The
 * library checks and reads the configuration (po_eval_config_read); the
 * command adds its output files. */
static int read_eval_request(po_cli *cli, po_eval_config *q) {
  int rc;
  if ((rc = po_eval_config_read(cli->params, q)) ||
      (rc = po_cli_read_common(cli, &po_eval_run_section)))
    return rc;
  if (q->plot && (rc = po_cli_check_out(q->plot, "run.plot"))) return rc;
  if (cli->out && !q->sweep_photons)
    return po_error(PO_ERR_ARG, "--out (run.out) needs --sweep-photons: a single evaluation "
                                "writes no file (use --json)");
  return PO_OK;
}

/* One evaluation: po_eval_run, as the Python binding's physopt.evaluate. */
static int eval_single(const po_cli *cli, const po_eval_config *q, const po_mlp *m) {
  po_eval_result res;
  int rc = po_eval_run(cli->params, m, &res);
  if (rc) return rc;
  const point r = res.point;
  if (cli->json) {
    po_json j;
    po_json_begin(&j, stdout);
    po_json_string(&j, "command", "eval");
    po_json_string(&j, "model", q->model);
    po_json_string(&j, "backend", q->backend);
    po_json_int(&j, "test_samples", res.test_samples);
    po_json_number(&j, "test_accuracy", r.accuracy);
    po_json_number(&j, "test_accuracy_sd", r.accuracy_sd);
    po_json_number(&j, "test_loss", r.loss);
    po_json_number(&j, "photons_per_mac", r.photons);
    po_json_number(&j, "energy_per_mac_j", r.e_mac);
    po_json_number(&j, "optical_energy_per_mac_j", r.e_optical);
    po_json_number(&j, "wall_s", res.wall_s);
    po_json_end(&j);
    return PO_OK;
  }
  printf("model           %s\n", q->model);
  printf("backend         %s\n", q->backend);
  printf("test accuracy   %.4f   (loss %.4f, %d images)\n", r.accuracy, r.loss, res.test_samples);
  if (!isnan(r.photons)) printf("photons/MAC     %g\n", r.photons);
  printf("energy/MAC      %.3g J (optical %.3g J)\n", r.e_mac, r.e_optical);
  printf("wall            %.2f s\n", res.wall_s);
  return PO_OK;
}

static void print_sweep_json(const po_eval_config *q, const po_dataset *te, const point *pts, int n,
                             const point *cpu, double wall) {
  po_json j;
  po_json_begin(&j, stdout);
  po_json_string(&j, "command", "eval");
  po_json_string(&j, "model", q->model);
  po_json_int(&j, "test_samples", te->n);
  po_json_number(&j, "cpu_test_accuracy", cpu->accuracy);
  po_json_number(&j, "cpu_energy_per_mac_j", cpu->e_mac);
  po_json_array(&j, "sweep");
  for (int i = 0; i < n; i++) {
    po_json_object(&j, NULL);
    po_json_number(&j, "photons_per_mac", pts[i].photons);
    po_json_number(&j, "test_accuracy", pts[i].accuracy);
    po_json_number(&j, "test_accuracy_sd", pts[i].accuracy_sd);
    po_json_number(&j, "test_loss", pts[i].loss);
    po_json_number(&j, "energy_per_mac_j", pts[i].e_mac);
    po_json_number(&j, "optical_energy_per_mac_j", pts[i].e_optical);
    po_json_close(&j);
  }
  po_json_close(&j);
  po_json_number(&j, "wall_s", wall);
  po_json_end(&j);
}

static void print_sweep_row(const point *r) {
  char sd[16] = "-";
  if (!isnan(r->accuracy_sd)) snprintf(sd, sizeof sd, "%.4f", r->accuracy_sd);
  printf("%12g %10.4f %8s %10.4f %14.3g %14.3g %8.2f\n", r->photons, r->accuracy, sd, r->loss,
         r->e_mac, r->e_optical, r->wall);
}

/* Accuracy at each photon budget on the photonic backend, next to the
 * exact cpu evaluation; table or JSON, optional HDF5 and PNG. */
static int eval_photon_sweep(const po_cli *cli, const po_eval_config *q,
                             const po_param_section **secs, size_t nsec, const double *budgets,
                             int n, const po_mlp *m, const po_dataset *te) {
  double t0 = po_cli_now();
  point *pts = calloc((size_t)n, sizeof *pts), cpu;
  po_params *p = NULL;
  char *cfg = NULL, *cmdline = NULL;
  int rc = pts ? po_params_clone(cli->params, &p) : po_error(PO_ERR_NOMEM, "out of memory");
  if (!rc) rc = po_learn_eval_on("cpu", cli->params, cli->seed, 1, m, te, (int)q->batch, &cpu);
  if (!rc && !cli->json)
    printf("%12s %10s %8s %10s %14s %14s %8s\n", "photons/MAC", "accuracy", "sd", "loss",
           "energy/MAC J", "optical J", "wall s");
  for (int i = 0; i < n && !rc; i++) {
    char v[64];
    snprintf(v, sizeof v, "%.17g", budgets[i]);
    rc = po_params_set(p, "photonic.photons_per_mac", v);
    if (!rc)
      rc = po_learn_eval_on("photonic", p, cli->seed, (int)q->repeats, m, te, (int)q->batch,
                            &pts[i]);
    if (!rc && !cli->json) print_sweep_row(&pts[i]);
  }
  if (!rc && !cli->json)
    printf("%12s %10.4f %8s %10.4f %14.3g %14s %8.2f\n", "cpu (exact)", cpu.accuracy, "-", cpu.loss,
           cpu.e_mac, "-", cpu.wall);
  if (!rc && cli->out) {
    cfg = po_cli_config_text(cli->params, secs, nsec);
    cmdline = po_cli_command_line();
    rc = write_sweep(cli->out, q->model, cmdline, cfg, cli->seed, pts, n, &cpu);
  }
  if (!rc && q->plot) rc = plot_sweep(q->plot, pts, n, &cpu);
  if (!rc && cli->json) print_sweep_json(q, te, pts, n, &cpu, po_cli_now() - t0);
  free(cfg);
  free(cmdline);
  free(pts);
  po_params_destroy(p);
  return rc;
}

int po_cmd_eval(int argc, char **argv) {
  po_cli cli;
  po_mlp *m = NULL;
  po_dataset *te = NULL;
  double *budgets = NULL;
  int rc = po_cli_parse(&cli, &spec, argc, argv);
  if (rc == PO_CLI_HELP) return 0;
  if (rc) return po_cli_exit(rc);
  const po_param_section *secs[1 + 2 * 16];
  size_t nsec = po_eval_sections(secs, PO_CLI_N(secs));
  po_eval_config q;
  int n = 0;
  if ((rc = read_eval_request(&cli, &q)) ||
      (q.sweep_photons && (rc = parse_list(q.sweep_photons, &budgets, &n))))
    goto done;
  po_cli_reading(q.model);
  rc = po_mlp_load(q.model, &m);
  po_cli_reading(NULL);
  if (rc) goto done;
  if (!q.sweep_photons) {
    rc = eval_single(&cli, &q, m);
    goto done;
  }
  if (cli.threads > 0) omp_set_num_threads(cli.threads);
  if (!(rc = po_dataset_load(q.data, "test", (int)q.test_samples, &te)))
    rc = eval_photon_sweep(&cli, &q, secs, nsec, budgets, n, m, te);
done:
  free(budgets);
  po_mlp_destroy(m);
  po_dataset_destroy(te);
  po_cli_free(&cli);
  return po_cli_exit(rc);
}
