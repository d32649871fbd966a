/* MLP model files in HDF5 (layout in include/physopt/learn.h and
 * docs/photonic.md).  Written under a temporary name and renamed (core/atomic_file.h). */
#include <hdf5.h>
#include "io/h5.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "physopt/error.h"
#include "physopt/learn.h"
#include "physopt/physopt.h"

static int attr_str(hid_t loc, const char *name, const char *value) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, strlen(value) + 1);
  H5Tset_strpad(t, H5T_STR_NULLTERM);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t e = a < 0 ? -1 : H5Awrite(a, t, value);
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(t);
  return e < 0 ? -1 : 0;
}

static int attr_ints(hid_t loc, const char *name, const int *v, int n) {
  hsize_t dim = (hsize_t)n;
  hid_t sp = H5Screate_simple(1, &dim, NULL);
  hid_t a = H5Acreate2(loc, name, H5T_NATIVE_INT, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t e = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_INT, v);
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  return e < 0 ? -1 : 0;
}

static int write_floats(hid_t loc, const char *name, const float *x, int rank,
                        const hsize_t *dims) {
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t d = H5Dcreate2(loc, name, H5T_NATIVE_FLOAT, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t e = d < 0 ? -1 : H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x);
  if (d >= 0) H5Dclose(d);
  H5Sclose(sp);
  return e < 0 ? -1 : 0;
}

/* The model into group (or file root) loc: format, sizes and quantisation
 * attributes and one group layer<l> with W and b per layer. */
static int write_model(hid_t loc, const po_mlp *m) {
  int bad = 0;
  bad |= attr_str(loc, "format", "physopt-mlp-1");
  bad |= attr_ints(loc, "sizes", m->sizes, m->n_layers + 1);
  bad |= attr_ints(loc, "quant_w_bits", &m->quant_w_bits, 1);
  bad |= attr_ints(loc, "quant_act_bits", &m->quant_act_bits, 1);
  for (int l = 0; l < m->n_layers && !bad; l++) {
    char name[32];
    snprintf(name, sizeof name, "layer%d", l);
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return -1;
    hsize_t dw[2] = {(hsize_t)m->sizes[l + 1], (hsize_t)m->sizes[l]}, dbias = dw[0];
    bad |= write_floats(g, "W", m->W[l], 2, dw);
    bad |= write_floats(g, "b", m->b[l], 1, &dbias);
    H5Gclose(g);
  }
  return bad ? -1 : 0;
}

int po_mlp_write_group(hid_t loc, const po_mlp *m) {
  return write_model(loc, m) ? po_error(PO_ERR_IO, "HDF5: cannot write the model") : PO_OK;
}

static int write_attr(hid_t f, const po_mlp_attr *a) {
  switch (a->type) {
  case PO_MLP_ATTR_F64:
    return po_h5_attr_double(f, a->key, a->f64) ? -1 : 0;
  case PO_MLP_ATTR_U64:
    return po_h5_attr_uint64(f, a->key, a->u64) ? -1 : 0;
  default:
    return attr_str(f, a->key, a->text ? a->text : "");
  }
}

int po_mlp_save_attrs(const po_mlp *m, const char *path, const po_mlp_attr *attrs, int n_attrs) {
  po_h5_file out;
  if (po_h5_file_begin(path, &out))
    return po_error_wrap(PO_ERR_IO, "%s: cannot create HDF5 file", path);
  hid_t f = out.id;
  int bad = write_model(f, m);
  bad |= attr_str(f, "version", po_version());
  bad |= attr_str(f, "git_revision", po_git_revision());
  for (int i = 0; i < n_attrs; i++) bad |= write_attr(f, &attrs[i]);
  if (bad) {
    po_h5_file_abort(&out);
    return po_error(PO_ERR_IO, "%s: cannot write model file", path);
  }
  if (po_h5_file_commit(&out)) return po_error_wrap(PO_ERR_IO, "%s: cannot write model file", path);
  return PO_OK;
}

int po_mlp_save(const po_mlp *m, const char *path, int n_attrs, const char *const *keys,
                const char *const *values) {
  po_mlp_attr *a = calloc(n_attrs > 0 ? (size_t)n_attrs : 1, sizeof *a);
  if (!a) return po_error(PO_ERR_NOMEM, "out of memory");
  for (int i = 0; i < n_attrs; i++) a[i] = (po_mlp_attr){.key = keys[i], .text = values[i]};
  int rc = po_mlp_save_attrs(m, path, a, n_attrs);
  free(a);
  return rc;
}

