/* physopt report: tables (success probability, TTS99 with bootstrap CIs,
 * median and best energy, wall and device time-to-solution,
 * energy-to-solution with the ledger breakdown), --json with every run,
 * and gnuplot PNG plots (docs/sweeps.md). */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "algorithms/report_stats.h"
#include "core/atomic_file.h"
#include "cli/report.h"
#include "cli/common.h"
#include "io/h5.h"
#include "physopt/sweep.h"

static const po_param_spec run_specs[] = {PO_CLI_COMMON_RUN_SPECS};
static const po_param_spec report_specs[] = {
    {"by", PO_PARAM_STRING, NULL, 0, 0, NULL, "",
     "keys to group runs by, comma-separated (default: the swept keys); besides section.key: "
     "backend, algorithm, n, steps, problem, photons (learning), alpha (recall)"},
    {"bootstrap", PO_PARAM_INT, "2000", 0, 1e7, NULL, "1", "bootstrap resamples for the CIs"},
    {"plots", PO_PARAM_STRING, NULL, 0, 0, NULL, "dir", "write gnuplot PNG plots into this dir"},
    {"csv", PO_PARAM_BOOL, "false", 0, 0, NULL, "", "print one CSV row per anneal run on stdout"},
    {"optimum_csv", PO_PARAM_BOOL, "false", 0, 0, NULL, "",
     "print the TTS99 at the optimal run length as CSV on stdout (one row per series and "
     "instance, and the median)"},
};
static const po_param_section run_sec = {"run", run_specs, PO_CLI_N(run_specs)};
static const po_param_section report_sec = {"report", report_specs, PO_CLI_N(report_specs)};
static const po_param_section *const secs[] = {&report_sec, &run_sec};
static const po_cli_option opts[] = {
    {"by", "report.by", "KEYS", "group runs by these keys"},
    {"bootstrap", "report.bootstrap", "B", "bootstrap resamples"},
    {"plots", "report.plots", "DIR", "write PNG plots (gnuplot) into DIR"},
    {"csv", "report.csv", NULL, "one CSV row per anneal run (parameters and metrics)"},
    {"optimum-csv", "report.optimum_csv", NULL,
     "TTS99 at the optimal run length as CSV (per series and instance, and the median)"},
    {NULL, NULL, NULL, NULL}};
static const po_cli_spec spec = {
    "report",
    "RESULTS.h5 [--by key,key] [--json | --csv | --optimum-csv] [--plots DIR]",
    "Summarises the runs of a sweep (master, merged or single-run file) per group of\n"
    "parameters: success probability, TTS99 (device and wall) and energy-to-solution with\n"
    "95% bootstrap intervals, median/best energy, and the energy ledger per category;\n"
    "for learning runs the test accuracy (and photons and energy per MAC), for recall runs\n"
    "the recall fraction, each with bootstrap intervals over runs.  When runs span several\n"
    "run lengths (steps), TTS99 per run length and its minimum over them, per instance and\n"
    "for the median over instances, with bootstrap intervals.",
    opts,
    secs,
    2,
    1};

/* A "param.KEY" attribute of a run: the sweep's parameter KEY; takes value. */
static int param_cb(const char *name, char *v, void *data) {
  rrun *r = data;
  char **pn = realloc(r->pname, (r->n_params + 1) * sizeof *pn);
  if (!pn) {
    free(v);
    return -1;
  }
  r->pname = pn;
  char **pv = realloc(r->pval, (r->n_params + 1) * sizeof *pv);
  if (!pv) {
    free(v);
    return -1;
  }
  r->pval = pv;
  size_t len = strlen(name + 6) + 1;
  r->pname[r->n_params] = malloc(len);
  if (!r->pname[r->n_params]) {
    free(v);
    return -1;
  }
  memcpy(r->pname[r->n_params], name + 6, len);
  r->pval[r->n_params++] = v;
  return 0;
}

/* The runs of a file: anneal runs and learning runs, reported apart. */
typedef struct rfile {
  rset anneal, learn, recall;
} rfile;

