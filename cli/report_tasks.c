/* physopt report for learning runs (run.task = eval | train) and recall
 * runs (run.task = recall): grouped tables with bootstrap intervals over
 * runs, JSON, and the accuracy-versus-photons and recall-versus-load
 * plots (docs/sweeps.md, "Report"). */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "algorithms/report_stats.h"
#include "cli/report.h"

/* ---- learning runs -------------------------------------------------------- */

typedef struct lgroup {
  size_t start, n;            /* into the sorted index */
  double acc, acc_lo, acc_hi; /* mean test accuracy over the runs, 95% bootstrap CI */
  double noise_sd;            /* mean of the runs' own sd over noise realisations */
  double loss, photons, e_mac, e_optical, macs, test_samples, wall;
} lgroup;

/* Mean over runs idx[0..n) of the double at byte offset `off` of their
 * learning or recall record. */
static double mean_of(const rset *s, const size_t *idx, size_t n, size_t off) {
  double t = 0;
  for (size_t k = 0; k < n; k++) {
    const rrun *r = &s->r[idx[k]];
    const char *base = r->kind == PO_REP_RECALL ? (const char *)&r->crec : (const char *)&r->lrec;
    t += *(const double *)(base + off);
  }
  return t / (double)n;
}

static int make_learn_groups(const rset *s, const sorter *st, size_t *idx, int n_boot, lgroup **out,
                             size_t *n_out) {
  size_t n = s->n ? s->n : 1;
  size_t *tmp = malloc(n * sizeof *tmp);
  lgroup *g = calloc(n, sizeof *g);
  double *acc = malloc(n * sizeof *acc);
  int rc = tmp && g && acc ? PO_OK : po_error(PO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < s->n; i++) idx[i] = i;
  if (!rc) po_rep_sort_idx(st, idx, tmp, s->n);
  size_t ng = 0;
  for (size_t i = 0; i < s->n && !rc; ng++) {
    size_t j = i + 1;
    while (j < s->n && po_rep_cmp_runs(st, idx[i], idx[j]) == 0) j++;
    lgroup *G = &g[ng];
    G->start = i;
    G->n = j - i;
    const size_t *gi = idx + i;
    for (size_t k = 0; k < G->n; k++) acc[k] = s->r[gi[k]].lrec.test_accuracy;
    rc = po_mean_ci_compute(acc, G->n, n_boot, 0x1ea7ull + ng, &G->acc, &G->acc_lo, &G->acc_hi);
    G->noise_sd = mean_of(s, gi, G->n, offsetof(po_h5_learn_run, test_accuracy_sd));
    G->loss = mean_of(s, gi, G->n, offsetof(po_h5_learn_run, test_loss));
    G->photons = mean_of(s, gi, G->n, offsetof(po_h5_learn_run, photons_per_mac));
    G->e_mac = mean_of(s, gi, G->n, offsetof(po_h5_learn_run, energy_per_mac_j));
    G->e_optical = mean_of(s, gi, G->n, offsetof(po_h5_learn_run, optical_energy_per_mac_j));
    G->macs = mean_of(s, gi, G->n, offsetof(po_h5_learn_run, macs));
    G->wall = mean_of(s, gi, G->n, offsetof(po_h5_learn_run, wall_s));
    double ts = 0;
    for (size_t k = 0; k < G->n; k++) ts += (double)s->r[gi[k]].lrec.test_samples;
    G->test_samples = ts / (double)G->n;
    i = j;
  }
  free(tmp);
  free(acc);
  if (rc) {
    free(g);
    return rc;
  }
  *out = g;
  *n_out = ng;
  return PO_OK;
}

