/* G-set / rudy edge-list reader and po_problem_open.
 *
 * Format (../shared/data/README.md): the first non-comment line is "N M"
 * (spins, edges, both positive integers), then exactly M lines "i j w" with
 * 1-based spin indices i != j in [1, N] (either order) and a finite integer or
 * real weight (strtod syntax).  Lines whose first non-blank character is '#'
 * are comments and may appear anywhere.  Blank lines are accepted only after
 * the M-th edge (trailing newlines); a blank line inside the data is an error,
 * so a truncated or concatenated file is not silently accepted.
 *
 * Fields (a physopt extension, docs/problems.md): a third header number F
 * ("N M F") announces F lines "i h" after the M edges, giving h_i for 1-based
 * spin i (each spin at most once; unlisted spins have h_i = 0), so that
 * E(s) = sum_{i<j} w_ij s_i s_j + sum_i h_i s_i.  "N M" files are unchanged.
 *
 * Duplicate pairs ((i,j) twice, or (i,j) and (j,i)) are rejected by default
 * (PO_DUP_REJECT): the G-set and rudy files never contain them, so one is a
 * sign of a corrupted or wrongly converted file.  PO_DUP_SUM adds the weights.
 *
 * Every error is "PATH:LINE: what is wrong" (PO_ERR_PARSE), or names the path
 * (PO_ERR_IO) when the file cannot be opened or read. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"
#include "physopt/problem.h"
#include "core/lines.h"
#include "problems/ising_internal.h"

/* Strict decimal integer: optional '-', digits only.  Returns 0, -1 when
 * the token is not an integer, -2 when it overflows long long. */
int po__parse_ll(const char *s, long long *v) {
  const char *p = s;
  if (*p == '-') p++;
  if (!isdigit((unsigned char)*p)) return -1;
  for (const char *q = p; *q; q++)
    if (!isdigit((unsigned char)*q)) return -1;
  errno = 0;
  char *end;
  long long x = strtoll(s, &end, 10);
  if (*end) return -1;
  if (errno == ERANGE) return -2;
  *v = x;
  return 0;
}

/* Strict unsigned 64-bit decimal integer. */
static int parse_u64(const char *s, uint64_t *v) {
  if (!isdigit((unsigned char)*s)) return -1;
  for (const char *q = s; *q; q++)
    if (!isdigit((unsigned char)*q)) return -1;
  errno = 0;
  char *end;
  unsigned long long x = strtoull(s, &end, 10);
  if (errno == ERANGE || *end) return -1;
  *v = (uint64_t)x;
  return 0;
}

/* Finite real number, the whole token consumed. */
int po__parse_real(const char *s, double *v) {
  if (!*s) return -1;
  errno = 0;
  char *end;
  double x = strtod(s, &end);
  if (*end || end == s || !isfinite(x) || errno == ERANGE) {
    /* ERANGE also flags underflow to a subnormal/zero; accept that. */
    if (!*end && end != s && isfinite(x) && fabs(x) < 1.0) {
      *v = x;
      return 0;
    }
    return -1;
  }
  *v = x;
  return 0;
}

/* Splits line into at most max tokens (in place); returns the token count,
 * which may exceed max (the extra tokens are not stored past max). */
int po__split(char *line, char **tok, int max) {
  int nt = 0;
  char *p = line;
  for (;;) {
    while (*p && isspace((unsigned char)*p)) p++;
    if (!*p) break;
    char *start = p;
    while (*p && !isspace((unsigned char)*p)) p++;
    if (nt < max) tok[nt] = start;
    nt++;
    if (*p) *p++ = '\0';
  }
  return nt;
}

typedef struct {
  int32_t *ei, *ej;
  double *w;
  long *line;
  long n, cap;
} edge_buf;

