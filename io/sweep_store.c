/* Sweep part files, resume scan, master file with external links, merge
 * (io/sweep_store.h, docs/sweeps.md). */
#include "io/sweep_store.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "physopt/error.h"
#include "physopt/sweep.h"
#include "core/atomic_file.h"
#include "io/h5.h"

struct po_sweep_store {
  char *dir; /* OUT.d */
  char *tag;
  double flush_s;
  long seq;   /* number of the next batch */
  hid_t file; /* open batch, or H5I_INVALID_HID */
  hid_t runs;
  po_atomic_file out; /* the open batch's temporary file and final name */
  double opened_at;
  long in_batch;
  int lock_fd; /* holds the writer lock OUT.d/.<tag>.lock, or -1 */
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#include <stdarg.h>
static char *str_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *s = malloc((size_t)n + 1);
  if (!s) return NULL;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

static void h5_quiet(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

char *po_sweep_part_dir(const char *out) {
  return str_printf("%s.d", out);
}

static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return str_printf(".");
  if (slash == path) return str_printf("/");
  return str_printf("%.*s", (int)(slash - path), path);
}

static const char *base_of(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* Takes the exclusive lock of writer `tag` (a POSIX record lock, which
 * NFS supports and the kernel drops when the process dies, kill -9
 * included).  Two processes with the same tag would delete each other's
 * temporary files and number their batches alike, so each overwriting the
 * other's part files: the second one is refused instead. */
static int lock_writer(po_sweep_store *w, const char *out) {
  char *path = str_printf("%s/.%s.lock", w->dir, w->tag);
  if (!path) return po_error(PO_ERR_NOMEM, "out of memory");
  w->lock_fd = open(path, O_RDWR | O_CREAT, 0666);
  int e = errno;
  free(path);
  if (w->lock_fd < 0)
    return po_error(PO_ERR_IO, "cannot open the lock file %s.d/.%s.lock: %s", out, w->tag,
                    strerror(e));
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
  if (fcntl(w->lock_fd, F_SETLK, &fl) == 0) return PO_OK;
  e = errno;
  if (e != EACCES && e != EAGAIN)
    return po_error(PO_ERR_IO, "cannot lock %s.d/.%s.lock: %s", out, w->tag, strerror(e));
  struct flock who = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
  long pid = fcntl(w->lock_fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK ? (long)who.l_pid : 0;
  char by[48] = "";
  if (pid > 0) snprintf(by, sizeof by, " (pid %ld)", pid);
  return po_error(PO_ERR_IO,
                  "%s is being written by another physopt sweep%s with writer '%s'; nothing was "
                  "run.  Wait for it and rerun with --resume, or split the work between "
                  "processes with --shard I/N (or mpirun)",
                  out, by, w->tag);
}

int po_sweep_store_open(const char *out, const char *tag, double flush_s, po_sweep_store **wp) {
  *wp = NULL;
  h5_quiet();
  po_sweep_store *w = calloc(1, sizeof *w);
  if (!w) return po_error(PO_ERR_NOMEM, "out of memory");
  w->dir = po_sweep_part_dir(out);
  w->tag = str_printf("%s", tag);
  w->flush_s = flush_s;
  w->file = H5I_INVALID_HID;
  w->runs = H5I_INVALID_HID;
  w->seq = 1;
  w->lock_fd = -1;
  if (!w->dir || !w->tag) {
    po_sweep_store_close(w);
    return po_error(PO_ERR_NOMEM, "out of memory");
  }
  if (mkdir(w->dir, 0777) != 0 && errno != EEXIST) {
    int e = errno;
    po_sweep_store_close(w);
    return po_error(PO_ERR_IO, "cannot create directory %s.d: %s", out, strerror(e));
  }
  int rc = lock_writer(w, out);
  if (rc) {
    po_sweep_store_close(w);
    return rc;
  }
  DIR *d = opendir(w->dir);
  if (!d) {
    int e = errno;
    po_sweep_store_close(w);
    return po_error(PO_ERR_IO, "cannot read directory %s.d: %s", out, strerror(e));
  }
  size_t lt = strlen(tag);
  struct dirent *de;
  while ((de = readdir(d))) {
    const char *nm = de->d_name;
    size_t ln = strlen(nm);
    if (nm[0] == '.' && !strncmp(nm + 1, tag, lt) && nm[1 + lt] == '-' && ln > 4 &&
        !strcmp(nm + ln - 4, ".tmp")) {
      /* Left by a killed writer with our tag: never renamed, so incomplete. */
      char *p = str_printf("%s/%s", w->dir, nm);
      if (p) unlink(p);
      free(p);
    } else if (!strncmp(nm, tag, lt) && nm[lt] == '-') {
      long s = strtol(nm + lt + 1, NULL, 10);
      if (s >= w->seq) w->seq = s + 1;
    }
  }
  closedir(d);
  *wp = w;
  return PO_OK;
}

static int open_batch(po_sweep_store *w) {
  /* The temporary name ".<final name>.<pid>.<k>.tmp" starts with ".<tag>-"
   * and ends in ".tmp": what po_sweep_store_open removes as stale. */
  char *final_path = str_printf("%s/%s-%06ld.h5", w->dir, w->tag, w->seq);
  if (!final_path) return po_error(PO_ERR_NOMEM, "out of memory");
  int rc = po_atomic_begin(&w->out, final_path);
  free(final_path);
  if (rc) return rc;
  w->file = H5Fcreate(w->out.tmp_path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (w->file < 0) return po_error(PO_ERR_IO, "cannot create HDF5 file %s", w->out.tmp_path);
  w->runs = H5Gcreate2(w->file, "runs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (w->runs < 0) return po_error(PO_ERR_IO, "cannot create /runs in %s", w->out.tmp_path);
  w->opened_at = now_s();
  w->in_batch = 0;
  return PO_OK;
}

/* Closes the batch; its temporary file, if still there, is removed. */
static void drop_batch(po_sweep_store *w) {
  if (w->runs >= 0) H5Gclose(w->runs);
  if (w->file >= 0) po_h5_close_discard(w->file);
  w->runs = w->file = H5I_INVALID_HID;
  po_atomic_abort(&w->out);
}

int po_sweep_store_flush(po_sweep_store *w) {
  if (w->file < 0) return PO_OK;
  if (w->in_batch == 0) {
    drop_batch(w);
    return PO_OK;
  }
  H5Gclose(w->runs);
  w->runs = H5I_INVALID_HID;
  int rc = po_h5_close_written(w->file, w->out.tmp_path);
  w->file = H5I_INVALID_HID;
  if (!rc) rc = po_atomic_commit(&w->out);
  if (!rc) w->seq++;
  drop_batch(w);
  return rc;
}

int po_sweep_store_begin_run(po_sweep_store *w, uint64_t id, hid_t *group) {
  *group = H5I_INVALID_HID;
  int rc;
  if (w->file < 0 && (rc = open_batch(w))) {
    drop_batch(w);
    return rc;
  }
  char name[17];
  po_sweep_id_format(id, name);
  hid_t g = H5Gcreate2(w->runs, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0)
    return po_error(PO_ERR_IO, "cannot create group /runs/%s in %s", name, w->out.tmp_path);
  *group = g;
  return PO_OK;
}

int po_sweep_store_end_run(po_sweep_store *w, hid_t group) {
  H5Gclose(group);
  w->in_batch++;
  if (now_s() - w->opened_at >= w->flush_s) return po_sweep_store_flush(w);
  return PO_OK;
}

void po_sweep_store_abort_run(po_sweep_store *w, hid_t group, uint64_t id) {
  if (group >= 0) H5Gclose(group);
  char name[17];
  po_sweep_id_format(id, name);
  if (w->runs >= 0) H5Ldelete(w->runs, name, H5P_DEFAULT);
}

int po_sweep_store_close(po_sweep_store *w) {
  if (!w) return PO_OK;
  int rc = po_sweep_store_flush(w);
  drop_batch(w);
  if (w->lock_fd >= 0) close(w->lock_fd); /* releases the writer lock */
  free(w->dir);
  free(w->tag);
  free(w);
  return rc;
}

/* ---- scan ---- */

typedef struct scan_item {
  uint64_t id;
  size_t file;
} scan_item;

typedef struct scan_ctx {
  scan_item *it;
  size_t n, cap;
  size_t file;
  int rc;
} scan_ctx;

static herr_t scan_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)g;
  (void)info;
  scan_ctx *c = data;
  uint64_t id;
  if (po_sweep_id_parse(name, &id)) return 0; /* not a run group */
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 256;
    scan_item *ni = realloc(c->it, cap * sizeof *ni);
    if (!ni) {
      c->rc = po_error(PO_ERR_NOMEM, "out of memory");
      return -1;
    }
    c->it = ni;
    c->cap = cap;
  }
  c->it[c->n++] = (scan_item){id, c->file};
  return 0;
}

static int cmp_item(const void *a, const void *b) {
  const scan_item *x = a, *y = b;
  if (x->id != y->id) return x->id < y->id ? -1 : 1;
  return x->file < y->file ? -1 : x->file > y->file;
}
static int cmp_cstr(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

void po_sweep_scan_free(po_sweep_scan_result *r) {
  free(r->ids);
  for (size_t i = 0; i < r->n; i++) free(r->files[i]);
  free(r->files);
  memset(r, 0, sizeof *r);
}

int po_sweep_scan(const char *out, po_sweep_scan_result *r) {
  memset(r, 0, sizeof *r);
  h5_quiet();
  char *dir = po_sweep_part_dir(out);
  if (!dir) return po_error(PO_ERR_NOMEM, "out of memory");
  DIR *d = opendir(dir);
  if (!d) {
    free(dir);
    return PO_OK; /* nothing written yet */
  }
  char **names = NULL;
  size_t nn = 0, cap = 0;
  struct dirent *de;
  int rc = PO_OK;
  while ((de = readdir(d))) {
    size_t ln = strlen(de->d_name);
    if (de->d_name[0] == '.' || ln < 4 || strcmp(de->d_name + ln - 3, ".h5")) continue;
    if (nn == cap) {
      cap = cap ? 2 * cap : 64;
      char **nw = realloc(names, cap * sizeof *nw);
      if (!nw) {
        rc = po_error(PO_ERR_NOMEM, "out of memory");
        break;
      }
      names = nw;
    }
    if (!(names[nn] = str_printf("%s", de->d_name))) {
      rc = po_error(PO_ERR_NOMEM, "out of memory");
      break;
    }
    nn++;
  }
  closedir(d);
  if (nn) qsort(names, nn, sizeof *names, cmp_cstr);
  scan_ctx c = {0};
  for (size_t f = 0; !rc && f < nn; f++) {
    char *path = str_printf("%s/%s", dir, names[f]);
    /* A part file with a damaged string heap would crash or hang libhdf5:
     * treat it as unreadable (its runs are run again on --resume). */
    if (path && po_h5_check_heaps(path)) {
      fprintf(stderr, "physopt: warning: skipping unreadable part file %s (%s)\n", path,
              po_last_error());
      r->n_bad++;
      free(path);
      continue;
    }
    hid_t fid = path ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
    hid_t g = fid >= 0 ? H5Gopen2(fid, "runs", H5P_DEFAULT) : -1;
    if (g < 0) {
      fprintf(stderr, "physopt: warning: skipping unreadable part file %s\n", path);
      r->n_bad++;
    } else {
      size_t before = c.n;
      c.file = f;
      if (H5Literate(g, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, scan_cb, &c) < 0) {
        if (c.rc)
          rc = c.rc;
        else {
          fprintf(stderr, "physopt: warning: skipping unreadable part file %s\n", path);
          c.n = before;
          r->n_bad++;
        }
      }
    }
    if (g >= 0) H5Gclose(g);
    if (fid >= 0) H5Fclose(fid);
    free(path);
  }
  if (!rc && c.n) {
    qsort(c.it, c.n, sizeof *c.it, cmp_item);
    r->ids = malloc(c.n * sizeof *r->ids);
    r->files = calloc(c.n, sizeof *r->files);
    if (!r->ids || !r->files) rc = po_error(PO_ERR_NOMEM, "out of memory");
    const char *dbase = base_of(dir);
    for (size_t i = 0; !rc && i < c.n; i++) {
      if (r->n && r->ids[r->n - 1] == c.it[i].id) continue; /* duplicate: keep first file */
      r->ids[r->n] = c.it[i].id;
      if (!(r->files[r->n] = str_printf("%s/%s", dbase, names[c.it[i].file])))
        rc = po_error(PO_ERR_NOMEM, "out of memory");
      r->n++;
    }
  }
  r->n_files = nn;
  free(c.it);
  for (size_t f = 0; f < nn; f++) free(names[f]);
  free(names);
  free(dir);
  if (rc) po_sweep_scan_free(r);
  return rc;
}

size_t po_sweep_scan_find(const po_sweep_scan_result *r, uint64_t id) {
  size_t lo = 0, hi = r->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (r->ids[mid] == id) return mid;
    if (r->ids[mid] < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return (size_t)-1;
}

/* ---- master and merge ---- */

static int attr_str(hid_t loc, const char *name, const char *value) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  hid_t sp = H5Screate(H5S_SCALAR);
  if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
  hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t st = a >= 0 ? H5Awrite(a, t, &value) : -1;
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(t);
  return st < 0 ? po_error(PO_ERR_IO, "cannot write attribute %s", name) : PO_OK;
}

static int attr_i64(hid_t loc, const char *name, long long v) {
  hid_t sp = H5Screate(H5S_SCALAR);
  if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
  hid_t a = H5Acreate2(loc, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t st = a >= 0 ? H5Awrite(a, H5T_NATIVE_LLONG, &v) : -1;
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  return st < 0 ? po_error(PO_ERR_IO, "cannot write attribute %s", name) : PO_OK;
}

/* Closes f and renames its temporary file into place. */
static int commit_file(hid_t f, po_atomic_file *out) {
  int rc = po_h5_close_written(f, out->path);
  if (rc) {
    po_atomic_abort(out);
    return rc;
  }
  return po_atomic_commit(out);
}

int po_sweep_write_master(const char *out, const po_sweep_scan_result *r, long runs_total,
                          int (*root_cb)(hid_t root, void *ctx), void *ctx) {
  h5_quiet();
  po_atomic_file af;
  int rc0 = po_atomic_begin(&af, out);
  if (rc0) return rc0;
  const char *tmp = af.tmp_path;
  hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) {
    int rc = po_error(PO_ERR_IO, "cannot create %s", tmp);
    po_atomic_abort(&af);
    return rc;
  }
  int rc = PO_OK;
  if (root_cb) rc = root_cb(f, ctx);
  if (!rc) rc = attr_i64(f, "runs_total", runs_total);
  if (!rc) rc = attr_i64(f, "runs_present", (long long)r->n);
  if (!rc)
    rc = attr_str(f, "layout",
                  "sweep master: /runs/<run id> are external links into "
                  "the part files of <this file>.d/");
  hid_t g = rc ? -1 : H5Gcreate2(f, "runs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (!rc && g < 0) rc = po_error(PO_ERR_IO, "cannot create /runs in %s", tmp);
  for (size_t i = 0; !rc && i < r->n; i++) {
    char name[17], target[32];
    po_sweep_id_format(r->ids[i], name);
    snprintf(target, sizeof target, "/runs/%s", name);
    if (H5Lcreate_external(r->files[i], target, g, name, H5P_DEFAULT, H5P_DEFAULT) < 0)
      rc = po_error(PO_ERR_IO, "cannot create external link /runs/%s in %s", name, tmp);
  }
  if (g >= 0) H5Gclose(g);
  if (rc) {
    po_h5_close_discard(f);
    po_atomic_abort(&af);
  } else
    rc = commit_file(f, &af);
  return rc;
}

/* Copies every attribute of src onto dst (any type, VL strings included). */
static herr_t copy_attr_cb(hid_t src, const char *name, const H5A_info_t *info, void *data) {
  (void)info;
  hid_t dst = *(hid_t *)data;
  hid_t a = H5Aopen(src, name, H5P_DEFAULT);
  hid_t ft = H5Aget_type(a), sp = H5Aget_space(a);
  hid_t mt = H5Tget_native_type(ft, H5T_DIR_ASCEND);
  hssize_t np = H5Sget_simple_extent_npoints(sp);
  size_t sz = H5Tget_size(mt) * (size_t)(np > 0 ? np : 1);
  void *buf = calloc(1, sz);
  herr_t st = -1;
  if (buf && H5Aread(a, mt, buf) >= 0) {
    if (H5Aexists(dst, name) > 0) H5Adelete(dst, name);
    hid_t b = H5Acreate2(dst, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (b >= 0) {
      st = H5Awrite(b, mt, buf);
      H5Aclose(b);
    }
    if (H5Tdetect_class(mt, H5T_VLEN) > 0 || H5Tis_variable_str(mt) > 0)
      H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
  }
  free(buf);
  H5Tclose(mt);
  H5Tclose(ft);
  H5Sclose(sp);
  H5Aclose(a);
  return st < 0 ? -1 : 0;
}

typedef struct copy_ctx {
  hid_t dst_runs;
  size_t n;
  int rc;
} copy_ctx;

static herr_t copy_run_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)info;
  copy_ctx *c = data;
  uint64_t id;
  if (po_sweep_id_parse(name, &id)) return 0;
  if (H5Lexists(c->dst_runs, name, H5P_DEFAULT) > 0) return 0;
  if (H5Ocopy(g, name, c->dst_runs, name, H5P_DEFAULT, H5P_DEFAULT) < 0) {
    c->rc = po_error(PO_ERR_IO, "cannot copy run %s (missing part file?)", name);
    return -1;
  }
  c->n++;
  return 0;
}

int po_sweep_file_kind(const char *path) {
  if (access(path, F_OK) != 0) return -2;
  h5_quiet();
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return -1;
  char *layout = NULL;
  int kind = 0;
  if (H5Aexists(f, "layout") > 0 && !po_h5_get_string(f, "layout", &layout)) {
    if (!strncmp(layout, "sweep master", 12)) kind = 1;
    if (!strncmp(layout, "merged sweep", 12)) kind = 2;
  }
  free(layout);
  H5Fclose(f);
  return kind;
}

/* The master and every part file of OUT.d pass po_h5_check_heaps. */
static int check_heaps_all(const char *out) {
  if (access(out, F_OK) == 0) {
    int rc = po_h5_check_heaps(out);
    if (rc) return rc;
  }
  char *dir = str_printf("%s.d", out);
  DIR *d = dir ? opendir(dir) : NULL;
  int rc = PO_OK;
  struct dirent *e;
  while (d && !rc && (e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len < 4 || strcmp(e->d_name + len - 3, ".h5")) continue;
    char *path = str_printf("%s/%s", dir, e->d_name);
    rc = path ? po_h5_check_heaps(path) : po_error(PO_ERR_NOMEM, "out of memory");
    free(path);
  }
  if (d) closedir(d);
  free(dir);
  return rc;
}

int po_sweep_merge(const char *out, const char *dest, size_t *n_runs) {
  h5_quiet();
  if (n_runs) *n_runs = 0;
  int rc = PO_OK;
  /* Refuse anything but a sweep master or a merged sweep before writing:
   * merging a `physopt solve` result or a model into itself would replace
   * it with an empty file. */
  int heaps = check_heaps_all(out);
  if (heaps) {
    return po_error_wrap(heaps, "merge refused, nothing written");
  }
  int kind = po_sweep_file_kind(out);
  if (kind == -1 || kind == 0) {
    return kind == -1
               ? po_error(PO_ERR_PARSE, "%s: not an HDF5 file (expected a sweep results file)", out)
               : po_error(PO_ERR_PARSE,
                          "%s: not a sweep results file (no sweep 'layout' attribute; "
                          "physopt merge takes the OUT.h5 of physopt sweep); nothing "
                          "written",
                          out);
  }
  po_atomic_file af;
  if ((rc = po_atomic_begin(&af, dest))) return rc;
  const char *tmp = af.tmp_path;
  hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t runs = f >= 0 ? H5Gcreate2(f, "runs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
  if (runs < 0) rc = po_error(PO_ERR_IO, "cannot create %s", tmp);
  copy_ctx c = {runs, 0, PO_OK};
  /* Root attributes and runs of the master (links or merged groups). */
  hid_t src = rc ? -1 : H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (src >= 0) {
    H5Aiterate2(src, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, copy_attr_cb, &f);
    hid_t sg = H5Gopen2(src, "runs", H5P_DEFAULT);
    if (sg >= 0) {
      if (H5Literate(sg, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, copy_run_cb, &c) < 0 && c.rc)
        rc = c.rc;
      H5Gclose(sg);
    }
    H5Fclose(src);
  }
  /* Runs in part files that the master does not link yet (a sweep killed
   * before it rewrote the master). */
  po_sweep_scan_result r;
  if (!rc && !(rc = po_sweep_scan(out, &r))) {
    char *odir = dir_of(out);
    for (size_t i = 0; !rc && odir && i < r.n; i++) {
      char name[17];
      po_sweep_id_format(r.ids[i], name);
      if (H5Lexists(runs, name, H5P_DEFAULT) > 0) continue;
      char *path = str_printf("%s/%s", odir, r.files[i]);
      hid_t pf = path ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
      hid_t pg = pf >= 0 ? H5Gopen2(pf, "runs", H5P_DEFAULT) : -1;
      if (pg < 0 || H5Ocopy(pg, name, runs, name, H5P_DEFAULT, H5P_DEFAULT) < 0)
        rc = po_error(PO_ERR_IO, "cannot copy run %s from %s", name, path ? path : "?");
      else
        c.n++;
      if (pg >= 0) H5Gclose(pg);
      if (pf >= 0) H5Fclose(pf);
      free(path);
    }
    free(odir);
    po_sweep_scan_free(&r);
  }
  if (!rc && src < 0 && c.n == 0)
    rc = po_error(PO_ERR_IO, "%s: neither a results file nor a part directory %s.d", out, out);
  if (!rc) {
    H5Adelete(f, "layout");
    rc = attr_str(f, "layout", "merged sweep: /runs/<run id> groups");
    if (!rc) rc = attr_i64(f, "runs_present", (long long)c.n);
  }
  if (runs >= 0) H5Gclose(runs);
  if (rc) {
    if (f >= 0) po_h5_close_discard(f);
    po_atomic_abort(&af);
  } else
    rc = commit_file(f, &af);
  if (!rc && n_runs) *n_runs = c.n;
  return rc;
}
