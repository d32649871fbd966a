/* HDF5 results files: layout in io/h5.h and docs/hdf5-layout.md. */
#include "io/h5.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void po_h5_quiet(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* "/metrics in out.h5.tmp.abc123" for error messages. */
static const char *where(hid_t loc, char *buf, size_t size) {
  char obj[256] = "?", file[512] = "?";
  if (H5Iget_name(loc, obj, sizeof obj) < 0) snprintf(obj, sizeof obj, "?");
  if (H5Fget_name(loc, file, sizeof file) < 0) snprintf(file, sizeof file, "?");
  snprintf(buf, size, "%s in %s", obj, file);
  return buf;
}

static int h5err(hid_t loc, const char *what, const char *name) {
  char w[800];
  return po_error(PO_ERR_IO, "HDF5: cannot %s '%s' (%s)", what, name, where(loc, w, sizeof w));
}

/* ---- attributes ---------------------------------------------------------- */

static int attr_write(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *buf) {
  int rc = PO_OK;
  if (H5Aexists(loc, name) > 0 && H5Adelete(loc, name) < 0)
    return h5err(loc, "replace attribute", name);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = sp < 0 ? -1 : H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
  if (a < 0 || H5Awrite(a, mtype, buf) < 0) rc = h5err(loc, "write attribute", name);
  if (a >= 0) H5Aclose(a);
  if (sp >= 0) H5Sclose(sp);
  return rc;
}

static hid_t vlen_string_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0) return t;
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

int po_h5_attr_string(hid_t loc, const char *name, const char *value) {
  hid_t t = vlen_string_type();
  if (t < 0) return h5err(loc, "create string type for", name);
  const char *v = value ? value : "";
  int rc = attr_write(loc, name, t, t, &v);
  H5Tclose(t);
  return rc;
}