static void print_learn_table(const rset *s, const sorter *st, const size_t *idx, const lgroup *g,
                              size_t ng) {
  char buf[64];
  printf("learning runs (test accuracy of the model with its forward products on the backend; "
         "CI: bootstrap over runs):\n");
  for (size_t k = 0; k < st->n_keys; k++)
    printf("%-*s ", po_rep_key_width(st->keys[k]), st->keys[k]);
  printf("%4s  %-26s %-9s %-8s %-11s %-12s %-12s %-10s %s\n", "runs", "accuracy [95% CI]",
         "noise sd", "loss", "photons/MAC", "J/MAC", "optical J/MAC", "MACs/run", "wall s");
  for (size_t i = 0; i < ng; i++) {
    const lgroup *G = &g[i];
    const rrun *r0 = &s->r[idx[G->start]];
    for (size_t k = 0; k < st->n_keys; k++)
      printf("%-*s ", po_rep_key_width(st->keys[k]),
             po_rep_short_value(po_rep_key_value(r0, st->keys[k], buf, sizeof buf)));
    char a[128], sd[32], ph[32], e[32], eo[32], m[32];
    if (isnan(G->acc_lo))
      snprintf(a, sizeof a, "%.4f", G->acc);
    else
      snprintf(a, sizeof a, "%.4f [%.4f, %.4f]", G->acc, G->acc_lo, G->acc_hi);
    po_rep_fmt_num(sd, sizeof sd, G->noise_sd);
    po_rep_fmt_num(ph, sizeof ph, G->photons);
    po_rep_fmt_num(e, sizeof e, G->e_mac);
    po_rep_fmt_num(eo, sizeof eo, G->e_optical);
    po_rep_fmt_num(m, sizeof m, G->macs);
    printf("%4zu  %-26s %-9s %-8.4f %-11s %-12s %-12s %-10s %.3g\n", G->n, a, sd, G->loss, ph, e,
           eo, m, G->wall);
  }
}

static void print_learn_json(po_json *j, const rset *s, const sorter *st, const size_t *idx,
                             const lgroup *g, size_t ng) {
  char buf[64];
  po_json_array(j, "learning_runs");
  for (size_t i = 0; i < s->n; i++) {
    const rrun *r = &s->r[i];
    const po_h5_learn_run *l = &r->lrec;
    po_rep_json_run_begin(j, r);
    po_json_string(j, "task", l->task);
    po_json_string(j, "backend", l->backend);
    po_json_string(j, "data", l->data);
    po_json_string(j, "model", l->model);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)l->seed);
    po_json_string(j, "seed", buf);
    po_json_int(j, "train_samples", l->train_samples);
    po_json_int(j, "test_samples", l->test_samples);
    po_json_int(j, "epochs", l->epochs);
    po_json_number(j, "test_accuracy", l->test_accuracy);
    po_json_number(j, "test_accuracy_sd", l->test_accuracy_sd);
    po_json_number(j, "test_loss", l->test_loss);
    po_json_number(j, "train_loss", l->train_loss);
    po_json_number(j, "train_accuracy", l->train_accuracy);
    po_json_number(j, "photons_per_mac", l->photons_per_mac);
    po_json_number(j, "macs", l->macs);
    po_json_number(j, "energy_per_mac_j", l->energy_per_mac_j);
    po_json_number(j, "optical_energy_per_mac_j", l->optical_energy_per_mac_j);
    po_json_number(j, "train_joules", l->train_joules);
    po_json_number(j, "train_s", l->train_s);
    po_json_number(j, "wall_s", l->wall_s);
    po_json_number(j, "total_joules", po_ledger_total_joules(&l->ledger));
    po_json_close(j);
  }
  po_json_close(j);
  po_json_array(j, "learning_groups");
  for (size_t i = 0; i < ng; i++) {
    const lgroup *G = &g[i];
    po_json_object(j, NULL);
    po_rep_json_group_key(j, st, &s->r[idx[G->start]]);
    po_json_int(j, "runs", (long long)G->n);
    po_json_number(j, "test_accuracy", G->acc);
    po_json_number(j, "test_accuracy_lo", G->acc_lo);
    po_json_number(j, "test_accuracy_hi", G->acc_hi);
    po_json_number(j, "noise_sd", G->noise_sd);
    po_json_number(j, "test_loss", G->loss);
    po_json_number(j, "photons_per_mac", G->photons);
    po_json_number(j, "energy_per_mac_j", G->e_mac);
    po_json_number(j, "optical_energy_per_mac_j", G->e_optical);
    po_json_number(j, "macs_per_run", G->macs);
    po_json_number(j, "test_samples", G->test_samples);
    po_json_number(j, "wall_s", G->wall);
    po_json_close(j);
  }
  po_json_close(j);
}

