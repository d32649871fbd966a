/* dimod BinaryQuadraticModel JSON files: what
 * `json.dump(bqm.to_serializable(), f)` writes (dimod bqm_schema 3.0.0;
 * 2.x without bytes reads the same).  Members used:
 *
 *   "type"              "BinaryQuadraticModel" (or an older class name ending in "BQM")
 *   "version"           {"bqm_schema": "3.0.0"} (major version 2 or 3)
 *   "use_bytes"         false (true: base64/bytes arrays, not supported)
 *   "num_variables"     N >= 1
 *   "num_interactions"  M >= 0
 *   "variable_labels"   N labels (any JSON values; variable k is the k-th)
 *   "variable_type"     "SPIN" or "BINARY"
 *   "offset"            c
 *   "linear_biases"     N numbers a_k
 *   "quadratic_head", "quadratic_tail"   M indices in [0, N), head != tail
 *   "quadratic_biases"  M numbers b_k
 *
 * E = sum_k a_k v_k + sum_k b_k v_head v_tail + c with v in {-1,+1} (SPIN)
 * or {0,1} (BINARY).  "index_type", "bias_type" and "info" only describe the
 * byte encoding or carry metadata: ignored, as are members not listed here.
 * A pair given twice (either orientation) follows po_load_opts.duplicates
 * (reject names both elements; sum adds, as dimod's from_numpy_vectors
 * does).  SPIN: J = b, h = a, offset c.  BINARY: x = (1 + s)/2, the
 * conversion of problems/qubo_file.c, model->binary = 1, and
 * po_qubo_read_file returns the file's terms so that `physopt solve`
 * reports best_x and f(x) in the file's own variables.  Errors:
 * "PATH:LINE:COL: what" at the offending value. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"
#include "physopt/problem.h"
#include "problems/ising_internal.h"
#include "problems/json_parse.h"

typedef struct bqm {
  const char *path;
  po_jv root;
  int n, binary;
  long m;
  double offset;
  const po_jv *lin, *head, *tail, *bias; /* arrays of the document */
} bqm;

static int at(const bqm *b, const po_jv *v, const char *fmt, const char *a, const char *c) {
  return po_error(PO_ERR_PARSE, "%s:%ld:%ld: %s%s%s", b->path, v->line, v->col, fmt, a ? a : "",
                  c ? c : "");
}

/* The member key of the top object with the given type. */
static int member(const bqm *b, const char *key, po_jv_type type, const po_jv **out) {
  *out = po__jv_get(&b->root, key);
  char what[96];
  if (!*out) {
    snprintf(what, sizeof what, "missing member \"%s\" (dimod BQM serialisation)", key);
    return at(b, &b->root, what, NULL, NULL);
  }
  if ((*out)->type != type) {
    snprintf(what, sizeof what, "\"%s\" must be %s, not ", key, po__jv_type_name(type));
    return at(b, *out, what, po__jv_type_name((*out)->type), NULL);
  }
  return PO_OK;
}

static int is_integer(const po_jv *v, double lo, double hi) {
  return v->type == PO_JV_NUMBER && v->num == floor(v->num) && v->num >= lo && v->num <= hi;
}

static int count(const bqm *b, const char *key, double lo, double hi, double *out) {
  const po_jv *v;
  int rc = member(b, key, PO_JV_NUMBER, &v);
  if (rc) return rc;
  if (!is_integer(v, lo, hi)) {
    char what[128];
    snprintf(what, sizeof what, "\"%s\" must be an integer in [%.0f, %.0f]", key, lo, hi);
    return at(b, v, what, NULL, NULL);
  }
  *out = v->num;
  return PO_OK;
}

/* An array member of exactly len elements. */
static int array_of(const bqm *b, const char *key, long len, const char *len_name,
                    const po_jv **out) {
  int rc = member(b, key, PO_JV_ARRAY, out);
  if (rc) return rc;
  if ((long)(*out)->n != len) {
    char what[160];
    snprintf(what, sizeof what, "\"%s\" has %zu elements, %s = %ld", key, (*out)->n, len_name, len);
    return at(b, *out, what, NULL, NULL);
  }
  return PO_OK;
}

static int finite_numbers(const bqm *b, const po_jv *arr, const char *key) {
  for (size_t k = 0; k < arr->n; k++)
    if (arr->items[k].type != PO_JV_NUMBER || !isfinite(arr->items[k].num)) {
      char what[96];
      snprintf(what, sizeof what, "%s[%zu] must be a finite number", key, k);
      return at(b, &arr->items[k], what, NULL, NULL);
    }
  return PO_OK;
}