static int read_one(hid_t g, const char *name, void *ctx) {
  rfile *fs = ctx;
  char task[16];
  int rc = po_h5_run_task(g, task, sizeof task);
  if (rc) return po_error_wrap(rc, "run %s", name);
  po_rep_kind kind = !strcmp(task, "recall")  ? PO_REP_RECALL
                     : strcmp(task, "anneal") ? PO_REP_LEARN
                                              : PO_REP_ANNEAL;
  rset *s = kind == PO_REP_RECALL ? &fs->recall : kind == PO_REP_LEARN ? &fs->learn : &fs->anneal;
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 64;
    rrun *nr = realloc(s->r, cap * sizeof *nr);
    if (!nr) return po_error(PO_ERR_NOMEM, "out of memory");
    s->r = nr;
    s->cap = cap;
  }
  rrun *r = &s->r[s->n];
  memset(r, 0, sizeof *r);
  snprintf(r->id, sizeof r->id, "%s", name);
  r->kind = kind;
  rc = kind == PO_REP_RECALL  ? po_h5_read_recall_run(g, &r->crec)
       : kind == PO_REP_LEARN ? po_h5_read_learn_run(g, &r->lrec)
                              : po_h5_read_run(g, &r->rec);
  if (rc) return po_error_wrap(rc, "run %s", name);
  po_h5_each_string_attr(g, "param.", param_cb, r);
  s->n++;
  return PO_OK;
}

static void free_runs(rset *s) {
  for (size_t i = 0; i < s->n; i++) {
    po_h5_run_free(&s->r[i].rec);
    for (size_t k = 0; k < s->r[i].n_params; k++) {
      free(s->r[i].pname[k]);
      free(s->r[i].pval[k]);
    }
    free(s->r[i].pname);
    free(s->r[i].pval);
  }
  free(s->r);
}

static const char *num(char *buf, size_t len, double x) {
  if (isnan(x)) return "-";
  snprintf(buf, len, "%.10g", x);
  return buf;
}

/* The built-in grouping keys of each kind of run (cli/report.h); NULL when
 * `key` is not one. */
static const char *builtin_value(const rrun *r, const char *key, char *buf, size_t len) {
  const char *backend, *algorithm, *problem;
  double n = NAN, steps = NAN, photons = NAN, alpha = NAN;
  switch (r->kind) {
  case PO_REP_LEARN:
    backend = r->lrec.backend, algorithm = r->lrec.task, problem = r->lrec.data;
    photons = r->lrec.photons_per_mac;
    break;
  case PO_REP_RECALL:
    backend = r->crec.backend, algorithm = r->crec.dynamics, problem = r->crec.rule;
    n = (double)r->crec.spins, alpha = r->crec.alpha;
    break;
  default:
    backend = r->rec.backend, algorithm = r->rec.algorithm, problem = r->rec.problem.source;
    n = r->rec.problem.n, steps = (double)r->rec.steps;
  }
  if (!strcmp(key, "backend")) return backend;
  if (!strcmp(key, "algorithm")) return algorithm;
  if (!strcmp(key, "problem")) return problem;
  if (!strcmp(key, "n")) return num(buf, len, n);
  if (!strcmp(key, "steps")) return num(buf, len, steps);
  if (!strcmp(key, "photons")) return num(buf, len, photons);
  if (!strcmp(key, "alpha")) return num(buf, len, alpha);
  return NULL;
}

const char *po_rep_key_value(const rrun *r, const char *key, char *buf, size_t len) {
  const char *b = builtin_value(r, key, buf, len);
  if (b) return b;
  const char *k = strncmp(key, "param.", 6) ? key : key + 6;
  for (size_t i = 0; i < r->n_params; i++)
    if (!strcmp(r->pname[i], k)) return r->pval[i];
  return "-";
}

/* Numbers by value; other strings in natural order (runs of digits
 * compared as numbers: SK1_N40 before SK1_N100). */
static int cmp_values(const char *a, const char *b) {
  char *ea, *eb;
  double x = strtod(a, &ea), y = strtod(b, &eb);
  if (ea != a && !*ea && eb != b && !*eb) return x < y ? -1 : x > y;
  while (*a && *b) {
    if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
      unsigned long long u = strtoull(a, &ea, 10), v = strtoull(b, &eb, 10);
      if (u != v) return u < v ? -1 : 1;
      a = ea;
      b = eb;
      continue;
    }
    if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
    a++;
    b++;
  }
  return *a ? 1 : *b ? -1 : 0;
}

int po_rep_cmp_runs(const sorter *st, size_t a, size_t b) {
  char ba[64], bb[64];
  for (size_t k = 0; k < st->n_keys; k++) {
    int c = cmp_values(po_rep_key_value(&st->s->r[a], st->keys[k], ba, sizeof ba),
                       po_rep_key_value(&st->s->r[b], st->keys[k], bb, sizeof bb));
    if (c) return c;
  }
  return 0;
}

