/* Device-state trajectories (cim: OPO amplitudes x(t) of one replica) in a
 * run's HDF5 file (internal header, like io/h5.h).
 *
 * Layout, written into the run's file before it is renamed into place
 * (po_h5_save_run_with), so a failure never leaves a half-written file:
 *   /trajectory            attributes: replica, every (steps between records),
 *                          quantity ("amplitude x_i (OPO c-number model)")
 *   /trajectory/t          float64 [records], device time (photon lifetimes)
 *   /trajectory/step       int64   [records]
 *   /trajectory/x          float32 [records][n], chunked + deflate */
#ifndef PHYSOPT_IO_H5_TRAJECTORY_H
#define PHYSOPT_IO_H5_TRAJECTORY_H

#include <stdint.h>
#include <hdf5.h>

/* Growing in-memory record, filled by po_traj_buffer_add (a po_trajectory_fn). */
typedef struct po_traj_buffer {
  int n;
  long records, cap;
  float *x;
  double *t;
  int64_t *step;
  int failed; /* allocation failure while recording */
} po_traj_buffer;

void po_traj_buffer_add(void *ctx, long step, double t, const float *x, int n);
void po_traj_buffer_free(po_traj_buffer *b);

/* Adds /trajectory to the open file `file`. */
int po_h5_write_trajectory(hid_t file, const po_traj_buffer *b, int replica, long every);

#endif
