/* The library's thread policy (core/threads.h). */
#include "core/threads.h"
#include <cblas.h>
#include <omp.h>
#include <pthread.h>

int po_threads_resolve(int requested) {
  return requested > 0 ? requested : omp_get_max_threads();
}

int po_omp_threads_push(int n) {
  const int previous = omp_get_max_threads();
  if (n > 0) omp_set_num_threads(n);
  return previous;
}

void po_omp_threads_pop(int previous) {
  if (previous > 0) omp_set_num_threads(previous);
}

int po_omp_team_useful(void) {
  return omp_get_max_threads() > 1 && !omp_in_parallel();
}

static pthread_mutex_t blas_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t blas_free = PTHREAD_COND_INITIALIZER;
static int blas_active;              /* threads inside a region */
static int blas_region_n;            /* the count those regions run with */
static int blas_saved_n;             /* the process's count before the first region */
static _Thread_local int blas_depth; /* this thread's nesting depth */

void po_blas_threads_enter(int n) {
  if (n < 1) n = 1;
  if (blas_depth++ > 0) return; /* nested: the outer region's count holds */
  pthread_mutex_lock(&blas_lock);
  while (blas_active > 0 && blas_region_n != n) pthread_cond_wait(&blas_free, &blas_lock);
  if (blas_active++ == 0) {
    blas_saved_n = openblas_get_num_threads();
    if (blas_saved_n != n) openblas_set_num_threads(n);
    blas_region_n = n;
  }
  pthread_mutex_unlock(&blas_lock);
}

void po_blas_threads_leave(void) {
  if (blas_depth <= 0 || --blas_depth > 0) return;
  pthread_mutex_lock(&blas_lock);
  if (--blas_active == 0) {
    if (blas_saved_n != blas_region_n) openblas_set_num_threads(blas_saved_n);
    pthread_cond_broadcast(&blas_free);
  }
  pthread_mutex_unlock(&blas_lock);
}