/* Insertion-stable merge sort of indices (no global comparator state). */
void po_rep_sort_idx(const sorter *st, size_t *idx, size_t *tmp, size_t n) {
  if (n < 2) return;
  size_t h = n / 2;
  po_rep_sort_idx(st, idx, tmp, h);
  po_rep_sort_idx(st, idx + h, tmp, n - h);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = po_rep_cmp_runs(st, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
  while (i < h) tmp[k++] = idx[i++];
  while (j < n) tmp[k++] = idx[j++];
  memcpy(idx, tmp, n * sizeof *idx);
}

typedef struct group {
  size_t start, n; /* into the sorted index */
  po_group_stats st;
  /* Ledger per category, joules per replica. */
  int n_cat;
  char cat[PO_LEDGER_MAX * 2][40];
  double cat_j[PO_LEDGER_MAX * 2];
} group;

static int make_groups(const rset *s, const sorter *st, size_t *idx, int n_boot, group **out,
                       size_t *n_out) {
  size_t *tmp = malloc((s->n ? s->n : 1) * sizeof *tmp);
  group *g = calloc(s->n ? s->n : 1, sizeof *g);
  po_group_run *gr = calloc(s->n ? s->n : 1, sizeof *gr);
  if (!tmp || !g || !gr) {
    free(tmp);
    free(g);
    free(gr);
    return po_error(PO_ERR_NOMEM, "out of memory");
  }
  for (size_t i = 0; i < s->n; i++) idx[i] = i;
  po_rep_sort_idx(st, idx, tmp, s->n);
  size_t ng = 0;
  int rc = PO_OK;
  for (size_t i = 0; i < s->n && !rc;) {
    size_t j = i + 1;
    while (j < s->n && po_rep_cmp_runs(st, idx[i], idx[j]) == 0) j++;
    group *G = &g[ng];
    G->start = i;
    G->n = j - i;
    long R = 0;
    for (size_t k = i; k < j; k++) {
      const po_h5_run *rec = &s->r[idx[k]].rec;
      gr[k - i] = (po_group_run){rec->samples.replicas,
                                 rec->samples.energy,
                                 rec->metrics.has_target,
                                 rec->metrics.target_energy,
                                 rec->ledger.run_s,
                                 rec->ledger.wall_s,
                                 po_ledger_total_joules(&rec->ledger)};
      R += rec->samples.replicas;
      for (int e = 0; e < rec->ledger.n; e++) {
        int c = 0;
        while (c < G->n_cat && strcmp(G->cat[c], rec->ledger.e[e].category)) c++;
        if (c == G->n_cat) {
          if (G->n_cat == PO_LEDGER_MAX * 2) continue;
          snprintf(G->cat[c], sizeof G->cat[c], "%s", rec->ledger.e[e].category);
          G->n_cat++;
        }
        G->cat_j[c] += rec->ledger.e[e].joules;
      }
    }
    for (int c = 0; c < G->n_cat; c++) G->cat_j[c] /= (double)R;
    rc = po_group_stats_compute(gr, G->n, n_boot, 0x5eedull + ng, &G->st);
    ng++;
    i = j;
  }
  free(tmp);
  free(gr);
  if (rc) {
    free(g);
    return rc;
  }
  *out = g;
  *n_out = ng;
  return PO_OK;
}

void po_rep_fmt_num(char *buf, size_t len, double x) {
  if (isnan(x))
    snprintf(buf, len, "-");
  else if (isinf(x))
    snprintf(buf, len, "inf");
  else
    snprintf(buf, len, "%.3g", x);
}

static void fmt_ci(char *buf, size_t len, double v, double lo, double hi) {
  char a[32], b[32], c[32];
  po_rep_fmt_num(a, sizeof a, v);
  po_rep_fmt_num(b, sizeof b, lo);
  po_rep_fmt_num(c, sizeof c, hi);
  if (isnan(v))
    snprintf(buf, len, "-");
  else
    snprintf(buf, len, "%s [%s, %s]", a, b, c);
}

/* Paths shortened to their last component in tables (JSON keeps them). */
const char *po_rep_short_value(const char *v) {
  const char *slash = strrchr(v, '/');
  return slash && slash[1] ? slash + 1 : v;
}

/* Table column of a grouping key: as wide as its name, at least 14. */
int po_rep_key_width(const char *key) {
  int n = (int)strlen(key);
  return n > 14 ? n : 14;
}

static void print_table(const rset *s, const sorter *st, const size_t *idx, const group *g,
                        size_t ng) {
  char buf[64];
  for (size_t k = 0; k < st->n_keys; k++)
    printf("%-*s ", po_rep_key_width(st->keys[k]), st->keys[k]);
  printf("%4s %6s  %-24s %-30s %-10s %-11s %-11s %s\n", "runs", "reps", "p_success [95% CI]",
         "TTS99 device s [95% CI]", "TTS99 wall", "E median", "E best", "ETS99 J [95% CI]");
  for (size_t i = 0; i < ng; i++) {
    const group *G = &g[i];
    const rrun *r0 = &s->r[idx[G->start]];
    for (size_t k = 0; k < st->n_keys; k++)
      printf("%-*s ", po_rep_key_width(st->keys[k]),
             po_rep_short_value(po_rep_key_value(r0, st->keys[k], buf, sizeof buf)));
    char p[128], t[128], tw[32], em[32], eb[32], e[128];
    fmt_ci(p, sizeof p, G->st.p, G->st.p_lo, G->st.p_hi);
    fmt_ci(t, sizeof t, G->st.tts, G->st.tts_lo, G->st.tts_hi);
    po_rep_fmt_num(tw, sizeof tw, G->st.tts_wall);
    snprintf(em, sizeof em, "%.6g", G->st.e_median);
    snprintf(eb, sizeof eb, "%.6g", G->st.e_best);
    fmt_ci(e, sizeof e, G->st.ets, G->st.ets_lo, G->st.ets_hi);
    printf("%4ld %6ld  %-24s %-30s %-10s %-11s %-11s %s\n", G->st.runs, G->st.replicas, p, t, tw,
           em, eb, e);
  }
  printf("\nenergy to solution by ledger category (J; per replica x ln(0.01)/ln(1-p); "
         "per replica when there is no target):\n");
  for (size_t i = 0; i < ng; i++) {
    const group *G = &g[i];
    const rrun *r0 = &s->r[idx[G->start]];
    printf(" ");
    for (size_t k = 0; k < st->n_keys; k++)
      printf(" %s=%s", st->keys[k],
             po_rep_short_value(po_rep_key_value(r0, st->keys[k], buf, sizeof buf)));
    printf(":");
    double f = G->st.has_target ? po_report_repeats99(G->st.p) : 1.0;
    for (int c = 0; c < G->n_cat; c++) {
      po_rep_fmt_num(buf, sizeof buf, G->cat_j[c] * f);
      printf(" %s %s", G->cat[c], buf);
    }
    printf("\n");
  }
}

static void json_stats(po_json *j, const po_group_stats *st) {
  po_json_int(j, "runs", st->runs);
  po_json_int(j, "replicas", st->replicas);
  po_json_int(j, "hits", st->hits);
  po_json_number(j, "success_probability", st->p);
  po_json_number(j, "success_probability_lo", st->p_lo);
  po_json_number(j, "success_probability_hi", st->p_hi);
  po_json_number(j, "run_s", st->t_run);
  po_json_number(j, "wall_s_per_replica", st->t_wall);
  po_json_number(j, "joules_per_replica", st->j_rep);
  po_json_number(j, "tts99_s", st->tts);
  po_json_number(j, "tts99_s_lo", st->tts_lo);
  po_json_number(j, "tts99_s_hi", st->tts_hi);
  po_json_number(j, "tts99_wall_s", st->tts_wall);
  po_json_number(j, "ets99_j", st->ets);
  po_json_number(j, "ets99_j_lo", st->ets_lo);
  po_json_number(j, "ets99_j_hi", st->ets_hi);
  po_json_number(j, "median_energy", st->e_median);
  po_json_number(j, "best_energy", st->e_best);
  po_json_number(j, "mean_energy", st->e_mean);
}

void po_rep_json_run_begin(po_json *j, const rrun *r) {
  po_json_object(j, NULL);
  po_json_string(j, "run_id", r->id);
  po_json_object(j, "params");
  for (size_t k = 0; k < r->n_params; k++) po_rep_json_param(j, r->pname[k], r->pval[k]);
  po_json_close(j);
}

void po_rep_json_group_key(po_json *j, const sorter *st, const rrun *r0) {
  char buf[64];
  po_json_object(j, "key");
  for (size_t k = 0; k < st->n_keys; k++)
    po_rep_json_key_value(j, st->keys[k], po_rep_key_value(r0, st->keys[k], buf, sizeof buf));
  po_json_close(j);
}

static void print_json(po_json *j, const rset *s, const sorter *st, const size_t *idx,
                       const group *g, size_t ng) {
  char buf[64];
  po_json_array(j, "runs");
  for (size_t i = 0; i < s->n; i++) {
    const rrun *r = &s->r[i];
    const po_h5_run *rec = &r->rec;
    po_rep_json_run_begin(j, r);
    po_json_string(j, "backend", rec->backend);
    po_json_string(j, "algorithm", rec->algorithm);
    po_json_string(j, "schedule", rec->schedule);
    po_json_string(j, "problem", rec->problem.source);
    po_json_int(j, "n", rec->problem.n);
    po_json_int(j, "steps", rec->steps);
    po_json_int(j, "replicas", rec->samples.replicas);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)rec->seed);
    po_json_string(j, "seed", buf);
    po_json_number(j, "best_energy", rec->metrics.best_energy);
    po_json_number(j, "mean_energy", rec->metrics.mean_energy);
    po_json_number(j, "median_energy", rec->metrics.median_energy);
    po_json_number(j, "best_cut", rec->metrics.best_cut);
    po_json_number(j, "target_energy", rec->metrics.has_target ? rec->metrics.target_energy : NAN);
    po_json_number(j, "success_probability", rec->metrics.success_probability);
    po_json_number(j, "tts99_s", rec->metrics.tts99_s);
    po_json_number(j, "wall_s", rec->ledger.wall_s);
    po_json_number(j, "device_s", rec->ledger.device_s);
    po_json_number(j, "run_s", rec->ledger.run_s);
    po_json_number(j, "total_joules", po_ledger_total_joules(&rec->ledger));
    po_json_object(j, "ledger");
    for (int e = 0; e < rec->ledger.n; e++) {
      po_json_object(j, rec->ledger.e[e].category);
      po_json_string(j, "unit", rec->ledger.e[e].unit);
      po_json_number(j, "count", rec->ledger.e[e].count);
      po_json_number(j, "joules", rec->ledger.e[e].joules);
      po_json_close(j);
    }
    po_json_close(j);
    po_json_array(j, "energies");
    for (int k = 0; k < rec->samples.replicas; k++) po_json_number(j, NULL, rec->samples.energy[k]);
    po_json_close(j);
    po_json_close(j);
  }
  po_json_close(j);
  po_json_array(j, "by");
  for (size_t k = 0; k < st->n_keys; k++) po_json_string(j, NULL, st->keys[k]);
  po_json_close(j);
  po_json_array(j, "groups");
  for (size_t i = 0; i < ng; i++) {
    const group *G = &g[i];
    po_json_object(j, NULL);
    po_rep_json_group_key(j, st, &s->r[idx[G->start]]);
    json_stats(j, &G->st);
    po_json_object(j, "ets99_by_category_j");
    double f = G->st.has_target ? po_report_repeats99(G->st.p) : 1.0;
    for (int c = 0; c < G->n_cat; c++) po_json_number(j, G->cat[c], G->cat_j[c] * f);
    po_json_close(j);
    po_json_close(j);
  }
  po_json_close(j);
}