static int header(bqm *b) {
  const po_jv *v;
  int rc;
  if ((rc = member(b, "type", PO_JV_STRING, &v))) return rc;
  size_t tl = strlen(v->str);
  if (strcmp(v->str, "BinaryQuadraticModel") && (tl < 3 || strcmp(v->str + tl - 3, "BQM")))
    return at(b, v, "\"type\" is \"", v->str, "\", not a dimod BinaryQuadraticModel");
  if ((rc = member(b, "version", PO_JV_OBJECT, &v))) return rc;
  const po_jv *s = po__jv_get(v, "bqm_schema");
  if (!s || s->type != PO_JV_STRING)
    return at(b, v, "\"version\" needs \"bqm_schema\": \"3.0.0\"", NULL, NULL);
  if (strncmp(s->str, "3.", 2) && strncmp(s->str, "2.", 2))
    return at(b, s, "bqm_schema \"", s->str, "\" is not supported (2.x or 3.x)");
  if ((rc = member(b, "use_bytes", PO_JV_BOOL, &v))) return rc;
  if (v->boolean)
    return at(b, v,
              "use_bytes = true (byte-encoded arrays) is not supported; write the file with "
              "bqm.to_serializable(use_bytes=False)",
              NULL, NULL);
  double n, m;
  if ((rc = count(b, "num_variables", 1, PO_ISING_MAX_N, &n)) ||
      (rc = count(b, "num_interactions", 0, 0.5 * n * (n - 1) * 64, &m)))
    return rc;
  b->n = (int)n;
  b->m = (long)m;
  if ((rc = member(b, "variable_type", PO_JV_STRING, &v))) return rc;
  if (strcmp(v->str, "SPIN") && strcmp(v->str, "BINARY"))
    return at(b, v, "\"variable_type\" is \"", v->str, "\" (expected \"SPIN\" or \"BINARY\")");
  b->binary = !strcmp(v->str, "BINARY");
  if ((rc = member(b, "offset", PO_JV_NUMBER, &v))) return rc;
  if (!isfinite(v->num)) return at(b, v, "\"offset\" must be finite", NULL, NULL);
  b->offset = v->num;
  return array_of(b, "variable_labels", b->n, "num_variables", &v);
}

static int arrays(bqm *b) {
  int rc;
  if ((rc = array_of(b, "linear_biases", b->n, "num_variables", &b->lin)) ||
      (rc = finite_numbers(b, b->lin, "linear_biases")) ||
      (rc = array_of(b, "quadratic_head", b->m, "num_interactions", &b->head)) ||
      (rc = array_of(b, "quadratic_tail", b->m, "num_interactions", &b->tail)) ||
      (rc = array_of(b, "quadratic_biases", b->m, "num_interactions", &b->bias)) ||
      (rc = finite_numbers(b, b->bias, "quadratic_biases")))
    return rc;
  for (long k = 0; k < b->m; k++) {
    const po_jv *ij[2] = {&b->head->items[k], &b->tail->items[k]};
    for (int e = 0; e < 2; e++)
      if (!is_integer(ij[e], 0, b->n - 1)) {
        char what[128];
        snprintf(what, sizeof what, "%s[%ld] must be a variable index in [0, %d]",
                 e ? "quadratic_tail" : "quadratic_head", k, b->n - 1);
        return at(b, ij[e], what, NULL, NULL);
      }
    if (ij[0]->num == ij[1]->num) {
      char what[160];
      snprintf(what, sizeof what,
               "interaction %ld joins variable %.0f to itself (a BQM has no self-loops)", k,
               ij[0]->num);
      return at(b, ij[0], what, NULL, NULL);
    }
  }
  return PO_OK;
}

static int load(const char *path, bqm *b) {
  memset(b, 0, sizeof *b);
  b->path = path;
  int rc = po__json_parse_file(path, &b->root);
  if (rc) return rc;
  if (b->root.type != PO_JV_OBJECT)
    rc = at(b, &b->root, "the top level must be an object (dimod BQM serialisation), not ",
            po__jv_type_name(b->root.type), NULL);
  if (!rc) rc = header(b);
  if (!rc) rc = arrays(b);
  if (rc) po__jv_free(&b->root);
  return rc;
}

