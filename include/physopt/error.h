/* Error codes and the per-thread error message.
 *
 * Every library function that can fail returns an int status (PO_OK = 0) and
 * records a one-line message retrievable with po_last_error().  The library
 * never exits or aborts on bad input.  Parse errors name the file and line;
 * parameter errors name the parameter and its accepted range. */
#ifndef PHYSOPT_ERROR_H
#define PHYSOPT_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared in include/physopt/ is exported from libphysopt.so,
 * nothing else is (-fvisibility=hidden; docs/design-notes.md). */
#pragma GCC visibility push(default)

enum {
  PO_OK = 0,
  PO_ERR_ARG = 1,         /* invalid argument or parameter value */
  PO_ERR_IO = 2,          /* file cannot be opened, read or written */
  PO_ERR_PARSE = 3,       /* malformed input file */
  PO_ERR_NOMEM = 4,       /* allocation failed */
  PO_ERR_UNSUPPORTED = 5, /* op or feature not offered by this backend/build */
  PO_ERR_NUMERIC = 6,     /* solver failure, non-finite value */
  PO_ERR_NOT_FOUND = 7    /* unknown name (backend, key, dataset) */
};

/* The message of the last error raised on this thread ("" if none). */
const char *po_last_error(void);

/* Records a printf-style message and returns code, so callers can write
 * `return po_error(PO_ERR_ARG, "...", ...);`. */
int po_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the current message with context ("while loading X: ..."). */
int po_error_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void po_error_clear(void);

/* Short name of a status code ("invalid argument", ...). */
const char *po_strerror(int code);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
