/* Device-state trajectories (cim: OPO amplitudes x(t) of one replica) in a
 * run's HDF5 file (internal header, like io/h5.h).
 *
 * Layout, added to an existing results file:
 *   /trajectory            attributes: replica, every (steps between records),
 *                          quantity ("amplitude x_i (OPO c-number model)")
 *   /trajectory/t          float64 [records], device time (photon lifetimes)
 *   /trajectory/step       int64   [records]
 *   /trajectory/x          float32 [records][n], chunked + deflate */
#ifndef PHYSOPT_IO_H5_TRAJECTORY_H
#define PHYSOPT_IO_H5_TRAJECTORY_H

#include <stdint.h>

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

/* Opens `path` (an existing HDF5 file) read-write and adds /trajectory. */
int po_h5_append_trajectory(const char *path, const po_traj_buffer *b, int replica, long every);

#endif
