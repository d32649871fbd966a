/* Learning runs configured from po_params: the single definition of the
 * [run] keys of `physopt eval` and `physopt train`, shared by those
 * commands and by the learning runs of `physopt sweep` (run.task = eval or
 * train; cli/sweep_exec.c), so that a learning sweep file is an ordinary
 * eval or train configuration with lists (docs/sweeps.md). */
#ifndef PHYSOPT_CLI_LEARN_RUN_H
#define PHYSOPT_CLI_LEARN_RUN_H

#include <stdint.h>
#include "physopt/learn.h"
#include "physopt/physopt.h"

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

/* Opens c->backend with p (device seed `seed`), creates the MLP from the
 * stream `seed` (or loads c->init), trains it on tr and evaluates it on te.
 * on_epoch (may be NULL) is called after every epoch. */
int po_learn_train(const po_learn_train_config *c, const po_params *p, uint64_t seed,
                   const po_dataset *tr, const po_dataset *te, po_epoch_fn on_epoch, void *ctx,
                   po_learn_train_result *r);

#endif
