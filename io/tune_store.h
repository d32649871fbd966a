/* The trial record of physopt tune (internal header; docs/tune.md has the
 * layout).  One HDF5 file, rewritten by temp + rename after every rung, so
 * that it always holds every trial evaluated so far:
 *
 *   / attributes: provenance (program, version, git revision, command line,
 *     config, seed, date), layout ("tune record"), objective, eta, min_fidelity, max_fidelity,
 *     brackets, trials, best_trial (-1 if none yet), best_objective,
 *     best_config (the INI text of the best configuration)
 *   /instances            string [I]   the training set (problem.spec)
 *   /trials/bracket       int64 [T]
 *   /trials/rung          int64 [T]
 *   /trials/config        int64 [T]    configuration index in its bracket
 *   /trials/steps         float64 [T]  fidelity (run.steps)
 *   /trials/objective     float64 [T]  aggregate over the instances
 *   /trials/tiebreak      float64 [T]
 *   /trials/per_instance  float64 [T][I]  the objective of each instance
 *   /trials/run_id        uint64 [T][I]   the sweep run of each instance
 *                                         (OUT.d/ part files, /runs/<hex id>)
 *   /trials/param/<section.key>  float64 [T]  value (choice: index), with
 *     attributes kind (linear|log|int|choice), lo, hi, choices ("a,b,c")
 *   /trials/param_text/<section.key>  string [T]  value as configured */
#ifndef PHYSOPT_IO_TUNE_STORE_H
#define PHYSOPT_IO_TUNE_STORE_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>
#include "physopt/results_file.h"
#include "physopt/tune.h"

typedef struct po_tune_record {
  const po_tune_space *space;
  const po_tune_options *options;
  const po_tune_result *result;
  const char *objective;
  const char *fidelity; /* the run key the rungs set: "steps" or "replicas" */
  size_t n_instances;
  char *const *instances;
  const double *per_instance; /* result->n x n_instances */
  const uint64_t *run_ids;    /* result->n x n_instances */
  const char *best_config;    /* INI text or NULL */
} po_tune_record;

int po_tune_store_write(const char *path, const po_tune_record *r, const po_h5_provenance *prov);

/* A trial's run that diverged (PO_ERR_NUMERIC: non-finite amplitudes and
 * the like) is a bad configuration, not a failed tune: its /runs/ID group
 * in OUT.d/ holds only the attribute `tune_diverged` = the message, so that
 * every rank, shard and resumed process reads it as the worst objective
 * instead of running it again. */
int po_tune_store_mark_diverged(hid_t group, const char *message);
/* 1 with the message (truncated to size) when the run group `group` of the
 * part file `path` is such a record, 0 when it is a normal run, < 0 with
 * the error set when the file or group cannot be read. */
int po_tune_store_diverged(const char *path, const char *group, char *message, size_t size);

/* 1 when path is an HDF5 file written by po_tune_store_write (root
 * attribute layout = "tune record"), 0 otherwise (absent, not HDF5,
 * damaged heaps, another kind of file). */
int po_tune_store_is_record(const char *path);

#endif