int po_h5_attr_double(hid_t loc, const char *name, double value) {
  return attr_write(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

int po_h5_attr_int64(hid_t loc, const char *name, int64_t value) {
  return attr_write(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

int po_h5_attr_uint64(hid_t loc, const char *name, uint64_t value) {
  return attr_write(loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
}

static hid_t attr_open(hid_t loc, const char *name) {
  if (H5Aexists(loc, name) <= 0) {
    char w[800];
    po_error(PO_ERR_NOT_FOUND, "HDF5: attribute '%s' missing (%s)", name, where(loc, w, sizeof w));
    return -1;
  }
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  if (a < 0) h5err(loc, "open attribute", name);
  return a;
}

int po_h5_get_string(hid_t loc, const char *name, char **out) {
  *out = NULL;
  hid_t a = attr_open(loc, name);
  if (a < 0) return PO_ERR_NOT_FOUND;
  int rc = PO_OK;
  hid_t ft = H5Aget_type(a);
  if (ft < 0 || H5Tget_class(ft) != H5T_STRING) {
    rc = h5err(loc, "read (not a string) attribute", name);
  } else if (H5Tis_variable_str(ft) > 0) {
    hid_t mt = vlen_string_type();
    char *s = NULL;
    if (H5Aread(a, mt, &s) < 0) {
      rc = h5err(loc, "read attribute", name);
    } else {
      *out = strdup(s ? s : "");
      if (s) H5free_memory(s);
      if (!*out) rc = po_error(PO_ERR_NOMEM, "out of memory reading attribute '%s'", name);
    }
    H5Tclose(mt);
  } else {
    size_t size = H5Tget_size(ft);
    char *s = calloc(size + 1, 1);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, size + 1);
    if (!s) {
      rc = po_error(PO_ERR_NOMEM, "out of memory reading attribute '%s'", name);
    } else if (H5Aread(a, mt, s) < 0) {
      free(s);
      rc = h5err(loc, "read attribute", name);
    } else {
      *out = s;
    }
    H5Tclose(mt);
  }
  if (ft >= 0) H5Tclose(ft);
  H5Aclose(a);
  return rc;
}

static int attr_read(hid_t loc, const char *name, hid_t mtype, void *buf) {
  hid_t a = attr_open(loc, name);
  if (a < 0) return PO_ERR_NOT_FOUND;
  int rc = H5Aread(a, mtype, buf) < 0 ? h5err(loc, "read attribute", name) : PO_OK;
  H5Aclose(a);
  return rc;
}

int po_h5_get_double(hid_t loc, const char *name, double *out) {
  return attr_read(loc, name, H5T_NATIVE_DOUBLE, out);
}
int po_h5_get_int64(hid_t loc, const char *name, int64_t *out) {
  return attr_read(loc, name, H5T_NATIVE_INT64, out);
}
int po_h5_get_uint64(hid_t loc, const char *name, uint64_t *out) {
  return attr_read(loc, name, H5T_NATIVE_UINT64, out);
}

/* ---- provenance ---------------------------------------------------------- */

int po_h5_write_provenance(hid_t loc, const po_h5_provenance *prov) {
  po_h5_quiet();
  char date[32];
  time_t now = time(NULL);
  struct tm tm;
  if (!gmtime_r(&now, &tm) || !strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(date, sizeof date, "unknown");
  int rc;
  if ((rc = po_h5_attr_string(loc, "program", "physopt")) ||
      (rc = po_h5_attr_string(loc, "version", po_version())) ||
      (rc = po_h5_attr_string(loc, "git_revision", po_git_revision())) ||
      (rc = po_h5_attr_string(loc, "command_line", prov ? prov->command_line : "")) ||
      (rc = po_h5_attr_string(loc, "config", prov ? prov->config : "")) ||
      (rc = po_h5_attr_uint64(loc, "seed", prov ? prov->seed : 0)) ||
      (rc = po_h5_attr_string(loc, "date", date)))
    return rc;
  return PO_OK;
}

int po_h5_read_provenance(hid_t loc, po_h5_provenance *out) {
  po_h5_quiet();
  memset(out, 0, sizeof *out);
  int rc;
  if ((rc = po_h5_get_string(loc, "program", &out->program)) ||
      (rc = po_h5_get_string(loc, "version", &out->version)) ||
      (rc = po_h5_get_string(loc, "git_revision", &out->git_revision)) ||
      (rc = po_h5_get_string(loc, "command_line", &out->command_line)) ||
      (rc = po_h5_get_string(loc, "config", &out->config)) ||
      (rc = po_h5_get_uint64(loc, "seed", &out->seed)) ||
      (rc = po_h5_get_string(loc, "date", &out->date))) {
    po_h5_provenance_free(out);
    return rc;
  }
  return PO_OK;
}

void po_h5_provenance_free(po_h5_provenance *prov) {
  if (!prov) return;
  free(prov->command_line);
  free(prov->config);
  free(prov->program);
  free(prov->version);
  free(prov->git_revision);
  free(prov->date);
  memset(prov, 0, sizeof *prov);
}

/* ---- runs ---------------------------------------------------------------- */

void po_h5_problem_from_ising(po_h5_problem *p, const po_ising *m) {
  memset(p, 0, sizeof *p);
  p->n = m->n;
  p->n_edges = m->n_edges;
  p->weight_sum = m->weight_sum;
  p->has_ground = m->has_ground;
  p->ground_energy = m->has_ground ? m->ground_energy : NAN;
  snprintf(p->source, sizeof p->source, "%s", m->source);
  p->content_hash = m->content_hash;
}

static hid_t group_create(hid_t loc, const char *name) {
  hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) h5err(loc, "create group (does it exist already?)", name);
  return g;
}

static hid_t group_open(hid_t loc, const char *name) {
  if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) {
    char w[800];
    po_error(PO_ERR_NOT_FOUND, "HDF5: group '%s' missing (%s)", name, where(loc, w, sizeof w));
    return -1;
  }
  hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
  if (g < 0) h5err(loc, "open group", name);
  return g;
}

/* Compound type matching po_ledger_entry (memory layout). */
static hid_t ledger_type(void) {
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(po_ledger_entry));
  hid_t c = H5Tcopy(H5T_C_S1), u = H5Tcopy(H5T_C_S1);
  H5Tset_size(c, sizeof(((po_ledger_entry *)0)->category));
  H5Tset_size(u, sizeof(((po_ledger_entry *)0)->unit));
  H5Tset_strpad(c, H5T_STR_NULLTERM);
  H5Tset_strpad(u, H5T_STR_NULLTERM);
  H5Tinsert(t, "category", offsetof(po_ledger_entry, category), c);
  H5Tinsert(t, "unit", offsetof(po_ledger_entry, unit), u);
  H5Tinsert(t, "count", offsetof(po_ledger_entry, count), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "joules", offsetof(po_ledger_entry, joules), H5T_NATIVE_DOUBLE);
  H5Tclose(c);
  H5Tclose(u);
  return t;
}

static int write_problem(hid_t loc, const po_h5_problem *p) {
  hid_t g = group_create(loc, "problem");
  if (g < 0) return PO_ERR_IO;
  char hash[17];
  snprintf(hash, sizeof hash, "%016" PRIx64, p->content_hash);
  int rc;
  if ((rc = po_h5_attr_int64(g, "n", p->n)) || (rc = po_h5_attr_int64(g, "n_edges", p->n_edges)) ||
      (rc = po_h5_attr_double(g, "weight_sum", p->weight_sum)) ||
      (rc = po_h5_attr_int64(g, "has_ground", p->has_ground ? 1 : 0)) ||
      (rc = po_h5_attr_double(g, "ground_energy", p->has_ground ? p->ground_energy : NAN)) ||
      (rc = po_h5_attr_string(g, "source", p->source)) ||
      (rc = po_h5_attr_string(g, "content_hash", hash))) {
    /* rc holds the first failure */
  }
  H5Gclose(g);
  return rc;
}

static int write_samples(hid_t loc, const po_samples *s) {
  hid_t g = group_create(loc, "samples");
  if (g < 0) return PO_ERR_IO;
  int rc = PO_OK;
  hsize_t dims[2] = {(hsize_t)s->replicas, (hsize_t)s->n};
  hid_t sp = H5Screate_simple(2, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (s->replicas > 0 && s->n > 0) {
    /* About 1 MiB per chunk, whole rows (one replica's state per row). */
    hsize_t rows = (hsize_t)(1 << 20) / (hsize_t)s->n;
    if (rows < 1) rows = 1;
    if (rows > dims[0]) rows = dims[0];
    hsize_t chunk[2] = {rows, dims[1]};
    H5Pset_chunk(dcpl, 2, chunk);
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) H5Pset_deflate(dcpl, 4);
  }
  hid_t d = H5Dcreate2(g, "spins", H5T_STD_I8LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (d < 0)
    rc = h5err(g, "create dataset", "spins");
  else if (s->replicas > 0 && s->n > 0 &&
           H5Dwrite(d, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, s->spins) < 0)
    rc = h5err(g, "write dataset", "spins");
  if (d >= 0) H5Dclose(d);
  H5Pclose(dcpl);
  H5Sclose(sp);
  if (rc) goto done;

  hsize_t r = (hsize_t)s->replicas;
  sp = H5Screate_simple(1, &r, NULL);
  d = H5Dcreate2(g, "energy", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (d < 0)
    rc = h5err(g, "create dataset", "energy");
  else if (r > 0 && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, s->energy) < 0)
    rc = h5err(g, "write dataset", "energy");
  if (d >= 0) H5Dclose(d);
  H5Sclose(sp);
done:
  H5Gclose(g);
  return rc;
}

static int write_metrics(hid_t loc, const po_metrics *m) {
  hid_t g = group_create(loc, "metrics");
  if (g < 0) return PO_ERR_IO;
  int rc;
  if ((rc = po_h5_attr_int64(g, "replicas", m->replicas)) ||
      (rc = po_h5_attr_double(g, "best_energy", m->best_energy)) ||
      (rc = po_h5_attr_double(g, "mean_energy", m->mean_energy)) ||
      (rc = po_h5_attr_double(g, "median_energy", m->median_energy)) ||
      (rc = po_h5_attr_double(g, "best_cut", m->best_cut)) ||
      (rc = po_h5_attr_int64(g, "has_target", m->has_target ? 1 : 0)) ||
      (rc = po_h5_attr_double(g, "target_energy", m->has_target ? m->target_energy : NAN)) ||
      (rc = po_h5_attr_double(g, "success_probability", m->success_probability)) ||
      (rc = po_h5_attr_double(g, "tts99_s", m->tts99_s)) ||
      (rc = po_h5_attr_double(g, "residual_energy", m->residual_energy)) ||
      (rc = po_h5_attr_double(g, "approx_ratio", m->approx_ratio))) {
    /* rc holds the first failure */
  }
  H5Gclose(g);
  return rc;
}

static int write_ledger(hid_t loc, const po_ledger *l) {
  hid_t g = group_create(loc, "ledger");
  if (g < 0) return PO_ERR_IO;
  int rc;
  if ((rc = po_h5_attr_double(g, "wall_s", l->wall_s)) ||
      (rc = po_h5_attr_double(g, "device_s", l->device_s)) ||
      (rc = po_h5_attr_double(g, "run_s", l->run_s)) ||
      (rc = po_h5_attr_double(g, "total_joules", po_ledger_total_joules(l))))
    goto done;
  hid_t mt = ledger_type();
  hid_t ft = H5Tcopy(mt);
  H5Tpack(ft);
  hsize_t n = (hsize_t)l->n;
  hid_t sp = H5Screate_simple(1, &n, NULL);
  hid_t d = H5Dcreate2(g, "entries", ft, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (d < 0)
    rc = h5err(g, "create dataset", "entries");
  else if (n > 0 && H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, l->e) < 0)
    rc = h5err(g, "write dataset", "entries");
  if (d >= 0) H5Dclose(d);
  H5Sclose(sp);
  H5Tclose(ft);
  H5Tclose(mt);
done:
  H5Gclose(g);
  return rc;
}

/* The backend's model description (po_ledger_model_set) as attributes of
 * the group model/: text as strings, numbers as doubles, integers and flags
 * as int64.  No group when the backend gave none. */
static int write_model(hid_t loc, const po_ledger *l) {
  if (l->n_model <= 0) return PO_OK;
  hid_t g = group_create(loc, "model");
  if (g < 0) return PO_ERR_IO;
  int rc = PO_OK;
  for (int i = 0; i < l->n_model && !rc; i++) {
    const po_model_item *it = &l->model[i];
    if (it->kind == PO_MODEL_TEXT)
      rc = po_h5_attr_string(g, it->key, it->text);
    else if (it->kind == PO_MODEL_NUMBER)
      rc = po_h5_attr_double(g, it->key, it->value);
    else
      rc = po_h5_attr_int64(g, it->key, (int64_t)it->value);
  }
  H5Gclose(g);
  return rc;
}

static int check_run(const po_h5_run *run) {
  const po_samples *s = &run->samples;
  if (s->replicas < 1 || s->n < 1)
    return po_error(PO_ERR_ARG, "HDF5 run record: samples are %d x %d (need >= 1 x 1)", s->replicas,
                    s->n);
  if (s->n != run->problem.n)
    return po_error(PO_ERR_ARG, "HDF5 run record: samples have n = %d but the problem has n = %d",
                    s->n, run->problem.n);
  if (!s->spins || !s->energy)
    return po_error(PO_ERR_ARG, "HDF5 run record: samples without spins or energies");
  if (run->ledger.n < 0 || run->ledger.n > PO_LEDGER_MAX)
    return po_error(PO_ERR_ARG, "HDF5 run record: ledger has %d entries (accepted: 0..%d)",
                    run->ledger.n, PO_LEDGER_MAX);
  if (run->ledger.n_model < 0 || run->ledger.n_model > PO_MODEL_MAX)
    return po_error(PO_ERR_ARG, "HDF5 run record: model description has %d items (accepted: 0..%d)",
                    run->ledger.n_model, PO_MODEL_MAX);
  return PO_OK;
}

int po_h5_write_run(hid_t loc, const po_h5_run *run) {
  po_h5_quiet();
  int rc = check_run(run);
  if (rc) return rc;
  if ((rc = po_h5_attr_string(loc, "backend", run->backend)) ||
      (rc = po_h5_attr_string(loc, "algorithm", run->algorithm)) ||
      (rc = po_h5_attr_string(loc, "schedule", run->schedule)) ||
      (rc = po_h5_attr_int64(loc, "replicas", run->samples.replicas)) ||
      (rc = po_h5_attr_int64(loc, "steps", run->steps)) ||
      (rc = po_h5_attr_int64(loc, "threads", run->threads)) ||
      (rc = po_h5_attr_uint64(loc, "seed", run->seed)) ||
      (rc = po_h5_attr_uint64(loc, "run_id", run->run_id)) ||
      (rc = write_problem(loc, &run->problem)) || (rc = write_samples(loc, &run->samples)) ||
      (rc = write_metrics(loc, &run->metrics)) || (rc = write_ledger(loc, &run->ledger)) ||
      (rc = write_model(loc, &run->ledger)))
    return rc;
  return PO_OK;
}

/* ---- reading runs -------------------------------------------------------- */

static int get_int(hid_t loc, const char *name, int *out) {
  int64_t v;
  int rc = po_h5_get_int64(loc, name, &v);
  if (!rc) *out = (int)v;
  return rc;
}

static int get_long(hid_t loc, const char *name, long *out) {
  int64_t v;
  int rc = po_h5_get_int64(loc, name, &v);
  if (!rc) *out = (long)v;
  return rc;
}

static int get_fixed(hid_t loc, const char *name, char *buf, size_t size) {
  char *s;
  int rc = po_h5_get_string(loc, name, &s);
  if (rc) return rc;
  snprintf(buf, size, "%s", s);
  free(s);
  return PO_OK;
}

static int read_problem(hid_t loc, po_h5_problem *p) {
  hid_t g = group_open(loc, "problem");
  if (g < 0) return PO_ERR_NOT_FOUND;
  char hash[64] = "";
  int rc;
  if ((rc = get_int(g, "n", &p->n)) || (rc = get_long(g, "n_edges", &p->n_edges)) ||
      (rc = po_h5_get_double(g, "weight_sum", &p->weight_sum)) ||
      (rc = get_int(g, "has_ground", &p->has_ground)) ||
      (rc = po_h5_get_double(g, "ground_energy", &p->ground_energy)) ||
      (rc = get_fixed(g, "source", p->source, sizeof p->source)) ||
      (rc = get_fixed(g, "content_hash", hash, sizeof hash)))
    goto done;
  char *end;
  errno = 0;
  p->content_hash = strtoull(hash, &end, 16);
  if (errno || end == hash || *end) rc = h5err(g, "parse hex attribute", "content_hash");
done:
  H5Gclose(g);
  return rc;
}

static hid_t dataset_open(hid_t loc, const char *name, int rank, hsize_t *dims) {
  if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) {
    char w[800];
    po_error(PO_ERR_NOT_FOUND, "HDF5: dataset '%s' missing (%s)", name, where(loc, w, sizeof w));
    return -1;
  }
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  if (d < 0) {
    h5err(loc, "open dataset", name);
    return -1;
  }
  hid_t sp = H5Dget_space(d);
  int r = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
  if (r != rank || H5Sget_simple_extent_dims(sp, dims, NULL) < 0) {
    char w[800];
    po_error(PO_ERR_PARSE, "HDF5: dataset '%s' has rank %d, expected %d (%s)", name, r, rank,
             where(loc, w, sizeof w));
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return -1;
  }
  H5Sclose(sp);
  return d;
}

static int read_samples(hid_t loc, po_samples *s) {
  hid_t g = group_open(loc, "samples");
  if (g < 0) return PO_ERR_NOT_FOUND;
  int rc = PO_OK;
  hsize_t dims[2], r;
  hid_t d = dataset_open(g, "spins", 2, dims);
  if (d < 0) {
    rc = PO_ERR_PARSE;
    goto done;
  }
  if (dims[0] > INT32_MAX || dims[1] > INT32_MAX) {
    rc = h5err(g, "read (too large) dataset", "spins");
    H5Dclose(d);
    goto done;
  }
  s->replicas = (int)dims[0];
  s->n = (int)dims[1];
  size_t cells = (size_t)dims[0] * (size_t)dims[1];
  s->spins = malloc(cells ? cells : 1);
  s->energy = malloc((dims[0] ? dims[0] : 1) * sizeof(double));
  if (!s->spins || !s->energy) {
    rc = po_error(PO_ERR_NOMEM, "out of memory reading %d x %d samples", s->replicas, s->n);
  } else if (cells && H5Dread(d, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, s->spins) < 0) {
    rc = h5err(g, "read dataset", "spins");
  }
  H5Dclose(d);
  if (rc) goto done;
  d = dataset_open(g, "energy", 1, &r);
  if (d < 0) {
    rc = PO_ERR_PARSE;
    goto done;
  }
  if (r != dims[0])
    rc = po_error(PO_ERR_PARSE, "HDF5: samples/energy has %llu entries but samples/spins %llu rows",
                  (unsigned long long)r, (unsigned long long)dims[0]);
  else if (r && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, s->energy) < 0)
    rc = h5err(g, "read dataset", "energy");
  H5Dclose(d);
done:
  H5Gclose(g);
  return rc;
}

static int read_metrics(hid_t loc, po_metrics *m) {
  hid_t g = group_open(loc, "metrics");
  if (g < 0) return PO_ERR_NOT_FOUND;
  int rc;
  if ((rc = get_int(g, "replicas", &m->replicas)) ||
      (rc = po_h5_get_double(g, "best_energy", &m->best_energy)) ||
      (rc = po_h5_get_double(g, "mean_energy", &m->mean_energy)) ||
      (rc = po_h5_get_double(g, "median_energy", &m->median_energy)) ||
      (rc = po_h5_get_double(g, "best_cut", &m->best_cut)) ||
      (rc = get_int(g, "has_target", &m->has_target)) ||
      (rc = po_h5_get_double(g, "target_energy", &m->target_energy)) ||
      (rc = po_h5_get_double(g, "success_probability", &m->success_probability)) ||
      (rc = po_h5_get_double(g, "tts99_s", &m->tts99_s)) ||
      (rc = po_h5_get_double(g, "residual_energy", &m->residual_energy)) ||
      (rc = po_h5_get_double(g, "approx_ratio", &m->approx_ratio))) {
    /* rc holds the first failure */
  }
  H5Gclose(g);
  return rc;
}

static int read_ledger(hid_t loc, po_ledger *l) {
  hid_t g = group_open(loc, "ledger");
  if (g < 0) return PO_ERR_NOT_FOUND;
  double total;
  int rc;
  if ((rc = po_h5_get_double(g, "wall_s", &l->wall_s)) ||
      (rc = po_h5_get_double(g, "device_s", &l->device_s)) ||
      (rc = po_h5_get_double(g, "run_s", &l->run_s)) ||
      (rc = po_h5_get_double(g, "total_joules", &total)))
    goto done;
  hsize_t n;
  hid_t d = dataset_open(g, "entries", 1, &n);
  if (d < 0) {
    rc = PO_ERR_PARSE;
    goto done;
  }
  if (n > PO_LEDGER_MAX) {
    rc = po_error(PO_ERR_PARSE, "HDF5: ledger/entries has %llu rows (at most %d)",
                  (unsigned long long)n, PO_LEDGER_MAX);
  } else {
    hid_t mt = ledger_type();
    l->n = (int)n;
    if (n && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, l->e) < 0)
      rc = h5err(g, "read dataset", "entries");
    H5Tclose(mt);
  }
  H5Dclose(d);
done:
  H5Gclose(g);
  return rc;
}

