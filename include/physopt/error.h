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
  PO_ERR_NOT_FOUND = 7,   /* unknown name (backend, key, dataset) */
  PO_ERR_INTERRUPTED = 8  /* stopped by po_request_stop() (bindings: Ctrl-C) */
};

/* The message of the last error raised on this thread ("" if none). */
const char *po_last_error(void);
/* Where that error was raised in physopt's sources ("core/params.c:120"),
 * "" if none or unknown. */
const char *po_last_error_location(void);

/* Records a printf-style message and returns code, so callers can write
 * `return po_error(PO_ERR_ARG, "...", ...);`.  The macro below records
 * the caller's file and line too. */
int po_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int po_error_at(const char *file, int line, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define po_error(...) po_error_at(__FILE__, __LINE__, __VA_ARGS__)

/* Prefixes the current message with context ("while loading X: ..."). */
int po_error_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void po_error_clear(void);

/* Carrying an error from worker threads to the calling thread, per call
 * (messages are per thread, so an error raised on an OpenMP worker is
 * otherwise lost):
 *
 *   po_error_slot slot;  po_error_slot_init(&slot);
 *   #pragma omp parallel for
 *   for (r ...) { int rc = work(r); if (rc) po_error_slot_capture(&slot, r, rc); }
 *   if (slot.code) return po_error_slot_raise(&slot);
 *
 * The error of the lowest index is kept, so the message does not depend on
 * thread timing. */
typedef struct po_error_slot {
  int code;           /* 0 while nothing failed */
  long index;         /* work item that failed */
  char message[2048]; /* as long as a message can be */
  char location[128];
} po_error_slot;

void po_error_slot_init(po_error_slot *slot);
/* On a worker, after a call failed with code (the worker's message is
 * taken from po_last_error()); thread-safe. */
void po_error_slot_capture(po_error_slot *slot, long index, int code);
/* On the caller: makes the captured error this thread's and returns its
 * code (PO_OK when none). */
int po_error_slot_raise(const po_error_slot *slot);

/* Short name of a status code ("invalid argument", ...). */
const char *po_strerror(int code);

/* Cancellation of a long call from another thread (the Python binding's
 * Ctrl-C).  po_request_stop() sets a process-wide flag; long loops poll
 * po_stop_requested() where they report progress and return early, and
 * the run (po_run_anneal) then fails with PO_ERR_INTERRUPTED.  The caller
 * clears the flag with po_clear_stop() before its next call.  Async-signal
 * safe (a lock-free atomic). */
void po_request_stop(void);
void po_clear_stop(void);
int po_stop_requested(void);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
