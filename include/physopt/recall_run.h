/* Associative-memory recall configured from po_params: the [run] keys of
 * `physopt recall`, shared by that command, the recall runs of `physopt
 * sweep` (run.task = recall; cli/sweep_exec.c) and the Python binding's
 * physopt.recall (docs/python.md).  Physics and storage rules:
 * include/physopt/memory.h, docs/cavity.md. */
#ifndef PHYSOPT_RECALL_RUN_H
#define PHYSOPT_RECALL_RUN_H

#include <stdint.h>
#include "physopt/backend.h"
#include "physopt/ledger.h"
#include "physopt/memory.h"
#include "physopt/params.h"

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared in include/physopt/ is exported from libphysopt.so,
 * nothing else is (-fvisibility=hidden; docs/design-notes.md). */
#pragma GCC visibility push(default)

extern const po_param_section po_recall_run_section; /* [run] of physopt recall */
/* The native rule's geometry (spread, sigma_a): the cavity backend's own
 * [cavity] section, found through the registry. */
const po_param_section *po_recall_native_section(void);

/* One recall experiment's settings (b opened by the caller). */
typedef struct po_recall_setup {
  po_backend *b;
  po_memory_rule rule;
  int n;
  double F;
  long trials, samples, max_sweeps;
  double spread, sigma_a;
  po_native_cavity cav; /* [cavity] geometry and its multimode parameters */
  uint64_t seed;
  int threads;
} po_recall_setup;

/* Reads spins (into s->n), patterns, rule, dynamics (the text; a list only
 * for capacity sweeps), corruption, trials, samples, max_sweeps,
 * basin_step and the native rule's cavity.spread / cavity.sigma_a and
 * cavity geometry (geometry, length_um, mirror_radius_um, wavelength_um,
 * pump_detuning_mhz, kappa_khz, z_spread_um, n_families). */
int po_recall_read(const po_params *p, po_recall_setup *s, long *patterns, const char **rule,
                   const char **dynamics, double *basin_step);

/* Stores P patterns (pattern set `set`, streams from (s->seed, set)),
 * corrupts each into s->trials cues and recalls them with dynamics dyn;
 * overlaps (P x trials) and basin may be NULL. */
int po_recall_point(const po_recall_setup *s, int P, po_recall_dynamics dyn, uint64_t set,
                    po_recall_stats *st, double *overlaps, double *basin, double basin_step);

/* What `physopt recall` reads before it runs. */
typedef struct po_recall_config {
  const char *backend, *rule, *dynamics; /* dynamics: the text (a list in capacity sweeps) */
  const char *capacity_sweep, *plot;     /* NULL when unset */
  long patterns;
  double basin_step;
  po_backend_info info;  /* of run.backend */
  po_recall_setup setup; /* seed and threads set, b not opened */
} po_recall_config;

/* Checks p against the sections of run.backend (which must recall; its
 * own and fallback's, plus the native rule's [cavity]) and run.task,
 * reads the configuration; --plot needs a capacity sweep, and one recall
 * with the pseudoinverse rule needs run.patterns < run.spins. */
int po_recall_config_read(const po_params *p, po_recall_config *c);

/* Opens c->backend into c->setup.b (seeded with c->setup.seed) and checks
 * that it recalls. */
int po_recall_open(const po_params *p, po_recall_config *c);

typedef struct po_recall_result {
  char backend[64], rule[32], dynamics[32];
  int spins;
  long patterns, trials_per_pattern;
  double alpha, corruption;
  uint64_t seed;
  po_recall_stats stats; /* overlap mean and sd, recall fraction, mean flips */
  po_ledger ledger;      /* of the recall backend (wall, device, joules) */
  double *overlaps;      /* patterns x trials_per_pattern */
} po_recall_result;

/* One recall experiment as `physopt recall` without --capacity-sweep runs
 * it (pattern set 0, device seed run.seed).  The capacity sweep and its
 * plot are the command's; here they are errors.  Free r with
 * po_recall_result_free, also after an error.  po_request_stop()
 * interrupts it. */
int po_recall_run(const po_params *p, po_recall_result *r);
void po_recall_result_free(po_recall_result *r);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