/* accuracy_vs_photons.png: one line per backend and task over photons/MAC
 * (log x, bootstrap CI as error bars); a backend without a photon budget
 * (cpu: exact products) is a horizontal reference line. */
static int plot_learn(const rset *s, const char *dir, int n_boot) {
  char *keys[] = {"backend", "algorithm", "photons"};
  sorter st = {s, keys, 3};
  size_t *idx = malloc((s->n ? s->n : 1) * sizeof *idx);
  lgroup *g = NULL;
  size_t ng = 0;
  int rc = idx ? make_learn_groups(s, &st, idx, n_boot, &g, &ng)
               : po_error(PO_ERR_NOMEM, "out of memory");
  char dat[1024], gp[1024], png[1024];
  snprintf(dat, sizeof dat, "%s/accuracy_vs_photons.dat", dir);
  snprintf(gp, sizeof gp, "%s/accuracy_vs_photons.gp", dir);
  snprintf(png, sizeof png, "%s/accuracy_vs_photons.png", dir);
  FILE *f = rc ? NULL : fopen(dat, "w");
  FILE *q = f ? fopen(gp, "w") : NULL;
  if (!rc && (!f || !q)) rc = po_error(PO_ERR_IO, "cannot write %s: %s", dat, strerror(errno));
  size_t finite = 0, block = 0, nplot = 0;
  if (!rc) {
    fprintf(q,
            "set terminal pngcairo size 800,560 noenhanced\nset output "
            "(exists(\"outfile\") ? outfile : '%s/accuracy_vs_photons.png')\n"
            "set title 'test accuracy vs photon budget'\nset xlabel 'detected photons per MAC'\n"
            "set ylabel 'test accuracy (95%% CI over runs)'\nset logscale x\nset grid\n"
            "set key bottom right\nset offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n"
            "plot ",
            dir);
    char prev[160] = "", b1[64], b2[64], series[160];
    for (size_t i = 0; i < ng; i++) {
      const rrun *r0 = &s->r[idx[g[i].start]];
      snprintf(series, sizeof series, "%s (%s)", po_rep_key_value(r0, "backend", b1, sizeof b1),
               po_rep_key_value(r0, "algorithm", b2, sizeof b2));
      if (isnan(g[i].photons)) { /* a reference backend: horizontal line */
        fprintf(q, "%s%.10g with lines dashtype 2 linewidth 2 title '%s'", nplot++ ? ", " : "",
                g[i].acc, series);
        continue;
      }
      if (strcmp(prev, series)) {
        if (block) fprintf(f, "\n\n");
        fprintf(f, "# %s\n", series);
        fprintf(q, "%s'%s' index %zu using 1:2:3:4 with yerrorlines pointtype 7 title '%s'",
                nplot++ ? ", " : "", dat, block++, series);
        snprintf(prev, sizeof prev, "%s", series);
      }
      double lo = isnan(g[i].acc_lo) ? g[i].acc : g[i].acc_lo;
      double hi = isnan(g[i].acc_hi) ? g[i].acc : g[i].acc_hi;
      fprintf(f, "%.10g %.10g %.10g %.10g\n", g[i].photons, g[i].acc, lo, hi);
      finite++;
    }
    fprintf(q, "\n");
  }
  if (q) fclose(q);
  if (f && fclose(f) && !rc) rc = po_error(PO_ERR_IO, "cannot write %s", dat);
  free(g);
  free(idx);
  if (rc) return rc;
  if (!finite) {
    fprintf(stderr, "physopt: report: no learning run has a photon budget (photonic backend); "
                    "accuracy_vs_photons.png skipped\n");
    return PO_OK;
  }
  return po_rep_run_gnuplot(gp, png);
}