/* One attribute of model/ into the ledger's model description, by its
 * stored type (string: text, float: number, integer: integer). */
static herr_t model_attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
  (void)info;
  po_ledger *l = data;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  if (a < 0) return -1;
  hid_t t = H5Aget_type(a);
  const H5T_class_t cls = t < 0 ? H5T_NO_CLASS : H5Tget_class(t);
  if (t >= 0) H5Tclose(t);
  H5Aclose(a);
  int rc = 0;
  if (cls == H5T_STRING) {
    char *v;
    if (po_h5_get_string(loc, name, &v)) return -1;
    rc = po_ledger_model_set(l, name, PO_MODEL_TEXT, v, 0);
    free(v);
  } else if (cls == H5T_FLOAT) {
    double v;
    if (po_h5_get_double(loc, name, &v)) return -1;
    rc = po_ledger_model_set(l, name, PO_MODEL_NUMBER, NULL, v);
  } else if (cls == H5T_INTEGER) {
    int64_t v;
    if (po_h5_get_int64(loc, name, &v)) return -1;
    rc = po_ledger_model_set(l, name, PO_MODEL_INT, NULL, (double)v);
  }
  return rc ? -1 : 0;
}

/* model/ is optional (files from before it, backends without a model
 * description). */
static int read_model(hid_t loc, po_ledger *l) {
  l->n_model = 0;
  if (H5Lexists(loc, "model", H5P_DEFAULT) <= 0) return PO_OK;
  hid_t g = group_open(loc, "model");
  if (g < 0) return PO_ERR_PARSE;
  int rc = PO_OK;
  if (H5Aiterate2(g, H5_INDEX_NAME, H5_ITER_INC, NULL, model_attr_cb, l) < 0)
    rc = h5err(g, "read the attributes of", "model");
  H5Gclose(g);
  return rc;
}

