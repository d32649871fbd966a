/* The table of problem file formats: the single list from which format
 * selection (--set problem.format=, extensions), the CLI help and the table
 * in docs/problems.md derive.  Adding a format is one reader and one row. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "physopt/error.h"
#include "core/lines.h"
#include "physopt/problem.h"
#include "problems/ising_internal.h"

#define PO_FORMAT_ROW(name, ext, reader, binary, summary) {#name, ext, summary, binary, reader},
static const po_problem_format formats[] = {PO_PROBLEM_FORMATS(PO_FORMAT_ROW)};
#undef PO_FORMAT_ROW

const po_problem_format *po_problem_formats(size_t *count) {
  if (count) *count = sizeof formats / sizeof formats[0];
  return formats;
}

const po_problem_format *po_problem_format_find(const char *name) {
  if (!name) return NULL;
  for (size_t k = 0; k < sizeof formats / sizeof formats[0]; k++)
    if (strcmp(formats[k].name, name) == 0) return &formats[k];
  return NULL;
}

void po_problem_format_names(char *buf, size_t size) {
  size_t len = 0;
  if (size) buf[0] = '\0';
  for (size_t k = 0; k < sizeof formats / sizeof formats[0] && len < size; k++)
    len += (size_t)snprintf(buf + len, size - len, "%s%s", k ? "|" : "", formats[k].name);
}

/* ext (without the dot) listed in "a|b|c", case-insensitively. */
static int lists_extension(const char *list, const char *ext) {
  size_t elen = strlen(ext);
  for (const char *c = list; *c;) {
    size_t len = strcspn(c, "|");
    if (len == elen && strncasecmp(c, ext, len) == 0) return 1;
    c += len;
    if (*c) c++;
  }
  return 0;
}

int po_problem_format_select(const char *path, const po_load_opts *opts,
                             const po_problem_format **fmt) {
  const char *name = opts ? opts->format : NULL;
  if (name && *name && strcmp(name, "auto") != 0) {
    if ((*fmt = po_problem_format_find(name))) return PO_OK;
    char list[256];
    po_problem_format_names(list, sizeof list);
    return po_error(PO_ERR_ARG,
                    "problem.format = '%s' is not a problem file format (valid: auto|%s)", name,
                    list);
  }
  const char *slash = path ? strrchr(path, '/') : NULL;
  const char *dot = path ? strrchr(slash ? slash : path, '.') : NULL;
  *fmt = &formats[0]; /* no or unknown extension: the historical edge list */
  if (!dot) return PO_OK;
  for (size_t k = 0; k < sizeof formats / sizeof formats[0]; k++)
    if (lists_extension(formats[k].extensions, dot + 1)) {
      *fmt = &formats[k];
      break;
    }
  return PO_OK;
}

int po_problem_read(const char *path, const po_load_opts *opts, po_ising **out) {
  if (!out) return po_error(PO_ERR_ARG, "po_problem_read: out is NULL");
  *out = NULL;
  if (!path) return po_error(PO_ERR_ARG, "po_problem_read: path is NULL");
  po_load_opts def = {PO_DUP_REJECT, -1, NULL};
  if (!opts) opts = &def;
  const po_problem_format *fmt;
  int rc = po_problem_format_select(path, opts, &fmt);
  if (rc) return rc;
  rc = fmt->read(path, opts, out);
  if (!rc && fmt->binary) (*out)->binary = 1;
  return rc;
}

int po__read_lines(const char *path, po__line_fn fn, void *ctx, long *last_line) {
  *last_line = 0;
  /* Bounded lines (core/lines.h): /dev/zero or a binary file fails at once. */
  po_lines r;
  int rc = po_lines_open(&r, path, 0), got = 1;
  while (!rc && !(rc = po_lines_next(&r, &got)) && got) {
    while (r.len > 0 && r.buf[r.len - 1] == '\r') r.buf[--r.len] = '\0';
    rc = fn(ctx, r.line, r.buf);
  }
  *last_line = r.line;
  po_lines_close(&r);
  return rc;
}
