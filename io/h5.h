/* HDF5 results files, the writing side and the readers that take HDF5
 * handles (internal header: it exposes HDF5 types; the CLI, the sweep
 * driver and the tests include it).  The records and the path-based
 * readers a user of the installed library needs are public, in
 * include/physopt/results_file.h; the layout is in docs/hdf5-layout.md.
 *
 * A single-run file (po_h5_save_run) uses the root group as <run>; a sweep
 * writes provenance once on the root and one group per run
 * (po_h5_write_run(group, ...)).  Files are written under a temporary name
 * in the target directory and renamed into place on success
 * (core/atomic_file.h), so a failed write never leaves a partial file or
 * clobbers an existing one.
 *
 * Every function returns a po status and sets po_last_error(); the HDF5
 * error stack is never printed (po_h5_quiet()).  The serial HDF5 library is
 * not thread-safe: call these from one thread (outside OpenMP regions, or
 * inside `omp critical`). */
#ifndef PHYSOPT_IO_H5_H
#define PHYSOPT_IO_H5_H

#include <hdf5.h>
#include <stdint.h>
#include "core/atomic_file.h"
#include "physopt/physopt.h"
#include "physopt/results_file.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Turns off HDF5's automatic error-stack printing (idempotent). */
void po_h5_quiet(void);

/* Copies the problem summary out of a model. */
void po_h5_problem_from_ising(po_h5_problem *p, const po_ising *m);

/* Only the problem summary of the run in `group` of the file at path
 * ("/" or NULL: the root): what a resumed sweep or tune compares with the
 * instance file as it reads now.  The file's heaps are checked first. */
int po_h5_load_problem_at(const char *path, const char *group, po_h5_problem *p);

/* Writes the provenance attributes on `loc` (normally the file's root).
 * Existing attributes of the same names are replaced. */
int po_h5_write_provenance(hid_t loc, const po_h5_provenance *prov);

/* Writes one run into the group `loc`: run attributes, and the groups
 * problem/, samples/, metrics/, ledger/ (which must not exist yet).
 * Validates the record first (samples.n == problem.n, replicas >= 1). */
int po_h5_write_run(hid_t loc, const po_h5_run *run);

/* Reads a run written by po_h5_write_run from group `loc`. */
int po_h5_read_run(hid_t loc, po_h5_run *out);
int po_h5_read_provenance(hid_t loc, po_h5_provenance *out);

/* One learning run of a sweep (run.task = eval or train): the test-set
 * accuracy of a multilayer perceptron whose forward products ran on
 * `backend`.  Layout in its group (docs/hdf5-layout.md):
 *   attributes task ("eval" | "train"), backend, data, model (eval: the
 *   model file; train: the layer sizes), seed, run_id, threads,
 *   train_samples, test_samples, epochs, test_accuracy, test_accuracy_sd,
 *   test_loss, train_loss, train_accuracy, photons_per_mac, macs,
 *   energy_per_mac_j, optical_energy_per_mac_j, train_joules, train_s,
 *   wall_s (NaN where a quantity does not apply: photons_per_mac on the
 *   cpu, train_* for eval runs);
 *   ledger/ as for anneal runs: the inference (test set) ledger. */
typedef struct po_h5_learn_run {
  char task[16];
  char backend[64];
  char data[512];
  char model[512];
  uint64_t seed, run_id;
  int threads;
  long train_samples, test_samples, epochs;
  double test_accuracy, test_accuracy_sd, test_loss;
  double train_loss, train_accuracy;
  double photons_per_mac, macs, energy_per_mac_j, optical_energy_per_mac_j;
  double train_joules, train_s, wall_s;
  po_ledger ledger;
} po_h5_learn_run;

int po_h5_write_learn_run(hid_t loc, const po_h5_learn_run *run);
int po_h5_read_learn_run(hid_t loc, po_h5_learn_run *out);

/* One recall run of a sweep (run.task = recall): P patterns stored in N
 * neurons with `rule`, corrupted cues relaxed by `dynamics` on `backend`.
 * Attributes task ("recall"), backend, rule, dynamics, seed, run_id,
 * threads, spins, patterns, trials (cues in all), alpha (P/N),
 * corruption, overlap_mean, overlap_std, recall_fraction (share of cues
 * with overlap > 0.95), flips_mean, basin (NaN unless run.basin_step > 0),
 * wall_s; ledger/ as for anneal runs. */
typedef struct po_h5_recall_run {
  char backend[64], rule[32], dynamics[32];
  uint64_t seed, run_id;
  int threads;
  long spins, patterns, trials;
  double alpha, corruption, overlap_mean, overlap_std, recall_fraction, flips_mean, basin, wall_s;
  po_ledger ledger;
} po_h5_recall_run;

int po_h5_write_recall_run(hid_t loc, const po_h5_recall_run *run);
int po_h5_read_recall_run(hid_t loc, po_h5_recall_run *out);

