/* qbsolv QUBO text files (D-Wave qbsolv README, "qbsolv QUBO input file
 * format"):
 *
 *   c comment lines (anywhere)
 *   p qubo TOPOLOGY MAXNODES NNODES NCOUPLERS
 *   i i Q_ii        NNODES diagonal ("node") lines
 *   i j Q_ij        NCOUPLERS off-diagonal ("coupler") lines
 *
 * Indices are 0-based in [0, MAXNODES); TOPOLOGY is a name qbsolv ignores
 * for unconstrained problems ("0" or "unconstrained"); f(x) = sum over the
 * listed entries of Q_ij x_i x_j, x in {0,1}.  qbsolv lists nodes before
 * couplers and writes couplers with i < j; we accept them in any order and
 * either orientation (Q_ij x_i x_j = Q_ji x_j x_i) and count them against the
 * header.  The format has no constant term: offset 0.  A pair (or node) given
 * twice follows po_load_opts.duplicates (reject names both lines; sum adds).
 * Blank lines are ignored.  Errors: "PATH:LINE: what is wrong". */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"
#include "physopt/problem.h"
#include "problems/ising_internal.h"

typedef struct qubo_reader {
  const char *path;
  const po_load_opts *opts;
  long header_line, nodes_expect, couplers_expect, nodes, couplers;
  int n, have_header;
  po_qubo_terms t;
  long *line; /* line of each term */
  long cap;
  long *diag_line; /* n: line of each node's term (0 = none) */
} qubo_reader;

static int push_term(qubo_reader *r, int32_t i, int32_t j, double q, long ln) {
  if (po__edges_reserve(&r->t.i, &r->t.j, &r->t.q, &r->line, &r->cap, r->t.m))
    return po_error(PO_ERR_NOMEM, "%s:%ld: out of memory after %ld entries", r->path, ln, r->t.m);
  r->t.i[r->t.m] = i < j ? i : j;
  r->t.j[r->t.m] = i < j ? j : i;
  r->t.q[r->t.m] = q;
  r->line[r->t.m] = ln;
  r->t.m++;
  return PO_OK;
}

/* "p qubo TOPOLOGY MAXNODES NNODES NCOUPLERS" */
static int parse_header(qubo_reader *r, long ln, char **tok, int nt) {
  const char *usage = "'p qubo TOPOLOGY MAXNODES NNODES NCOUPLERS'";
  if (nt != 6 || strcmp(tok[0], "p") != 0 || strcmp(tok[1], "qubo") != 0)
    return po_error(PO_ERR_PARSE, "%s:%ld: expected the program line %s before any entry", r->path,
                    ln, usage);
  long long v[3];
  const char *what[3] = {"MAXNODES", "NNODES", "NCOUPLERS"};
  for (int k = 0; k < 3; k++)
    if (po__parse_ll(tok[3 + k], &v[k]) || v[k] < (k == 0 ? 1 : 0) ||
        (k == 0 && v[k] > PO_ISING_MAX_N))
      return po_error(PO_ERR_PARSE, "%s:%ld: %s = '%.40s' must be an integer in [%d, %d]", r->path,
                      ln, what[k], tok[3 + k], k == 0 ? 1 : 0,
                      k == 0 ? PO_ISING_MAX_N : (k == 1 ? (int)v[0] : INT32_MAX));
  if (v[1] > v[0])
    return po_error(PO_ERR_PARSE, "%s:%ld: NNODES = %lld exceeds MAXNODES = %lld", r->path, ln,
                    v[1], v[0]);
  if (r->opts->duplicates == PO_DUP_REJECT &&
      (double)v[2] > 0.5 * (double)v[0] * (double)(v[0] - 1))
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: NCOUPLERS = %lld exceeds the MAXNODES(MAXNODES-1)/2 distinct pairs",
                    r->path, ln, v[2]);
  r->n = (int)v[0];
  r->nodes_expect = (long)v[1];
  r->couplers_expect = (long)v[2];
  r->header_line = ln;
  r->have_header = 1;
  r->diag_line = calloc((size_t)r->n, sizeof *r->diag_line);
  if (!r->diag_line) return po_error(PO_ERR_NOMEM, "%s:%ld: out of memory", r->path, ln);
  return PO_OK;
}

