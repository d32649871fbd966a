/* Reading physopt results files (HDF5) from C: the records a run is read
 * into and the readers that take a file name.  The layout, and how to read
 * it with h5py or h5dump, is in docs/hdf5-layout.md.  No HDF5 type appears
 * here, so a program needs only `pkg-config --cflags --libs physopt`.
 *
 *   po_h5_provenance prov;
 *   po_h5_run run;
 *   if (po_h5_load_run("run.h5", &prov, &run) == PO_OK) {
 *     printf("%s: best energy %g\n", prov.version, run.metrics.best_energy);
 *     po_h5_run_free(&run);
 *     po_h5_provenance_free(&prov);
 *   }
 *
 * Every function returns a po status (include/physopt/error.h) and sets
 * po_last_error().  The serial HDF5 library is not thread-safe: call these
 * from one thread at a time. */
#ifndef PHYSOPT_RESULTS_FILE_H
#define PHYSOPT_RESULTS_FILE_H

#include <stdint.h>
#include "physopt/ledger.h"
#include "physopt/results.h"

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared in include/physopt/ is exported from libphysopt.so,
 * nothing else is (-fvisibility=hidden; docs/design-notes.md). */
#pragma GCC visibility push(default)

/* Root-level provenance.  program, version, git revision and date are
 * filled in by the writer; the loader fills all fields (strings malloc'd,
 * released by po_h5_provenance_free). */
typedef struct po_h5_provenance {
  char *command_line; /* argv joined with spaces, shell-quoted where needed */
  char *config;       /* po_params_to_ini() of the full configuration */
  uint64_t seed;
  /* Filled by the loader only. */
  char *program, *version, *git_revision, *date;
} po_h5_provenance;

/* Summary of the problem a run solved (copied from po_ising). */
typedef struct po_h5_problem {
  int n;
  long n_edges;
  double weight_sum;
  int has_ground;
  double ground_energy;
  char source[512];
  uint64_t content_hash;
} po_h5_problem;

/* One run.  For writing, the pointers are borrowed (nothing is freed); a
 * record filled by po_h5_read_run/po_h5_load_run owns its samples and
 * strings and is released with po_h5_run_free. */
typedef struct po_h5_run {
  char backend[64];
  char algorithm[64];
  char schedule[256]; /* the schedule spec as given ("default", "geometric:0.1:3") */
  long steps;
  int threads;
  uint64_t seed;
  uint64_t run_id;
  po_h5_problem problem;
  po_samples samples; /* replicas x n spins and energies */
  po_metrics metrics;
  po_ledger ledger;
} po_h5_run;

/* Reads the run stored at the root of a `physopt solve --out` file; prov
 * may be NULL.  The file's heaps are checked first (po_h5_check_heaps). */
int po_h5_load_run(const char *path, po_h5_provenance *prov, po_h5_run *run);

/* The same for the run in group `group` ("/" or NULL: the root; a sweep's
 * runs are "/runs/<16-hex run id>", followed through the master's external
 * links); prov (may be NULL) is read from the file's root.  Only the file at
 * path has its heaps checked, not a part file a link leads to (physopt
 * report checks those; docs/hdf5-layout.md). */
int po_h5_load_run_at(const char *path, const char *group, po_h5_provenance *prov, po_h5_run *run);

void po_h5_run_free(po_h5_run *run);
void po_h5_provenance_free(po_h5_provenance *prov);

/* Checks the structure of every global heap collection in the file at
 * `path` before libhdf5 reads it.  Variable-length strings (all string
 * attributes here) live in global heap collections, which the HDF5 format
 * does not checksum; a damaged collection or object size makes H5Aread
 * fault or loop forever inside the library (measured: 3 crashes and up to
 * 2 hangs per 1500 single-bit flips of a results file,
 * scripts/h5-bitflip-fuzz.py).  Checked (HDF5 file format specification,
 * "Global Heap"): signature "GCOL", version 1, collection size >= 4096 and
 * inside the file, objects (index u16, reference count u16, reserved u32,
 * size u64, data padded to 8 bytes) tiling the collection with unique
 * nonzero indices, the free-space object (index 0) exactly filling the
 * rest.  An error names the file and the byte offset. */
int po_h5_check_heaps(const char *path);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