/* Ising couplings, fields and offset of the document (see the top). */
static int build(bqm *b, const po_load_opts *opts, po_ising **out) {
  long m = b->m;
  int32_t *ei = malloc((size_t)(m ? m : 1) * sizeof *ei);
  int32_t *ej = malloc((size_t)(m ? m : 1) * sizeof *ej);
  double *w = malloc((size_t)(m ? m : 1) * sizeof *w);
  double *h = calloc((size_t)b->n, sizeof *h);
  int rc = PO_OK;
  if (!ei || !ej || !w || !h) rc = po_error(PO_ERR_NOMEM, "%s: out of memory", b->path);
  double c = b->offset, f = b->binary ? 0.5 : 1.0, g = b->binary ? 0.25 : 1.0;
  for (int i = 0; !rc && i < b->n; i++) { /* BINARY: a x = a/2 + (a/2) s */
    h[i] += f * b->lin->items[i].num;
    if (b->binary) c += 0.5 * b->lin->items[i].num;
  }
  for (long k = 0; !rc && k < m; k++) { /* BINARY: b x_i x_j = b/4 (1 + s_i + s_j + s_i s_j) */
    int i = (int)b->head->items[k].num, j = (int)b->tail->items[k].num;
    double q = b->bias->items[k].num;
    ei[k] = i < j ? i : j;
    ej[k] = i < j ? j : i;
    w[k] = g * q;
    if (b->binary) {
      h[i] += 0.25 * q;
      h[j] += 0.25 * q;
      c += 0.25 * q;
    }
  }
  long dup[2] = {-1, -1};
  if (!rc) rc = po__ising_build(b->n, m, ei, ej, w, h, opts, out, dup);
  if (rc && dup[0] >= 0) {
    const po_jv *first = &b->head->items[dup[0]], *second = &b->head->items[dup[1]];
    rc = po_error(PO_ERR_PARSE,
                  "%s:%ld:%ld: pair (%d, %d) given twice, quadratic_head[%ld] and [%ld] (first "
                  "at %ld:%ld; duplicates policy: reject)",
                  b->path, second->line, second->col, (int)ei[dup[1]], (int)ej[dup[1]], dup[0],
                  dup[1], first->line, first->col);
  } else if (rc && rc != PO_ERR_NOMEM) { /* a value (or a field sum) beyond float */
    char why[400];
    snprintf(why, sizeof why, "%s", po_last_error());
    const po_jv *v = dup[0] == -2 && dup[1] >= 0 && dup[1] < m ? &b->bias->items[dup[1]] : b->lin;
    rc = po_error(PO_ERR_PARSE, "%s:%ld:%ld: %s", b->path, v->line, v->col, why);
  }
  if (!rc) {
    (*out)->offset = c;
    (*out)->binary = b->binary;
    snprintf((*out)->source, sizeof(*out)->source, "%s", b->path);
  }
  free(ei);
  free(ej);
  free(w);
  free(h);
  return rc;
}

int po__read_bqm(const char *path, const po_load_opts *opts, po_ising **out) {
  bqm b;
  int rc = load(path, &b);
  if (rc) return rc;
  rc = build(&b, opts, out);
  po__jv_free(&b.root);
  return rc;
}

int po__bqm_read_terms(const char *path, const po_load_opts *opts, po_qubo_terms *out) {
  bqm b;
  int rc = load(path, &b);
  if (rc) return rc;
  po_ising *check = NULL; /* the same validation as po_problem_read */
  rc = build(&b, opts, &check);
  po_ising_destroy(check);
  if (!rc && !b.binary)
    rc = po_error(PO_ERR_ARG, "%s: a SPIN model has no QUBO terms (variable_type is SPIN)", path);
  long mt = b.n + b.m;
  if (!rc) {
    out->i = malloc((size_t)mt * sizeof *out->i);
    out->j = malloc((size_t)mt * sizeof *out->j);
    out->q = malloc((size_t)mt * sizeof *out->q);
    if (!out->i || !out->j || !out->q) {
      po_qubo_terms_free(out);
      rc = po_error(PO_ERR_NOMEM, "%s: out of memory", path);
    }
  }
  if (!rc) {
    out->n = b.n;
    out->m = mt;
    out->offset = b.offset;
    for (int i = 0; i < b.n; i++) {
      out->i[i] = out->j[i] = i;
      out->q[i] = b.lin->items[i].num;
    }
    for (long k = 0; k < b.m; k++) {
      int i = (int)b.head->items[k].num, j = (int)b.tail->items[k].num;
      out->i[b.n + k] = i < j ? i : j;
      out->j[b.n + k] = i < j ? j : i;
      out->q[b.n + k] = b.bias->items[k].num;
    }
  }
  po__jv_free(&b.root);
  return rc;
}