int po__edges_reserve(int32_t **i, int32_t **j, double **w, long **line, long *cap, long n) {
  if (n < *cap) return 0;
  long c = *cap ? 2 * *cap : 256;
  int32_t *a = realloc(*i, (size_t)c * sizeof *a);
  if (a) *i = a;
  int32_t *b = realloc(*j, (size_t)c * sizeof *b);
  if (b) *j = b;
  double *d = realloc(*w, (size_t)c * sizeof *d);
  if (d) *w = d;
  long *l = realloc(*line, (size_t)c * sizeof *l);
  if (l) *line = l;
  if (!a || !b || !d || !l) return -1;
  *cap = c;
  return 0;
}

static int edge_push(edge_buf *b, int32_t i, int32_t j, double w, long line) {
  if (po__edges_reserve(&b->ei, &b->ej, &b->w, &b->line, &b->cap, b->n)) return -1;
  b->ei[b->n] = i;
  b->ej[b->n] = j;
  b->w[b->n] = w;
  b->line[b->n] = line;
  b->n++;
  return 0;
}

static void edge_free(edge_buf *b) {
  free(b->ei);
  free(b->ej);
  free(b->w);
  free(b->line);
}

/* Reading state of one edge-list file. */
typedef struct edge_reader {
  const char *path;
  const po_load_opts *opts;
  long ln, header_line, n_expect, n_comments;
  int n, have_header;
  edge_buf eb;
  long f_expect, f_read; /* field lines announced ("N M F") and read */
  double *h;             /* n fields, allocated when F > 0 */
  long *h_line;          /* line of each spin's field (0 = none yet) */
} edge_reader;

/* A blank line is allowed only after the last edge. */
static int check_blank_line(const edge_reader *r) {
  if (!r->have_header)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: blank line before the header 'N M' (blank lines are allowed "
                    "only after the last edge)",
                    r->path, r->ln);
  if (r->eb.n < r->n_expect)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: blank line after %ld of %ld edges (blank lines are allowed only "
                    "after the last edge)",
                    r->path, r->ln, r->eb.n, r->n_expect);
  if (r->f_read < r->f_expect)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: blank line after %ld of F = %ld field lines (blank lines are "
                    "allowed only after the last field)",
                    r->path, r->ln, r->f_read, r->f_expect);
  return PO_OK;
}

/* "N M": spins and edges. */
static int parse_header(edge_reader *r, char **tok, int nt) {
  const char *path = r->path;
  const long ln = r->ln;
  long long vn, vm;
  if (nt < 2)
    return po_error(PO_ERR_PARSE, "%s:%ld: header must be 'N M' (spins, edges), got 1 field", path,
                    ln);
  if (nt > 3)
    return po_error(PO_ERR_PARSE, "%s:%ld: trailing garbage '%.40s' after header 'N M F'", path, ln,
                    tok[3]);
  if (po__parse_ll(tok[0], &vn) || vn < 1 || vn > PO_ISING_MAX_N)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: header: N = '%.40s' must be an integer in [1, %d] (spins)", path, ln,
                    tok[0], PO_ISING_MAX_N);
  if (po__parse_ll(tok[1], &vm) || vm < 1 || vm > LONG_MAX / 4)
    return po_error(PO_ERR_PARSE, "%s:%ld: header: M = '%.40s' must be a positive integer (edges)",
                    path, ln, tok[1]);
  double pairs = 0.5 * (double)vn * (double)(vn - 1);
  if (r->opts->duplicates == PO_DUP_REJECT && (double)vm > pairs)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: header: M = %lld edges exceeds the N(N-1)/2 = %.0f distinct pairs "
                    "of N = %lld spins (duplicate edges are rejected)",
                    path, ln, vm, pairs, vn);
  long long vf = 0;
  if (nt == 3 && (po__parse_ll(tok[2], &vf) || vf < 0 || vf > vn))
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: header: F = '%.40s' must be an integer in [0, N = %lld] (field lines)",
                    path, ln, tok[2], vn);
  if (vf > 0) {
    r->h = calloc((size_t)vn, sizeof *r->h);
    r->h_line = calloc((size_t)vn, sizeof *r->h_line);
    if (!r->h || !r->h_line)
      return po_error(PO_ERR_NOMEM, "%s:%ld: out of memory for %lld fields", path, ln, vn);
  }
  r->f_expect = (long)vf;
  r->n = (int)vn;
  r->n_expect = (long)vm;
  r->header_line = ln;
  r->have_header = 1;
  return PO_OK;
}

