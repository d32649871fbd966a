/* Zero-temperature recall dynamics on a dense coupling matrix (Glauber and
 * discrete steepest descent), shared by the cpu and cavity backends. */
#ifndef PHYSOPT_BACKENDS_CPU_RECALL_H
#define PHYSOPT_BACKENDS_CPU_RECALL_H

#include "physopt/backend.h"
#include "physopt/memory.h"

/* The cpu backend's recall op (glauber | steepest). */
int po_cpu_recall(po_backend *b, const po_recall_task *t, int8_t *states, int trials);

/* Runs t->dynamics (glauber or steepest) on every trial (rows of states),
 * OpenMP over trials.  *total_flips and *total_attempts (spin updates
 * considered) accumulate over trials (may be NULL). */
int po_recall_discrete(const po_recall_task *t, int8_t *states, int trials, double *total_flips,
                       double *total_attempts);

#endif