static int read_ints(hid_t f, const char *name, int *v, int max, int *n) {
  if (H5Aexists(f, name) <= 0) return -1;
  hid_t a = H5Aopen(f, name, H5P_DEFAULT);
  hid_t sp = H5Aget_space(a);
  hid_t ty = H5Aget_type(a);
  hssize_t cnt = H5Sget_simple_extent_npoints(sp);
  int rc = -1;
  /* Integers only: a float attribute would be truncated silently. */
  if (H5Tget_class(ty) == H5T_INTEGER && cnt >= 1 && cnt <= max &&
      H5Aread(a, H5T_NATIVE_INT, v) >= 0) {
    *n = (int)cnt;
    rc = 0;
  }
  H5Tclose(ty);
  H5Sclose(sp);
  H5Aclose(a);
  return rc;
}

/* Checks that dataset `name` of g is a numeric array of exactly the rank and
 * dimensions dims[0..rank-1]; with x != NULL reads it and checks that every
 * value is finite.  Returns 0, -1 (missing or wrong shape/type), -2 (non-finite). */
static int read_floats(hid_t g, const char *name, float *x, int rank, const hsize_t *dims) {
  if (H5Lexists(g, name, H5P_DEFAULT) <= 0) return -1;
  hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
  if (d < 0) return -1;
  hid_t sp = H5Dget_space(d), ty = H5Dget_type(d);
  hsize_t got[2] = {0, 0};
  int ok = (H5Tget_class(ty) == H5T_FLOAT || H5Tget_class(ty) == H5T_INTEGER) &&
           H5Sget_simple_extent_ndims(sp) == rank;
  if (ok) H5Sget_simple_extent_dims(sp, got, NULL);
  for (int k = 0; ok && k < rank; k++) ok = got[k] == dims[k];
  int rc = ok ? 0 : -1;
  if (ok && x) {
    if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) < 0) rc = -1;
    size_t n = rank == 2 ? (size_t)(dims[0] * dims[1]) : (size_t)dims[0];
    for (size_t i = 0; !rc && i < n; i++)
      if (!isfinite(x[i])) rc = -2;
  }
  H5Tclose(ty);
  H5Sclose(sp);
  H5Dclose(d);
  return rc;
}

/* The 'format' attribute names the layout; without it a file that merely
 * has 'sizes' and layer groups was taken for a model. */
static int check_format(hid_t f, const char *path) {
  if (H5Aexists(f, "format") <= 0)
    return po_error(PO_ERR_PARSE,
                    "%s: not a physopt MLP model (no 'format' attribute; expected "
                    "physopt-mlp-1)",
                    path);
  char *fmt = NULL;
  int rc = po_h5_get_string(f, "format", &fmt);
  if (!rc && strcmp(fmt, "physopt-mlp-1"))
    rc = po_error(PO_ERR_PARSE,
                  "%s: model format '%.60s' is not physopt-mlp-1 (written by another version?)",
                  path, fmt);
  else if (rc)
    rc = po_error_wrap(PO_ERR_PARSE, "%s: attribute 'format'", path);
  free(fmt);
  return rc;
}

/* Reads the model stored in group (or file root) f; `path` names it in
 * errors.  Closes nothing. */