/* "i j Q_ij" */
static int parse_entry(qubo_reader *r, long ln, char **tok, int nt) {
  if (nt != 3)
    return po_error(PO_ERR_PARSE, "%s:%ld: expected 'i j Q_ij', got %d field%s", r->path, ln, nt,
                    nt == 1 ? "" : "s");
  long long v[2];
  for (int k = 0; k < 2; k++)
    if (po__parse_ll(tok[k], &v[k]) || v[k] < 0 || v[k] >= r->n)
      return po_error(PO_ERR_PARSE, "%s:%ld: index '%.40s' must be an integer in [0, %d]", r->path,
                      ln, tok[k], r->n - 1);
  double q;
  if (po__parse_real(tok[2], &q))
    return po_error(PO_ERR_PARSE, "%s:%ld: value '%.40s' is not a finite number", r->path, ln,
                    tok[2]);
  if (v[0] == v[1]) {
    if (++r->nodes > r->nodes_expect)
      return po_error(PO_ERR_PARSE, "%s:%ld: more than NNODES = %ld node lines 'i i Q_ii'", r->path,
                      ln, r->nodes_expect);
    long *first = &r->diag_line[v[0]];
    if (*first && r->opts->duplicates == PO_DUP_REJECT)
      return po_error(
          PO_ERR_PARSE,
          "%s:%ld: node %lld given twice, first at line %ld (duplicates policy: reject)", r->path,
          ln, v[0], *first);
    *first = ln;
  } else if (++r->couplers > r->couplers_expect) {
    return po_error(PO_ERR_PARSE, "%s:%ld: more than NCOUPLERS = %ld coupler lines 'i j Q_ij'",
                    r->path, ln, r->couplers_expect);
  }
  return push_term(r, (int32_t)v[0], (int32_t)v[1], q, ln);
}

static int qubo_line(void *ctx, long ln, char *buf) {
  qubo_reader *r = ctx;
  const char *p = buf;
  while (*p && isspace((unsigned char)*p)) p++;
  if (!*p || (*p == 'c' && (!p[1] || isspace((unsigned char)p[1])))) return PO_OK;
  char *tok[7];
  int nt = po__split(buf, tok, 7);
  if (!r->have_header) return parse_header(r, ln, tok, nt);
  if (strcmp(tok[0], "p") == 0)
    return po_error(PO_ERR_PARSE, "%s:%ld: second program line (the first is at line %ld)", r->path,
                    ln, r->header_line);
  return parse_entry(r, ln, tok, nt);
}

/* Off-diagonal pairs given twice, found by the Ising builder: the message
 * names both lines. */
static int build_ising(qubo_reader *r, po_ising **out) {
  const po_qubo_terms *t = &r->t;
  long m = 0;
  for (long k = 0; k < t->m; k++) m += t->i[k] != t->j[k];
  int32_t *ei = malloc((size_t)(m ? m : 1) * sizeof *ei);
  int32_t *ej = malloc((size_t)(m ? m : 1) * sizeof *ej);
  double *w = malloc((size_t)(m ? m : 1) * sizeof *w);
  long *at = malloc((size_t)(m ? m : 1) * sizeof *at);
  double *h = calloc((size_t)t->n, sizeof *h);
  int rc = PO_OK;
  if (!ei || !ej || !w || !at || !h) rc = po_error(PO_ERR_NOMEM, "%s: out of memory", r->path);
  double c = t->offset;
  for (long k = 0, e = 0; !rc && k < t->m; k++) {
    const double q = t->q[k];
    if (t->i[k] == t->j[k]) { /* Q_ii x_i = Q_ii/2 + (Q_ii/2) s_i */
      h[t->i[k]] += 0.5 * q;
      c += 0.5 * q;
      continue;
    } /* Q_ij x_i x_j = Q_ij/4 (1 + s_i + s_j + s_i s_j) */
    ei[e] = t->i[k];
    ej[e] = t->j[k];
    w[e] = 0.25 * q;
    at[e++] = r->line[k];
    h[t->i[k]] += 0.25 * q;
    h[t->j[k]] += 0.25 * q;
    c += 0.25 * q;
  }
  long dup[2] = {-1, -1};
  if (!rc) rc = po__ising_build(t->n, m, ei, ej, w, h, r->opts, out, dup);
  if (rc && dup[0] >= 0)
    rc = po_error(PO_ERR_PARSE,
                  "%s:%ld: pair (%d, %d) given twice, first at line %ld (duplicates policy: "
                  "reject)",
                  r->path, at[dup[1]], (int)ei[dup[1]], (int)ej[dup[1]], at[dup[0]]);
  if (!rc) {
    (*out)->offset = c;
    (*out)->binary = 1;
    snprintf((*out)->source, sizeof(*out)->source, "%s", r->path);
  }
  free(ei);
  free(ej);
  free(w);
  free(at);
  free(h);
  return rc;
}

