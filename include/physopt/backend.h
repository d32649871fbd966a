/* The backend interface: an ops table plus private state, registered by name
 * (the PETSc/libCEED pattern; see ../shared/DESIGN.md and STYLE.md).
 *
 * A backend fills the ops it offers and declares them in `caps`.  An op left
 * NULL is taken from the backend named in `fallback` (the CPU reference, for
 * devices that override only part of the interface); with no fallback the
 * call fails with "backend X has no op Y".
 *
 * Deviation from DESIGN.md: ising_anneal is a table of algorithms
 * (po_algorithm) rather than one op, so that an algorithm's name, default
 * run length and summary live in one place; each takes a po_anneal_opts (algorithm,
 * replicas, steps, seed, threads) because these change from call to call
 * (sweeps, restarts) while device parameters are fixed when the backend is
 * opened; keeping them out of po_params makes a backend reusable. */
#ifndef PHYSOPT_BACKEND_H
#define PHYSOPT_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include "physopt/ledger.h"
#include "physopt/params.h"
#include "physopt/problem.h"
#include "physopt/results.h"
#include "physopt/schedule.h"

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared in include/physopt/ is exported from libphysopt.so,
 * nothing else is (-fvisibility=hidden; docs/design-notes.md). */
#pragma GCC visibility push(default)

enum { PO_CAP_MATMUL = 1u << 0, PO_CAP_ISING = 1u << 1, PO_CAP_RECALL = 1u << 2 };

typedef enum { PO_NO_TRANS = 0, PO_TRANS = 1 } po_trans;

typedef struct po_backend po_backend;

/* Called with the fraction done in [0, 1]; may be called from one thread only. */
typedef void (*po_progress_fn)(void *ctx, double fraction);
/* Receives one recorded state: step index, time, n values (see
 * po_anneal_opts.trajectory). */
typedef void (*po_trajectory_fn)(void *ctx, long step, double t, const float *x, int n);

typedef struct po_anneal_opts {
  const char *algorithm; /* backend-specific: cpu "sa"|"pt", cim "cac"|"ahc"|... */
  int replicas;          /* independent runs (cpu pt: independent PT runs) */
  long steps;            /* sweeps (cpu) or integration steps (cim) */
  uint64_t seed;
  uint64_t run_id; /* sweep run id; streams are (seed, run_id, replica) */
  int threads;     /* 0 = OpenMP default */
  po_progress_fn progress;
  void *progress_ctx;
  /* Optional recording of the device state of one replica (cim: the OPO
   * amplitudes x(t)); NULL = off.  Called from one thread at step 0 and
   * every trajectory_every steps (after the step) with the n values of
   * replica trajectory_replica at time t (device units). */
  po_trajectory_fn trajectory;
  void *trajectory_ctx;
  long trajectory_every;  /* <= 0: every step */
  int trajectory_replica; /* 0 .. replicas-1 */
} po_anneal_opts;

/* Associative-memory recall task (defined by algorithms/memory.h). */
typedef struct po_recall_task po_recall_task;

/* Runs one annealing algorithm: out gets o->replicas samples of m. */
typedef int (*po_anneal_fn)(po_backend *b, const po_ising *m, const po_schedule *s,
                            const po_anneal_opts *o, po_samples *out);

/* One annealing algorithm of a backend.  A backend's table of these is the
 * single place an algorithm's name, summary and default run length live:
 * dispatch, validation, `physopt backends`, help texts and sweeps are all
 * derived from it, so adding an algorithm is one row plus its run function
 * in the backend's folder. */
typedef struct po_algorithm {
  const char *name;    /* "sa", "cac" ... (run.algorithm) */
  const char *summary; /* one line for `physopt backends` */
  po_anneal_fn run;
  long default_steps; /* steps when the caller gives none */
} po_algorithm;