/* "i h" after the edges: field of 1-based spin i. */
static int parse_field(edge_reader *r, char **tok, int nt) {
  const char *path = r->path;
  const long ln = r->ln;
  if (nt != 2)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: expected a field line 'i h' (%ld of F = %ld), got %d fields", path, ln,
                    r->f_read + 1, r->f_expect, nt);
  long long i;
  if (po__parse_ll(tok[0], &i) || i < 1 || i > r->n)
    return po_error(PO_ERR_PARSE, "%s:%ld: field: spin index '%.40s' must be an integer in [1, %d]",
                    path, ln, tok[0], r->n);
  double h;
  if (po__parse_real(tok[1], &h))
    return po_error(PO_ERR_PARSE, "%s:%ld: field '%.40s' is not a finite number", path, ln, tok[1]);
  if (po__ising_weight_check(h))
    return po_error(PO_ERR_PARSE, "%s:%ld: field '%.40s': %s", path, ln, tok[1],
                    po__ising_weight_check(h));
  if (r->h_line[i - 1] && r->opts->duplicates == PO_DUP_REJECT)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: field of spin %lld given twice, first at line %ld (duplicates "
                    "policy: reject)",
                    path, ln, i, r->h_line[i - 1]);
  r->h[i - 1] += h;
  r->h_line[i - 1] = ln;
  r->f_read++;
  return PO_OK;
}

/* "i j w" (1-based indices, i != j, finite weight), appended to r->eb. */
static int parse_edge(edge_reader *r, char **tok, int nt) {
  const char *path = r->path;
  const long ln = r->ln;
  const int n = r->n;
  if (r->eb.n == r->n_expect && r->f_read < r->f_expect) return parse_field(r, tok, nt);
  if (r->eb.n == r->n_expect && r->f_expect > 0)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: more than M = %ld edge and F = %ld field lines (header at line %ld)",
                    path, ln, r->n_expect, r->f_expect, r->header_line);
  if (r->eb.n == r->n_expect)
    return po_error(PO_ERR_PARSE, "%s:%ld: more than M = %ld edge lines (header at line %ld)", path,
                    ln, r->n_expect, r->header_line);
  if (nt < 3)
    return po_error(PO_ERR_PARSE, "%s:%ld: expected 'i j w', got %d field%s", path, ln, nt,
                    nt == 1 ? "" : "s");
  if (nt > 3)
    return po_error(PO_ERR_PARSE, "%s:%ld: trailing garbage '%.40s' after the weight", path, ln,
                    tok[3]);
  long long v[2];
  for (int t = 0; t < 2; t++) {
    int pr = po__parse_ll(tok[t], &v[t]);
    if (pr == -2)
      return po_error(PO_ERR_PARSE, "%s:%ld: spin index '%.40s' out of range [1, %d]", path, ln,
                      tok[t], n);
    if (pr)
      return po_error(PO_ERR_PARSE, "%s:%ld: spin index '%.40s' is not an integer", path, ln,
                      tok[t]);
    if (v[t] < 1 || v[t] > n)
      return po_error(PO_ERR_PARSE, "%s:%ld: spin index %lld out of range [1, %d]", path, ln, v[t],
                      n);
  }
  if (v[0] == v[1])
    return po_error(PO_ERR_PARSE, "%s:%ld: self-loop (%lld, %lld): i and j must differ", path, ln,
                    v[0], v[1]);
  double w;
  if (po__parse_real(tok[2], &w))
    return po_error(PO_ERR_PARSE, "%s:%ld: weight '%.40s' is not a finite number", path, ln,
                    tok[2]);
  if (po__ising_weight_check(w))
    return po_error(PO_ERR_PARSE, "%s:%ld: weight '%.40s': %s", path, ln, tok[2],
                    po__ising_weight_check(w));
  if (edge_push(&r->eb, (int32_t)(v[0] - 1), (int32_t)(v[1] - 1), w, ln))
    return po_error(PO_ERR_NOMEM, "%s:%ld: out of memory after %ld edges", path, ln, r->eb.n);
  return PO_OK;
}

