/* Small helpers shared by the run configurations of algorithms/ (run.c,
 * learn_run.c, recall_run.c); not part of the public API. */
#ifndef PHYSOPT_ALGORITHMS_RUN_UTIL_H
#define PHYSOPT_ALGORITHMS_RUN_UTIL_H

#include <time.h>
#include "physopt/params.h"

#define PO_RUN_N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Monotonic seconds (the wall times of runs). */
static inline double po_run_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* An optional string key of [run]: NULL when unset or empty. */
static inline const char *po_run_optional(const po_params *p, const char *key) {
  const char *v = po_params_get(p, "run", key);
  return v && *v ? v : NULL;
}

#endif
