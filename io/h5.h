/* HDF5 results files (internal header: the library's public headers do not
 * expose HDF5 types; the CLI and the sweep driver include this one).
 *
 * Layout (docs/hdf5-layout.md has the full table):
 *
 *   /                      provenance attributes: program, version,
 *                          git_revision, command_line, config, seed, date
 *   <run>/                 run attributes: backend, algorithm, replicas,
 *                          steps, seed, run_id, threads, schedule
 *   <run>/problem          attributes: n, n_edges, source, content_hash
 *                          ("%016" PRIx64), weight_sum, has_ground,
 *                          ground_energy
 *   <run>/samples/spins    int8  [replicas][n], chunked + deflate
 *   <run>/samples/energy   float64 [replicas]
 *   <run>/metrics          attributes: replicas, best_energy, mean_energy,
 *                          median_energy, best_cut, has_target,
 *                          target_energy, success_probability, tts99_s,
 *                          residual_energy, approx_ratio
 *   <run>/ledger           attributes: wall_s, device_s, run_s,
 *                          total_joules; dataset `entries`, compound
 *                          {category, unit, count, joules} [n_entries]
 *
 * A single-run file (po_h5_save_run) uses the root group as <run>; a sweep
 * writes provenance once on the root and one group per run
 * (po_h5_write_run(group, ...)).  Files are written under a temporary name
 * in the target directory and renamed into place on success, so a failed
 * write never leaves a partial file or clobbers an existing one.
 *
 * Every function returns a po status and sets po_last_error(); the HDF5
 * error stack is never printed (po_h5_quiet()).  The serial HDF5 library is
 * not thread-safe: call these from one thread (outside OpenMP regions, or
 * inside `omp critical`). */
#ifndef PHYSOPT_IO_H5_H
#define PHYSOPT_IO_H5_H

#include <hdf5.h>
#include <stdint.h>
#include "physopt/physopt.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/* Turns off HDF5's automatic error-stack printing (idempotent). */
void po_h5_quiet(void);

/* Copies the problem summary out of a model. */
void po_h5_problem_from_ising(po_h5_problem *p, const po_ising *m);

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

void po_h5_run_free(po_h5_run *run);
void po_h5_provenance_free(po_h5_provenance *prov);

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

/* A file written under a temporary name ("<path>.tmp.<pid>@<host>.XXXXXX"
 * in the same directory) and renamed to `path` by po_h5_file_commit. */
typedef struct po_h5_file {
  hid_t id;       /* the open file: write provenance and runs into it */
  char *path;     /* final name */
  char *tmp_path; /* temporary name */
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

/* "<dir>/<prefix><base>.tmp.<pid>@<host><suffix>": a temporary name next
 * to `path` that says which process owns it.  Caller frees. */
char *po_h5_tmp_name(const char *path, const char *prefix, const char *suffix);
/* Removes the temporary files next to `path` (named by po_h5_tmp_name)
 * whose process is dead on this host: left by kill -9, SIGXFSZ or a crash.
 * Files of live processes and of other hosts are kept. */
void po_h5_remove_stale_tmp(const char *path);
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
/* Reads it back; prov may be NULL. */
int po_h5_load_run(const char *path, po_h5_provenance *prov, po_h5_run *run);

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

/* Writes an MLP into group loc in the layout of a model file (attributes
 * format, sizes, quant_w_bits, quant_act_bits; groups layer<l> with W and
 * b), so that po_mlp_load("FILE.h5:/path/to/loc") reads it back. */
typedef struct po_mlp po_mlp;
int po_mlp_write_group(hid_t loc, const po_mlp *m);

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