/* Comment and blank lines are free, but not without end: `yes '#'` as a
 * problem file must fail rather than run for ever. */
#define MAX_COMMENT_LINES (1L << 20)

/* One line: comment, blank, header or edge. */
static int read_line(edge_reader *r, char *buf) {
  const char *p = buf;
  while (*p && isspace((unsigned char)*p)) p++;
  if ((*p == '#' || !*p) && ++r->n_comments > MAX_COMMENT_LINES)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: more than %ld comment or blank lines (not an edge list?)", r->path,
                    r->ln, MAX_COMMENT_LINES);
  if (*p == '#') return PO_OK;
  if (!*p) return check_blank_line(r);
  char *tok[4];
  int nt = po__split(buf, tok, 4);
  return r->have_header ? parse_edge(r, tok, nt) : parse_header(r, tok, nt);
}

/* After the last line: header present, all M edges read, model built
 * (duplicates reported with both line numbers). */
static int finish_read(edge_reader *r, po_ising **out) {
  const char *path = r->path;
  const edge_buf *eb = &r->eb;
  if (!r->have_header)
    return po_error(PO_ERR_PARSE, "%s:%ld: no header 'N M' (empty file)", path,
                    r->ln > 0 ? r->ln : 1);
  if (eb->n < r->n_expect)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: file ends after %ld of M = %ld edges (header at line %ld)", path,
                    r->ln, eb->n, r->n_expect, r->header_line);
  if (r->f_read < r->f_expect)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: file ends after %ld of F = %ld field lines (header at line %ld)", path,
                    r->ln, r->f_read, r->f_expect, r->header_line);
  long dup[2];
  int rc = po__ising_build(r->n, eb->n, eb->ei, eb->ej, eb->w, r->h, r->opts, out, dup);
  if (rc && dup[0] >= 0)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: duplicate edge (%d, %d), first given at line %ld (duplicates "
                    "policy: reject)",
                    path, eb->line[dup[1]], (int)eb->ei[dup[1]] + 1, (int)eb->ej[dup[1]] + 1,
                    eb->line[dup[0]]);
  if (rc && dup[0] == -2) return po_error_wrap(PO_ERR_PARSE, "%s:%ld", path, eb->line[dup[1]]);
  if (rc) return po_error_wrap(rc, "%s", path);
  snprintf((*out)->source, sizeof(*out)->source, "%s", path);
  return PO_OK;
}

int po_ising_read_file(const char *path, const po_load_opts *opts, po_ising **out) {
  po_load_opts def = {PO_DUP_REJECT, -1, NULL};
  if (!opts) opts = &def;
  if (!out) return po_error(PO_ERR_ARG, "po_ising_read_file: out is NULL");
  *out = NULL;
  if (!path) return po_error(PO_ERR_ARG, "po_ising_read_file: path is NULL");
  po_lines lines;
  int rc = po_lines_open(&lines, path, 0), got = 1;
  edge_reader r = {.path = path, .opts = opts};
  while (!rc && !(rc = po_lines_next(&lines, &got)) && got) {
    r.ln = lines.line;
    rc = read_line(&r, lines.buf);
  }
  r.ln = lines.line;
  if (!rc) rc = finish_read(&r, out);
  po_lines_close(&lines);
  edge_free(&r.eb);
  free(r.h);
  free(r.h_line);
  return rc;
}

/* Looks for "ground_energies.txt" beside path ("NAME ENERGY" lines, '#'
 * comments) and, when it lists basename(path), records the ground energy. */
