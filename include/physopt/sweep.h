/* Parameter sweeps: a sweep file is an ordinary run configuration in which
 * any key may hold a comma-separated list of values.  The runs are the
 * Cartesian product of the lists, except that keys named together in a zip
 * group advance together, times a repeat count:
 *
 *   [sweep]
 *   seed    = 11                       sweep seed (default: run.seed, else 1)
 *   repeats = 2                        independent repeats of every point
 *   zip     = problem.file, cpu.sweeps  keys that advance together; several
 *                                      groups separated by '|' (or keys zip2...)
 *
 * A value containing a comma is written in double quotes ("a,b").
 *
 * Run id: a 64-bit hash of the canonical, sorted list "section.key=value" of
 * the run's own parameters (the [sweep] section and keys that cannot change
 * results, such as run.threads, left out; numbers canonicalised so that 50,
 * 50.0 and 5e1 agree) plus the repeat index.  It does not depend on the order
 * of the file, on the other values of a list or on the sweep seed, so adding
 * values or repeats to a sweep keeps the ids of the runs already done.
 * Run seed: po_hash2(sweep seed, run id); random streams are then
 * (run seed, run id, replica), independent of rank, shard and thread counts. */
#ifndef PHYSOPT_SWEEP_H
#define PHYSOPT_SWEEP_H

#include <stddef.h>
#include <stdint.h>
#include "physopt/params.h"

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared in include/physopt/ is exported from libphysopt.so,
 * nothing else is (-fvisibility=hidden; docs/design-notes.md). */
#pragma GCC visibility push(default)

/* Hard limit on the number of runs of one sweep file. */
#define PO_SWEEP_MAX_RUNS 10000000L

typedef struct po_sweep po_sweep;

/* Expands p (which is not modified and may be destroyed afterwards).
 * Errors: malformed lists, zip groups naming absent keys or lists of
 * different lengths, two runs with identical parameters, too many runs. */
int po_sweep_expand(const po_params *p, po_sweep **out);
void po_sweep_destroy(po_sweep *s);

size_t po_sweep_size(const po_sweep *s); /* runs, repeats included */
uint64_t po_sweep_seed(const po_sweep *s);
int po_sweep_repeats(const po_sweep *s);

/* Swept keys ("section.key"), in order of first appearance; a zip group
 * contributes each of its keys. */
size_t po_sweep_n_keys(const po_sweep *s);
const char *po_sweep_key(const po_sweep *s, size_t i);
/* 1 when swept key i is data of the instance rather than a parameter of a
 * series: run.target_energy or run.target_cut zipped with problem.spec
 * (one target per instance).  physopt sweep leaves such keys out of the
 * master's sweep_keys, so that report's default grouping keeps the
 * instances of a series together; a target list on an axis of its own
 * (several targets per instance) stays a series key. */
int po_sweep_key_per_instance(const po_sweep *s, size_t i);

uint64_t po_sweep_run_id(const po_sweep *s, size_t run);
uint64_t po_sweep_run_seed(const po_sweep *s, size_t run);
int po_sweep_run_repeat(const po_sweep *s, size_t run);
/* Value of swept key i in run `run` (unquoted). */
const char *po_sweep_run_value(const po_sweep *s, size_t run, size_t key);
/* The run's full configuration: every key holds one value, [sweep] removed.
 * Caller destroys it. */
int po_sweep_run_params(const po_sweep *s, size_t run, po_params **out);
/* Index of the run with this id, or (size_t)-1. */
size_t po_sweep_find(const po_sweep *s, uint64_t id);

/* Run id of a single configuration (entries of [sweep] ignored). */
uint64_t po_sweep_config_id(const po_params *run, int repeat);

/* Splits a list value: items separated by ',', surrounding blanks trimmed,
 * "..." quotes an item containing commas.  *items is one malloc block
 * (free(*items) releases everything). */
int po_sweep_split(const char *value, char ***items, size_t *n);

/* "0123456789abcdef" (16 hex digits + NUL). */
void po_sweep_id_format(uint64_t id, char buf[17]);
int po_sweep_id_parse(const char *text, uint64_t *id);

/* "i/n" with 0 <= i < n (the Slurm array convention); NULL or "" reads
 * SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT (offset by
 * SLURM_ARRAY_TASK_MIN), else 0/1. */
int po_sweep_parse_shard(const char *spec, int *index, int *count);
/* Round robin over the expansion order. */
static inline int po_sweep_shard_owns(size_t run, int index, int count) {
  return (int)(run % (size_t)count) == index;
}

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
