/* Associative-memory recall configured from po_params: the [run] keys of
 * `physopt recall`, shared by that command and the recall runs of
 * `physopt sweep` (run.task = recall; cli/sweep_exec.c).  Physics and
 * storage rules: include/physopt/memory.h, docs/cavity.md. */
#ifndef PHYSOPT_CLI_RECALL_RUN_H
#define PHYSOPT_CLI_RECALL_RUN_H

#include <stdint.h>
#include "physopt/memory.h"
#include "physopt/physopt.h"

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

#endif