int po_rep_learn(const rset *s, char **keys, size_t n_keys, int n_boot, po_json *j,
                 const char *plots) {
  size_t *idx = malloc((s->n + 1) * sizeof *idx), ng = 0;
  lgroup *g = NULL;
  sorter st = {s, keys, n_keys};
  int rc = idx ? make_learn_groups(s, &st, idx, n_boot, &g, &ng)
               : po_error(PO_ERR_NOMEM, "out of memory");
  if (!rc && j) print_learn_json(j, s, &st, idx, g, ng);
  if (!rc && !j) print_learn_table(s, &st, idx, g, ng);
  if (!rc && plots) rc = plot_learn(s, plots, n_boot);
  free(g);
  free(idx);
  return rc;
}

/* ---- recall runs ---------------------------------------------------------- */

typedef struct cgroup {
  size_t start, n;
  double frac, frac_lo, frac_hi; /* mean recall fraction over runs, 95% bootstrap CI */
  double overlap, alpha, flips, basin, joules, device_s, wall;
} cgroup;

static int make_recall_groups(const rset *s, const sorter *st, size_t *idx, int n_boot,
                              cgroup **out, size_t *n_out) {
  size_t n = s->n ? s->n : 1;
  size_t *tmp = malloc(n * sizeof *tmp);
  cgroup *g = calloc(n, sizeof *g);
  double *x = malloc(n * sizeof *x);
  int rc = tmp && g && x ? PO_OK : po_error(PO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < s->n; i++) idx[i] = i;
  if (!rc) po_rep_sort_idx(st, idx, tmp, s->n);
  size_t ng = 0;
  for (size_t i = 0; i < s->n && !rc; ng++) {
    size_t j = i + 1;
    while (j < s->n && po_rep_cmp_runs(st, idx[i], idx[j]) == 0) j++;
    cgroup *G = &g[ng];
    G->start = i;
    G->n = j - i;
    const size_t *gi = idx + i;
    double joules = 0, dev = 0;
    for (size_t k = 0; k < G->n; k++) {
      const po_h5_recall_run *c = &s->r[gi[k]].crec;
      x[k] = c->recall_fraction;
      joules += po_ledger_total_joules(&c->ledger);
      dev += c->ledger.device_s;
    }
    rc = po_mean_ci_compute(x, G->n, n_boot, 0xca11ull + ng, &G->frac, &G->frac_lo, &G->frac_hi);
    G->overlap = mean_of(s, gi, G->n, offsetof(po_h5_recall_run, overlap_mean));
    G->alpha = mean_of(s, gi, G->n, offsetof(po_h5_recall_run, alpha));
    G->flips = mean_of(s, gi, G->n, offsetof(po_h5_recall_run, flips_mean));
    G->basin = mean_of(s, gi, G->n, offsetof(po_h5_recall_run, basin));
    G->wall = mean_of(s, gi, G->n, offsetof(po_h5_recall_run, wall_s));
    G->joules = joules / (double)G->n;
    G->device_s = dev / (double)G->n;
    i = j;
  }
  free(tmp);
  free(x);
  if (rc) {
    free(g);
    return rc;
  }
  *out = g;
  *n_out = ng;
  return PO_OK;
}

