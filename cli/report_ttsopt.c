/* physopt report: TTS99 at the optimal run length (docs/sweeps.md, section
 * "TTS at the optimal run length").  The statistics are
 * algorithms/tts_opt.c's; this file groups the runs into series, instances
 * and run lengths, and formats the table, JSON, CSV and the plot.
 *
 * Run length = the run's `steps` (Metropolis sweeps for cpu sa, integration
 * steps for cim, ...).  Each cell (instance, run length) pools the
 * replicas of all its runs (repeats).  TTS99 is computed twice: with the
 * cost of one run = its steps (TTS99 in steps: deterministic, independent
 * of the machine; the quantity optimised in the plot), and = the mean
 * device seconds of one replica's run (ledger run_s), each with its own
 * optimum. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "algorithms/tts_opt.h"
#include "cli/report.h"

/* Keys that identify the instance or the run length, not the series. */
static int instance_or_length_key(const char *k) {
  static const char *const names[] = {"problem", "problem.spec", "param.problem.spec",
                                      "steps",   "run.steps",    "param.run.steps",
                                      "n",       "backend",      "algorithm"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (!strcmp(k, names[i])) return 1;
  return 0;
}

typedef struct tts_out {
  po_json *j;
  int csv;
  FILE *dat, *gp;
  const char *dat_path;
  size_t block, curves;
} tts_out;

static int cmp_long(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return (x > y) - (x < y);
}

static size_t find_long(const long *v, size_t n, long x) {
  size_t k = 0;
  while (k < n && v[k] != x) k++;
  return k;
}

static void fmt_ci(char *buf, size_t len, double v, double lo, double hi) {
  char a[32], b[32], c[32];
  po_rep_fmt_num(a, sizeof a, v);
  po_rep_fmt_num(b, sizeof b, lo);
  po_rep_fmt_num(c, sizeof c, hi);
  snprintf(buf, len, "%s [%s, %s]", a, b, c);
}

static void csv_num(double v) {
  if (isnan(v))
    printf(",");
  else if (isinf(v))
    printf(",inf");
  else
    printf(",%.17g", v);
}

static void json_array(po_json *j, const char *key, const double *v, size_t n, size_t stride) {
  po_json_array(j, key);
  for (size_t k = 0; k < n; k++) po_json_number(j, NULL, v[k * stride]);
  po_json_close(j);
}

/* One row (instance i, or the median when i < 0) in the chosen format. */
static void emit_row(const tts_out *out, const sorter *ser, const rrun *r0, const char *name,
                     const long *len, const po_tts_opt *os, const po_tts_opt *od, long i) {
  int js = i >= 0 ? os->opt_j[i] : os->med_j, jd = i >= 0 ? od->opt_j[i] : od->med_j;
  double vs = i >= 0 ? os->opt[i] : os->med_opt, vd = i >= 0 ? od->opt[i] : od->med_opt;
  double ls = i >= 0 ? os->opt_lo[i] : os->med_opt_lo, hs = i >= 0 ? os->opt_hi[i] : os->med_opt_hi;
  double ld = i >= 0 ? od->opt_lo[i] : od->med_opt_lo, hd = i >= 0 ? od->opt_hi[i] : od->med_opt_hi;
  double ts = js >= 0 ? (double)len[js] : NAN, td = jd >= 0 ? (double)len[jd] : NAN;
  if (out->csv) {
    char buf[64];
    for (size_t k = 0; k < ser->n_keys; k++)
      po_rep_csv_field(stdout, po_rep_key_value(r0, ser->keys[k], buf, sizeof buf), k == 0);
    po_rep_csv_field(stdout, name, 0);
    csv_num(ts);
    csv_num(vs);
    csv_num(ls);
    csv_num(hs);
    csv_num(td);
    csv_num(vd);
    csv_num(ld);
    csv_num(hd);
    printf("\n");
  } else if (out->j) {
    po_json_number(out->j, "opt_steps", ts);
    po_json_number(out->j, "opt_tts99_steps", vs);
    po_json_number(out->j, "opt_tts99_steps_lo", ls);
    po_json_number(out->j, "opt_tts99_steps_hi", hs);
    po_json_number(out->j, "opt_steps_device", td);
    po_json_number(out->j, "opt_tts99_s", vd);
    po_json_number(out->j, "opt_tts99_s_lo", ld);
    po_json_number(out->j, "opt_tts99_s_hi", hd);
  } else {
    char a[24], b[128], c[24], d[128];
    po_rep_fmt_num(a, sizeof a, ts);
    fmt_ci(b, sizeof b, vs, ls, hs);
    po_rep_fmt_num(c, sizeof c, td);
    fmt_ci(d, sizeof d, vd, ld, hd);
    printf("  %-22s %-9s %-30s %-9s %s\n", name, a, b, c, d);
  }
}

/* gnuplot data: one block per curve (x y lo hi), the optima last. */
static void plot_series(tts_out *out, const char *label, const char *const *inst, const long *len,
                        const po_tts_opt *o) {
  size_t ni = o->n_inst, nl = o->n_len;
  for (size_t i = 0; i <= ni; i++) {
    const double *y = i < ni ? o->tts + i * nl : o->med;
    const double *lo = i < ni ? o->tts_lo + i * nl : o->med_lo;
    const double *hi = i < ni ? o->tts_hi + i * nl : o->med_hi;
    size_t finite = 0;
    for (size_t k = 0; k < nl; k++) finite += isfinite(y[k]) != 0;
    if (!finite) continue;
    if (out->block) fprintf(out->dat, "\n\n");
    fprintf(out->dat, "# %s %s\n", label, i < ni ? inst[i] : "median");
    for (size_t k = 0; k < nl; k++)
      if (isfinite(y[k]))
        fprintf(out->dat, "%ld %.10g %.10g %.10g\n", len[k], y[k], lo[k],
                isfinite(hi[k]) ? hi[k] : y[k]);
    fprintf(out->gp, "%s'%s' index %zu using 1:2:3:4 with yerrorlines %s title '%s %s'",
            out->curves ? ", \\\n     " : "", out->dat_path, out->block,
            i < ni ? "lw 1 dt 2 pt 6 ps 0.7" : "lw 3 pt 7", label, i < ni ? inst[i] : "median");
    out->block++;
    out->curves++;
  }
  fprintf(out->dat, "%s# %s optima (instances, then the median)\n", out->block ? "\n\n" : "",
          label);
  size_t marks = 0;
  for (size_t i = 0; i <= ni; i++) {
    int jo = i < ni ? o->opt_j[i] : o->med_j;
    if (jo < 0) continue;
    double v = i < ni ? o->opt[i] : o->med_opt;
    fprintf(out->dat, "%ld %.10g\n", len[jo], v);
    marks++;
  }
  if (marks) {
    fprintf(out->gp,
            "%s'%s' index %zu using 1:2 with points pt 3 ps 3 lw 2 title '%s optimum (min "
            "over steps)'",
            out->curves ? ", \\\n     " : "", out->dat_path, out->block, label);
    out->curves++;
  }
  out->block++;
}

/* One series: runs ix[0..m) sorted by problem, then steps. */
static int one_series(const rset *s, const sorter *ser, const size_t *ix, size_t m, int n_boot,
                      uint64_t seed, tts_out *out, int *shown) {
  const rrun *r0 = &s->r[ix[0]];
  char label[256] = "", buf[64];
  for (size_t k = 0; k < ser->n_keys; k++) {
    size_t used = strlen(label);
    snprintf(label + used, sizeof label - used, "%s%s", k ? " " : "",
             po_rep_short_value(po_rep_key_value(r0, ser->keys[k], buf, sizeof buf)));
  }
  long *len = malloc(m * sizeof *len);
  const char **inst = malloc(m * sizeof *inst);
  if (!len || !inst) {
    free(len);
    free(inst);
    return po_error(PO_ERR_NOMEM, "out of memory");
  }
  size_t nl = 0, ni = 0;
  int targets = 1;
  for (size_t k = 0; k < m; k++) {
    const po_h5_run *rec = &s->r[ix[k]].rec;
    if (find_long(len, nl, rec->steps) == nl) len[nl++] = rec->steps;
    if (!ni || strcmp(inst[ni - 1], rec->problem.source)) inst[ni++] = rec->problem.source;
    targets &= rec->metrics.has_target;
  }
  qsort(len, nl, sizeof *len, cmp_long);
  int rc = PO_OK;
  if (nl < 2 || !targets) {
    if (nl >= 2 && !out->j && !out->csv)
      printf("\n%s: runs without a target energy, no TTS at the optimal run length\n", label);
    goto done;
  }
  if (!*shown && !out->j && !out->csv)
    printf("\nTTS99 at the optimal run length (run length = steps per run; TTS99 = cost x "
           "ln(0.01)/ln(1-p), cost = steps or device s per replica run; inf when p = 0; 95%% "
           "bootstrap CI over replicas, median = over instances):\n");
  *shown = 1;
  po_tts_cell *cs = calloc(ni * nl, sizeof *cs), *cd = calloc(ni * nl, sizeof *cd);
  if (!cs || !cd) {
    free(cs);
    free(cd);
    rc = po_error(PO_ERR_NOMEM, "out of memory");
    goto done;
  }
  for (size_t k = 0, i = 0; k < m; k++) {
    const po_h5_run *rec = &s->r[ix[k]].rec;
    while (strcmp(inst[i], rec->problem.source)) i++;
    size_t c = i * nl + find_long(len, nl, rec->steps);
    double tol = 1e-9 * fmax(1.0, fabs(rec->metrics.target_energy));
    for (int r = 0; r < rec->samples.replicas; r++)
      cs[c].hits += rec->samples.energy[r] <= rec->metrics.target_energy + tol;
    cs[c].replicas += rec->samples.replicas;
    cs[c].t = (double)rec->steps;
    cd[c].t += rec->ledger.run_s * rec->samples.replicas; /* divided below */
  }
  for (size_t c = 0; c < ni * nl; c++) {
    cd[c].replicas = cs[c].replicas;
    cd[c].hits = cs[c].hits;
    cd[c].t = cs[c].replicas ? cd[c].t / (double)cs[c].replicas : 0;
  }
  po_tts_opt os, od;
  rc = po_tts_opt_compute(cs, ni, nl, n_boot, seed, &os);
  if (!rc && (rc = po_tts_opt_compute(cd, ni, nl, n_boot, seed, &od))) po_tts_opt_free(&os);
  if (rc) {
    free(cs);
    free(cd);
    goto done;
  }
  if (out->j) {
    po_json_object(out->j, NULL);
    po_rep_json_group_key(out->j, ser, r0);
    po_json_string(out->j, "run_length", "steps");
    po_json_array(out->j, "steps");
    for (size_t k = 0; k < nl; k++) po_json_int(out->j, NULL, len[k]);
    po_json_close(out->j);
    po_json_array(out->j, "instances");
  } else if (!out->csv) {
    printf("%s: %zu instance%s x %zu run lengths (steps", label, ni, ni == 1 ? "" : "s", nl);
    for (size_t k = 0; k < nl; k++) printf(" %ld", len[k]);
    printf(")\n  %-22s %-9s %-30s %-9s %s\n", "instance", "opt steps", "TTS99 steps [95% CI]",
           "opt steps", "TTS99 device s [95% CI]");
  }
  for (size_t i = 0; i <= ni; i++) {
    const char *name = i < ni ? inst[i] : "median";
    if (out->j) {
      if (i == ni) {
        po_json_close(out->j);
        po_json_object(out->j, "median");
      } else {
        po_json_object(out->j, NULL);
        po_json_string(out->j, "problem", name);
        po_json_array(out->j, "replicas");
        for (size_t k = 0; k < nl; k++) po_json_int(out->j, NULL, cs[i * nl + k].replicas);
        po_json_close(out->j);
        po_json_array(out->j, "hits");
        for (size_t k = 0; k < nl; k++) po_json_int(out->j, NULL, cs[i * nl + k].hits);
        po_json_close(out->j);
      }
      const po_tts_opt *o2[2] = {&os, &od};
      static const char *const unit[2] = {"steps", "s"};
      for (int u = 0; u < 2; u++) {
        char key[32];
        const po_tts_opt *o = o2[u];
        size_t off = i < ni ? i * nl : 0, str = 1;
        snprintf(key, sizeof key, "tts99_%s", unit[u]);
        json_array(out->j, key, (i < ni ? o->tts : o->med) + off, nl, str);
        snprintf(key, sizeof key, "tts99_%s_lo", unit[u]);
        json_array(out->j, key, (i < ni ? o->tts_lo : o->med_lo) + off, nl, str);
        snprintf(key, sizeof key, "tts99_%s_hi", unit[u]);
        json_array(out->j, key, (i < ni ? o->tts_hi : o->med_hi) + off, nl, str);
      }
    }
    emit_row(out, ser, r0, out->j || out->csv ? name : po_rep_short_value(name), len, &os, &od,
             i < ni ? (long)i : -1);
    if (out->j) po_json_close(out->j);
  }
  if (out->j)
    po_json_close(out->j);
  else if (!out->csv) {
    printf("  median TTS99 steps by run length:");
    for (size_t k = 0; k < nl; k++) {
      char ci[128];
      fmt_ci(ci, sizeof ci, os.med[k], os.med_lo[k], os.med_hi[k]);
      printf("%s %ld: %s", k ? ";" : "", len[k], ci);
    }
    printf("\n");
  }
  if (out->gp) {
    const char **short_inst = malloc(ni * sizeof *short_inst);
    if (short_inst) {
      for (size_t i = 0; i < ni; i++) short_inst[i] = po_rep_short_value(inst[i]);
      plot_series(out, label, short_inst, len, &os);
      free(short_inst);
    }
  }
  po_tts_opt_free(&os);
  po_tts_opt_free(&od);
  free(cs);
  free(cd);
done:
  free(len);
  free(inst);
  return rc;
}

static int open_plot(tts_out *out, const char *dir, char *dat, char *gp, size_t len) {
  snprintf(dat, len, "%s/tts_vs_steps.dat", dir);
  snprintf(gp, len, "%s/tts_vs_steps.gp", dir);
  out->dat = fopen(dat, "w");
  out->gp = out->dat ? fopen(gp, "w") : NULL;
  if (!out->gp) {
    if (out->dat) fclose(out->dat);
    out->dat = NULL;
    return po_error(PO_ERR_IO, "cannot write %s", out->dat ? gp : dat);
  }
  out->dat_path = dat;
  fprintf(out->gp,
          "set terminal pngcairo size 800,700 noenhanced\nset output (exists(\"outfile\") ? "
          "outfile : '%s/tts_vs_steps.png')\n"
          "set title 'TTS99 vs run length (95%% CI; bold: median over instances)'\n"
          "set xlabel 'run length (steps per run)'\n"
          "set ylabel 'TTS99 (steps = run length x ln(0.01)/ln(1-p))'\nset key below\n"
          "set grid\nset logscale x\nset logscale y\nset offsets graph 0.03, graph 0.03, 0, 0\n"
          "plot ",
          dir);
  return PO_OK;
}

int po_rep_tts_opt(const rset *s, char **keys, size_t n_keys, int n_boot, po_json *j, int csv,
                   const char *plots, int *shown) {
  *shown = 0;
  char **sk = malloc((n_keys + 4) * sizeof *sk);
  size_t *idx = malloc((s->n + 1) * sizeof *idx), *tmp = malloc((s->n + 1) * sizeof *tmp);
  if (!sk || !idx || !tmp) {
    free(sk);
    free(idx);
    free(tmp);
    return po_error(PO_ERR_NOMEM, "out of memory");
  }
  size_t nsk = 0;
  sk[nsk++] = "backend";
  sk[nsk++] = "algorithm";
  for (size_t k = 0; k < n_keys; k++)
    if (!instance_or_length_key(keys[k])) sk[nsk++] = keys[k];
  sk[nsk] = "problem";
  sk[nsk + 1] = "steps";
  sorter full = {s, sk, nsk + 2}, ser = {s, sk, nsk};
  for (size_t i = 0; i < s->n; i++) idx[i] = i;
  po_rep_sort_idx(&full, idx, tmp, s->n);
  tts_out out = {j, csv, NULL, NULL, NULL, 0, 0};
  char dat[1100], gp[1100];
  int rc = plots ? open_plot(&out, plots, dat, gp, sizeof dat) : PO_OK;
  if (!rc && j) po_json_array(j, "tts_optimum");
  if (!rc && csv) {
    for (size_t k = 0; k < nsk; k++) po_rep_csv_field(stdout, sk[k], k == 0);
    printf(",problem,opt_steps,opt_tts99_steps,opt_tts99_steps_lo,opt_tts99_steps_hi,"
           "opt_steps_device,opt_tts99_s,opt_tts99_s_lo,opt_tts99_s_hi\n");
  }
  for (size_t i = 0, series = 0; !rc && i < s->n; series++) {
    size_t e = i + 1;
    while (e < s->n && po_rep_cmp_runs(&ser, idx[i], idx[e]) == 0) e++;
    rc = one_series(s, &ser, idx + i, e - i, n_boot, 0x7474ull + series, &out, shown);
    i = e;
  }
  if (!rc && j) po_json_close(j);
  if (out.gp) {
    if (!out.curves) fprintf(out.gp, "NaN notitle");
    fprintf(out.gp, "\n");
    fclose(out.gp);
  }
  if (out.dat && fclose(out.dat) && !rc) rc = po_error(PO_ERR_IO, "cannot write %s", dat);
  if (plots && !*shown) {
    remove(dat); /* nothing to plot: no stale files */
    remove(gp);
  }
  if (!rc && plots && *shown) {
    char png[1100];
    snprintf(png, sizeof png, "%s/tts_vs_steps.png", plots);
    rc = po_rep_run_gnuplot(gp, png);
  }
  free(sk);
  free(idx);
  free(tmp);
  return rc;
}