int po_h5_read_run(hid_t loc, po_h5_run *out) {
  po_h5_quiet();
  memset(out, 0, sizeof *out);
  int64_t replicas;
  int rc;
  if ((rc = get_fixed(loc, "backend", out->backend, sizeof out->backend)) ||
      (rc = get_fixed(loc, "algorithm", out->algorithm, sizeof out->algorithm)) ||
      (rc = get_fixed(loc, "schedule", out->schedule, sizeof out->schedule)) ||
      (rc = po_h5_get_int64(loc, "replicas", &replicas)) ||
      (rc = get_long(loc, "steps", &out->steps)) || (rc = get_int(loc, "threads", &out->threads)) ||
      (rc = po_h5_get_uint64(loc, "seed", &out->seed)) ||
      (rc = po_h5_get_uint64(loc, "run_id", &out->run_id)) ||
      (rc = read_problem(loc, &out->problem)) || (rc = read_samples(loc, &out->samples)) ||
      (rc = read_metrics(loc, &out->metrics)) || (rc = read_ledger(loc, &out->ledger)) ||
      (rc = read_model(loc, &out->ledger))) {
    po_h5_run_free(out);
    return rc;
  }
  return PO_OK;
}

void po_h5_run_free(po_h5_run *run) {
  if (!run) return;
  free(run->samples.spins);
  free(run->samples.energy);
  run->samples.spins = NULL;
  run->samples.energy = NULL;
}