/* The task of the run stored in group `loc`: its `task` attribute, or
 * "anneal" when there is none (anneal runs predate the attribute). */
int po_h5_run_task(hid_t loc, char *buf, size_t size);

/* A file written under a temporary name in the same directory
 * (po_atomic_begin) and renamed to `path` by po_h5_file_commit. */
typedef struct po_h5_file {
  hid_t id;           /* the open file: write provenance and runs into it */
  char *path;         /* final name (borrowed from out) */
  char *tmp_path;     /* temporary name (borrowed from out) */
  po_atomic_file out; /* the temporary file and its commit */
} po_h5_file;

int po_h5_file_begin(const char *path, po_h5_file *f);

/* Closes a file opened for writing; PO_ERR_IO naming `path` when HDF5
 * cannot write it out (disk full, file size limit).  HDF5 1.10.8 leaves a
 * file whose close failed half-destroyed in its id table and its exit
 * handler then dereferences it (SIGSEGV in H5F__close_cb); the failure is
 * remembered so that po_h5_end_at_exit skips that handler. */
int po_h5_close_written(hid_t file, const char *path);
/* The same on an error path: sets no message (the first failure's stays). */
herr_t po_h5_close_discard(hid_t file);
/* For programs (the CLI calls it first thing): HDF5 is shut down by our
 * own exit handler, which skips the shutdown after a failed close. */
void po_h5_end_at_exit(void);

/* Flushes, closes and renames onto path (replacing an existing file). */
int po_h5_file_commit(po_h5_file *f);
/* Closes and removes the temporary file (safe after a failed commit). */
void po_h5_file_abort(po_h5_file *f);

/* One run in one file: provenance + run on the root group, temp + rename. */
int po_h5_save_run(const char *path, const po_h5_provenance *prov, const po_h5_run *run);
/* The same, and extra(file, ctx) adds more (e.g. /trajectory) to the
 * temporary file before the rename: all of it lands, or nothing. */
int po_h5_save_run_with(const char *path, const po_h5_provenance *prov, const po_h5_run *run,
                        int (*extra)(hid_t file, void *ctx), void *ctx);

/* Writes an MLP into group loc in the layout of a model file (attributes
 * format, sizes, quant_w_bits, quant_act_bits; groups layer<l> with W and
 * b), so that po_mlp_load("FILE.h5:/path/to/loc") reads it back. */
typedef struct po_mlp po_mlp;
int po_mlp_write_group(hid_t loc, const po_mlp *m);

/* Groups and datasets for the CLI's own files (the CLI makes no HDF5 call,
 * docs/design-notes.md).  po_h5_group_create fails if name exists;
 * po_h5_group_close ignores a negative id. */
int po_h5_group_create(hid_t loc, const char *name, hid_t *out);
void po_h5_group_close(hid_t g);
/* A one-dimensional float64 (little-endian IEEE) dataset of n values. */
int po_h5_write_doubles(hid_t loc, const char *name, const double *v, size_t n);

/* Calls visit(loc, name, value, ctx) for every string attribute of loc
 * whose name starts with prefix, in name order; a nonzero return from
 * visit stops the walk and is returned.  Attributes that are not strings
 * are skipped. */
int po_h5_each_string_attr(hid_t loc, const char *prefix,
                           int (*visit)(const char *name, char *value, void *ctx), void *ctx);

/* The runs of a results file, for readers such as `physopt report`: a
 * sweep's /runs/<16-hex id> groups (ids that do not parse are skipped; a
 * run reached through an external link has its part file's heaps checked
 * once before it is read), or the single run at the root of a `physopt
 * solve --out` file, passed to visit as name "single".  The file's own
 * heaps are checked first.  *sweep_keys (may be NULL) receives the root
 * attribute sweep_keys when there is one (malloc'd), else NULL.  Stops at
 * the first nonzero return of visit and returns it. */
int po_h5_visit_runs(const char *path, int (*visit)(hid_t group, const char *name, void *ctx),
                     void *ctx, char **sweep_keys);

/* Attribute helpers (replace an existing attribute of the same name). */
int po_h5_attr_string(hid_t loc, const char *name, const char *value);
int po_h5_attr_double(hid_t loc, const char *name, double value);
int po_h5_attr_int64(hid_t loc, const char *name, int64_t value);
int po_h5_attr_uint64(hid_t loc, const char *name, uint64_t value);
/* Readers; po_h5_get_string mallocs *out. */
int po_h5_get_string(hid_t loc, const char *name, char **out);
int po_h5_get_double(hid_t loc, const char *name, double *out);
int po_h5_get_int64(hid_t loc, const char *name, int64_t *out);
int po_h5_get_uint64(hid_t loc, const char *name, uint64_t *out);

#ifdef __cplusplus
}
#endif
#endif
