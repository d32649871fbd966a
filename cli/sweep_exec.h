/* One run of a sweep, configured exactly like `physopt solve`: the run's
 * po_params (sections problem, backend, run, schedule and the backends'
 * own) go through po_problem_open, po_backend_open,
 * po_backend_ising_anneal and po_metrics_compute, and the result is written
 * into an HDF5 group with po_h5_write_run plus the sweep attributes. */
#ifndef PHYSOPT_CLI_SWEEP_EXEC_H
#define PHYSOPT_CLI_SWEEP_EXEC_H

#include <hdf5.h>
#include <stdint.h>
#include "physopt/physopt.h"

/* Problems already loaded, reused by later runs on the same instance. */
typedef struct po_sweep_cache po_sweep_cache;
int po_sweep_cache_create(po_sweep_cache **out);
void po_sweep_cache_destroy(po_sweep_cache *c);

/* Rejects unknown sections and keys in a run's configuration (the run
 * sections plus every registered backend's device and energy sections). */
int po_sweep_check_params(const po_params *run);

typedef struct po_sweep_run_info {
  uint64_t id, seed;
  long index; /* position in the expansion */
  int repeat;
  int threads;
  double wall_s; /* filled: wall time of the run */
} po_sweep_run_info;

/* Runs the configuration and writes it into `group`. */
int po_sweep_exec(po_sweep_cache *c, const po_params *run, po_sweep_run_info *info, hid_t group);

#endif
