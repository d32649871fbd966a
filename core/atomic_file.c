/* Write-to-temporary-then-rename (core/atomic_file.h). */
#include "core/atomic_file.h"
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "physopt/error.h"

/* Distinguishes temporary files of concurrent writers in one process. */
static atomic_ulong next_serial;

/* Stale names from a killed process that had our pid are skipped (EEXIST). */
enum { MAX_NAME_TRIES = 64 };

static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  size_t n = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
  char *d = malloc(n + 1);
  if (!d) return NULL;
  if (!slash)
    d[0] = '.';
  else
    memcpy(d, slash == path ? "/" : path, n);
  d[n] = '\0';
  return d;
}

static const char *base_of(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* open(O_EXCL) with mode 0666 lets the umask apply as for fopen, without
 * touching the process-wide umask. */
/* This host's name, for temporary names: a pid means something only on
 * the host that made it (a shared file system serves many nodes). */
static void host_name(char *buf, size_t size) {
  if (gethostname(buf, size) != 0) snprintf(buf, size, "localhost");
  buf[size - 1] = '\0';
  for (char *c = buf; *c; c++)
    if (*c == '/') *c = '_';
}

/* Whether `name` is ".BASE.PID.K@HOST.tmp" of a process that no longer
 * exists on this host (left by kill -9, SIGXFSZ or a crash). */
static int is_stale(const char *name, const char *base, const char *host) {
  size_t lb = strlen(base), lh = strlen(host), ln = strlen(name);
  if (name[0] != '.' || strncmp(name + 1, base, lb) || name[1 + lb] != '.') return 0;
  char *end;
  long pid = strtol(name + 2 + lb, &end, 10);
  if (pid <= 0 || *end != '.') return 0;
  strtoul(end + 1, &end, 10);
  if (*end != '@' || ln < lh + 4 || (size_t)(end - name) + 1 + lh + 4 != ln ||
      strncmp(end + 1, host, lh) || strcmp(end + 1 + lh, ".tmp"))
    return 0;
  return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Removes the temporary files of dead writers of the same target. */
static void remove_stale(const char *dir, const char *base, const char *host) {
  DIR *d = opendir(dir);
  struct dirent *de;
  while (d && (de = readdir(d))) {
    if (!is_stale(de->d_name, base, host)) continue;
    size_t n = strlen(dir) + strlen(de->d_name) + 2;
    char *p = malloc(n);
    if (p) {
      snprintf(p, n, "%s/%s", dir, de->d_name);
      unlink(p);
    }
    free(p);
  }
  if (d) closedir(d);
}

static int create_tmp(po_atomic_file *a, const char *dir, const char *base) {
  char host[256];
  host_name(host, sizeof host);
  remove_stale(dir, base, host);
  size_t len = strlen(dir) + strlen(base) + strlen(host) + 64;
  a->tmp_path = malloc(len);
  if (!a->tmp_path) return po_error(PO_ERR_NOMEM, "out of memory");
  for (int t = 0; t < MAX_NAME_TRIES; t++) {
    unsigned long k = atomic_fetch_add(&next_serial, 1);
    snprintf(a->tmp_path, len, "%s/.%s.%ld.%lu@%s.tmp", dir, base, (long)getpid(), k, host);
    int fd = open(a->tmp_path, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd >= 0) {
      close(fd);
      return PO_OK;
    }
    if (errno != EEXIST) break;
  }
  int rc = po_error(PO_ERR_IO, "cannot create a temporary file for %s: %s (tried %s)", a->path,
                    strerror(errno), a->tmp_path);
  free(a->tmp_path);
  a->tmp_path = NULL;
  return rc;
}

int po_atomic_begin(po_atomic_file *a, const char *path) {
  memset(a, 0, sizeof *a);
  if (!path || !*path) return po_error(PO_ERR_ARG, "output file: empty file name");
  size_t n = strlen(path);
  if (path[n - 1] == '/') return po_error(PO_ERR_ARG, "output file %s: names a directory", path);
  char *dir = dir_of(path);
  a->path = strdup(path);
  int rc =
      dir && a->path ? create_tmp(a, dir, base_of(path)) : po_error(PO_ERR_NOMEM, "out of memory");
  free(dir);
  if (rc) po_atomic_abort(a);
  return rc;
}

/* fsync through a read-only descriptor: enough on Linux for files and
 * directories alike. */
static int sync_path(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  int st = fsync(fd);
  int e = errno;
  close(fd);
  errno = e;
  return st;
}

int po_atomic_commit(po_atomic_file *a) {
  if (!a->tmp_path) {
    po_atomic_abort(a);
    return po_error(PO_ERR_ARG, "commit of an output file that was not begun");
  }
  int rc = PO_OK;
  if (sync_path(a->tmp_path) != 0)
    rc = po_error(PO_ERR_IO, "cannot flush %s to disk: %s", a->tmp_path, strerror(errno));
  else if (rename(a->tmp_path, a->path) != 0)
    rc = po_error(PO_ERR_IO, "cannot rename %s to %s: %s", a->tmp_path, a->path, strerror(errno));
  if (!rc) {
    /* The rename itself is durable only once the directory is synced; a
     * failure here leaves a complete file in place, so it is not an error. */
    char *dir = dir_of(a->path);
    if (dir) sync_path(dir);
    free(dir);
    free(a->tmp_path);
    a->tmp_path = NULL;
  }
  po_atomic_abort(a);
  return rc;
}

void po_atomic_abort(po_atomic_file *a) {
  if (a->tmp_path) unlink(a->tmp_path);
  free(a->tmp_path);
  free(a->path);
  a->tmp_path = NULL;
  a->path = NULL;
}