/* ---- learning runs ------------------------------------------------------- */

int po_h5_write_learn_run(hid_t loc, const po_h5_learn_run *r) {
  po_h5_quiet();
  if (strcmp(r->task, "eval") && strcmp(r->task, "train"))
    return po_error(PO_ERR_ARG, "HDF5: learning run with task '%s' (eval or train)", r->task);
  const struct {
    const char *name;
    double v;
  } nums[] = {{"test_accuracy", r->test_accuracy},
              {"test_accuracy_sd", r->test_accuracy_sd},
              {"test_loss", r->test_loss},
              {"train_loss", r->train_loss},
              {"train_accuracy", r->train_accuracy},
              {"photons_per_mac", r->photons_per_mac},
              {"macs", r->macs},
              {"energy_per_mac_j", r->energy_per_mac_j},
              {"optical_energy_per_mac_j", r->optical_energy_per_mac_j},
              {"train_joules", r->train_joules},
              {"train_s", r->train_s},
              {"wall_s", r->wall_s}};
  int rc;
  if ((rc = po_h5_attr_string(loc, "task", r->task)) ||
      (rc = po_h5_attr_string(loc, "backend", r->backend)) ||
      (rc = po_h5_attr_string(loc, "data", r->data)) ||
      (rc = po_h5_attr_string(loc, "model", r->model)) ||
      (rc = po_h5_attr_uint64(loc, "seed", r->seed)) ||
      (rc = po_h5_attr_uint64(loc, "run_id", r->run_id)) ||
      (rc = po_h5_attr_int64(loc, "threads", r->threads)) ||
      (rc = po_h5_attr_int64(loc, "train_samples", r->train_samples)) ||
      (rc = po_h5_attr_int64(loc, "test_samples", r->test_samples)) ||
      (rc = po_h5_attr_int64(loc, "epochs", r->epochs)))
    return rc;
  for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
    if ((rc = po_h5_attr_double(loc, nums[i].name, nums[i].v))) return rc;
  return write_ledger(loc, &r->ledger);
}

