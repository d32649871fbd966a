/* Energy ledger: what a backend did and what it cost.
 *
 * Every backend books its operations by category (spin updates, MACs,
 * detected photons, conversions, round trips, pump energy ...), each with a
 * count, a unit and joules priced by the cost model of
 * configs/energy/<backend>.ini (defaults compiled in, with citations). */
#ifndef PHYSOPT_LEDGER_H
#define PHYSOPT_LEDGER_H

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared in include/physopt/ is exported from libphysopt.so,
 * nothing else is (-fvisibility=hidden; docs/design-notes.md). */
#pragma GCC visibility push(default)

#define PO_LEDGER_MAX 24
#define PO_MODEL_MAX  24

/* What kind of value a model-description item holds. */
typedef enum {
  PO_MODEL_TEXT = 0,   /* text */
  PO_MODEL_NUMBER = 1, /* value, a real number */
  PO_MODEL_INT = 2,    /* value, an integer */
  PO_MODEL_FLAG = 3    /* value, 0 or 1 (stored as an integer in HDF5) */
} po_model_kind;

/* One item of a run's model description: which physical model a backend
 * ran (mode, device name, which noise sources were on) and the parameters
 * it derived (cim: docs/cim.md "Physical devices").  Written by the backend,
 * recorded by --json ("model") and the HDF5 run group (model/ attributes). */
typedef struct po_model_item {
  char key[40];
  int kind; /* po_model_kind */
  char text[80];
  double value;
} po_model_item;

typedef struct po_ledger_entry {
  char category[40]; /* "spin_updates", "macs", "detected_photons" ... */
  char unit[24];     /* what `count` counts: "flips", "MAC", "photons" */
  double count;
  double joules;
} po_ledger_entry;

typedef struct po_ledger {
  double wall_s;   /* measured wall-clock seconds on this machine */
  double device_s; /* simulated device seconds (cpu: = wall_s) */
  /* Time one replica's run takes on the device, the t of TTS99.  cpu: wall
   * time x threads / replicas (replicas run threads-wide in parallel). */
  double run_s;
  int n;
  po_ledger_entry e[PO_LEDGER_MAX];
  int n_model; /* model description, 0 items when the backend gives none */
  po_model_item model[PO_MODEL_MAX];
} po_ledger;

void po_ledger_reset(po_ledger *l);
/* Adds count (of unit) priced at joules_per_unit to category (created on
 * first use; later calls accumulate). */
void po_ledger_add(po_ledger *l, const char *category, const char *unit, double count,
                   double joules_per_unit);
double po_ledger_total_joules(const po_ledger *l);
/* Entry for category or NULL. */
const po_ledger_entry *po_ledger_find(const po_ledger *l, const char *category);
/* Accumulates src into dst (counts, joules and times add; dst takes src's
 * model description when it has none). */
void po_ledger_merge(po_ledger *dst, const po_ledger *src);

/* Sets item `key` of the model description (replacing an item of that key;
 * keys and texts longer than the fields are cut; beyond PO_MODEL_MAX items
 * the call is ignored and returns -1, else 0).  text is used for
 * PO_MODEL_TEXT, value for the other kinds. */
int po_ledger_model_set(po_ledger *l, const char *key, po_model_kind kind, const char *text,
                        double value);
/* Item `key` of the model description, or NULL. */
const po_model_item *po_ledger_model_find(const po_ledger *l, const char *key);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
