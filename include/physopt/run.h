/* One anneal run, configured from po_params: the single definition of the
 * run configuration shared by `physopt solve` (cli/cmd_solve.c) and every
 * run of `physopt sweep` (cli/sweep_exec.c), so that a sweep file is an
 * ordinary run config (docs/cli.md, docs/sweeps.md), and of the Python
 * binding's physopt.solve (python/physopt, docs/python.md): one place for
 * the defaults.
 *
 * The keys are the sections [run], [problem] and [schedule] below plus the
 * backend's own [NAME] and [energy.NAME].  The usual sequence:
 *
 *   po_run_find_backend(p, &ops);           // run.backend, error lists the names
 *   po_run_config_read(p, ops, &c);          // algorithm, replicas, steps, targets, load
 *   po_problem_open(spec, &c.load, &m);
 *   po_run_resolve_target(&c, m);            // known ground energy by default
 *   po_run_make_schedule(p, &s, desc, size); // schedule.spec or kind/start/end/...
 *   po_run_anneal(&c, p, m, &s, &o, &r);     // open, anneal, ledger times, metrics
 *   ...
 *   po_run_result_free(&r); */
#ifndef PHYSOPT_RUN_H
#define PHYSOPT_RUN_H

#include <stddef.h>
#include <stdint.h>
#include "physopt/backend.h"
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

/* The run-section specs of the common options; put them first in each
 * command's [run] table. */
#define PO_RUN_COMMON_SPECS                                                                        \
  {"seed",                                                                                         \
   PO_PARAM_INT,                                                                                   \
   "1",                                                                                            \
   0,                                                                                              \
   1.8446744073709552e19,                                                                          \
   NULL,                                                                                           \
   "1",                                                                                            \
   "master seed; streams derive from (seed, run, replica)"},                                       \
      {"threads", PO_PARAM_INT, "0", 0, 4096, NULL, "1", "OpenMP threads (0 = OMP default)"},      \
      {"out", PO_PARAM_STRING, NULL, 0, 0, NULL, "path", "HDF5 results file (none if unset)"},     \
      {"force",                                                                                    \
       PO_PARAM_BOOL,                                                                              \
       "false",                                                                                    \
       0,                                                                                          \
       0,                                                                                          \
       NULL,                                                                                       \
       "1",                                                                                        \
       "replace an existing run.out (sweep: no effect, its master is rebuilt from OUT.d/)"},       \
      {"json", PO_PARAM_BOOL, "false", 0, 0, NULL, "1", "print a JSON summary on stdout"}, {       \
    "quiet", PO_PARAM_BOOL, "false", 0, 0, NULL, "1", "no progress output on stderr"               \
  }

/* run.task: what a configuration runs; physopt sweep dispatches on it, the
 * single-run commands check it with po_cli_check_task. */
#define PO_RUN_TASK_SPEC                                                                           \
  {                                                                                                \
    "task", PO_PARAM_STRING, NULL, 0, 0, "anneal|eval|train|recall", "",                           \
        "what the run does: anneal (physopt solve), eval, train, recall; physopt sweep runs the "  \
        "named "                                                                                   \
        "command's configuration (default anneal)"                                                 \
  }

/* An error unless run.task is unset or names `task` (the command's own). */
int po_run_check_task(const po_params *p, const char *task, const char *command);

typedef struct po_run_config {
  const po_backend_ops *backend;  /* run.backend */
  po_backend_info info;           /* what it offers, fallback applied */
  const po_backend_ops *annealer; /* backend, or the fallback that runs its ising_anneal */
  char algorithm[64];             /* run.algorithm, default the annealer's first */
  long replicas, steps;           /* steps default: the algorithm's default_steps */
  uint64_t run_id;                /* run.run_id (the sweep sets its own) */
  po_load_opts load;              /* problem.duplicates, problem.storage */
  int has_target_energy, has_target_cut;
  double target_energy, target_cut;
  /* Filled by po_run_resolve_target. */
  int has_target;
  double target;
  char target_note[128]; /* "run.target_energy", "cut >= C", "known ground energy" */
} po_run_config;

/* [run] (with the common seed, threads, out, json), [problem], [schedule]. */
extern const po_param_section po_run_section;
extern const po_param_section po_run_problem_section;
extern const po_param_section po_run_schedule_section;

/* The backend named by run.backend; an unknown name gives the error that
 * lists the registered backends. */
int po_run_find_backend(const po_params *p, const po_backend_ops **ops);

/* Appends the parameter sections a backend accepts (its own, then its
 * fallback's: po_backend_info) to secs[n..cap); returns the new count. */