int po_h5_read_learn_run(hid_t loc, po_h5_learn_run *r) {
  po_h5_quiet();
  memset(r, 0, sizeof *r);
  struct {
    const char *name;
    double *v;
  } nums[] = {{"test_accuracy", &r->test_accuracy},
              {"test_accuracy_sd", &r->test_accuracy_sd},
              {"test_loss", &r->test_loss},
              {"train_loss", &r->train_loss},
              {"train_accuracy", &r->train_accuracy},
              {"photons_per_mac", &r->photons_per_mac},
              {"macs", &r->macs},
              {"energy_per_mac_j", &r->energy_per_mac_j},
              {"optical_energy_per_mac_j", &r->optical_energy_per_mac_j},
              {"train_joules", &r->train_joules},
              {"train_s", &r->train_s},
              {"wall_s", &r->wall_s}};
  int rc;
  if ((rc = get_fixed(loc, "task", r->task, sizeof r->task)) ||
      (rc = get_fixed(loc, "backend", r->backend, sizeof r->backend)) ||
      (rc = get_fixed(loc, "data", r->data, sizeof r->data)) ||
      (rc = get_fixed(loc, "model", r->model, sizeof r->model)) ||
      (rc = po_h5_get_uint64(loc, "seed", &r->seed)) ||
      (rc = po_h5_get_uint64(loc, "run_id", &r->run_id)) ||
      (rc = get_int(loc, "threads", &r->threads)) ||
      (rc = get_long(loc, "train_samples", &r->train_samples)) ||
      (rc = get_long(loc, "test_samples", &r->test_samples)) ||
      (rc = get_long(loc, "epochs", &r->epochs)))
    return rc;
  for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
    if ((rc = po_h5_get_double(loc, nums[i].name, nums[i].v))) return rc;
  return read_ledger(loc, &r->ledger);
}

int po_h5_write_recall_run(hid_t loc, const po_h5_recall_run *r) {
  po_h5_quiet();
  const struct {
    const char *name;
    double v;
  } nums[] = {{"alpha", r->alpha},
              {"corruption", r->corruption},
              {"overlap_mean", r->overlap_mean},
              {"overlap_std", r->overlap_std},
              {"recall_fraction", r->recall_fraction},
              {"flips_mean", r->flips_mean},
              {"basin", r->basin},
              {"wall_s", r->wall_s}};
  int rc;
  if ((rc = po_h5_attr_string(loc, "task", "recall")) ||
      (rc = po_h5_attr_string(loc, "backend", r->backend)) ||
      (rc = po_h5_attr_string(loc, "rule", r->rule)) ||
      (rc = po_h5_attr_string(loc, "dynamics", r->dynamics)) ||
      (rc = po_h5_attr_uint64(loc, "seed", r->seed)) ||
      (rc = po_h5_attr_uint64(loc, "run_id", r->run_id)) ||
      (rc = po_h5_attr_int64(loc, "threads", r->threads)) ||
      (rc = po_h5_attr_int64(loc, "spins", r->spins)) ||
      (rc = po_h5_attr_int64(loc, "patterns", r->patterns)) ||
      (rc = po_h5_attr_int64(loc, "trials", r->trials)))
    return rc;
  for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
    if ((rc = po_h5_attr_double(loc, nums[i].name, nums[i].v))) return rc;
  return write_ledger(loc, &r->ledger);
}

