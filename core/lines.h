/* Bounded line reader for the text formats (INI, edge lists, side files).
 *
 * getline() grows its buffer without limit, so a file without newlines
 * (/dev/zero, a binary file given by mistake) used to eat memory for
 * ever.  This reader stops at max_len bytes per line with a PO_ERR_PARSE
 * naming the file and line, and reports NUL bytes (not a text file). */
#ifndef PHYSOPT_CORE_LINES_H
#define PHYSOPT_CORE_LINES_H

#include <stdio.h>

/* The longest line any physopt text format accepts, in bytes without the
 * line end: long enough for realistic sweep lists (issue 12 item 5). */
#define PO_LINE_MAX 65536

typedef struct po_lines {
  FILE *f;
  const char *path; /* for messages; not owned */
  char *buf;        /* the current line, NUL-terminated, line end removed */
  size_t len;       /* its length */
  size_t cap, max_len;
  long line;      /* 1-based number of the current line */
  int read_errno; /* errno of a read error (PO_ERR_IO from po_lines_next) */
} po_lines;

/* Opens path for reading (PO_ERR_IO naming it on failure); max_len 0 means
 * PO_LINE_MAX. */
int po_lines_open(po_lines *r, const char *path, size_t max_len);
/* Reads the next line into r->buf; *got = 0 at the end of the file.
 * PO_ERR_PARSE "PATH:LINE: ..." for an over-long line or a NUL byte,
 * PO_ERR_IO for a read error. */
int po_lines_next(po_lines *r, int *got);
void po_lines_close(po_lines *r);

#endif