typedef struct po_backend_ops {
  const char *name;
  const char *summary;  /* one line for `physopt backends` */
  unsigned caps;        /* PO_CAP_* this backend implements itself (tested against the ops) */
  const char *fallback; /* backend that serves NULL ops, or NULL */
  /* Device parameters ([name] section) and cost model ([energy.name]). */
  const po_param_section *params;
  const po_param_section *energy;

  int (*create)(po_backend *b, const po_params *p);
  void (*destroy)(po_backend *b);
  /* C = alpha op(A) op(B) + beta C, row-major, M x N result, inner size K,
   * as the device computes it (exact for cpu, noisy for photonic). */
  int (*matmul)(po_backend *b, po_trans ta, po_trans tb, int M, int N, int K, float alpha,
                const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
  /* ising_anneal: the algorithms table, terminated by a row with name NULL;
   * the first row is the default.  NULL: annealing is the fallback's. */
  const po_algorithm *algorithms;
  /* states: trials x n, cues in, final states out. */
  int (*recall)(po_backend *b, const po_recall_task *t, int8_t *states, int trials);
  /* recall dynamics the recall op accepts, "glauber|steepest", or NULL
   * (checked by physopt sweep before a run starts). */
  const char *recall_dynamics;
} po_backend_ops;

/* The opened backend (public so that backends can be written outside the
 * library; users treat it as opaque and use the functions below). */
struct po_backend {
  const po_backend_ops *ops;
  void *data;           /* private state of the implementation */
  po_backend *fallback; /* opened on demand for NULL ops */
  po_params *params;    /* owned copy */
  po_ledger ledger;     /* accumulates over calls; po_backend_ledger_reset() */
  uint64_t seed;        /* for device noise in ops without opts (matmul) */
  uint64_t calls;       /* counter for per-call noise streams */
};

/* Opens backend `name` with parameters p (may be NULL: defaults).  Unknown
 * names list the available backends; invalid parameters name the key and
 * the accepted range. */
int po_backend_open(const char *name, const po_params *p, po_backend **out);
void po_backend_close(po_backend *b);

const char *po_backend_name(const po_backend *b);
unsigned po_backend_caps(const po_backend *b); /* own caps | fallback's */
po_ledger *po_backend_ledger(po_backend *b);
void po_backend_ledger_reset(po_backend *b);
void po_backend_set_seed(po_backend *b, uint64_t seed);

int po_backend_matmul(po_backend *b, po_trans ta, po_trans tb, int M, int N, int K, float alpha,
                      const float *A, int lda, const float *B, int ldb, float beta, float *C,
                      int ldc);
int po_backend_ising_anneal(po_backend *b, const po_ising *m, const po_schedule *s,
                            const po_anneal_opts *o, po_samples *out);
int po_backend_recall(po_backend *b, const po_recall_task *t, int8_t *states, int trials);

/* Registry. */
size_t po_backend_count(void);
const po_backend_ops *po_backend_ops_at(size_t i);
const po_backend_ops *po_backend_find(const char *name);

/* What a backend offers, answered without opening it: the fallback rule
 * (a NULL op runs on the fallback backend) is applied here once, and
 * callers (the CLI, sweeps, bindings) use only this. */
typedef enum { PO_OP_MATMUL = 0, PO_OP_ANNEAL = 1, PO_OP_RECALL = 2, PO_OP_COUNT = 3 } po_op;
#define PO_BACKEND_MAX_SECTIONS 4
typedef struct po_backend_info {
  const po_backend_ops *ops; /* the backend asked about */
  unsigned caps;             /* its own caps | its fallback's */
  /* The backend that runs each op (ops itself or its fallback), NULL when
   * nobody does. */
  const po_backend_ops *serves[PO_OP_COUNT];
  /* Annealing algorithms of serves[PO_OP_ANNEAL] (NULL when none). */
  const po_algorithm *algorithms;
  /* Parameter sections accepted with this backend: [name], [energy.name],
   * then the fallback's (its parameters reach the fallback when it runs). */
  const po_param_section *sections[PO_BACKEND_MAX_SECTIONS];
  int n_sections;
} po_backend_info;

/* Unknown names give the error that lists the registered backends. */
int po_backend_info_get(const char *name, po_backend_info *out);
/* Name of the backend that runs op (NULL when none). */
const char *po_backend_info_server(const po_backend_info *info, po_op op);
/* The algorithm called name (NULL or "": the default, the first row).
 * Errors name the backend, the one that anneals for it, and the valid
 * algorithms. */
int po_backend_algorithm(const po_backend_info *info, const char *name, const po_algorithm **out);
/* Algorithm names joined by sep ("sa|pt") into buf; returns buf ("-" when
 * the backend does not anneal). */
const char *po_backend_algorithm_names(const po_backend_info *info, const char *sep, char *buf,
                                       size_t size);

/* Helpers for implementations: the parameter section of this backend and
 * its cost model, read from b->params with defaults. */
int po_backend_param_double(const po_backend *b, const char *key, double *out);
int po_backend_param_int(const po_backend *b, const char *key, long *out);
int po_backend_param_string(const po_backend *b, const char *key, const char *out[]);
int po_backend_energy_cost(const po_backend *b, const char *key, double *joules);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