int po_h5_read_recall_run(hid_t loc, po_h5_recall_run *r) {
  po_h5_quiet();
  memset(r, 0, sizeof *r);
  struct {
    const char *name;
    double *v;
  } nums[] = {{"alpha", &r->alpha},
              {"corruption", &r->corruption},
              {"overlap_mean", &r->overlap_mean},
              {"overlap_std", &r->overlap_std},
              {"recall_fraction", &r->recall_fraction},
              {"flips_mean", &r->flips_mean},
              {"basin", &r->basin},
              {"wall_s", &r->wall_s}};
  int rc;
  if ((rc = get_fixed(loc, "backend", r->backend, sizeof r->backend)) ||
      (rc = get_fixed(loc, "rule", r->rule, sizeof r->rule)) ||
      (rc = get_fixed(loc, "dynamics", r->dynamics, sizeof r->dynamics)) ||
      (rc = po_h5_get_uint64(loc, "seed", &r->seed)) ||
      (rc = po_h5_get_uint64(loc, "run_id", &r->run_id)) ||
      (rc = get_int(loc, "threads", &r->threads)) || (rc = get_long(loc, "spins", &r->spins)) ||
      (rc = get_long(loc, "patterns", &r->patterns)) || (rc = get_long(loc, "trials", &r->trials)))
    return rc;
  for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
    if ((rc = po_h5_get_double(loc, nums[i].name, nums[i].v))) return rc;
  return read_ledger(loc, &r->ledger);
}

int po_h5_run_task(hid_t loc, char *buf, size_t size) {
  po_h5_quiet();
  if (H5Aexists(loc, "task") <= 0) {
    snprintf(buf, size, "anneal");
    return PO_OK;
  }
  return get_fixed(loc, "task", buf, size);
}

/* ---- global heap check ---------------------------------------------------- */

#define GCOL_MIN 4096u

static uint64_t le_u64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

/* The objects of the collection `col` (size bytes) tile it. */
static int check_collection(const char *path, long long at, const unsigned char *col,
                            uint64_t size) {
  unsigned char seen[65536 / 8] = {0};
  uint64_t p = 16;
  while (p < size) {
    /* Free space too small for an object header has no header: libhdf5
     * (H5HG__alloc) leaves such a tail bare and its reader takes it as free
     * space, so it is not damage. */
    if (size - p < 16) return PO_OK;
    unsigned idx = (unsigned)col[p] | (unsigned)col[p + 1] << 8;
    uint64_t osize = le_u64(col + p + 8);
    if (idx == 0) {
      if (osize != size - p)
        return po_error(PO_ERR_PARSE,
                        "%s: corrupted HDF5 global heap at byte %lld (free space "
                        "%llu bytes, %llu left)",
                        path, at, (unsigned long long)osize, (unsigned long long)(size - p));
      return PO_OK;
    }
    if (seen[idx / 8] & 1u << (idx % 8))
      return po_error(PO_ERR_PARSE,
                      "%s: corrupted HDF5 global heap at byte %lld (object %u "
                      "twice)",
                      path, at, idx);
    seen[idx / 8] |= (unsigned char)(1u << (idx % 8));
    if (osize > size - p - 16 || ((osize + 7) & ~(uint64_t)7) > size - p - 16)
      return po_error(PO_ERR_PARSE,
                      "%s: corrupted HDF5 global heap at byte %lld (object %u of "
                      "%llu bytes overruns the collection)",
                      path, at, idx, (unsigned long long)osize);
    p += 16 + ((osize + 7) & ~(uint64_t)7);
  }
  return PO_OK;
}

int po_h5_check_heaps(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return po_error(PO_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fileno(f), &sb) != 0) {
    fclose(f);
    return po_error(PO_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
  }
  const long long file_size = (long long)sb.st_size;
  enum { CHUNK = 1 << 20 };
  unsigned char *buf = malloc(CHUNK + 3);
  int rc = buf ? PO_OK : po_error(PO_ERR_NOMEM, "out of memory");
  long long base = 0; /* file offset of buf[0] */
  size_t have = 0;    /* bytes in buf (3 carried over from the previous chunk) */
  while (!rc) {
    size_t got = fread(buf + have, 1, CHUNK, f);
    if (got == 0) break;
    size_t end = have + got;
    for (size_t i = 0; !rc && i + 4 <= end; i++) {
      if (memcmp(buf + i, "GCOL", 4)) continue;
      long long at = base + (long long)i;
      unsigned char hdr[16];
      if (at + 16 > file_size || pread(fileno(f), hdr, 16, at) != 16) continue;
      /* Not a collection unless version 1 with zero reserved bytes (a
       * random "GCOL" in compressed data); a damaged version byte is
       * rejected by libhdf5 itself. */
      if (hdr[4] != 1 || hdr[5] || hdr[6] || hdr[7]) continue;
      uint64_t size = le_u64(hdr + 8);
      if (size < GCOL_MIN || size > (uint64_t)(file_size - at)) {
        rc = po_error(PO_ERR_PARSE,
                      "%s: corrupted HDF5 global heap at byte %lld (collection "
                      "size %llu; the file has %lld bytes from there)",
                      path, at, (unsigned long long)size, file_size - at);
        break;
      }
      unsigned char *col = malloc(size);
      if (!col) {
        rc = po_error(PO_ERR_NOMEM, "out of memory");
        break;
      }
      if (pread(fileno(f), col, size, at) != (ssize_t)size)
        rc = po_error(PO_ERR_IO, "%s: read error", path);
      else
        rc = check_collection(path, at, col, size);
      free(col);
    }
    /* Keep the last 3 bytes: a signature may straddle two chunks. */
    size_t keep = end < 3 ? end : 3;
    memmove(buf, buf + end - keep, keep);
    base += (long long)(end - keep);
    have = keep;
  }
  free(buf);
  fclose(f);
  return rc;
}

