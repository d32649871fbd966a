/* Trajectory recording and its HDF5 dataset; see h5_trajectory.h. */
#include "io/h5_trajectory.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include "io/h5.h"
#include "physopt/error.h"

void po_traj_buffer_add(void *ctx, long step, double t, const float *x, int n) {
  po_traj_buffer *b = ctx;
  if (b->failed) return;
  if (b->records == 0) b->n = n;
  if (n != b->n) {
    b->failed = 1;
    return;
  }
  if (b->records == b->cap) {
    long cap = b->cap ? 2 * b->cap : 256;
    float *nx = realloc(b->x, (size_t)cap * (size_t)n * sizeof *nx);
    if (nx) b->x = nx;
    double *nt = realloc(b->t, (size_t)cap * sizeof *nt);
    if (nt) b->t = nt;
    int64_t *ns = realloc(b->step, (size_t)cap * sizeof *ns);
    if (ns) b->step = ns;
    if (!nx || !nt || !ns) {
      b->failed = 1;
      return;
    }
    b->cap = cap;
  }
  memcpy(b->x + (size_t)b->records * (size_t)n, x, (size_t)n * sizeof *x);
  b->t[b->records] = t;
  b->step[b->records] = step;
  b->records++;
}

void po_traj_buffer_free(po_traj_buffer *b) {
  free(b->x), free(b->t), free(b->step);
  memset(b, 0, sizeof *b);
}

static int write_1d(hid_t g, const char *name, hid_t type, long len, const void *data) {
  hsize_t dims[1] = {(hsize_t)len};
  hid_t sp = H5Screate_simple(1, dims, NULL);
  hid_t d = H5Dcreate2(g, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t e = d >= 0 ? H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : -1;
  if (d >= 0) H5Dclose(d);
  H5Sclose(sp);
  return e < 0 ? po_error(PO_ERR_IO, "HDF5: cannot write trajectory/%s", name) : PO_OK;
}

int po_h5_write_trajectory(hid_t file, const po_traj_buffer *b, int replica, long every) {
  if (b->failed) return po_error(PO_ERR_NOMEM, "out of memory while recording the trajectory");
  if (b->records < 1) return po_error(PO_ERR_ARG, "no trajectory was recorded");
  po_h5_quiet();
  int rc = PO_OK;
  hid_t g = H5Gcreate2(file, "trajectory", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) return po_error(PO_ERR_IO, "HDF5: cannot create /trajectory");
  if ((rc = po_h5_attr_int64(g, "replica", replica)) ||
      (rc = po_h5_attr_int64(g, "every", every)) ||
      (rc = po_h5_attr_string(g, "quantity", "amplitude x_i (OPO c-number model)")) ||
      (rc = write_1d(g, "t", H5T_NATIVE_DOUBLE, b->records, b->t)) ||
      (rc = write_1d(g, "step", H5T_NATIVE_INT64, b->records, b->step)))
    goto out;
  {
    hsize_t dims[2] = {(hsize_t)b->records, (hsize_t)b->n};
    hsize_t rows = (hsize_t)(b->n > 0 ? (1 << 16) / b->n : 1);
    if (rows < 1) rows = 1;
    if (rows > dims[0]) rows = dims[0];
    hsize_t chunk[2] = {rows, (hsize_t)b->n};
    hid_t sp = H5Screate_simple(2, dims, NULL);
    hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(pl, 2, chunk);
    H5Pset_shuffle(pl);
    H5Pset_deflate(pl, 4);
    hid_t d = H5Dcreate2(g, "x", H5T_NATIVE_FLOAT, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    herr_t e = d >= 0 ? H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, b->x) : -1;
    if (d >= 0) H5Dclose(d);
    H5Pclose(pl);
    H5Sclose(sp);
    if (e < 0) rc = po_error(PO_ERR_IO, "HDF5: cannot write /trajectory/x");
  }
out:
  H5Gclose(g);
  return rc;
}
