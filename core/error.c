/* Per-thread error message behind po_last_error(). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "physopt/error.h"

#define PO_ERRMSG_MAX 2048

static _Thread_local char errmsg[PO_ERRMSG_MAX];

const char *po_last_error(void) {
  return errmsg;
}

void po_error_clear(void) {
  errmsg[0] = '\0';
}

int po_error(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errmsg, sizeof errmsg, fmt, ap);
  va_end(ap);
  return code;
}

int po_error_wrap(int code, const char *fmt, ...) {
  char prefix[PO_ERRMSG_MAX], old[PO_ERRMSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, errmsg, sizeof old);
  size_t n = strlen(prefix);
  if (n > sizeof errmsg - 3) n = sizeof errmsg - 3;
  memcpy(errmsg, prefix, n);
  memcpy(errmsg + n, ": ", 2);
  n += 2;
  size_t rest = strlen(old);
  if (rest > sizeof errmsg - 1 - n) rest = sizeof errmsg - 1 - n;
  memcpy(errmsg + n, old, rest);
  errmsg[n + rest] = '\0';
  return code;
}

const char *po_strerror(int code) {
  switch (code) {
  case PO_OK:
    return "success";
  case PO_ERR_ARG:
    return "invalid argument";
  case PO_ERR_IO:
    return "input/output error";
  case PO_ERR_PARSE:
    return "malformed input";
  case PO_ERR_NOMEM:
    return "out of memory";
  case PO_ERR_UNSUPPORTED:
    return "unsupported";
  case PO_ERR_NUMERIC:
    return "numerical failure";
  case PO_ERR_NOT_FOUND:
    return "not found";
  default:
    return "unknown error";
  }
}
