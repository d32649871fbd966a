/* physopt report internals shared by cli/cmd_report.c (anneal runs, files,
 * grouping) and cli/report_tasks.c (learning and recall runs). */
#ifndef PHYSOPT_CLI_REPORT_H
#define PHYSOPT_CLI_REPORT_H

#include <stddef.h>
#include "cli/common.h"
#include "io/h5.h"

typedef enum { PO_REP_ANNEAL = 0, PO_REP_LEARN = 1, PO_REP_RECALL = 2 } po_rep_kind;

/* One run read back: the record of its kind, and its "param.*" attributes. */
typedef struct rrun {
  char id[17];
  po_rep_kind kind;
  po_h5_run rec;         /* anneal */
  po_h5_learn_run lrec;  /* eval, train */
  po_h5_recall_run crec; /* recall */
  size_t n_params;
  char **pname, **pval; /* "section.key" -> value */
} rrun;

typedef struct rset {
  rrun *r;
  size_t n, cap;
  int rc;
} rset;

/* Grouping keys over a set of runs. */
typedef struct sorter {
  const rset *s;
  char **keys;
  size_t n_keys;
} sorter;

/* Value of grouping key `key` for run r: the built-in names backend,
 * algorithm (learning: the task; recall: the dynamics), problem (learning:
 * the data set; recall: the storage rule), n (recall: spins), steps,
 * photons (learning: photons per MAC), alpha (recall: P/N), or a
 * section.key parameter; "-" when the run has none (buf holds numbers). */
const char *po_rep_key_value(const rrun *r, const char *key, char *buf, size_t len);
int po_rep_cmp_runs(const sorter *st, size_t a, size_t b);
/* Stable merge sort of idx[0..n) by the keys (tmp: n scratch entries). */
void po_rep_sort_idx(const sorter *st, size_t *idx, size_t *tmp, size_t n);
void po_rep_fmt_num(char *buf, size_t len, double x);
const char *po_rep_short_value(const char *v); /* a path's last component */
int po_rep_key_width(const char *key);         /* table column width */
/* Runs the script (which writes PNG.part), relays its messages, renames PNG.part to PNG. */
int po_rep_run_gnuplot(const char *gp, const char *png);

/* JSON: opens a run's object with its id and "params"; a group's "key". */
void po_rep_json_run_begin(po_json *j, const rrun *r);
void po_rep_json_group_key(po_json *j, const sorter *st, const rrun *r0);
/* A "section.key": value member typed by its declared spec (cli/report_export.c). */
void po_rep_json_param(po_json *j, const char *name, const char *value);
/* A grouping key's value: section.key typed as above; the built-in numeric
 * keys (n, steps, photons, alpha) as numbers, "-" (none) as null. */
void po_rep_json_key_value(po_json *j, const char *key, const char *value);
/* An RFC 4180 field (quoted when it holds a comma, quote or line break),
 * preceded by a comma unless first. */
void po_rep_csv_field(FILE *f, const char *v, int first);
/* One CSV row per anneal run (RFC 4180): run_id, every parameter, metrics. */
int po_rep_csv(FILE *f, const rset *s);

/* The report of a set of learning (or recall) runs grouped by keys: JSON
 * members into j when j is not NULL, else a table on stdout; with plots
 * (a directory, or NULL) accuracy_vs_photons.png (recall_vs_alpha.png). */
int po_rep_learn(const rset *s, char **keys, size_t n_keys, int n_boot, po_json *j,
                 const char *plots);
/* TTS99 at the optimal run length (cli/report_ttsopt.c) for every series
 * (backend, algorithm and the keys other than problem and steps) whose runs
 * span at least two run lengths: a table on stdout, JSON members into j, or
 * CSV rows (csv); with plots, tts_vs_steps.png.  *shown: whether any series
 * qualified. */
int po_rep_tts_opt(const rset *s, char **keys, size_t n_keys, int n_boot, po_json *j, int csv,
                   const char *plots, int *shown);
int po_rep_recall(const rset *s, char **keys, size_t n_keys, int n_boot, po_json *j,
                  const char *plots);

#endif
