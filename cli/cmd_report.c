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
#include "algorithms/report_stats.h"
#include "cli/common.h"
#include "io/h5.h"
#include "physopt/sweep.h"

static const po_param_spec run_specs[] = {PO_CLI_COMMON_RUN_SPECS};
static const po_param_spec report_specs[] = {
    {"by", PO_PARAM_STRING, NULL, 0, 0, NULL, "",
     "keys to group runs by, comma-separated (default: the swept keys); besides section.key: "
     "backend, algorithm, n, steps, problem"},
    {"bootstrap", PO_PARAM_INT, "2000", 0, 1e7, NULL, "1", "bootstrap resamples for the CIs"},
    {"plots", PO_PARAM_STRING, NULL, 0, 0, NULL, "dir", "write gnuplot PNG plots into this dir"},
};
static const po_param_section run_sec = {"run", run_specs, PO_CLI_N(run_specs)};
static const po_param_section report_sec = {"report", report_specs, PO_CLI_N(report_specs)};
static const po_param_section *const secs[] = {&report_sec, &run_sec};
static const po_cli_option opts[] = {
    {"by", "report.by", "KEYS", "group runs by these keys"},
    {"bootstrap", "report.bootstrap", "B", "bootstrap resamples"},
    {"plots", "report.plots", "DIR", "write PNG plots (gnuplot) into DIR"},
    {NULL, NULL, NULL, NULL}};
static const po_cli_spec spec = {
    "report",
    "RESULTS.h5 [--by key,key] [--json] [--plots DIR]",
    "Summarises the runs of a sweep (master, merged or single-run file) per group of\n"
    "parameters: success probability, TTS99 (device and wall) and energy-to-solution with\n"
    "95% bootstrap intervals, median/best energy, and the energy ledger per category.",
    opts,
    secs,
    2,
    1};

typedef struct rrun {
  char id[17];
  int learn; /* a learning run (run.task = eval | train): lrec, else rec */
  po_h5_run rec;
  po_h5_learn_run lrec;
  size_t n_params;
  char **pname, **pval; /* "section.key" -> value */
  int ok;
} rrun;

typedef struct rset {
  rrun *r;
  size_t n, cap;
  int rc;
} rset;

static herr_t param_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
  (void)info;
  rrun *r = data;
  if (strncmp(name, "param.", 6)) return 0;
  char *v;
  if (po_h5_get_string(loc, name, &v)) return 0;
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
  rset anneal, learn;
  int rc;
  const char *master;
  char **checked; /* part files that passed po_h5_check_heaps */
  size_t n_checked;
} rfile;

/* A run reached through an external link: its part file's heaps are
 * checked once before libhdf5 reads its strings (po_h5_check_heaps).
 * Link targets are relative to the master's directory. */
static int check_link_target(hid_t g, const char *name, rfile *fs) {
  H5L_info_t li;
  if (H5Lget_info(g, name, &li, H5P_DEFAULT) < 0 || li.type != H5L_TYPE_EXTERNAL) return PO_OK;
  char val[2048];
  const char *file, *obj;
  unsigned flags;
  if (li.u.val_size > sizeof val || H5Lget_val(g, name, val, sizeof val, H5P_DEFAULT) < 0 ||
      H5Lunpack_elink_val(val, li.u.val_size, &flags, &file, &obj) < 0)
    return po_error(PO_ERR_PARSE, "%s: run %s: unreadable external link", fs->master, name);
  char path[4096];
  const char *slash = strrchr(fs->master, '/');
  if (file[0] == '/' || !slash)
    snprintf(path, sizeof path, "%s", file);
  else
    snprintf(path, sizeof path, "%.*s/%s", (int)(slash - fs->master), fs->master, file);
  for (size_t i = 0; i < fs->n_checked; i++)
    if (!strcmp(fs->checked[i], path)) return PO_OK;
  int rc = po_h5_check_heaps(path);
  if (rc) return rc;
  char **nc = realloc(fs->checked, (fs->n_checked + 1) * sizeof *nc);
  if (!nc || !(nc[fs->n_checked] = strdup(path))) {
    if (nc) fs->checked = nc;
    return po_error(PO_ERR_NOMEM, "out of memory");
  }
  fs->checked = nc;
  fs->n_checked++;
  return PO_OK;
}

