/* physopt report exports: typed parameter values in --json and one CSV row
 * per anneal run (--csv).
 *
 * Parameters are stored as text attributes ("param.section.key"); their type
 * comes from the declared spec tables (the [run]/[problem]/[schedule]
 * sections of solve, train, eval and recall, and every registered backend's
 * [NAME] and [energy.NAME]), so "steps": 100 is a number, "json": false a
 * boolean and "spec": "sk:12:1" a string.  A value that does not parse as
 * its declared type, or an undeclared key, stays a string. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cli/learn_run.h"
#include "cli/recall_run.h"
#include "cli/report.h"
#include "cli/run_config.h"

static const po_param_spec *find_in(const po_param_section *sec, const char *name, size_t len,
                                    const char *key) {
  if (!sec || strlen(sec->name) != len || strncmp(sec->name, name, len)) return NULL;
  for (size_t k = 0; k < sec->n_specs; k++)
    if (!strcmp(sec->specs[k].key, key)) return &sec->specs[k];
  return NULL;
}

/* The spec of "section.key" ("energy.cpu.pJ_per_mac": section energy.cpu). */
static const po_param_spec *declared(const char *dotted) {
  const char *dot = strrchr(dotted, '.');
  if (!dot) return NULL;
  size_t len = (size_t)(dot - dotted);
  const char *key = dot + 1;
  const po_param_section *cli_secs[] = {&po_run_section,          &po_run_problem_section,
                                        &po_run_schedule_section, &po_train_run_section,
                                        &po_eval_run_section,     &po_recall_run_section};
  for (size_t i = 0; i < sizeof cli_secs / sizeof *cli_secs; i++) {
    const po_param_spec *s = find_in(cli_secs[i], dotted, len, key);
    if (s) return s;
  }
  for (size_t b = 0; b < po_backend_count(); b++) {
    const po_backend_ops *ops = po_backend_ops_at(b);
    const po_param_spec *s = find_in(ops->params, dotted, len, key);
    if (!s) s = find_in(ops->energy, dotted, len, key);
    if (s) return s;
  }
  return NULL;
}

static int parse_bool(const char *v, int *out) {
  static const char *yes[] = {"true", "yes", "on", "1"}, *no[] = {"false", "no", "off", "0"};
  for (int k = 0; k < 4; k++) {
    if (!strcasecmp(v, yes[k])) return *out = 1, 1;
    if (!strcasecmp(v, no[k])) return *out = 0, 1;
  }
  return 0;
}

void po_rep_json_param(po_json *j, const char *name, const char *value) {
  const po_param_spec *s = declared(name);
  char *end;
  if (s && s->type == PO_PARAM_INT) {
    errno = 0;
    long long v = strtoll(value, &end, 0);
    if (*value && !*end && !errno) return po_json_int(j, name, v);
  } else if (s && s->type == PO_PARAM_DOUBLE) {
    double v = strtod(value, &end);
    if (*value && !*end && isfinite(v)) return po_json_number(j, name, v);
  } else if (s && s->type == PO_PARAM_BOOL) {
    int b;
    if (parse_bool(value, &b)) return po_json_bool(j, name, b);
  }
  po_json_string(j, name, value);
}

void po_rep_json_key_value(po_json *j, const char *key, const char *value) {
  if (strchr(key, '.')) return po_rep_json_param(j, key, value);
  if (!strcmp(value, "-")) return po_json_null(j, key);
  static const char *const numeric[] = {"n", "steps", "photons", "alpha"};
  for (size_t k = 0; k < sizeof numeric / sizeof *numeric; k++) {
    char *end;
    double v = strtod(value, &end);
    if (!strcmp(key, numeric[k]) && *value && !*end && isfinite(v))
      return po_json_number(j, key, v);
  }
  po_json_string(j, key, value);
}

/* ---- CSV -------------------------------------------------------------------- */

