/* Per-thread error message behind po_last_error(). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "physopt/error.h"

#define PO_ERRMSG_MAX 2048

static _Thread_local char errmsg[PO_ERRMSG_MAX];
static _Thread_local char errloc[128];

const char *po_last_error(void) {
  return errmsg;
}

const char *po_last_error_location(void) {
  return errloc;
}

void po_error_clear(void) {
  errmsg[0] = '\0';
  errloc[0] = '\0';
}

int(po_error)(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errmsg, sizeof errmsg, fmt, ap);
  va_end(ap);
  errloc[0] = '\0';
  return code;
}

int po_error_at(const char *file, int line, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errmsg, sizeof errmsg, fmt, ap);
  va_end(ap);
  snprintf(errloc, sizeof errloc, "%s:%d", file, line);
  return code;
}

void po_error_slot_init(po_error_slot *slot) {
  memset(slot, 0, sizeof *slot);
}

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;

void po_error_slot_capture(po_error_slot *slot, long index, int code) {
  if (!code) return;
  pthread_mutex_lock(&slot_lock);
  if (!slot->code || index < slot->index) {
    slot->code = code;
    slot->index = index;
    snprintf(slot->message, sizeof slot->message, "%s", errmsg[0] ? errmsg : po_strerror(code));
    snprintf(slot->location, sizeof slot->location, "%s", errloc);
  }
  pthread_mutex_unlock(&slot_lock);
}

int po_error_slot_raise(const po_error_slot *slot) {
  if (!slot->code) return PO_OK;
  snprintf(errmsg, sizeof errmsg, "%s", slot->message);
  snprintf(errloc, sizeof errloc, "%s", slot->location);
  return slot->code;
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
  case PO_ERR_INTERRUPTED:
    return "interrupted";
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

/* The stop request: one flag for the process (a Ctrl-C in a binding stops
 * whatever call is running). */
static atomic_int stop_flag;

void po_request_stop(void) {
  atomic_store(&stop_flag, 1);
}
void po_clear_stop(void) {
  atomic_store(&stop_flag, 0);
}
int po_stop_requested(void) {
  return atomic_load_explicit(&stop_flag, memory_order_relaxed);
}