/* ---- plots ---------------------------------------------------------------- */

static int split_keys(const char *text, char ***keys, size_t *n) {
  return po_sweep_split(text, keys, n);
}

int po_rep_run_gnuplot(const char *gp, const char *png) {
  char cmd[1200];
  /* The script draws PNG when run by hand; here outfile points it at a
   * temporary file, renamed onto PNG when gnuplot succeeds. */
  po_atomic_file out;
  int rc = po_atomic_begin(&out, png);
  if (rc) return rc;
  snprintf(cmd, sizeof cmd, "gnuplot -e \"outfile='%s'\" '%s' 2>&1", out.tmp_path, gp);
  FILE *p = popen(cmd, "r");
  if (!p) {
    po_atomic_abort(&out);
    return po_error(PO_ERR_IO, "cannot run gnuplot (Debian package gnuplot-nox)");
  }
  char line[512];
  while (fgets(line, sizeof line, p)) fprintf(stderr, "gnuplot: %s", line);
  if (pclose(p) != 0) {
    po_atomic_abort(&out);
    return po_error(PO_ERR_IO, "gnuplot failed on %s (is gnuplot-nox installed?)", gp);
  }
  return po_atomic_commit(&out);
}

/* One PNG: groups by `by` ("series,x" or "series"), writes the data file
 * DIR/NAME.dat (one block per series: x value lo hi) and the gnuplot script
 * DIR/NAME.gp, and runs gnuplot.  what: 0 p_success, 1 TTS99, 2 ETS99. */