static int lookup_ground_energy(const char *path, po_ising *m) {
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
  char side[4096];
  if (dirlen + sizeof "ground_energies.txt" > sizeof side) return PO_OK;
  memcpy(side, path, dirlen);
  memcpy(side + dirlen, "ground_energies.txt", sizeof "ground_energies.txt");
  if (strcmp(base, "ground_energies.txt") == 0) return PO_OK;
  po_lines lines;
  FILE *probe = fopen(side, "r");
  if (!probe) return PO_OK; /* no sidecar: nothing known */
  fclose(probe);
  int rc = po_lines_open(&lines, side, 0), got = 1;
  char *tok[3];
  while (!rc && !(rc = po_lines_next(&lines, &got)) && got) {
    long ln = lines.line;
    char *buf = lines.buf;
    const char *p = buf;
    while (*p && isspace((unsigned char)*p)) p++;
    if (*p == '#' || !*p) continue;
    int nt = po__split(buf, tok, 3);
    if (strcmp(tok[0], base) != 0) continue;
    double e;
    if (nt != 2 || po__parse_real(tok[1], &e)) {
      rc = po_error(PO_ERR_PARSE, "%s:%ld: expected '%s ENERGY' (a finite number)", side, ln, base);
      break;
    }
    m->has_ground = 1;
    m->ground_energy = e;
    break;
  }
  po_lines_close(&lines);
  return rc;
}

static int gen_error(const char *spec, const char *usage, const char *what) {
  return po_error(PO_ERR_ARG, "problem '%s': %s: %s", spec, usage, what);
}

/* A generator spec, parsed (nothing generated yet). */
typedef enum { GEN_SK, GEN_WISHART, GEN_ER, GEN_RRG } gen_kind;
typedef struct gen_spec {
  gen_kind kind; /* sk:N:SEED[:gauss|:pm], wishart:N:M:SEED, er:N:P:SEED, rrg:N:D:SEED */
  int n, m, gaussian;
  double p;
  uint64_t seed;
} gen_spec;

/* The generator prefixes, listed once. */
static const struct {
  const char *prefix;
  gen_kind kind;
} gen_prefixes[] = {{"sk:", GEN_SK}, {"wishart:", GEN_WISHART}, {"er:", GEN_ER}, {"rrg:", GEN_RRG}};

static int is_generator(const char *spec) {
  for (size_t k = 0; k < sizeof gen_prefixes / sizeof gen_prefixes[0]; k++)
    if (strncmp(spec, gen_prefixes[k].prefix, strlen(gen_prefixes[k].prefix)) == 0) return 1;
  return 0;
}

static int parse_gen_n(const char *spec, const char *usage, const char *s, gen_spec *g) {
  long long v;
  if (po__parse_ll(s, &v) || v < 2 || v > 100000)
    return gen_error(spec, usage, "N must be an integer in [2, 100000]");
  g->n = (int)v;
  return PO_OK;
}

static int parse_gen_seed(const char *spec, const char *usage, const char *s, gen_spec *g) {
  if (parse_u64(s, &g->seed))
    return gen_error(spec, usage, "SEED must be an integer in [0, 2^64 - 1]");
  return PO_OK;
}