static int read_terms(const char *path, const po_load_opts *opts, qubo_reader *r) {
  *r = (qubo_reader){.path = path, .opts = opts};
  long last;
  int rc = po__read_lines(path, qubo_line, r, &last);
  if (rc) return rc;
  if (!r->have_header)
    return po_error(PO_ERR_PARSE, "%s:%ld: no program line 'p qubo ...' (empty file)", path,
                    last > 0 ? last : 1);
  if (r->nodes < r->nodes_expect || r->couplers < r->couplers_expect)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: file ends after %ld of NNODES = %ld node and %ld of NCOUPLERS = %ld "
                    "coupler lines (program line at line %ld)",
                    path, last, r->nodes, r->nodes_expect, r->couplers, r->couplers_expect,
                    r->header_line);
  r->t.n = r->n;
  return PO_OK;
}

static void reader_free(qubo_reader *r, int keep_terms) {
  if (!keep_terms) po_qubo_terms_free(&r->t);
  free(r->line);
  free(r->diag_line);
}

int po__read_qubo(const char *path, const po_load_opts *opts, po_ising **out) {
  qubo_reader r;
  int rc = read_terms(path, opts, &r);
  if (!rc) rc = build_ising(&r, out);
  reader_free(&r, 0);
  return rc;
}

int po_qubo_read_file(const char *path, const po_load_opts *opts, po_qubo_terms *out) {
  po_load_opts def = {PO_DUP_REJECT, -1, NULL};
  if (!out) return po_error(PO_ERR_ARG, "po_qubo_read_file: out is NULL");
  memset(out, 0, sizeof *out);
  if (!path) return po_error(PO_ERR_ARG, "po_qubo_read_file: path is NULL");
  const po_problem_format *fmt;
  int frc = po_problem_format_select(path, opts ? opts : &def, &fmt);
  if (frc) return frc;
  if (!strcmp(fmt->name, "bqm")) return po__bqm_read_terms(path, opts ? opts : &def, out);
  qubo_reader r;
  int rc = read_terms(path, opts ? opts : &def, &r);
  po_ising *check = NULL; /* the same validation as po_problem_read */
  if (!rc) rc = build_ising(&r, &check);
  po_ising_destroy(check);
  if (!rc) *out = r.t;
  reader_free(&r, !rc);
  return rc;
}

double po_qubo_terms_value(const po_qubo_terms *q, const uint8_t *x) {
  double f = q->offset;
  for (long k = 0; k < q->m; k++)
    if (x[q->i[k]] && x[q->j[k]]) f += q->q[k];
  return f;
}

int po_qubo_terms_to_ising(const po_qubo_terms *q, const po_load_opts *opts, po_ising **out) {
  po_load_opts def = {PO_DUP_REJECT, -1, NULL};
  if (!out) return po_error(PO_ERR_ARG, "po_qubo_terms_to_ising: out is NULL");
  *out = NULL;
  if (!q || (q->m > 0 && (!q->i || !q->j || !q->q)))
    return po_error(PO_ERR_ARG, "po_qubo_terms_to_ising: terms are NULL");
  for (long k = 0; k < q->m; k++)
    if (q->i[k] < 0 || q->j[k] >= q->n || q->i[k] > q->j[k] || !isfinite(q->q[k]))
      return po_error(PO_ERR_ARG,
                      "po_qubo_terms_to_ising: term %ld (%d, %d, %g) needs 0 <= i <= j < n = %d "
                      "and a finite value",
                      k, (int)q->i[k], (int)q->j[k], q->q[k], q->n);
  qubo_reader r = {.path = "qubo", .opts = opts ? opts : &def, .t = *q};
  r.line = calloc((size_t)(q->m ? q->m : 1), sizeof *r.line);
  if (!r.line) return po_error(PO_ERR_NOMEM, "po_qubo_terms_to_ising: out of memory");
  for (long k = 0; k < q->m; k++) r.line[k] = k + 1; /* "line" = term number */
  int rc = build_ising(&r, out);
  free(r.line);
  return rc;
}

void po_qubo_terms_free(po_qubo_terms *q) {
  if (!q) return;
  free(q->i);
  free(q->j);
  free(q->q);
  memset(q, 0, sizeof *q);
}
