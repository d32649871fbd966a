/* Matrix Market coordinate files (Boisvert, Pozo & Remington, "The Matrix
 * Market Exchange Formats: Initial Design", NIST IR 5935, 1996):
 *
 *   %%MatrixMarket matrix coordinate real|integer|pattern symmetric
 *   % comments
 *   N N NNZ
 *   i j [v]          NNZ lines, 1-based; pattern entries have value 1
 *
 * The matrix is J itself: E(s) = sum_{i<j} J_ij s_i s_j, i.e. E = s^T J s / 2
 * for the symmetric J (scipy.io.mmwrite(path, J) of a symmetric J writes this
 * format).  A symmetric file stores the lower triangle; we accept an entry in
 * either triangle, and a pair given twice follows po_load_opts.duplicates.
 * The diagonal must be zero (s_i^2 = 1 makes J_ii a constant, and a user who
 * put fields there would get a silently different problem); fields need the
 * G-set "N M F" form or .npz.  Blank lines are ignored.  Errors: "PATH:LINE: ...". */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "physopt/error.h"
#include "physopt/problem.h"
#include "problems/ising_internal.h"

typedef struct mtx_reader {
  const char *path;
  int state; /* 0: banner expected, 1: size line expected, 2: entries */
  int pattern, n;
  long nnz, read, m, cap; /* entries announced, read, stored off-diagonal */
  int32_t *ei, *ej;
  double *w;
  long *line;
  long size_line;
} mtx_reader;

static int push(mtx_reader *r, int32_t i, int32_t j, double w, long ln) {
  if (po__edges_reserve(&r->ei, &r->ej, &r->w, &r->line, &r->cap, r->m))
    return po_error(PO_ERR_NOMEM, "%s:%ld: out of memory", r->path, ln);
  r->ei[r->m] = i;
  r->ej[r->m] = j;
  r->w[r->m] = w;
  r->line[r->m++] = ln;
  return PO_OK;
}

static int parse_banner(mtx_reader *r, long ln, char **tok, int nt) {
  if (nt != 5 || strcasecmp(tok[0], "%%MatrixMarket") != 0 || strcasecmp(tok[1], "matrix") != 0)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: expected the banner '%%%%MatrixMarket matrix coordinate "
                    "real|integer|pattern symmetric'",
                    r->path, ln);
  if (strcasecmp(tok[2], "coordinate") != 0)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: format '%.40s' is not supported (only 'coordinate'; write J with "
                    "scipy.io.mmwrite of a sparse matrix or use .npy)",
                    r->path, ln, tok[2]);
  if (strcasecmp(tok[3], "pattern") == 0)
    r->pattern = 1;
  else if (strcasecmp(tok[3], "real") && strcasecmp(tok[3], "integer") &&
           strcasecmp(tok[3], "double"))
    return po_error(PO_ERR_PARSE, "%s:%ld: field '%.40s' is not supported (real|integer|pattern)",
                    r->path, ln, tok[3]);
  if (strcasecmp(tok[4], "symmetric") != 0)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: symmetry '%.40s' is not supported (J must be stored 'symmetric')",
                    r->path, ln, tok[4]);
  r->state = 1;
  return PO_OK;
}

static int parse_size(mtx_reader *r, long ln, char **tok, int nt) {
  long long v[3];
  if (nt != 3)
    return po_error(PO_ERR_PARSE, "%s:%ld: size line must be 'ROWS COLS NNZ', got %d field%s",
                    r->path, ln, nt, nt == 1 ? "" : "s");
  for (int k = 0; k < 3; k++)
    if (po__parse_ll(tok[k], &v[k]) || v[k] < (k < 2 ? 1 : 0) ||
        v[k] > (k < 2 ? PO_ISING_MAX_N : (long long)INT32_MAX * 64))
      return po_error(PO_ERR_PARSE, "%s:%ld: size line: '%.40s' must be a %s integer", r->path, ln,
                      tok[k], k < 2 ? "positive" : "non-negative");
  if (v[0] != v[1])
    return po_error(PO_ERR_PARSE, "%s:%ld: J must be square, got %lld x %lld", r->path, ln, v[0],
                    v[1]);
  r->n = (int)v[0];
  r->nnz = (long)v[2];
  r->size_line = ln;
  r->state = 2;
  return PO_OK;
}