static int plot_one(const rset *s, const char *dir, const char *name, const char *by, int what,
                    const char *title, const char *xlabel, const char *ylabel, int logx, int logy,
                    int n_boot) {
  char **keys;
  size_t nk;
  int rc = split_keys(by, &keys, &nk);
  if (rc) return rc;
  size_t *idx = malloc((s->n ? s->n : 1) * sizeof *idx);
  group *g = NULL;
  size_t ng = 0;
  sorter st = {s, keys, nk};
  char dat[1024], gp[1024];
  snprintf(dat, sizeof dat, "%s/%s.dat", dir, name);
  snprintf(gp, sizeof gp, "%s/%s.gp", dir, name);
  if (!idx) rc = po_error(PO_ERR_NOMEM, "out of memory");
  if (!rc) rc = make_groups(s, &st, idx, n_boot, &g, &ng);
  FILE *f = rc ? NULL : fopen(dat, "w");
  FILE *q = f ? fopen(gp, "w") : NULL;
  if (!rc && (!f || !q)) rc = po_error(PO_ERR_IO, "cannot write %s: %s", dat, strerror(errno));
  if (q) {
    fprintf(q,
            "set terminal pngcairo size 800,560 noenhanced\nset output (exists(\"outfile\") ? "
            "outfile : '%s/%s.png')\n"
            "set title '%s'\nset xlabel '%s'\nset ylabel '%s'\nset key outside right\n"
            "set grid\nset offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n%s%s%s",
            dir, name, title, xlabel, ylabel, logx ? "set logscale x\n" : "",
            logy ? "set logscale y\nset format y '%.0e'\n" : "",
            what == 0 ? "set yrange [0:1.05]\n" : "");
    if (nk == 1) fprintf(q, "set xrange [0.5:%zu.5]\nset xtics ()\n", ng);
    fprintf(q, "plot ");
  }
  char prev[512] = "", b1[64], b2[64];
  size_t ns = 0, block = 0, finite = 0;
  for (size_t i = 0; !rc && i < ng;) {
    const rrun *r0 = &s->r[idx[g[i].start]];
    const char *series = po_rep_key_value(r0, keys[0], b1, sizeof b1);
    char xb[64];
    const char *x = nk > 1 ? po_rep_key_value(r0, keys[1], b2, sizeof b2) : xb;
    snprintf(xb, sizeof xb, "%zu", i + 1);
    /* Groups that differ only in keys beyond the second: keep the best
     * (highest p, lowest TTS/ETS): the optimal budget at this x. */
    size_t j = i + 1, best = i;
    while (nk > 2 && j < ng) {
      const rrun *rj = &s->r[idx[g[j].start]];
      char c1[64], c2[64];
      if (strcmp(po_rep_key_value(rj, keys[0], c1, sizeof c1), series) ||
          strcmp(po_rep_key_value(rj, keys[1], c2, sizeof c2), x))
        break;
      double vb = what == 0 ? g[best].st.p : what == 1 ? g[best].st.tts : g[best].st.ets;
      double vj = what == 0 ? g[j].st.p : what == 1 ? g[j].st.tts : g[j].st.ets;
      if (what == 0 ? vj > vb : vj < vb) best = j;
      j++;
    }
    if (strcmp(prev, series)) {
      if (ns) fprintf(f, "\n\n");
      fprintf(f, "# %s\n", series);
      snprintf(prev, sizeof prev, "%s", series);
      fprintf(q, "%s'%s' index %zu using 1:2:3:4 with %s title '%s'", ns ? ", " : "", dat, block,
              nk > 1 ? "yerrorlines" : "yerrorbars pointsize 2", series);
      if (nk == 1) fprintf(q, ", '' index %zu using 1:(NaN):xtic(5) notitle", block);
      ns++;
      block++;
    }
    const po_group_stats *t = &g[best].st;
    double v = what == 0 ? t->p : what == 1 ? t->tts : t->ets;
    double lo = what == 0 ? t->p_lo : what == 1 ? t->tts_lo : t->ets_lo;
    double hi = what == 0 ? t->p_hi : what == 1 ? t->tts_hi : t->ets_hi;
    if (!isfinite(v))
      fprintf(f, "# %s: not finite (p_success = 0)\n", x);
    else {
      fprintf(f, "%s %.10g %.10g %.10g \"%s\"\n", x, v, lo, isfinite(hi) ? hi : v, series);
      finite++;
    }
    i = j;
  }
  if (q) {
    if (!ns) fprintf(q, "NaN notitle");
    fprintf(q, "\n");
    fclose(q);
  }
  if (f && fclose(f)) rc = po_error(PO_ERR_IO, "cannot write %s", dat);
  free(g);
  free(idx);
  free(keys);
  if (rc) return rc;
  if (!finite) {
    fprintf(stderr,
            "physopt: report: no finite values for %s.png (no target, or p_success = 0); "
            "skipped\n",
            name);
    return PO_OK;
  }
  char png[1100];
  snprintf(png, sizeof png, "%s/%s.png", dir, name);
  return po_rep_run_gnuplot(gp, png);
}