static void print_recall_table(const rset *s, const sorter *st, const size_t *idx, const cgroup *g,
                               size_t ng) {
  char buf[64];
  printf("recall runs (share of cues recalled with overlap > 0.95; CI: bootstrap over runs):\n");
  for (size_t k = 0; k < st->n_keys; k++)
    printf("%-*s ", po_rep_key_width(st->keys[k]), st->keys[k]);
  printf("%4s  %-8s %-26s %-8s %-8s %-7s %-11s %-11s %s\n", "runs", "alpha", "recall [95% CI]",
         "overlap", "flips", "basin", "energy J", "device s", "wall s");
  for (size_t i = 0; i < ng; i++) {
    const cgroup *G = &g[i];
    const rrun *r0 = &s->r[idx[G->start]];
    for (size_t k = 0; k < st->n_keys; k++)
      printf("%-*s ", po_rep_key_width(st->keys[k]),
             po_rep_short_value(po_rep_key_value(r0, st->keys[k], buf, sizeof buf)));
    char f[128], b[32], e[32], d[32];
    if (isnan(G->frac_lo))
      snprintf(f, sizeof f, "%.4f", G->frac);
    else
      snprintf(f, sizeof f, "%.4f [%.4f, %.4f]", G->frac, G->frac_lo, G->frac_hi);
    po_rep_fmt_num(b, sizeof b, G->basin);
    po_rep_fmt_num(e, sizeof e, G->joules);
    po_rep_fmt_num(d, sizeof d, G->device_s);
    printf("%4zu  %-8.4g %-26s %-8.4f %-8.3g %-7s %-11s %-11s %.3g\n", G->n, G->alpha, f,
           G->overlap, G->flips, b, e, d, G->wall);
  }
}

static void print_recall_json(po_json *j, const rset *s, const sorter *st, const size_t *idx,
                              const cgroup *g, size_t ng) {
  char buf[64];
  po_json_array(j, "recall_runs");
  for (size_t i = 0; i < s->n; i++) {
    const rrun *r = &s->r[i];
    const po_h5_recall_run *c = &r->crec;
    po_rep_json_run_begin(j, r);
    po_json_string(j, "backend", c->backend);
    po_json_string(j, "rule", c->rule);
    po_json_string(j, "dynamics", c->dynamics);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)c->seed);
    po_json_string(j, "seed", buf);
    po_json_int(j, "spins", c->spins);
    po_json_int(j, "patterns", c->patterns);
    po_json_int(j, "trials", c->trials);
    po_json_number(j, "alpha", c->alpha);
    po_json_number(j, "corruption", c->corruption);
    po_json_number(j, "overlap_mean", c->overlap_mean);
    po_json_number(j, "overlap_std", c->overlap_std);
    po_json_number(j, "recall_fraction", c->recall_fraction);
    po_json_number(j, "flips_mean", c->flips_mean);
    po_json_number(j, "basin", c->basin);
    po_json_number(j, "device_s", c->ledger.device_s);
    po_json_number(j, "total_joules", po_ledger_total_joules(&c->ledger));
    po_json_number(j, "wall_s", c->wall_s);
    po_json_close(j);
  }
  po_json_close(j);
  po_json_array(j, "recall_groups");
  for (size_t i = 0; i < ng; i++) {
    const cgroup *G = &g[i];
    po_json_object(j, NULL);
    po_rep_json_group_key(j, st, &s->r[idx[G->start]]);
    po_json_int(j, "runs", (long long)G->n);
    po_json_number(j, "alpha", G->alpha);
    po_json_number(j, "recall_fraction", G->frac);
    po_json_number(j, "recall_fraction_lo", G->frac_lo);
    po_json_number(j, "recall_fraction_hi", G->frac_hi);
    po_json_number(j, "overlap_mean", G->overlap);
    po_json_number(j, "flips_mean", G->flips);
    po_json_number(j, "basin", G->basin);
    po_json_number(j, "joules", G->joules);
    po_json_number(j, "device_s", G->device_s);
    po_json_number(j, "wall_s", G->wall);
    po_json_close(j);
  }
  po_json_close(j);
}

/* recall_vs_alpha.png: recall fraction against the load alpha = P/N, one
 * line per backend, dynamics and rule, with the Hebbian capacity 0.138 of
 * Amit, Gutfreund & Sompolinsky (PRL 55, 1530, 1985) as a reference. */