static int parse_entry(mtx_reader *r, long ln, char **tok, int nt) {
  int want = r->pattern ? 2 : 3;
  if (r->read == r->nnz)
    return po_error(PO_ERR_PARSE, "%s:%ld: more than NNZ = %ld entries (size line %ld)", r->path,
                    ln, r->nnz, r->size_line);
  if (nt != want)
    return po_error(PO_ERR_PARSE, "%s:%ld: expected %s, got %d field%s", r->path, ln,
                    r->pattern ? "'i j' (pattern)" : "'i j value'", nt, nt == 1 ? "" : "s");
  long long v[2];
  for (int k = 0; k < 2; k++)
    if (po__parse_ll(tok[k], &v[k]) || v[k] < 1 || v[k] > r->n)
      return po_error(PO_ERR_PARSE, "%s:%ld: index '%.40s' must be an integer in [1, %d]", r->path,
                      ln, tok[k], r->n);
  double w = 1.0;
  if (!r->pattern && po__parse_real(tok[2], &w))
    return po_error(PO_ERR_PARSE, "%s:%ld: value '%.40s' is not a finite number", r->path, ln,
                    tok[2]);
  if (v[0] == v[1]) {
    if (w != 0.0)
      return po_error(PO_ERR_PARSE,
                      "%s:%ld: diagonal entry (%lld, %lld) = %g: J must have a zero diagonal "
                      "(fields go in an .npz h or a G-set 'N M F' file)",
                      r->path, ln, v[0], v[1], w);
    r->read++; /* counts toward NNZ, adds nothing */
    return PO_OK;
  }
  r->read++;
  return push(r, (int32_t)(v[0] - 1), (int32_t)(v[1] - 1), w, ln);
}

static int mtx_line(void *ctx, long ln, char *buf) {
  mtx_reader *r = ctx;
  const char *p = buf;
  while (*p && isspace((unsigned char)*p)) p++;
  if (r->state > 0 && (!*p || *p == '%')) return PO_OK;
  char *tok[6];
  int nt = po__split(buf, tok, 6);
  if (r->state == 0) return parse_banner(r, ln, tok, nt);
  if (r->state == 1) return parse_size(r, ln, tok, nt);
  return parse_entry(r, ln, tok, nt);
}

int po__read_mtx(const char *path, const po_load_opts *opts, po_ising **out) {
  po_load_opts def = {PO_DUP_REJECT, -1, NULL};
  if (!opts) opts = &def;
  mtx_reader r = {.path = path};
  long last;
  int rc = po__read_lines(path, mtx_line, &r, &last);
  if (!rc && r.state < 2)
    rc = po_error(PO_ERR_PARSE, "%s:%ld: file ends before the %s", path, last > 0 ? last : 1,
                  r.state == 0 ? "banner '%%MatrixMarket ...'" : "size line 'N N NNZ'");
  if (!rc && r.read < r.nnz)
    rc = po_error(PO_ERR_PARSE, "%s:%ld: file ends after %ld of NNZ = %ld entries (size line %ld)",
                  path, last, r.read, r.nnz, r.size_line);
  long dup[2] = {-1, -1};
  if (!rc) rc = po__ising_build(r.n, r.m, r.ei, r.ej, r.w, NULL, opts, out, dup);
  if (rc && r.m && dup[0] >= 0)
    rc = po_error(PO_ERR_PARSE,
                  "%s:%ld: entry (%d, %d) given twice (either triangle), first at line %ld "
                  "(duplicates policy: reject)",
                  path, r.line[dup[1]], (int)r.ei[dup[1]] + 1, (int)r.ej[dup[1]] + 1,
                  r.line[dup[0]]);
  if (!rc) snprintf((*out)->source, sizeof(*out)->source, "%s", path);
  free(r.ei);
  free(r.ej);
  free(r.w);
  free(r.line);
  return rc;
}
