/* The library's thread policy, in one place.
 *
 * OpenMP: the team size of a parallel region is the calling thread's
 * nthreads-var ICV, which OpenMP keeps per thread (per task), so setting it
 * affects the calling thread only; po_omp_threads_push/pop set it for the
 * duration of a library call and restore the caller's value.
 *
 * OpenBLAS (0.3.21, Debian 12) has one process-wide thread count and no
 * per-call setting.  A library call that needs a particular count enters a
 * BLAS region: the first region saves the process's count and sets the
 * region's; regions that want the same count run concurrently; a region
 * that wants another count waits until the others have left; the last one
 * restores the saved count.  So two user threads never change the count
 * under each other's products (which could change their last bits), and
 * the user's own setting survives every call.  Nested regions on one
 * thread keep the outer count.  A region must not be entered from worker
 * threads of another region that is waiting for them. */
#ifndef PHYSOPT_CORE_THREADS_H
#define PHYSOPT_CORE_THREADS_H

/* requested > 0, else the OpenMP default of the calling thread. */
int po_threads_resolve(int requested);

/* Sets the calling thread's OpenMP team size (n > 0) and returns the
 * previous one for po_omp_threads_pop; n <= 0 changes nothing. */
int po_omp_threads_push(int n);
void po_omp_threads_pop(int previous);

/* Whether a parallel region opened here would get more than one thread.
 * Entering a region costs ~2.5 us even for a team of one (libgomp makes
 * futex calls; measured on the 2-core VM) -- several regions per step are a
 * fifth of a 64-replica N = 100 CIM step -- so kernels called once per
 * step run their loop serially when this is false.  False inside an active
 * region (nested regions are inactive) and when the team size is 1. */
int po_omp_team_useful(void);

/* OpenBLAS runs with n threads (n < 1: 1) until the matching leave. */
void po_blas_threads_enter(int n);
void po_blas_threads_leave(void);

#endif