static int make_plots(const rset *s, const char *dir, int n_boot) {
  int rc;
  if ((rc = plot_one(
           s, dir, "success_vs_steps", "backend,steps", 0, "success probability vs annealing time",
           "annealing steps (sweeps / integration steps)", "p_success (95% CI)", 1, 0, n_boot)) ||
      (rc = plot_one(s, dir, "tts_vs_n", "backend,n,steps", 1,
                     "TTS99 vs problem size (best budget per N)", "N (spins)",
                     "TTS99, device time (s, 95% CI)", 0, 1, n_boot)) ||
      (rc = plot_one(s, dir, "ets_vs_n", "backend,n,steps", 2,
                     "energy to solution (99%) per backend (best budget per N)", "N (spins)",
                     "ETS99 (J, 95% CI)", 0, 1, n_boot)))
    return rc;
  return PO_OK;
}

/* A key no run has would silently put every run in one group "-". */
static int check_key(const rfile *fs, const char *key, const char *path) {
  static const char *const builtin[] = {"backend", "algorithm", "problem", "n",
                                        "steps",   "photons",   "alpha"};
  for (size_t b = 0; b < PO_CLI_N(builtin); b++)
    if (!strcmp(key, builtin[b])) return PO_OK;
  const char *pk = strncmp(key, "param.", 6) ? key : key + 6;
  const rset *sets[] = {&fs->anneal, &fs->learn, &fs->recall};
  for (int t = 0; t < 3; t++)
    for (size_t i = 0; i < sets[t]->n; i++)
      for (size_t q = 0; q < sets[t]->r[i].n_params; q++)
        if (!strcmp(sets[t]->r[i].pname[q], pk)) return PO_OK;
  return po_error(PO_ERR_ARG,
                  "report.by: key '%s' is in no run of %s (valid: backend, algorithm, problem, n, "
                  "steps, photons, alpha, or a section.key the runs were configured with, e.g. "
                  "run.steps)",
                  key, path);
}