size_t po_run_sections(const po_backend_info *info, const po_param_section **secs, size_t n,
                       size_t cap);

/* Reads run.algorithm (checked against the annealer's list), replicas,
 * steps, run_id, target_energy / target_cut (mutually exclusive) and the
 * load options into c. */
int po_run_config_read(const po_params *p, const po_backend_ops *ops, po_run_config *c);

/* The success target: run.target_energy, else run.target_cut converted to
 * an energy (needs a problem without fields), else the problem's known
 * ground energy, else none (has_target = 0). */
int po_run_resolve_target(po_run_config *c, const po_ising *m);

/* The schedule from schedule.spec or from kind/start/end/steepness/file
 * (both forms at once are an error); desc gets its one-string form. */
int po_run_make_schedule(const po_params *p, po_schedule *s, char *desc, size_t size);

/* Backends book their own times; fills what one left out: wall from the
 * measured wall time, device from wall, run from device. */
void po_run_fill_ledger_times(po_ledger *l, double wall_s);

/* The recipe a run used (algorithms/recipe.c; docs/cim.md "Scale-aware
 * defaults"): name "none" or an instance class (po_problem_class_name), the
 * file found, and a note (the instance statistics, or why none applied). */
typedef struct po_recipe_choice {
  char name[32];
  char file[1024];
  char note[160];
} po_recipe_choice;

/* The [recipe] section of a recipe file (algorithm, summary). */
extern const po_param_section po_recipe_section;
/* "configs/<backend>-recipes/<cls>.ini" into buf. */
int po_recipe_path(const char *backend, const char *cls, char *buf, size_t size);
/* Finds (po_config_find) and reads a recipe file, checking its [recipe] and
 * backend keys; *out freed by the caller; file gets the path found. */
int po_recipe_load(const char *backend, const char *cls, po_params **out, char *file, size_t size);
/* When the backend declares a `recipe` parameter and it is auto (the class
 * from po_problem_classify on m) or a class name: *out = a copy of p
 * with the recipe's values for every backend key p leaves unset (explicit
 * values win) and <backend>.recipe = the class; *out = NULL when none
 * applies (recipe none, no such key, auto with a recipe tuned for another
 * algorithm, or the recipe key left at its default auto while p sets another
 * key of the backend's section; a class named explicitly for another
 * algorithm is an error).  ch->note says which, or gives the statistics. */
int po_run_recipe_resolve(const po_params *p, const char *backend, const char *algorithm,
                          const po_ising *m, po_params **out, po_recipe_choice *ch);

typedef struct po_run_result {
  po_backend *backend;     /* open; holds the ledger */
  po_recipe_choice recipe; /* the recipe applied under p (name "none" when none) */
  po_samples samples;
  po_ledger *ledger;
  po_metrics metrics;
  int threads; /* resolved thread count */
} po_run_result;

/* Opens the backend with p, seeds it, anneals m with the configured
 * algorithm, replicas, steps and run id (seed, threads, progress from o;
 * threads 0 = the OpenMP default), fills the ledger times and computes the
 * metrics against c->target.  Free r with po_run_result_free, also on
 * error. */
int po_run_anneal(const po_run_config *c, const po_params *p, const po_ising *m,
                  const po_schedule *s, const po_anneal_opts *o, po_run_result *r);
void po_run_result_free(po_run_result *r);

/* One whole solve as `physopt solve` runs it, for bindings (the Python
 * package, docs/python.md): the same steps in the same order, so that the
 * same parameters give the same numbers.  p holds the configuration
 * (run.seed, run.threads, [run], [problem], [schedule], the backend's
 * sections; unknown keys are errors naming the valid ones).  model: the
 * problem to solve, or NULL to open problem.spec (there is no
 * demonstration default here: NULL without problem.spec is an error).
 * *out is freed with po_solve_free, also after an error; the accessors
 * below read it.  No progress output; po_request_stop() interrupts it. */
typedef struct po_solve po_solve;
int po_solve_run(const po_params *p, const po_ising *model, po_solve **out);
void po_solve_free(po_solve *s);
const po_samples *po_solve_samples(const po_solve *s);
const po_metrics *po_solve_metrics(const po_solve *s);
const po_ledger *po_solve_ledger(const po_solve *s);
const po_ising *po_solve_model(const po_solve *s);
/* Resolved algorithm, schedule (one-string form), target note. */
const char *po_solve_text(const po_solve *s, const char *what);
/* Resolved steps, replicas, threads, seed (as a double: exact below 2^53). */
double po_solve_number(const po_solve *s, const char *what);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
