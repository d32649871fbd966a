/* Sweep results on disk (internal header: exposes HDF5 types).
 *
 * A sweep writing to OUT (say results.h5) keeps its runs in the directory
 * OUT.d/ as part files "<tag>-<seq>.h5", where tag names the writer
 * ("solo", "shard-0003of0008", "rank-0001of0016") and seq counts its
 * batches.  A part file holds /runs/<16-hex run id> groups and is written
 * under a temporary name (".<tag>-<seq>.h5.tmp") and renamed into place
 * once closed and fsync'ed, so at any moment OUT.d/ holds only complete
 * part files plus at most one temporary file per writer.  Resume scans the
 * part files for complete run ids.
 *
 * OUT itself is the master file: provenance attributes on the root and
 * /runs/<id> as external links into the part files (relative paths, which
 * HDF5 resolves against the master's directory), rebuilt by temp + rename;
 * po_sweep_merge() copies every run into one self-contained file. */
#ifndef PHYSOPT_IO_SWEEP_STORE_H
#define PHYSOPT_IO_SWEEP_STORE_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

typedef struct po_sweep_store po_sweep_store;

/* Opens a writer.  Creates OUT.d/ if needed, removes this tag's stale
 * temporary files and continues its batch numbering.  A batch is committed
 * when flush_s seconds have passed since it was opened (0: after every run)
 * or at po_sweep_store_close. */
int po_sweep_store_open(const char *out, const char *tag, double flush_s, po_sweep_store **w);
/* Creates the group /runs/<id> in the current batch (opening one if
 * needed); the caller writes into *group and calls end_run or abort_run. */
int po_sweep_store_begin_run(po_sweep_store *w, uint64_t id, hid_t *group);
int po_sweep_store_end_run(po_sweep_store *w, hid_t group);
/* Drops the run's group (a failed run leaves no trace). */
void po_sweep_store_abort_run(po_sweep_store *w, hid_t group, uint64_t id);
int po_sweep_store_flush(po_sweep_store *w);
/* Commits the open batch and frees w. */
int po_sweep_store_close(po_sweep_store *w);

/* Complete runs found in OUT.d/: ids[k] lives in files[k] (a path relative
 * to OUT's directory, "results.h5.d/solo-000001.h5").  A run present in two
 * part files is listed once.  Unreadable part files are reported on stderr
 * and skipped (their runs count as not done).  Free with po_sweep_scan_free. */
typedef struct po_sweep_scan_result {
  size_t n;
  uint64_t *ids;
  char **files;
  size_t n_files;
  size_t n_bad; /* part files that could not be read */
} po_sweep_scan_result;
int po_sweep_scan(const char *out, po_sweep_scan_result *r);
void po_sweep_scan_free(po_sweep_scan_result *r);
/* Index of id in r (sorted), or (size_t)-1. */
size_t po_sweep_scan_find(const po_sweep_scan_result *r, uint64_t id);

/* Writes the master file OUT: root attributes written by root_cb (may be
 * NULL) plus runs_total and runs_present; /runs/<id> external links to
 * every run of the scan.  Temp + rename. */
int po_sweep_write_master(const char *out, const po_sweep_scan_result *r, long runs_total,
                          int (*root_cb)(hid_t root, void *ctx), void *ctx);

/* Copies the master's root attributes and every run (through its links, or
 * directly when OUT is already merged) into one self-contained file `dest`
 * (temp + rename; dest may equal out). */
int po_sweep_merge(const char *out, const char *dest, size_t *n_runs);

/* What `path` holds: -2 nothing (absent), -1 not HDF5 (or unreadable),
 * 0 another HDF5 file, 1 a sweep master, 2 a merged sweep. */
int po_sweep_file_kind(const char *path);

/* Creates OUT's part directory path ("OUT.d"); caller frees. */
char *po_sweep_part_dir(const char *out);

#endif
