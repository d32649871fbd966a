/* Learning algorithms that run on any backend: a multilayer perceptron
 * (default 784-100-100-10, ReLU hidden layers, softmax cross-entropy output)
 * trained by minibatch SGD with momentum or Adam.  Forward products (and
 * optionally backward ones) go through po_backend_matmul of the chosen
 * backend, so training on a noisy device is noise-aware training.
 * Quantisation-aware training fake-quantises weights (signed, per tensor)
 * and hidden activations (unsigned, per batch) in the forward pass with the
 * straight-through estimator in the backward pass.
 *
 * Layout: layer l maps size[l] -> size[l+1] with W_l (size[l+1] x size[l],
 * row-major) and b_l; activations are stored feature-major (features x
 * batch), so every layer is one product W_l H_{l-1}. */
#ifndef PHYSOPT_LEARN_H
#define PHYSOPT_LEARN_H

#include <stdint.h>
#include "physopt/backend.h"
#include "physopt/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared in include/physopt/ is exported from libphysopt.so,
 * nothing else is (-fvisibility=hidden; docs/design-notes.md). */
#pragma GCC visibility push(default)

#define PO_MLP_MAX_LAYERS 8

typedef struct po_mlp {
  int n_layers;                     /* weight layers; sizes has n_layers + 1 entries */
  int sizes[PO_MLP_MAX_LAYERS + 1]; /* e.g. 784 100 100 10 */
  float *W[PO_MLP_MAX_LAYERS];      /* sizes[l+1] x sizes[l] */
  float *b[PO_MLP_MAX_LAYERS];      /* sizes[l+1] */
  int quant_w_bits;                 /* 0 = off; else weights fake-quantised to this */
  int quant_act_bits;               /* 0 = off; else hidden activations */
} po_mlp;

/* He-normal initialisation from the stream (seed, layer, 0); biases 0. */
int po_mlp_create(int n_layers, const int *sizes, uint64_t seed, po_mlp **out);
/* Parses "784-100-100-10". */
int po_mlp_parse_sizes(const char *spec, int *n_layers, int sizes[PO_MLP_MAX_LAYERS + 1]);
void po_mlp_destroy(po_mlp *m);

typedef void (*po_epoch_fn)(void *ctx, int epoch, double train_loss, double train_accuracy);

typedef struct po_train_opts {
  int epochs;              /* default 10 */
  int batch;               /* default 64 */
  const char *optimizer;   /* "adam" (default) | "sgd" (with momentum) */
  double lr;               /* default 1e-3 (adam), use ~0.05 for sgd */
  double momentum;         /* sgd, default 0.9 */
  double lr_decay;         /* lr multiplied by this after every epoch, default 0.8 */
  double weight_decay;     /* L2 coefficient, default 0 */
  uint64_t seed;           /* shuffling; default 1 */
  int backward_on_backend; /* backward products also on the backend, default 0 */
  po_epoch_fn on_epoch;    /* may be NULL */
  void *ctx;
} po_train_opts;

void po_train_opts_default(po_train_opts *o);

/* Trains m in place on d; every forward product goes through b. */
int po_mlp_train(po_mlp *m, po_backend *b, const po_dataset *d, const po_train_opts *o);

/* Accuracy (share of argmax == label) and mean cross-entropy on d, forward
 * products on b in batches of `batch` samples (0 = 1000). */
int po_mlp_evaluate(const po_mlp *m, po_backend *b, const po_dataset *d, int batch,
                    double *accuracy, double *loss);

/* Central-difference check of the analytic gradient of the mean
 * cross-entropy on the first `n` samples of d (exact arithmetic); returns
 * the largest relative error max |g - g_fd| / max(|g| + |g_fd|, 1e-4) over
 * `n_probe` parameters chosen from the stream (seed, 0, 0). */
int po_mlp_gradient_check(po_mlp *m, const po_dataset *d, int n, int n_probe, uint64_t seed,
                          double *max_rel_err);

/* HDF5 model file (written to a temporary name, then renamed): root
 * attributes format = "physopt-mlp-1", version, git_revision, sizes,
 * quant_w_bits, quant_act_bits, and the optional key/value string
 * attributes; groups layer<l> with datasets W and b. */
int po_mlp_save(const po_mlp *m, const char *path, int n_attrs, const char *const *keys,
                const char *const *values);
/* The same with typed attributes, so that numbers read back as numbers
 * (h5py: float / int, not bytes). */
typedef enum { PO_MLP_ATTR_TEXT, PO_MLP_ATTR_F64, PO_MLP_ATTR_U64 } po_mlp_attr_type;
typedef struct po_mlp_attr {
  const char *key;
  po_mlp_attr_type type;
  const char *text; /* PO_MLP_ATTR_TEXT */
  double f64;       /* PO_MLP_ATTR_F64 */
  uint64_t u64;     /* PO_MLP_ATTR_U64 */
} po_mlp_attr;
int po_mlp_save_attrs(const po_mlp *m, const char *path, const po_mlp_attr *attrs, int n_attrs);
/* path: a model file, or "FILE.h5:/group" for a model stored in a group of
 * another file (a sweep's train run: "results.h5:/runs/ID/model"). */
int po_mlp_load(const char *path, po_mlp **out);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