/* RFC 4180 field: quoted when it holds a comma, quote or line break. */
void po_rep_csv_field(FILE *f, const char *v, int first) {
  if (!first) fputc(',', f);
  if (!v) return;
  if (!strpbrk(v, ",\"\r\n")) {
    fputs(v, f);
    return;
  }
  fputc('"', f);
  for (; *v; v++) {
    if (*v == '"') fputc('"', f);
    fputc(*v, f);
  }
  fputc('"', f);
}

static void csv_number(FILE *f, double v) {
  if (isfinite(v))
    fprintf(f, ",%.17g", v);
  else
    fputc(',', f); /* NaN/Inf: empty (pandas reads NaN) */
}

/* Union of the runs' parameter names, in order of first appearance. */
static int param_columns(const rset *s, char ***names, size_t *n) {
  *names = NULL;
  *n = 0;
  for (size_t r = 0; r < s->n; r++)
    for (size_t k = 0; k < s->r[r].n_params; k++) {
      const char *p = s->r[r].pname[k];
      size_t c = 0;
      while (c < *n && strcmp((*names)[c], p)) c++;
      if (c < *n) continue;
      char **nn = realloc(*names, (*n + 1) * sizeof *nn);
      if (!nn) return po_error(PO_ERR_NOMEM, "out of memory");
      *names = nn;
      (*names)[(*n)++] = s->r[r].pname[k];
    }
  return PO_OK;
}

static const char *param_of(const rrun *r, const char *name) {
  for (size_t k = 0; k < r->n_params; k++)
    if (!strcmp(r->pname[k], name)) return r->pval[k];
  return NULL;
}

int po_rep_csv(FILE *f, const rset *s) {
  char **cols;
  size_t nc;
  int rc = param_columns(s, &cols, &nc);
  if (rc) return rc;
  static const char *const fixed[] = {"backend",
                                      "algorithm",
                                      "schedule",
                                      "problem",
                                      "n",
                                      "steps",
                                      "replicas",
                                      "seed",
                                      "best_energy",
                                      "mean_energy",
                                      "median_energy",
                                      "best_cut",
                                      "target_energy",
                                      "success_probability",
                                      "tts99_s",
                                      "wall_s",
                                      "device_s",
                                      "run_s",
                                      "total_joules"};
  po_rep_csv_field(f, "run_id", 1);
  for (size_t c = 0; c < nc; c++) po_rep_csv_field(f, cols[c], 0);
  for (size_t c = 0; c < sizeof fixed / sizeof *fixed; c++) po_rep_csv_field(f, fixed[c], 0);
  fputc('\n', f);
  for (size_t r = 0; r < s->n; r++) {
    const rrun *run = &s->r[r];
    const po_h5_run *x = &run->rec;
    char buf[32];
    po_rep_csv_field(f, run->id, 1);
    for (size_t c = 0; c < nc; c++) po_rep_csv_field(f, param_of(run, cols[c]), 0);
    po_rep_csv_field(f, x->backend, 0);
    po_rep_csv_field(f, x->algorithm, 0);
    po_rep_csv_field(f, x->schedule, 0);
    po_rep_csv_field(f, x->problem.source, 0);
    fprintf(f, ",%d,%ld,%d", x->problem.n, x->steps, x->samples.replicas);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)x->seed);
    po_rep_csv_field(f, buf, 0);
    const po_metrics *m = &x->metrics;
    csv_number(f, m->best_energy);
    csv_number(f, m->mean_energy);
    csv_number(f, m->median_energy);
    csv_number(f, m->best_cut);
    csv_number(f, m->has_target ? m->target_energy : NAN);
    csv_number(f, m->success_probability);
    csv_number(f, m->tts99_s);
    csv_number(f, x->ledger.wall_s);
    csv_number(f, x->ledger.device_s);
    csv_number(f, x->ledger.run_s);
    csv_number(f, po_ledger_total_joules(&x->ledger));
    fputc('\n', f);
  }
  free(cols);
  return PO_OK;
}
