/* Bounded line reader (core/lines.h). */
#include "core/lines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"

int po_lines_open(po_lines *r, const char *path, size_t max_len) {
  memset(r, 0, sizeof *r);
  r->path = path;
  r->max_len = max_len ? max_len : PO_LINE_MAX;
  r->f = fopen(path, "r");
  if (!r->f) return po_error(PO_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  return PO_OK;
}

static int grow(po_lines *r) {
  size_t cap = r->cap ? 2 * r->cap : 256;
  if (cap > r->max_len + 1) cap = r->max_len + 1;
  char *b = realloc(r->buf, cap);
  if (!b) return po_error(PO_ERR_NOMEM, "%s:%ld: out of memory", r->path, r->line);
  r->buf = b;
  r->cap = cap;
  return PO_OK;
}

int po_lines_next(po_lines *r, int *got) {
  *got = 0;
  r->len = 0;
  int c, any = 0, rc;
  r->line++;
  while ((c = getc_unlocked(r->f)) != EOF) {
    any = 1;
    if (c == '\n') break;
    if (c == '\0')
      return po_error(PO_ERR_PARSE, "%s:%ld: NUL byte in line (not a text file?)", r->path,
                      r->line);
    if (r->len == r->max_len)
      return po_error(PO_ERR_PARSE,
                      "%s:%ld: line longer than %zu bytes (the limit of physopt's text formats; "
                      "not a text file?)",
                      r->path, r->line, r->max_len);
    if (r->len + 1 >= r->cap && (rc = grow(r))) return rc;
    r->buf[r->len++] = (char)c;
  }
  if (ferror(r->f)) {
    r->read_errno = errno ? errno : EIO;
    return po_error(PO_ERR_IO, "%s:%ld: read error: %s", r->path, r->line, strerror(r->read_errno));
  }
  if (!any) {
    r->line--;
    return PO_OK;
  }
  if (!r->buf && (rc = grow(r))) return rc;
  if (r->len > 0 && r->buf[r->len - 1] == '\r') r->len--;
  r->buf[r->len] = '\0';
  *got = 1;
  return PO_OK;
}

void po_lines_close(po_lines *r) {
  if (r->f) fclose(r->f);
  free(r->buf);
  r->f = NULL;
  r->buf = NULL;
}