static int plot_recall(const rset *s, const char *dir, int n_boot) {
  char *keys[] = {"backend", "algorithm", "problem", "alpha"};
  sorter st = {s, keys, 4};
  size_t *idx = malloc((s->n ? s->n : 1) * sizeof *idx);
  cgroup *g = NULL;
  size_t ng = 0;
  int rc = idx ? make_recall_groups(s, &st, idx, n_boot, &g, &ng)
               : po_error(PO_ERR_NOMEM, "out of memory");
  char dat[1024], gp[1024], png[1024];
  snprintf(dat, sizeof dat, "%s/recall_vs_alpha.dat", dir);
  snprintf(gp, sizeof gp, "%s/recall_vs_alpha.gp", dir);
  snprintf(png, sizeof png, "%s/recall_vs_alpha.png", dir);
  FILE *f = rc ? NULL : fopen(dat, "w");
  FILE *q = f ? fopen(gp, "w") : NULL;
  if (!rc && (!f || !q)) rc = po_error(PO_ERR_IO, "cannot write %s: %s", dat, strerror(errno));
  if (!rc) {
    fprintf(q,
            "set terminal pngcairo size 800,560 noenhanced\n"
            "set output (exists(\"outfile\") ? outfile : '%s/recall_vs_alpha.png')\n"
            "set title 'associative recall vs load'\nset xlabel 'load alpha = P/N'\n"
            "set ylabel 'recall fraction (overlap > 0.95; 95%% CI over runs)'\n"
            "set yrange [0:1.05]\nset grid\nset key bottom left\n"
            "set arrow from 0.138, graph 0 to 0.138, graph 1 nohead dashtype 2\n"
            "set label 'Hebbian alpha_c = 0.138' at 0.14, graph 0.97\nplot ",
            dir);
    char prev[200] = "", series[200], b1[64], b2[64], b3[64];
    size_t block = 0;
    for (size_t i = 0; i < ng; i++) {
      const rrun *r0 = &s->r[idx[g[i].start]];
      snprintf(series, sizeof series, "%s %s (%s)", po_rep_key_value(r0, "backend", b1, sizeof b1),
               po_rep_key_value(r0, "algorithm", b2, sizeof b2),
               po_rep_key_value(r0, "problem", b3, sizeof b3));
      if (strcmp(prev, series)) {
        if (block) fprintf(f, "\n\n");
        fprintf(f, "# %s\n", series);
        fprintf(q, "%s'%s' index %zu using 1:2:3:4 with yerrorlines pointtype 7 title '%s'",
                block ? ", " : "", dat, block, series);
        block++;
        snprintf(prev, sizeof prev, "%s", series);
      }
      double lo = isnan(g[i].frac_lo) ? g[i].frac : g[i].frac_lo;
      double hi = isnan(g[i].frac_hi) ? g[i].frac : g[i].frac_hi;
      fprintf(f, "%.10g %.10g %.10g %.10g\n", g[i].alpha, g[i].frac, lo, hi);
    }
    fprintf(q, "\n");
  }
  if (q) fclose(q);
  if (f && fclose(f) && !rc) rc = po_error(PO_ERR_IO, "cannot write %s", dat);
  free(g);
  free(idx);
  return rc ? rc : po_rep_run_gnuplot(gp, png);
}

int po_rep_recall(const rset *s, char **keys, size_t n_keys, int n_boot, po_json *j,
                  const char *plots) {
  size_t *idx = malloc((s->n + 1) * sizeof *idx), ng = 0;
  cgroup *g = NULL;
  sorter st = {s, keys, n_keys};
  int rc = idx ? make_recall_groups(s, &st, idx, n_boot, &g, &ng)
               : po_error(PO_ERR_NOMEM, "out of memory");
  if (!rc && j) print_recall_json(j, s, &st, idx, g, ng);
  if (!rc && !j) print_recall_table(s, &st, idx, g, ng);
  if (!rc && plots) rc = plot_recall(s, plots, n_boot);
  free(g);
  free(idx);
  return rc;
}
