/* Learning runs configured from po_params: the single definition of the
 * [run] keys of `physopt eval` and `physopt train`, shared by those
 * commands, by the learning runs of `physopt sweep` (run.task = eval or
 * train; cli/sweep_exec.c) and by the Python binding's physopt.evaluate
 * and physopt.train (docs/python.md), so that a learning sweep file is an
 * ordinary eval or train configuration with lists (docs/sweeps.md) and
 * the same parameters give the same numbers everywhere.
 *
 * Model files are HDF5 (po_mlp_load, io/): this layer takes models that
 * the caller has loaded, and reads data sets itself (po_dataset_load). */
#ifndef PHYSOPT_LEARN_RUN_H
#define PHYSOPT_LEARN_RUN_H

#include <stddef.h>
#include <stdint.h>
#include "physopt/backend.h"
#include "physopt/learn.h"
#include "physopt/ledger.h"
#include "physopt/params.h"

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared in include/physopt/ is exported from libphysopt.so,
 * nothing else is (-fvisibility=hidden; docs/design-notes.md). */
#pragma GCC visibility push(default)

extern const po_param_section po_eval_run_section;  /* [run] of physopt eval */
extern const po_param_section po_train_run_section; /* [run] of physopt train */

/* Accuracy and cost of a model's inference on one backend. */
typedef struct po_learn_point {
  double photons;     /* photonic.photons_per_mac, NaN on other backends */
  double accuracy;    /* mean over the noise realisations */
  double accuracy_sd; /* sample sd over them (NaN for one) */
  double loss;
  double macs;      /* MACs of all realisations (ledger "macs") */
  double e_mac;     /* ledger joules per MAC */
  double e_optical; /* detected-photon joules per MAC (0 without) */
  double wall;      /* seconds */
  po_ledger ledger; /* the inference ledger */
} po_learn_point;

/* Opens `backend` with p and evaluates m on te `repeats` times with device
 * seeds seed, seed+1, ... (batch images per product). */
int po_learn_eval_on(const char *backend, const po_params *p, uint64_t seed, int repeats,
                     const po_mlp *m, const po_dataset *te, int batch, po_learn_point *out);

/* ---- physopt eval ---- */

/* The keys of po_eval_run_section (optional strings NULL when unset). */
typedef struct po_eval_config {
  const char *model, *backend, *data, *sweep_photons, *plot;
  long test_samples, batch, repeats, threads;
  uint64_t seed;
} po_eval_config;

/* The sections an evaluation accepts: [run] and every backend's own and
 * energy sections (the photon sweep runs photonic and cpu); returns the
 * count written to secs[0..cap). */
size_t po_eval_sections(const po_param_section **secs, size_t cap);

/* Checks p (unknown keys, run.task, a setting of a backend that the
 * evaluation does not run, --plot without a sweep ...) and reads c;
 * run.model is required. */
int po_eval_config_read(const po_params *p, po_eval_config *c);

typedef struct po_eval_result {
  char backend[64];
  int test_samples;
  po_learn_point point; /* accuracy, loss, energy per MAC, ledger */
  double wall_s;
} po_eval_result;

/* One evaluation as `physopt eval` without --sweep-photons runs it: reads
 * the configuration, loads the test split of run.data and evaluates
 * `model` (loaded by the caller from run.model: po_mlp_load) on
 * run.backend with device seeds run.seed, run.seed + 1, ...  The photon
 * sweep (run.sweep_photons, run.plot) is the command's; here it is an
 * error.  po_request_stop() interrupts it. */
int po_eval_run(const po_params *p, const po_mlp *model, po_eval_result *r);

/* ---- physopt train ---- */

/* The training keys of po_train_run_section. */
typedef struct po_learn_train_config {
  const char *backend, *data, *layers, *optimizer, *init;
  long epochs, batch, quant_w_bits, quant_act_bits, train_samples, test_samples;
  double lr, lr_decay, momentum, weight_decay;
  int backward_on_backend;
  int n_layers, sizes[PO_MLP_MAX_LAYERS + 1];
} po_learn_train_config;

/* Reads and checks them (layer sizes parsed, quant_w_bits != 1). */
int po_learn_train_read(const po_params *p, po_learn_train_config *c);

typedef struct po_learn_train_result {
  po_mlp *model; /* trained; caller destroys */
  int train_samples;
  double train_loss, train_accuracy; /* last epoch (NaN for 0 epochs) */
  double train_s, train_joules;
  po_learn_point test; /* inference on the test set, same backend */
} po_learn_train_result;

/* Opens c->backend with p (device seed `seed`), starts from a copy of
 * `init` (the model of c->init, loaded by the caller; NULL: a new MLP from
 * the stream `seed`), trains it on tr and evaluates it on te.  on_epoch
 * (may be NULL) is called after every epoch. */
int po_learn_train(const po_learn_train_config *c, const po_params *p, uint64_t seed,
                   const po_mlp *init, const po_dataset *tr, const po_dataset *te,
                   po_epoch_fn on_epoch, void *ctx, po_learn_train_result *r);

/* The sections a training run on `backend` accepts ([run], the backend's
 * own and its fallback's); returns the count written to secs[0..cap). */
int po_train_sections(const char *backend, const po_param_section **secs, size_t cap, size_t *n);

typedef struct po_train_run_result {
  po_learn_train_config config; /* strings point into the caller's po_params */
  po_learn_train_result train;  /* the trained model, training and test numbers */
  uint64_t seed;
  int test_samples;
  double wall_s; /* training and test evaluation */
} po_train_run_result;

/* One training run as `physopt train` runs it: checks and reads the
 * configuration (run.seed, run.threads, [run], the backend's sections),
 * loads run.data's splits and trains (po_learn_train).  init: the model
 * of run.init, loaded by the caller (required when run.init is set).
 * Free r with po_train_run_free, also after an error.  po_request_stop()
 * interrupts it between minibatches. */
int po_train_run(const po_params *p, const po_mlp *init, po_epoch_fn on_epoch, void *ctx,
                 po_train_run_result *r);
void po_train_run_free(po_train_run_result *r);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
