/* A small strict JSON parser (RFC 8259) for problem files (internal).
 *
 * Why here and not a library: the one JSON input physopt reads is dimod's
 * BQM serialisation (problems/bqm_json.c), and every error must name the
 * file, line and column, which libcjson (no positions) does not report and
 * json-c reports only as a byte offset; the grammar is small enough to
 * parse, with limits, in ~300 lines (docs/problems.md, "dimod BQM JSON").
 *
 * Strict: one value, optional whitespace around it; no comments, trailing
 * commas, NaN/Infinity, leading zeros, control characters in strings or
 * unpaired surrogates; duplicate object keys are errors.  Bounded: the file
 * at most PO_JSON_MAX_BYTES, nesting at most PO_JSON_MAX_DEPTH.  Every value
 * keeps the 1-based line and column where it starts. */
#ifndef PHYSOPT_PROBLEMS_JSON_PARSE_H
#define PHYSOPT_PROBLEMS_JSON_PARSE_H

#include <stddef.h>

#define PO_JSON_MAX_BYTES (1L << 30)
#define PO_JSON_MAX_DEPTH 64

typedef enum {
  PO_JV_NULL,
  PO_JV_BOOL,
  PO_JV_NUMBER,
  PO_JV_STRING,
  PO_JV_ARRAY,
  PO_JV_OBJECT
} po_jv_type;

typedef struct po_jv {
  po_jv_type type;
  long line, col;
  int boolean;         /* BOOL */
  double num;          /* NUMBER (strtod of the literal; may be +-inf on overflow) */
  char *str;           /* STRING, UTF-8, NUL-terminated (no embedded NUL) */
  size_t n;            /* ARRAY / OBJECT: count */
  struct po_jv *items; /* ARRAY / OBJECT: values */
  char **keys;         /* OBJECT: keys */
} po_jv;

/* Parses the file at path into *root (free with po__jv_free).  Errors:
 * PO_ERR_PARSE "PATH:LINE:COL: what", PO_ERR_IO for an unreadable file. */
int po__json_parse_file(const char *path, po_jv *root);
void po__jv_free(po_jv *v);
/* The member `key` of an object, or NULL. */
const po_jv *po__jv_get(const po_jv *obj, const char *key);
/* "null", "a boolean", "a number", "a string", "an array", "an object". */
const char *po__jv_type_name(po_jv_type t);

#endif