static int read_model(hid_t f, const char *path, po_mlp **out) {
  int sizes[PO_MLP_MAX_LAYERS + 1], ns = 0, qw = 0, qa = 0, one;
  int rc = check_format(f, path);
  if (rc) return rc;
  if (read_ints(f, "sizes", sizes, PO_MLP_MAX_LAYERS + 1, &ns) || ns < 2) {
    return po_error(PO_ERR_PARSE, "%s: not a physopt MLP model (no 'sizes' attribute)", path);
  }
  read_ints(f, "quant_w_bits", &qw, 1, &one);
  read_ints(f, "quant_act_bits", &qa, 1, &one);
  /* The file is untrusted: check every number before allocating or using it
   * (same limits as po_mlp_parse_sizes and physopt train). */
  for (int l = 0; l < ns; l++)
    if (sizes[l] < 1 || sizes[l] > 1000000) {
      return po_error(PO_ERR_PARSE,
                      "%s: attribute 'sizes': layer %d has size %d (accepted: 1..1000000)", path, l,
                      sizes[l]);
    }
  if (qw < 0 || qw > 16 || qw == 1 || qa < 0 || qa > 16) {
    return po_error(PO_ERR_PARSE,
                    "%s: quant_w_bits = %d, quant_act_bits = %d (accepted: 0 = off, else 2..16 "
                    "and 1..16)",
                    path, qw, qa);
  }
  for (int l = 0; l + 1 < ns; l++) {
    char name[32];
    snprintf(name, sizeof name, "layer%d", l);
    hsize_t dw[2] = {(hsize_t)sizes[l + 1], (hsize_t)sizes[l]};
    hid_t g = H5Lexists(f, name, H5P_DEFAULT) > 0 ? H5Gopen2(f, name, H5P_DEFAULT) : -1;
    int bad = g < 0 || read_floats(g, "W", NULL, 2, dw) || read_floats(g, "b", NULL, 1, dw);
    if (g >= 0) H5Gclose(g);
    if (bad) {
      return po_error(PO_ERR_PARSE,
                      "%s: group %s is missing or its W is not %d x %d or its b not %d floats",
                      path, name, sizes[l + 1], sizes[l], sizes[l + 1]);
    }
  }
  po_mlp *m;
  if ((rc = po_mlp_create(ns - 1, sizes, 0, &m))) {
    return po_error_wrap(rc, "%s", path);
  }
  m->quant_w_bits = qw;
  m->quant_act_bits = qa;
  for (int l = 0; l < m->n_layers && !rc; l++) {
    char name[32];
    snprintf(name, sizeof name, "layer%d", l);
    hsize_t dw[2] = {(hsize_t)m->sizes[l + 1], (hsize_t)m->sizes[l]};
    hid_t g = H5Lexists(f, name, H5P_DEFAULT) > 0 ? H5Gopen2(f, name, H5P_DEFAULT) : -1;
    int e = g < 0 ? -1 : read_floats(g, "W", m->W[l], 2, dw);
    if (!e) e = read_floats(g, "b", m->b[l], 1, dw);
    if (e == -2)
      rc = po_error(PO_ERR_PARSE, "%s: group %s holds non-finite weights (NaN or Inf)", path, name);
    else if (e)
      rc = po_error(PO_ERR_PARSE, "%s: group %s is missing or has wrong shapes", path, name);
    if (g >= 0) H5Gclose(g);
  }
  if (rc) {
    po_mlp_destroy(m);
    return rc;
  }
  *out = m;
  return PO_OK;
}

/* "FILE.h5:/group/path" -> file and group; a plain path -> group "/". */
static void split_model_path(const char *spec, char *file, size_t n, const char **group) {
  const char *colon = strstr(spec, ":/");
  if (colon && access(spec, F_OK) != 0) {
    snprintf(file, n, "%.*s", (int)(colon - spec), spec);
    *group = colon + 1;
  } else {
    snprintf(file, n, "%s", spec);
    *group = "/";
  }
}

int po_mlp_load(const char *spec, po_mlp **out) {
  *out = NULL;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  char path[4096];
  const char *group;
  split_model_path(spec, path, sizeof path, &group);
  if (access(path, R_OK) != 0) return po_error(PO_ERR_IO, "%s: cannot open model file", path);
  int rc = po_h5_check_heaps(path);
  if (rc) return rc;
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return po_error(PO_ERR_PARSE, "%s: not an HDF5 file", path);
  hid_t g = H5Oexists_by_name(f, group, H5P_DEFAULT) > 0 ? H5Gopen2(f, group, H5P_DEFAULT) : -1;
  if (g < 0) {
    H5Fclose(f);
    return po_error(PO_ERR_NOT_FOUND, "%s: no group %s", path, group);
  }
  /* A group reached through an external link (a sweep's part file): check
   * that file's heaps too before reading its attributes. */
  hid_t gf = H5Iget_file_id(g);
  char real[4096] = "";
  if (gf >= 0) {
    if (H5Fget_name(gf, real, sizeof real) < 0) real[0] = '\0';
    H5Fclose(gf);
  }
  if (real[0] && strcmp(real, path) && (rc = po_h5_check_heaps(real))) {
    H5Gclose(g);
    H5Fclose(f);
    return rc;
  }
  rc = read_model(g, spec, out);
  H5Gclose(g);
  H5Fclose(f);
  return rc;
}
