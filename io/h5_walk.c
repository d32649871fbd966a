/* Small HDF5 helpers for the CLI's own files and the walk over the runs of
 * a results file (io/h5.h).  Moved here from cli/cmd_eval.c,
 * cli/cmd_recall.c, cli/cmd_report.c and cli/sweep_exec.c so that every
 * HDF5 call lives in io/ (docs/design-notes.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io/h5.h"
#include "physopt/sweep.h"

int po_h5_group_create(hid_t loc, const char *name, hid_t *out) {
  *out = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  return *out < 0 ? po_error(PO_ERR_IO, "HDF5: cannot create group %s", name) : PO_OK;
}

void po_h5_group_close(hid_t g) {
  if (g >= 0) H5Gclose(g);
}

int po_h5_write_doubles(hid_t loc, const char *name, const double *v, size_t n) {
  hsize_t dim = (hsize_t)n;
  hid_t sp = H5Screate_simple(1, &dim, NULL);
  hid_t ds = H5Dcreate2(loc, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t e = ds < 0 ? -1 : H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  if (ds >= 0) H5Dclose(ds);
  H5Sclose(sp);
  return e < 0 ? po_error(PO_ERR_IO, "HDF5: cannot write dataset %s", name) : PO_OK;
}

/* ---- string attributes by prefix ----------------------------------------- */

typedef struct attr_walk {
  const char *prefix;
  int (*visit)(const char *name, char *value, void *ctx);
  void *ctx;
  int rc;
} attr_walk;

static herr_t attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
  (void)info;
  attr_walk *w = data;
  if (strncmp(name, w->prefix, strlen(w->prefix))) return 0;
  char *v;
  if (po_h5_get_string(loc, name, &v)) return 0;
  w->rc = w->visit(name, v, w->ctx);
  return w->rc ? -1 : 0;
}

int po_h5_each_string_attr(hid_t loc, const char *prefix,
                           int (*visit)(const char *name, char *value, void *ctx), void *ctx) {
  attr_walk w = {prefix, visit, ctx, 0};
  H5Aiterate2(loc, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, attr_cb, &w);
  return w.rc;
}

/* ---- the runs of a results file ------------------------------------------ */

typedef struct run_walk {
  int (*visit)(hid_t group, const char *name, void *ctx);
  void *ctx;
  int rc;
  const char *master;
  char **checked; /* part files that passed po_h5_check_heaps */
  size_t n_checked;
} run_walk;

/* A run reached through an external link: its part file's heaps are
 * checked once before libhdf5 reads its strings (po_h5_check_heaps).
 * Link targets are relative to the master's directory. */
static int check_link_target(hid_t g, const char *name, run_walk *fs) {
  H5L_info_t li;
  if (H5Lget_info(g, name, &li, H5P_DEFAULT) < 0 || li.type != H5L_TYPE_EXTERNAL) return PO_OK;
  char val[2048];
  const char *file, *obj;
  unsigned flags;
  if (li.u.val_size > sizeof val || H5Lget_val(g, name, val, sizeof val, H5P_DEFAULT) < 0 ||
      H5Lunpack_elink_val(val, li.u.val_size, &flags, &file, &obj) < 0)
    return po_error(PO_ERR_PARSE, "%s: run %s: unreadable external link", fs->master, name);
  char path[4096];
  const char *slash = strrchr(fs->master, '/');
  if (file[0] == '/' || !slash)
    snprintf(path, sizeof path, "%s", file);
  else
    snprintf(path, sizeof path, "%.*s/%s", (int)(slash - fs->master), fs->master, file);
  for (size_t i = 0; i < fs->n_checked; i++)
    if (!strcmp(fs->checked[i], path)) return PO_OK;
  int rc = po_h5_check_heaps(path);
  if (rc) return rc;
  char **nc = realloc(fs->checked, (fs->n_checked + 1) * sizeof *nc);
  if (!nc || !(nc[fs->n_checked] = strdup(path))) {
    if (nc) fs->checked = nc;
    return po_error(PO_ERR_NOMEM, "out of memory");
  }
  fs->checked = nc;
  fs->n_checked++;
  return PO_OK;
}

static herr_t run_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)info;
  run_walk *s = data;
  uint64_t id;
  if (po_sweep_id_parse(name, &id)) return 0;
  if ((s->rc = check_link_target(g, name, s))) return -1;
  hid_t rg = H5Gopen2(g, name, H5P_DEFAULT);
  if (rg < 0) {
    s->rc = po_error(PO_ERR_IO, "cannot open run %s (missing part file?)", name);
    return -1;
  }
  s->rc = s->visit(rg, name, s->ctx);
  H5Gclose(rg);
  return s->rc ? -1 : 0;
}

int po_h5_visit_runs(const char *path, int (*visit)(hid_t group, const char *name, void *ctx),
                     void *ctx, char **sweep_keys) {
  po_h5_quiet();
  if (sweep_keys) *sweep_keys = NULL;
  int rc = po_h5_check_heaps(path);
  if (rc) return rc;
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return po_error(PO_ERR_IO, "cannot open %s as HDF5", path);
  run_walk fs = {visit, ctx, 0, path, NULL, 0};
  hid_t rg = H5Gopen2(f, "runs", H5P_DEFAULT);
  if (rg >= 0) {
    if (H5Literate(rg, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, run_cb, &fs) < 0 && fs.rc) rc = fs.rc;
    H5Gclose(rg);
  } else if (H5Aexists(f, "backend") <= 0 || H5Lexists(f, "samples", H5P_DEFAULT) <= 0) {
    rc = po_error(PO_ERR_PARSE,
                  "%s: not a physopt results file (neither a sweep's /runs nor a physopt solve "
                  "--out run at the root)",
                  path);
  } else {
    rc = visit(f, "single", ctx); /* a `physopt solve --out` file */
  }
  if (sweep_keys && H5Aexists(f, "sweep_keys") > 0) po_h5_get_string(f, "sweep_keys", sweep_keys);
  H5Fclose(f);
  for (size_t i = 0; i < fs.n_checked; i++) free(fs.checked[i]);
  free(fs.checked);
  return rc;
}