static int read_one(hid_t g, const char *name, rfile *fs) {
  char task[16];
  int rc = po_h5_run_task(g, task, sizeof task);
  if (rc) return po_error_wrap(rc, "run %s", name);
  int learn = strcmp(task, "anneal") != 0;
  rset *s = learn ? &fs->learn : &fs->anneal;
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
  r->learn = learn;
  rc = learn ? po_h5_read_learn_run(g, &r->lrec) : po_h5_read_run(g, &r->rec);
  if (rc) return po_error_wrap(rc, "run %s", name);
  H5Aiterate2(g, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, param_cb, r);
  s->n++;
  return PO_OK;
}

static herr_t run_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)info;
  rfile *s = data;
  uint64_t id;
  if (po_sweep_id_parse(name, &id)) return 0;
  if ((s->rc = check_link_target(g, name, s))) return -1;
  hid_t rg = H5Gopen2(g, name, H5P_DEFAULT);
  if (rg < 0) {
    s->rc = po_error(PO_ERR_IO, "cannot open run %s (missing part file?)", name);
    return -1;
  }
  s->rc = read_one(rg, name, s);
  H5Gclose(rg);
  return s->rc ? -1 : 0;
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

/* Value of a grouping key for a run (static buffer for numbers). */
static const char *key_value(const rrun *r, const char *key, char *buf, size_t len) {
  if (r->learn) {
    if (!strcmp(key, "backend")) return r->lrec.backend;
    if (!strcmp(key, "algorithm")) return r->lrec.task;
    if (!strcmp(key, "problem")) return r->lrec.data;
    if (!strcmp(key, "photons")) {
      if (isnan(r->lrec.photons_per_mac)) return "-";
      snprintf(buf, len, "%.10g", r->lrec.photons_per_mac);
      return buf;
    }
    if (!strcmp(key, "n") || !strcmp(key, "steps")) return "-";
  } else if (!strcmp(key, "photons")) {
    return "-";
  }
  if (!strcmp(key, "backend")) return r->rec.backend;
  if (!strcmp(key, "algorithm")) return r->rec.algorithm;
  if (!strcmp(key, "problem")) return r->rec.problem.source;
  if (!strcmp(key, "n")) {
    snprintf(buf, len, "%d", r->rec.problem.n);
    return buf;
  }
  if (!strcmp(key, "steps")) {
    snprintf(buf, len, "%ld", r->rec.steps);
    return buf;
  }
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

typedef struct sorter {
  const rset *s;
  char **keys;
  size_t n_keys;
} sorter;

static int cmp_runs(const sorter *st, size_t a, size_t b) {
  char ba[64], bb[64];
  for (size_t k = 0; k < st->n_keys; k++) {
    int c = cmp_values(key_value(&st->s->r[a], st->keys[k], ba, sizeof ba),
                       key_value(&st->s->r[b], st->keys[k], bb, sizeof bb));
    if (c) return c;
  }
  return 0;
}

/* Insertion-stable merge sort of indices (no global comparator state). */
static void sort_idx(const sorter *st, size_t *idx, size_t *tmp, size_t n) {
  if (n < 2) return;
  size_t h = n / 2;
  sort_idx(st, idx, tmp, h);
  sort_idx(st, idx + h, tmp, n - h);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = cmp_runs(st, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
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
  sort_idx(st, idx, tmp, s->n);
  size_t ng = 0;
  int rc = PO_OK;
  for (size_t i = 0; i < s->n && !rc;) {
    size_t j = i + 1;
    while (j < s->n && cmp_runs(st, idx[i], idx[j]) == 0) j++;
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

static void fmt_num(char *buf, size_t len, double x) {
  if (isnan(x))
    snprintf(buf, len, "-");
  else if (isinf(x))
    snprintf(buf, len, "inf");
  else
    snprintf(buf, len, "%.3g", x);
}

static void fmt_ci(char *buf, size_t len, double v, double lo, double hi) {
  char a[32], b[32], c[32];
  fmt_num(a, sizeof a, v);
  fmt_num(b, sizeof b, lo);
  fmt_num(c, sizeof c, hi);
  if (isnan(v))
    snprintf(buf, len, "-");
  else
    snprintf(buf, len, "%s [%s, %s]", a, b, c);
}

/* Paths shortened to their last component in tables (JSON keeps them). */
static const char *short_value(const char *v) {
  const char *slash = strrchr(v, '/');
  return slash && slash[1] ? slash + 1 : v;
}

/* Table column of a grouping key: as wide as its name, at least 14. */
static int key_width(const char *key) {
  int n = (int)strlen(key);
  return n > 14 ? n : 14;
}

static void print_table(const rset *s, const sorter *st, const size_t *idx, const group *g,
                        size_t ng) {
  char buf[64];
  for (size_t k = 0; k < st->n_keys; k++) printf("%-*s ", key_width(st->keys[k]), st->keys[k]);
  printf("%4s %6s  %-24s %-30s %-10s %-11s %-11s %-30s\n", "runs", "reps", "p_success [95% CI]",
         "TTS99 device s [95% CI]", "TTS99 wall", "E median", "E best", "ETS99 J [95% CI]");
  for (size_t i = 0; i < ng; i++) {
    const group *G = &g[i];
    const rrun *r0 = &s->r[idx[G->start]];
    for (size_t k = 0; k < st->n_keys; k++)
      printf("%-*s ", key_width(st->keys[k]),
             short_value(key_value(r0, st->keys[k], buf, sizeof buf)));
    char p[128], t[128], tw[32], em[32], eb[32], e[128];
    fmt_ci(p, sizeof p, G->st.p, G->st.p_lo, G->st.p_hi);
    fmt_ci(t, sizeof t, G->st.tts, G->st.tts_lo, G->st.tts_hi);
    fmt_num(tw, sizeof tw, G->st.tts_wall);
    snprintf(em, sizeof em, "%.6g", G->st.e_median);
    snprintf(eb, sizeof eb, "%.6g", G->st.e_best);
    fmt_ci(e, sizeof e, G->st.ets, G->st.ets_lo, G->st.ets_hi);
    printf("%4ld %6ld  %-24s %-30s %-10s %-11s %-11s %-30s\n", G->st.runs, G->st.replicas, p, t, tw,
           em, eb, e);
  }
  printf("\nenergy to solution by ledger category (J; per replica x ln(0.01)/ln(1-p); "
         "per replica when there is no target):\n");
  for (size_t i = 0; i < ng; i++) {
    const group *G = &g[i];
    const rrun *r0 = &s->r[idx[G->start]];
    printf(" ");
    for (size_t k = 0; k < st->n_keys; k++)
      printf(" %s=%s", st->keys[k], short_value(key_value(r0, st->keys[k], buf, sizeof buf)));
    printf(":");
    double f = G->st.has_target ? po_report_repeats99(G->st.p) : 1.0;
    for (int c = 0; c < G->n_cat; c++) {
      fmt_num(buf, sizeof buf, G->cat_j[c] * f);
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

static void print_json(po_json *j, const rset *s, const sorter *st, const size_t *idx,
                       const group *g, size_t ng) {
  char buf[64];
  po_json_array(j, "runs");
  for (size_t i = 0; i < s->n; i++) {
    const rrun *r = &s->r[i];
    const po_h5_run *rec = &r->rec;
    po_json_object(j, NULL);
    po_json_string(j, "run_id", r->id);
    po_json_object(j, "params");
    for (size_t k = 0; k < r->n_params; k++) po_json_string(j, r->pname[k], r->pval[k]);
    po_json_close(j);
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
    po_json_object(j, "key");
    for (size_t k = 0; k < st->n_keys; k++)
      po_json_string(j, st->keys[k], key_value(&s->r[idx[G->start]], st->keys[k], buf, sizeof buf));
    po_json_close(j);
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

static int run_gnuplot(const char *gp) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>&1", gp);
  FILE *p = popen(cmd, "r");
  if (!p) return po_error(PO_ERR_IO, "cannot run gnuplot (Debian package gnuplot-nox)");
  char line[512];
  while (fgets(line, sizeof line, p)) fprintf(stderr, "gnuplot: %s", line);
  if (pclose(p) != 0)
    return po_error(PO_ERR_IO, "gnuplot failed on %s (is gnuplot-nox installed?)", gp);
  return PO_OK;
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
            "set terminal pngcairo size 800,560 noenhanced\nset output '%s/%s.png'\n"
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
    const char *series = key_value(r0, keys[0], b1, sizeof b1);
    char xb[64];
    const char *x = nk > 1 ? key_value(r0, keys[1], b2, sizeof b2) : xb;
    snprintf(xb, sizeof xb, "%zu", i + 1);
    /* Groups that differ only in keys beyond the second: keep the best
     * (highest p, lowest TTS/ETS): the optimal budget at this x. */
    size_t j = i + 1, best = i;
    while (nk > 2 && j < ng) {
      const rrun *rj = &s->r[idx[g[j].start]];
      char c1[64], c2[64];
      if (strcmp(key_value(rj, keys[0], c1, sizeof c1), series) ||
          strcmp(key_value(rj, keys[1], c2, sizeof c2), x))
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
  return run_gnuplot(gp);
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

/* ---- learning runs -------------------------------------------------------- */

typedef struct lgroup {
  size_t start, n;            /* into the sorted index */
  double acc, acc_lo, acc_hi; /* mean test accuracy over the runs, 95% bootstrap CI */
  double noise_sd;            /* mean of the runs' own sd over noise realisations */
  double loss, photons, e_mac, e_optical, macs, test_samples, wall;
} lgroup;

static double mean_of(const rset *s, const size_t *idx, size_t n, size_t off) {
  double t = 0;
  for (size_t k = 0; k < n; k++) t += *(const double *)((const char *)&s->r[idx[k]].lrec + off);
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
  if (!rc) sort_idx(st, idx, tmp, s->n);
  size_t ng = 0;
  for (size_t i = 0; i < s->n && !rc; ng++) {
    size_t j = i + 1;
    while (j < s->n && cmp_runs(st, idx[i], idx[j]) == 0) j++;
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
  for (size_t k = 0; k < st->n_keys; k++) printf("%-*s ", key_width(st->keys[k]), st->keys[k]);
  printf("%4s  %-26s %-9s %-8s %-11s %-12s %-12s %-10s %-8s\n", "runs", "accuracy [95% CI]",
         "noise sd", "loss", "photons/MAC", "J/MAC", "optical J/MAC", "MACs/run", "wall s");
  for (size_t i = 0; i < ng; i++) {
    const lgroup *G = &g[i];
    const rrun *r0 = &s->r[idx[G->start]];
    for (size_t k = 0; k < st->n_keys; k++)
      printf("%-*s ", key_width(st->keys[k]),
             short_value(key_value(r0, st->keys[k], buf, sizeof buf)));
    char a[128], sd[32], ph[32], e[32], eo[32], m[32];
    if (isnan(G->acc_lo))
      snprintf(a, sizeof a, "%.4f", G->acc);
    else
      snprintf(a, sizeof a, "%.4f [%.4f, %.4f]", G->acc, G->acc_lo, G->acc_hi);
    fmt_num(sd, sizeof sd, G->noise_sd);
    fmt_num(ph, sizeof ph, G->photons);
    fmt_num(e, sizeof e, G->e_mac);
    fmt_num(eo, sizeof eo, G->e_optical);
    fmt_num(m, sizeof m, G->macs);
    printf("%4zu  %-26s %-9s %-8.4f %-11s %-12s %-12s %-10s %-8.3g\n", G->n, a, sd, G->loss, ph, e,
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
    po_json_object(j, NULL);
    po_json_string(j, "run_id", r->id);
    po_json_object(j, "params");
    for (size_t k = 0; k < r->n_params; k++) po_json_string(j, r->pname[k], r->pval[k]);
    po_json_close(j);
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
    po_json_object(j, "key");
    for (size_t k = 0; k < st->n_keys; k++)
      po_json_string(j, st->keys[k], key_value(&s->r[idx[G->start]], st->keys[k], buf, sizeof buf));
    po_json_close(j);
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
  char dat[1024], gp[1024];
  snprintf(dat, sizeof dat, "%s/accuracy_vs_photons.dat", dir);
  snprintf(gp, sizeof gp, "%s/accuracy_vs_photons.gp", dir);
  FILE *f = rc ? NULL : fopen(dat, "w");
  FILE *q = f ? fopen(gp, "w") : NULL;
  if (!rc && (!f || !q)) rc = po_error(PO_ERR_IO, "cannot write %s: %s", dat, strerror(errno));
  size_t finite = 0, block = 0, nplot = 0;
  if (!rc) {
    fprintf(
        q,
        "set terminal pngcairo size 800,560 noenhanced\nset output '%s/accuracy_vs_photons.png'\n"
        "set title 'test accuracy vs photon budget'\nset xlabel 'detected photons per MAC'\n"
        "set ylabel 'test accuracy (95%% CI over runs)'\nset logscale x\nset grid\n"
        "set key bottom right\nset offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n"
        "plot ",
        dir);
    char prev[160] = "", b1[64], b2[64], series[160];
    for (size_t i = 0; i < ng; i++) {
      const rrun *r0 = &s->r[idx[g[i].start]];
      snprintf(series, sizeof series, "%s (%s)", key_value(r0, "backend", b1, sizeof b1),
               key_value(r0, "algorithm", b2, sizeof b2));
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
  return run_gnuplot(gp);
}

/* A key no run has would silently put every run in one group "-". */
static int check_key(const rfile *fs, const char *key, const char *path) {
  static const char *const builtin[] = {"backend", "algorithm", "problem", "n", "steps", "photons"};
  for (size_t b = 0; b < PO_CLI_N(builtin); b++)
    if (!strcmp(key, builtin[b])) return PO_OK;
  const char *pk = strncmp(key, "param.", 6) ? key : key + 6;
  const rset *sets[] = {&fs->anneal, &fs->learn};
  for (int t = 0; t < 2; t++)
    for (size_t i = 0; i < sets[t]->n; i++)
      for (size_t q = 0; q < sets[t]->r[i].n_params; q++)
        if (!strcmp(sets[t]->r[i].pname[q], pk)) return PO_OK;
  return po_error(PO_ERR_ARG,
                  "report.by: key '%s' is in no run of %s (valid: backend, algorithm, problem, n, "
                  "steps, photons, or a section.key the runs were configured with, e.g. "
                  "run.steps)",
                  key, path);
}

static int read_file(const char *path, rfile *fs, char **sweep_keys) {
  po_h5_quiet();
  int rc = po_h5_check_heaps(path);
  if (rc) return rc;
  po_cli_reading(path);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    po_cli_reading(NULL);
    return po_error(PO_ERR_IO, "cannot open %s as HDF5", path);
  }
  fs->master = path;
  hid_t rg = H5Gopen2(f, "runs", H5P_DEFAULT);
  if (rg >= 0) {
    if (H5Literate(rg, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, run_cb, fs) < 0 && fs->rc) rc = fs->rc;
    H5Gclose(rg);
  } else if (H5Aexists(f, "backend") <= 0 || H5Lexists(f, "samples", H5P_DEFAULT) <= 0) {
    rc = po_error(PO_ERR_PARSE,
                  "%s: not a physopt results file (neither a sweep's /runs nor a physopt solve "
                  "--out run at the root)",
                  path);
  } else {
    rc = read_one(f, "single", fs); /* a `physopt solve --out` file */
  }
  if (H5Aexists(f, "sweep_keys") > 0) po_h5_get_string(f, "sweep_keys", sweep_keys);
  H5Fclose(f);
  po_cli_reading(NULL);
  if (!rc && fs->anneal.n + fs->learn.n == 0) rc = po_error(PO_ERR_ARG, "%s holds no runs", path);
  return rc;
}

int po_cmd_report(int argc, char **argv) {
  po_cli cli;
  int rc = po_cli_parse(&cli, &spec, argc, argv);
  if (rc == PO_CLI_HELP) return 0;
  rfile fs = {0};
  char **keys = NULL;
  size_t nk = 0, ng = 0, nlg = 0;
  char *by_default = NULL;
  size_t *idx = NULL, *lidx = NULL;
  group *g = NULL;
  lgroup *lg = NULL;
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
  if (!rc && ((rc = po_params_string(cli.params, &report_sec, "by", &by)) ||
              (rc = po_params_string(cli.params, &report_sec, "plots", &plots)) ||
              (rc = po_params_int(cli.params, &report_sec, "bootstrap", &n_boot))))
    goto out;
  if (rc || (rc = read_file(cli.args[0], &fs, &by_default))) goto out;
  if (!by) by = by_default && *by_default ? by_default : "backend,problem";
  if ((rc = split_keys(by, &keys, &nk))) {
    rc = po_error_wrap(rc, "report.by");
    goto out;
  }
  for (size_t k = 0; k < nk; k++)
    if ((rc = check_key(&fs, keys[k], cli.args[0]))) goto out;
  idx = malloc((fs.anneal.n + 1) * sizeof *idx);
  lidx = malloc((fs.learn.n + 1) * sizeof *lidx);
  if (!idx || !lidx) {
    rc = po_error(PO_ERR_NOMEM, "out of memory");
    goto out;
  }
  sorter st = {&fs.anneal, keys, nk}, lst = {&fs.learn, keys, nk};
  if ((fs.anneal.n && (rc = make_groups(&fs.anneal, &st, idx, (int)n_boot, &g, &ng))) ||
      (fs.learn.n && (rc = make_learn_groups(&fs.learn, &lst, lidx, (int)n_boot, &lg, &nlg))))
    goto out;
  if (cli.json) {
    po_json j;
    po_json_begin(&j, stdout);
    print_json(&j, &fs.anneal, &st, idx, g, ng);
    if (fs.learn.n) print_learn_json(&j, &fs.learn, &lst, lidx, lg, nlg);
    po_json_end(&j);
  } else {
    if (fs.anneal.n) print_table(&fs.anneal, &st, idx, g, ng);
    if (fs.anneal.n && fs.learn.n) printf("\n");
    if (fs.learn.n) print_learn_table(&fs.learn, &lst, lidx, lg, nlg);
  }
  if (plots) {
    if (mkdir(plots, 0777) != 0 && errno != EEXIST) {
      rc = po_error(PO_ERR_IO, "cannot create %s: %s", plots, strerror(errno));
      goto out;
    }
    if ((fs.anneal.n && (rc = make_plots(&fs.anneal, plots, (int)n_boot))) ||
        (fs.learn.n && (rc = plot_learn(&fs.learn, plots, (int)n_boot))))
      goto out;
    if (!cli.json)
      printf("\nplots: %s/%s\n", plots,
             fs.anneal.n && fs.learn.n
                 ? "{success_vs_steps,tts_vs_n,ets_vs_n,accuracy_vs_photons}.png"
             : fs.anneal.n ? "{success_vs_steps,tts_vs_n,ets_vs_n}.png"
                           : "accuracy_vs_photons.png");
  }
out:
  free(g);
  free(lg);
  free(idx);
  free(lidx);
  free(keys);
  free(by_default);
  free_runs(&fs.anneal);
  free_runs(&fs.learn);
  for (size_t i = 0; i < fs.n_checked; i++) free(fs.checked[i]);
  free(fs.checked);
  po_cli_free(&cli);
  return po_cli_exit(rc);
}
