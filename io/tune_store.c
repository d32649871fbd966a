/* Trial record of physopt tune (io/tune_store.h). */
#include "io/tune_store.h"
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io/h5.h"

static int write_array(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, int rank,
                       const hsize_t *dims, const void *data) {
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t ds =
      sp < 0 ? -1 : H5Dcreate2(loc, name, file_type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t e = ds < 0 ? -1 : H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  if (ds >= 0) H5Dclose(ds);
  if (sp >= 0) H5Sclose(sp);
  return e < 0 ? po_error(PO_ERR_IO, "HDF5: cannot write dataset %s", name) : PO_OK;
}

static int write_strings(hid_t loc, const char *name, const char *const *v, size_t n) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0) return po_error(PO_ERR_IO, "HDF5: cannot create a string type");
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  hsize_t dim = n;
  int rc = write_array(loc, name, t, t, 1, &dim, v);
  H5Tclose(t);
  return rc;
}

static int write_int_column(hid_t g, const char *name, const po_tune_result *r, int which) {
  int64_t *v = malloc((r->n ? r->n : 1) * sizeof *v);
  if (!v) return po_error(PO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < r->n; i++)
    v[i] = which == 0 ? r->trials[i].bracket : which == 1 ? r->trials[i].rung : r->trials[i].config;
  hsize_t dim = r->n;
  int rc = write_array(g, name, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &dim, v);
  free(v);
  return rc;
}

static int write_double_column(hid_t g, const char *name, const po_tune_result *r, int which) {
  double *v = malloc((r->n ? r->n : 1) * sizeof *v);
  if (!v) return po_error(PO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < r->n; i++)
    v[i] = which == 0   ? r->trials[i].fidelity
           : which == 1 ? r->trials[i].objective
                        : r->trials[i].tiebreak;
  int rc = po_h5_write_doubles(g, name, v, r->n);
  free(v);
  return rc;
}

/* One parameter: its values, its range as attributes, its configured text. */
static int write_param(hid_t num, hid_t text, const po_tune_space *s, size_t d,
                       const po_tune_result *r) {
  const po_tune_dim *dim = &s->dims[d];
  size_t n = r->n ? r->n : 1;
  double *v = malloc(n * sizeof *v);
  char **t = calloc(n, sizeof *t);
  int rc = v && t ? PO_OK : po_error(PO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; !rc && i < r->n; i++) {
    char buf[512];
    v[i] = r->trials[i].x[d];
    po_tune_format(s, d, r->trials[i].x, buf, sizeof buf);
    if (!(t[i] = strdup(buf))) rc = po_error(PO_ERR_NOMEM, "out of memory");
  }
  if (!rc) rc = po_h5_write_doubles(num, dim->key, v, r->n);
  if (!rc) rc = write_strings(text, dim->key, (const char *const *)t, r->n);
  hid_t ds = rc ? -1 : H5Dopen2(num, dim->key, H5P_DEFAULT);
  if (!rc && ds < 0) rc = po_error(PO_ERR_IO, "HDF5: cannot reopen %s", dim->key);
  if (!rc) rc = po_h5_attr_string(ds, "kind", po_tune_kind_name(dim->kind));
  if (!rc) rc = po_h5_attr_double(ds, "lo", dim->lo);
  if (!rc) rc = po_h5_attr_double(ds, "hi", dim->hi);
  if (!rc && dim->kind == PO_TUNE_CHOICE) {
    size_t len = 1;
    for (size_t k = 0; k < dim->n_choices; k++) len += strlen(dim->choices[k]) + 1;
    char *c = calloc(1, len);
    if (!c) rc = po_error(PO_ERR_NOMEM, "out of memory");
    for (size_t k = 0; !rc && k < dim->n_choices; k++) {
      if (k) strcat(c, ",");
      strcat(c, dim->choices[k]);
    }
    if (!rc) rc = po_h5_attr_string(ds, "choices", c);
    free(c);
  }
  if (ds >= 0) H5Dclose(ds);
  for (size_t i = 0; t && i < r->n; i++) free(t[i]);
  free(t);
  free(v);
  return rc;
}

