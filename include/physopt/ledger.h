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
} po_ledger;

void po_ledger_reset(po_ledger *l);
/* Adds count (of unit) priced at joules_per_unit to category (created on
 * first use; later calls accumulate). */
void po_ledger_add(po_ledger *l, const char *category, const char *unit, double count,
                   double joules_per_unit);
double po_ledger_total_joules(const po_ledger *l);
/* Entry for category or NULL. */
const po_ledger_entry *po_ledger_find(const po_ledger *l, const char *category);
/* Accumulates src into dst (counts, joules and times add). */
void po_ledger_merge(po_ledger *dst, const po_ledger *src);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