static int read_file(const char *path, rfile *fs, char **sweep_keys) {
  po_cli_reading(path);
  int rc = po_h5_visit_runs(path, read_one, fs, sweep_keys);
  po_cli_reading(NULL);
  if (!rc && fs->anneal.n + fs->learn.n + fs->recall.n == 0)
    rc = po_error(PO_ERR_ARG, "%s holds no runs", path);
  return rc;
}

int po_cmd_report(int argc, char **argv) {
  po_cli cli;
  int rc = po_cli_parse(&cli, &spec, argc, argv);
  if (rc == PO_CLI_HELP) return 0;
  rfile fs = {0};
  char **keys = NULL;
  size_t nk = 0, ng = 0;
  char *by_default = NULL;
  size_t *idx = NULL;
  group *g = NULL;
  if (!rc && cli.n_args != 1)
    rc = po_error(PO_ERR_ARG, "report: expected one results file (physopt report RESULTS.h5)");
  if (!rc) rc = po_params_check(cli.params, secs, 2);
  if (!rc) rc = po_cli_read_common(&cli, &run_sec);
  if (!rc && cli.out)
    rc = po_error(PO_ERR_ARG,
                  "physopt report writes no HDF5 file: --out (run.out) is not accepted (use "
                  "--json or --plots DIR)");
  const char *by = NULL, *plots = NULL;
  long n_boot = 2000;
  int csv = 0, opt_csv = 0;
  if (!rc && ((rc = po_params_bool(cli.params, &report_sec, "csv", &csv)) ||
              (rc = po_params_bool(cli.params, &report_sec, "optimum_csv", &opt_csv)) ||
              (rc = po_params_string(cli.params, &report_sec, "by", &by)) ||
              (rc = po_params_string(cli.params, &report_sec, "plots", &plots)) ||
              (rc = po_params_int(cli.params, &report_sec, "bootstrap", &n_boot))))
    goto out;
  if (!rc && csv + opt_csv + cli.json > 1)
    rc = po_error(PO_ERR_ARG, "report: give one of --json, --csv and --optimum-csv");
  if (rc || (rc = read_file(cli.args[0], &fs, &by_default))) goto out;
  if (csv) {
    if (!fs.anneal.n)
      rc = po_error(PO_ERR_UNSUPPORTED,
                    "report --csv covers anneal runs; %s holds only learning or recall runs "
                    "(use --json)",
                    cli.args[0]);
    else
      rc = po_rep_csv(stdout, &fs.anneal);
    goto out;
  }
  if (!by) by = by_default && *by_default ? by_default : "backend,problem";
  if ((rc = split_keys(by, &keys, &nk))) {
    rc = po_error_wrap(rc, "report.by");
    goto out;
  }
  for (size_t k = 0; k < nk; k++)
    if ((rc = check_key(&fs, keys[k], cli.args[0]))) goto out;
  if (opt_csv) {
    int shown = 0;
    rc = fs.anneal.n ? po_rep_tts_opt(&fs.anneal, keys, nk, (int)n_boot, NULL, 1, NULL, &shown)
                     : PO_OK;
    if (!rc && !shown)
      rc = po_error(PO_ERR_ARG,
                    "report --optimum-csv: no series of anneal runs in %s spans two run lengths "
                    "(run.steps) with a target energy",
                    cli.args[0]);
    goto out;
  }
  if (plots && mkdir(plots, 0777) != 0 && errno != EEXIST) {
    rc = po_error(PO_ERR_IO, "cannot create %s: %s", plots, strerror(errno));
    goto out;
  }
  idx = malloc((fs.anneal.n + 1) * sizeof *idx);
  if (!idx) {
    rc = po_error(PO_ERR_NOMEM, "out of memory");
    goto out;
  }
  sorter st = {&fs.anneal, keys, nk};
  if (fs.anneal.n && (rc = make_groups(&fs.anneal, &st, idx, (int)n_boot, &g, &ng))) goto out;
  po_json j, *jp = cli.json ? &j : NULL;
  if (jp) {
    po_json_begin(jp, stdout);
    print_json(jp, &fs.anneal, &st, idx, g, ng);
  } else if (fs.anneal.n) {
    print_table(&fs.anneal, &st, idx, g, ng);
  }
  if (plots && fs.anneal.n && (rc = make_plots(&fs.anneal, plots, (int)n_boot))) goto out;
  int opt_shown = 0;
  if (fs.anneal.n &&
      (rc = po_rep_tts_opt(&fs.anneal, keys, nk, (int)n_boot, jp, 0, plots, &opt_shown)))
    goto out;
  if (fs.learn.n) {
    if (!jp && fs.anneal.n) printf("\n");
    if ((rc = po_rep_learn(&fs.learn, keys, nk, (int)n_boot, jp, plots))) goto out;
  }
  if (fs.recall.n) {
    if (!jp && fs.anneal.n + fs.learn.n) printf("\n");
    if ((rc = po_rep_recall(&fs.recall, keys, nk, (int)n_boot, jp, plots))) goto out;
  }
  if (jp) po_json_end(jp);
  if (plots && !jp)
    printf("\nplots in %s/:%s%s%s%s\n", plots,
           fs.anneal.n ? " success_vs_steps.png tts_vs_n.png ets_vs_n.png" : "",
           opt_shown ? " tts_vs_steps.png" : "", fs.learn.n ? " accuracy_vs_photons.png" : "",
           fs.recall.n ? " recall_vs_alpha.png" : "");
out:
  free(g);
  free(idx);
  free(keys);
  free(by_default);
  free_runs(&fs.anneal);
  free_runs(&fs.learn);
  free_runs(&fs.recall);
  po_cli_free(&cli);
  return po_cli_exit(rc);
}