static int write_root(hid_t root, const po_tune_record *r, const po_h5_provenance *prov) {
  const po_tune_result *res = r->result;
  int rc = po_h5_write_provenance(root, prov);
  if (!rc) rc = po_h5_attr_string(root, "layout", "tune record");
  if (!rc) rc = po_h5_attr_string(root, "objective", r->objective);
  if (!rc) rc = po_h5_attr_int64(root, "eta", r->options->eta);
  if (!rc) rc = po_h5_attr_string(root, "fidelity", r->fidelity);
  if (!rc) rc = po_h5_attr_double(root, "min_fidelity", r->options->min_fidelity);
  if (!rc) rc = po_h5_attr_double(root, "max_fidelity", r->options->max_fidelity);
  if (!rc) rc = po_h5_attr_int64(root, "brackets", po_tune_n_brackets(r->options));
  if (!rc) rc = po_h5_attr_int64(root, "trials", (int64_t)res->n);
  if (!rc) rc = po_h5_attr_int64(root, "best_trial", res->best);
  if (!rc)
    rc = po_h5_attr_double(root, "best_objective",
                           res->best >= 0 ? res->trials[res->best].objective : NAN);
  if (!rc && r->best_config) rc = po_h5_attr_string(root, "best_config", r->best_config);
  if (!rc) rc = write_strings(root, "instances", (const char *const *)r->instances, r->n_instances);
  return rc;
}

static int write_trials(hid_t root, const po_tune_record *r) {
  const po_tune_result *res = r->result;
  hid_t g = -1, num = -1, text = -1;
  int rc = po_h5_group_create(root, "trials", &g);
  if (!rc) rc = write_int_column(g, "bracket", res, 0);
  if (!rc) rc = write_int_column(g, "rung", res, 1);
  if (!rc) rc = write_int_column(g, "config", res, 2);
  if (!rc) rc = write_double_column(g, r->fidelity, res, 0); /* "steps" or "replicas" */
  if (!rc) rc = write_double_column(g, "objective", res, 1);
  if (!rc) rc = write_double_column(g, "tiebreak", res, 2);
  hsize_t dims[2] = {res->n, r->n_instances};
  if (!rc)
    rc =
        write_array(g, "per_instance", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, r->per_instance);
  if (!rc) rc = write_array(g, "run_id", H5T_STD_U64LE, H5T_NATIVE_UINT64, 2, dims, r->run_ids);
  if (!rc) rc = po_h5_group_create(g, "param", &num);
  if (!rc) rc = po_h5_group_create(g, "param_text", &text);
  for (size_t d = 0; !rc && d < r->space->n; d++) rc = write_param(num, text, r->space, d, res);
  po_h5_group_close(text);
  po_h5_group_close(num);
  po_h5_group_close(g);
  return rc;
}

int po_tune_store_write(const char *path, const po_tune_record *r, const po_h5_provenance *prov) {
  po_h5_file f;
  int rc = po_h5_file_begin(path, &f);
  if (rc) return rc;
  rc = write_root(f.id, r, prov);
  if (!rc) rc = write_trials(f.id, r);
  if (rc) {
    po_h5_file_abort(&f);
    return rc;
  }
  return po_h5_file_commit(&f);
}

int po_tune_store_is_record(const char *path) {
  po_h5_quiet();
  if (po_h5_check_heaps(path)) return 0; /* before reading its string attribute */
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return 0;
  char *layout = NULL;
  int yes = H5Aexists(f, "layout") > 0 && !po_h5_get_string(f, "layout", &layout) &&
            !strcmp(layout, "tune record");
  free(layout);
  H5Fclose(f);
  return yes;
}

#define DIVERGED_ATTR "tune_diverged"

int po_tune_store_mark_diverged(hid_t group, const char *message) {
  return po_h5_attr_string(group, DIVERGED_ATTR, message && *message ? message : "diverged");
}

int po_tune_store_diverged(const char *path, const char *group, char *message, size_t size) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return po_error(PO_ERR_IO, "cannot open %s", path);
  hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
  int result = -1;
  if (g < 0) {
    po_error(PO_ERR_IO, "%s: no group %s", path, group);
  } else {
    htri_t has = H5Aexists(g, DIVERGED_ATTR);
    char *text = NULL;
    if (has < 0)
      po_error(PO_ERR_IO, "%s: cannot read the attributes of %s", path, group);
    else if (!has)
      result = 0;
    else if (po_h5_get_string(g, DIVERGED_ATTR, &text) == PO_OK) {
      snprintf(message, size, "%s", text);
      result = 1;
    }
    free(text);
    H5Gclose(g);
  }
  H5Fclose(f);
  return result;
}
