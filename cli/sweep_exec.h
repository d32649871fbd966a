/* One run of a sweep.  run.task = anneal (the default) is configured
 * exactly like `physopt solve` by the same code (cli/run_config.h): the
 * run's po_params (sections problem, run, schedule and the backends' own)
 * give the problem (cached across runs), the backend, algorithm, steps,
 * target and schedule; the run anneals with the run seed and the run id,
 * and the result is written into an HDF5 group with po_h5_write_run plus
 * the sweep attributes.  run.task = eval or train is configured like
 * `physopt eval` / `physopt train` (physopt/learn_run.h) with the run seed as
 * the device and training seed, and written with po_h5_write_learn_run. */
#ifndef PHYSOPT_CLI_SWEEP_EXEC_H
#define PHYSOPT_CLI_SWEEP_EXEC_H

#include <stdint.h>
#include "io/h5.h"
#include "physopt/physopt.h"

/* Problems already loaded, reused by later runs on the same instance. */
typedef struct po_sweep_cache po_sweep_cache;
int po_sweep_cache_create(po_sweep_cache **out);
void po_sweep_cache_destroy(po_sweep_cache *c);

/* Rejects unknown sections and keys in a run's configuration (its task's
 * run sections plus every registered backend's device and energy
 * sections) and values of the wrong type or outside their range. */
int po_sweep_check_params(const po_params *run);

/* po_sweep_check_params plus what can be checked without running: the
 * backend and algorithm exist, the schedule parses, files named by the run
 * (problem.spec, run.model, run.init) can be opened.  physopt sweep calls
 * it for every run before starting the first. */
int po_sweep_validate_run(const po_params *run);

typedef struct po_sweep_run_info {
  uint64_t id, seed;
  long index; /* position in the expansion */
  int repeat;
  int threads;
  double wall_s; /* filled: wall time of the run */
} po_sweep_run_info;

/* Runs the configuration and writes it into `group`. */
int po_sweep_exec(po_sweep_cache *c, const po_params *run, po_sweep_run_info *info, hid_t group);

/* A run already on disk is reused (sweep --resume, a resumed tune) only if
 * the instance its problem.spec names is the one it ran on: the same n and
 * couplings (content hash) and the same known ground energy as `rec`, the
 * problem it recorded.  Otherwise an error naming the file and `where` (the
 * results directory).  Runs of other tasks: PO_OK. */
int po_sweep_check_recorded(po_sweep_cache *c, const po_params *run, const po_h5_problem *rec,
                            const char *where);

#endif
