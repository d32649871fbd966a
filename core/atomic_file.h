/* Atomic replacement of a file: write everything under a temporary name in
 * the target's directory, then rename it onto the target.  rename(2) within
 * one file system replaces the target atomically (POSIX), so readers see the
 * old file or the complete new one, and a failed or killed writer never
 * leaves a partial file under the final name.  The one routine the library
 * and the CLI use for every output file (HDF5 results, models, sweeps,
 * PNG plots).
 *
 *   po_atomic_file a;
 *   if ((rc = po_atomic_begin(&a, "out.h5"))) return rc;
 *   ... write a.tmp_path (fopen, H5Fcreate with H5F_ACC_TRUNC, gnuplot) ...
 *   rc = failed ? (po_atomic_abort(&a), rc) : po_atomic_commit(&a);
 *
 * The temporary name is "DIR/.BASE.PID.K@HOST.tmp": hidden, in the same
 * directory (so the rename never crosses file systems), unique per process
 * (PID, HOST) and per call (K), and ending in ".tmp" so that a directory
 * scan can recognise files left by a killed writer.  po_atomic_begin
 * removes those of the same target whose process is dead on this host
 * (never another host's: its pids mean nothing here).  Internal header. */
#ifndef PHYSOPT_CORE_ATOMIC_FILE_H
#define PHYSOPT_CORE_ATOMIC_FILE_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct po_atomic_file {
  char *path;     /* final name (a copy) */
  char *tmp_path; /* temporary name; NULL once committed or aborted */
} po_atomic_file;

/* Creates the empty temporary file (mode 0666 minus the umask, as for
 * fopen) and fills *a.  On error *a holds nothing to release. */
int po_atomic_begin(po_atomic_file *a, const char *path);

/* Flushes the temporary file to disk (fsync), renames it onto path and
 * syncs the directory.  On any error the temporary file is removed and the
 * previous file at path, if any, is untouched.  Releases *a either way. */
int po_atomic_commit(po_atomic_file *a);

/* Removes the temporary file and releases *a; safe after a commit or a
 * previous abort, and on a zeroed struct. */
void po_atomic_abort(po_atomic_file *a);

#ifdef __cplusplus
}
#endif
#endif