static int parse_generator(const char *spec, gen_spec *g) {
  if (strlen(spec) >= 256)
    return po_error(PO_ERR_ARG, "problem spec too long (%zu chars)", strlen(spec));
  char copy[256];
  strcpy(copy, spec);
  char *part[6];
  int np = 0;
  for (char *p = copy;;) {
    char *c = strchr(p, ':');
    if (np < 6) part[np] = p;
    np++;
    if (!c) break;
    *c = '\0';
    p = c + 1;
  }
  long long v;
  *g = (gen_spec){.gaussian = 1};
  for (size_t k = 0; k < sizeof gen_prefixes / sizeof gen_prefixes[0]; k++)
    if (strncmp(spec, gen_prefixes[k].prefix, strlen(gen_prefixes[k].prefix)) == 0)
      g->kind = gen_prefixes[k].kind;
  int rc;
  if (g->kind == GEN_SK) {
    const char *usage = "sk:N:SEED[:gauss|:pm]";
    if (np < 3 || np > 4) return gen_error(spec, usage, "expected 2 or 3 fields after 'sk'");
    if ((rc = parse_gen_n(spec, usage, part[1], g)) ||
        (rc = parse_gen_seed(spec, usage, part[2], g)))
      return rc;
    if (np == 4) {
      if (strcmp(part[3], "gauss") == 0)
        g->gaussian = 1;
      else if (strcmp(part[3], "pm") == 0)
        g->gaussian = 0;
      else
        return gen_error(spec, usage, "the coupling distribution must be 'gauss' or 'pm'");
    }
    return PO_OK;
  }
  const char *usage = g->kind == GEN_WISHART ? "wishart:N:M:SEED"
                      : g->kind == GEN_ER    ? "er:N:P:SEED"
                                             : "rrg:N:D:SEED";
  const char *name = g->kind == GEN_WISHART ? "wishart" : g->kind == GEN_ER ? "er" : "rrg";
  if (np != 4) {
    char what[64];
    snprintf(what, sizeof what, "expected 3 fields after '%s'", name);
    return gen_error(spec, usage, what);
  }
  if ((rc = parse_gen_n(spec, usage, part[1], g)) || (rc = parse_gen_seed(spec, usage, part[3], g)))
    return rc;
  if (g->kind == GEN_WISHART) {
    if (po__parse_ll(part[2], &v) || v < 1 || v > 100000)
      return gen_error(spec, usage, "M must be an integer in [1, 100000]");
    g->m = (int)v;
  } else if (g->kind == GEN_ER) {
    if (po__parse_real(part[2], &g->p) || !(g->p > 0.0 && g->p <= 1.0))
      return gen_error(spec, usage, "P must be a number in (0, 1]");
  } else {
    if (po__parse_ll(part[2], &v) || v < 1 || v > g->n - 1) {
      char what[80];
      snprintf(what, sizeof what, "D must be an integer in [1, N - 1 = %d]", g->n - 1);
      return gen_error(spec, usage, what);
    }
    g->m = (int)v;
    if (((long)g->n * g->m) % 2) return gen_error(spec, usage, "N D must be even");
  }
  return PO_OK;
}

int po_problem_check(const char *spec) {
  if (!spec || !*spec) return po_error(PO_ERR_ARG, "empty problem spec");
  if (is_generator(spec)) {
    gen_spec g;
    return parse_generator(spec, &g);
  }
  FILE *f = fopen(spec, "rb");
  if (!f) return po_error(PO_ERR_IO, "%s: cannot open: %s", spec, strerror(errno));
  fclose(f);
  return PO_OK;
}

int po_problem_open(const char *spec, const po_load_opts *opts, po_ising **out) {
  if (!out) return po_error(PO_ERR_ARG, "po_problem_open: out is NULL");
  *out = NULL;
  if (!spec || !*spec) return po_error(PO_ERR_ARG, "po_problem_open: empty problem spec");
  if (opts && (opts->storage < -1 || opts->storage > PO_STORAGE_CSR))
    return po_error(PO_ERR_ARG,
                    "po_problem_open: storage %d must be -1 (auto), 0 (dense) or 1 (csr)",
                    opts->storage);
  if (!is_generator(spec)) {
    int rc = po_problem_read(spec, opts, out);
    if (rc) return rc;
    rc = lookup_ground_energy(spec, *out);
    if (rc) {
      po_ising_destroy(*out);
      *out = NULL;
    }
    return rc;
  }
  gen_spec g;
  int rc = parse_generator(spec, &g);
  if (rc) return rc;
  po_ising *m = NULL;
  switch (g.kind) {
  case GEN_SK:
    rc = po_ising_generate_sk(g.n, g.seed, g.gaussian, &m);
    break;
  case GEN_WISHART:
    rc = po_ising_generate_wishart(g.n, g.m, g.seed, &m);
    break;
  case GEN_ER:
    rc = po_ising_generate_er(g.n, g.p, g.seed, opts, &m);
    break;
  default:
    rc = po_ising_generate_rrg(g.n, g.m, g.seed, opts, &m);
    break;
  }
  if (rc) return rc;
  snprintf(m->source, sizeof m->source, "%s", spec);
  if (opts && opts->storage == PO_STORAGE_CSR && m->storage != PO_STORAGE_CSR) {
    po_ising *c;
    rc = po_ising_to_csr(m, &c);
    po_ising_destroy(m);
    if (rc) return rc;
    m = c;
  }
  *out = m;
  return PO_OK;
}
