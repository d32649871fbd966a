/* One annealing schedule for every backend: a control parameter ramped over
 * K steps.  Each backend maps it to its physical knob (inverse temperature
 * for SA, pump amplitude for the OPO network, transverse pump for the cavity).
 *
 * At step k of K the normalised time is t = k/(K-1) (t = 1 when K = 1) and
 *   linear:     v = a + (b - a) t
 *   geometric:  v = a (b/a)^t                      (a, b > 0)
 *   tanh:       v = a + (b - a) tanh(c t)/tanh(c)  (c = steepness > 0)
 *   table:      piecewise-linear through (t_m, v_m) read from a file,
 *               constant beyond the first and last points. */
#ifndef PHYSOPT_SCHEDULE_H
#define PHYSOPT_SCHEDULE_H

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared in include/physopt/ is exported from libphysopt.so,
 * nothing else is (-fvisibility=hidden; docs/design-notes.md). */
#pragma GCC visibility push(default)

typedef enum {
  PO_SCHED_DEFAULT = 0, /* the backend chooses (e.g. SA derives it from J) */
  PO_SCHED_LINEAR,
  PO_SCHED_GEOMETRIC,
  PO_SCHED_TANH,
  PO_SCHED_TABLE
} po_schedule_kind;

typedef struct po_schedule {
  po_schedule_kind kind;
  double start, end;
  double steepness; /* tanh only */
  int n_points;     /* table only */
  double *t, *v;    /* table only, owned */
} po_schedule;

/* Validates parameters (geometric needs start, end > 0; tanh steepness > 0). */
int po_schedule_init(po_schedule *s, po_schedule_kind kind, double start, double end,
                     double steepness);
/* Table file: lines "t value" with t in [0,1] strictly increasing; '#'
 * comments.  Errors name file and line. */
int po_schedule_load_table(po_schedule *s, const char *path);
/* Parses "linear:A:B", "geometric:A:B", "tanh:A:B:C", "table:FILE", "default". */
int po_schedule_parse(po_schedule *s, const char *spec);
double po_schedule_value(const po_schedule *s, long k, long K);
const char *po_schedule_kind_name(po_schedule_kind kind);
void po_schedule_free(po_schedule *s);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