/* ---- files --------------------------------------------------------------- */

static int close_failed; /* a written file could not be closed (see io/h5.h) */

herr_t po_h5_close_discard(hid_t file) {
  herr_t st = H5Fclose(file);
  if (st < 0) close_failed = 1;
  return st;
}

int po_h5_close_written(hid_t file, const char *path) {
  if (po_h5_close_discard(file) >= 0) return PO_OK;
  return po_error(PO_ERR_IO, "HDF5: cannot finish writing %s (disk full or file size limit?)",
                  path);
}

static void end_hdf5(void) {
  if (!close_failed) H5close();
}

void po_h5_end_at_exit(void) {
  H5dont_atexit();
  atexit(end_hdf5);
}

int po_h5_file_begin(const char *path, po_h5_file *f) {
  po_h5_quiet();
  memset(f, 0, sizeof *f);
  f->id = -1;
  if (!path || !*path) return po_error(PO_ERR_ARG, "HDF5 output: empty file name");
  int rc = po_atomic_begin(&f->out, path);
  if (rc) return rc;
  f->path = f->out.path;
  f->tmp_path = f->out.tmp_path;
  f->id = H5Fcreate(f->tmp_path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f->id < 0) {
    rc = po_error(PO_ERR_IO, "HDF5: cannot create %s", f->tmp_path);
    po_h5_file_abort(f);
    return rc;
  }
  return PO_OK;
}

int po_h5_file_commit(po_h5_file *f) {
  if (f->id < 0) return po_error(PO_ERR_ARG, "HDF5: commit of a file that is not open");
  herr_t e1 = H5Fflush(f->id, H5F_SCOPE_GLOBAL);
  int rc = po_h5_close_written(f->id, f->path);
  f->id = -1;
  if (!rc && e1 < 0) rc = po_error(PO_ERR_IO, "HDF5: cannot finish writing %s", f->path);
  if (!rc) rc = po_atomic_commit(&f->out);
  po_h5_file_abort(f);
  return rc;
}

void po_h5_file_abort(po_h5_file *f) {
  if (f->id >= 0) po_h5_close_discard(f->id);
  f->id = -1;
  po_atomic_abort(&f->out);
  f->tmp_path = NULL;
  f->path = NULL;
}

int po_h5_save_run_with(const char *path, const po_h5_provenance *prov, const po_h5_run *run,
                        int (*extra)(hid_t file, void *ctx), void *ctx) {
  int rc = check_run(run);
  if (rc) return rc;
  po_h5_file f;
  if ((rc = po_h5_file_begin(path, &f))) return rc;
  if ((rc = po_h5_write_provenance(f.id, prov)) || (rc = po_h5_write_run(f.id, run)) ||
      (extra && (rc = extra(f.id, ctx)))) {
    po_h5_file_abort(&f);
    return po_error_wrap(rc, "writing %s", path);
  }
  return po_h5_file_commit(&f);
}

int po_h5_save_run(const char *path, const po_h5_provenance *prov, const po_h5_run *run) {
  return po_h5_save_run_with(path, prov, run, NULL, NULL);
}

/* Opens `group` ("/" or NULL: the root) of the file at path, its heaps
 * checked first; *f and *g are closed by close_group_at. */
static int open_group_at(const char *path, const char *group, hid_t *f, hid_t *g) {
  po_h5_quiet();
  *f = *g = -1;
  if (access(path, R_OK) != 0)
    return po_error(PO_ERR_IO, "cannot open %s: %s", path, strerror(errno));
  int rc = po_h5_check_heaps(path);
  if (rc) return rc;
  *f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (*f < 0) return po_error(PO_ERR_IO, "HDF5: cannot open %s (not an HDF5 file?)", path);
  *g = !group || !strcmp(group, "/") ? *f : H5Gopen2(*f, group, H5P_DEFAULT);
  return *g < 0 ? po_error(PO_ERR_NOT_FOUND, "no group %s", group) : PO_OK;
}

static void close_group_at(hid_t f, hid_t g) {
  if (g >= 0 && g != f) H5Gclose(g);
  if (f >= 0) H5Fclose(f);
}

int po_h5_load_run_at(const char *path, const char *group, po_h5_provenance *prov, po_h5_run *run) {
  if (prov) memset(prov, 0, sizeof *prov);
  memset(run, 0, sizeof *run);
  hid_t f, g;
  int rc = open_group_at(path, group, &f, &g);
  if (!rc && prov) rc = po_h5_read_provenance(f, prov);
  if (!rc) rc = po_h5_read_run(g, run);
  if (rc && prov) po_h5_provenance_free(prov);
  close_group_at(f, g);
  if (rc) return po_error_wrap(rc, "reading %s", path);
  return PO_OK;
}

int po_h5_load_problem_at(const char *path, const char *group, po_h5_problem *p) {
  memset(p, 0, sizeof *p);
  hid_t f, g;
  int rc = open_group_at(path, group, &f, &g);
  if (!rc) rc = read_problem(g, p);
  close_group_at(f, g);
  if (rc) return po_error_wrap(rc, "reading %s", path);
  return PO_OK;
}

int po_h5_load_run(const char *path, po_h5_provenance *prov, po_h5_run *run) {
  return po_h5_load_run_at(path, "/", prov, run);
}
