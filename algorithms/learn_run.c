/* Learning runs configured from po_params (physopt/learn_run.h). */
#include "physopt/learn_run.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/threads.h"
#include "algorithms/run_util.h"
#include "physopt/error.h"
#include "physopt/run.h"

static const po_param_spec eval_specs[] = {
    PO_RUN_COMMON_SPECS,
    PO_RUN_TASK_SPEC,
    {"model", PO_PARAM_STRING, NULL, 0, 0, NULL, "path",
     "model file from physopt train --out, or RESULTS.h5:/runs/ID/model of a sweep train run"},
    {"backend", PO_PARAM_STRING, "cpu", 0, 0, NULL, "", "backend of the forward products"},
    {"data", PO_PARAM_STRING, "fashion-mnist", 0, 0, NULL, "", "data set (test split)"},
    {"test_samples", PO_PARAM_INT, "0", 0, 1e9, NULL, "1", "first N test images (0 = all)"},
    {"batch", PO_PARAM_INT, "1000", 1, 1 << 20, NULL, "1",
     "images per product (the photonic calibration is per product)"},
    {"sweep_photons", PO_PARAM_STRING, NULL, 0, 0, NULL, "photons",
     "comma-separated photons/MAC values: sweep on the photonic backend"},
    {"plot", PO_PARAM_STRING, NULL, 0, 0, NULL, "path", "PNG plot of the sweep (gnuplot)"},
    {"repeats", PO_PARAM_INT, "1", 1, 1000, NULL, "1",
     "noise realisations (seeds seed, seed+1, ...) averaged per point"},
};
const po_param_section po_eval_run_section = {"run", eval_specs, PO_RUN_N_OF(eval_specs)};

static const po_param_spec train_specs[] = {
    PO_RUN_COMMON_SPECS,
    PO_RUN_TASK_SPEC,
    {"backend", PO_PARAM_STRING, "cpu", 0, 0, NULL, "", "backend of the forward products"},
    {"data", PO_PARAM_STRING, "fashion-mnist", 0, 0, NULL, "",
     "fashion-mnist (Debian dataset-fashion-mnist) or a directory of MNIST-layout IDX files"},
    {"layers", PO_PARAM_STRING, "784-100-100-10", 0, 0, NULL, "", "layer sizes"},
    {"epochs", PO_PARAM_INT, "10", 0, 100000, NULL, "1", "passes over the training set"},
    {"batch", PO_PARAM_INT, "64", 1, 1 << 20, NULL, "1", "minibatch size"},
    {"optimizer", PO_PARAM_STRING, "adam", 0, 0, "adam|sgd", "", "Adam or SGD with momentum"},
    {"lr", PO_PARAM_DOUBLE, "1e-3", 1e-9, 10, NULL, "1", "learning rate (sgd: try 0.05)"},
    {"lr_decay", PO_PARAM_DOUBLE, "0.8", 0.01, 1, NULL, "1", "learning rate factor per epoch"},
    {"momentum", PO_PARAM_DOUBLE, "0.9", 0, 0.9999, NULL, "1", "SGD momentum"},
    {"weight_decay", PO_PARAM_DOUBLE, "0", 0, 1, NULL, "1", "L2 coefficient"},
    {"quant_w_bits", PO_PARAM_INT, "0", 0, 16, NULL, "bits",
     "quantisation-aware training: weights fake-quantised (0 = off)"},
    {"quant_act_bits", PO_PARAM_INT, "0", 0, 16, NULL, "bits",
     "quantisation-aware training: hidden activations fake-quantised (0 = off)"},
    {"backward_on_backend", PO_PARAM_BOOL, "false", 0, 0, NULL, "",
     "backward products on the backend too (default: exact)"},
    {"train_samples", PO_PARAM_INT, "0", 0, 1e9, NULL, "1", "first N training images (0 = all)"},
    {"test_samples", PO_PARAM_INT, "0", 0, 1e9, NULL, "1", "first N test images (0 = all)"},
    {"init", PO_PARAM_STRING, NULL, 0, 0, NULL, "path",
     "start from this model file (fine-tuning, e.g. noise-aware on photonic) instead of a random "
     "initialisation"},
};
const po_param_section po_train_run_section = {"run", train_specs, PO_RUN_N_OF(train_specs)};

/* Whether backend `name` has the device parameter `key`. */
static int has_param(const char *name, const char *key) {
  const po_backend_ops *ops = po_backend_find(name);
  if (!ops || !ops->params) return 0;
  for (size_t i = 0; i < ops->params->n_specs; i++)
    if (!strcmp(ops->params->specs[i].key, key)) return 1;
  return 0;
}

int po_learn_eval_on(const char *backend, const po_params *p, uint64_t seed, int repeats,
                     const po_mlp *m, const po_dataset *te, int batch, po_learn_point *out) {
  memset(out, 0, sizeof *out);
  po_backend *b;
  int rc = po_backend_open(backend, p, &b);
  if (rc) return rc;
  double t0 = po_run_now_s(), sa = 0, sa2 = 0, sl = 0;
  for (int r = 0; r < repeats && !rc; r++) {
    double acc, loss;
    po_backend_set_seed(b, seed + (uint64_t)r);
    rc = po_mlp_evaluate(m, b, te, batch, &acc, &loss);
    sa += acc;
    sa2 += acc * acc;
    sl += loss;
  }
  out->accuracy = sa / repeats;
  out->loss = sl / repeats;
  out->accuracy_sd = repeats > 1 ? sqrt(fmax(0.0, (sa2 - sa * sa / repeats) / (repeats - 1))) : NAN;
  out->wall = po_run_now_s() - t0;
  const po_ledger *l = po_backend_ledger(b);
  out->ledger = *l;
  po_run_fill_ledger_times(&out->ledger, out->wall);
  const po_ledger_entry *macs = po_ledger_find(l, "macs");
  /* optical energy: the source light where the backend charges it there
   * (photonic optical_energy = source), else the detected photons */
  const po_ledger_entry *ph = po_ledger_find(l, "source_light");
  if (!ph) ph = po_ledger_find(l, "detected_photons");
  out->macs = macs && macs->count > 0 ? macs->count : NAN;
  out->e_mac = po_ledger_total_joules(l) / out->macs;
  out->e_optical = ph ? ph->joules / out->macs : 0.0;
  out->photons = NAN;
  if (has_param(backend, "photons_per_mac") &&
      (rc = po_backend_param_double(b, "photons_per_mac", &out->photons)))
    out->photons = NAN;
  po_backend_close(b);
  return rc;
}

int po_learn_train_read(const po_params *p, po_learn_train_config *c) {
  const po_param_section *s = &po_train_run_section;
  memset(c, 0, sizeof *c);
  int rc;
  if ((rc = po_params_string(p, s, "backend", &c->backend)) ||
      (rc = po_params_string(p, s, "data", &c->data)) ||
      (rc = po_params_string(p, s, "layers", &c->layers)) ||
      (rc = po_params_string(p, s, "optimizer", &c->optimizer)) ||
      (rc = po_params_int(p, s, "epochs", &c->epochs)) ||
      (rc = po_params_int(p, s, "batch", &c->batch)) ||
      (rc = po_params_int(p, s, "quant_w_bits", &c->quant_w_bits)) ||
      (rc = po_params_int(p, s, "quant_act_bits", &c->quant_act_bits)) ||
      (rc = po_params_int(p, s, "train_samples", &c->train_samples)) ||
      (rc = po_params_int(p, s, "test_samples", &c->test_samples)) ||
      (rc = po_params_double(p, s, "lr", &c->lr)) ||
      (rc = po_params_double(p, s, "lr_decay", &c->lr_decay)) ||
      (rc = po_params_double(p, s, "momentum", &c->momentum)) ||
      (rc = po_params_double(p, s, "weight_decay", &c->weight_decay)) ||
      (rc = po_params_bool(p, s, "backward_on_backend", &c->backward_on_backend)))
    return rc;
  if (po_params_get(p, "run", "init") && (rc = po_params_string(p, s, "init", &c->init))) return rc;
  if (c->quant_w_bits == 1)
    return po_error(PO_ERR_ARG, "run.quant_w_bits = 1: signed weights need >= 2 bits (or 0 = off)");
  if ((rc = po_mlp_parse_sizes(c->layers, &c->n_layers, c->sizes)))
    return po_error_wrap(rc, "run.layers");
  return PO_OK;
}

typedef struct epoch_tap {
  po_epoch_fn fn;
  void *ctx;
  double loss, accuracy;
} epoch_tap;

static void tap_epoch(void *ctx, int epoch, double loss, double accuracy) {
  epoch_tap *t = ctx;
  t->loss = loss;
  t->accuracy = accuracy;
  if (t->fn) t->fn(t->ctx, epoch, loss, accuracy);
}

/* A copy of m (weights and biases; the quantisation is set by the run). */
static int mlp_copy(const po_mlp *m, po_mlp **out) {
  int rc = po_mlp_create(m->n_layers, m->sizes, 0, out);
  for (int l = 0; !rc && l < m->n_layers; l++) {
    memcpy((*out)->W[l], m->W[l], sizeof(float) * (size_t)m->sizes[l + 1] * m->sizes[l]);
    memcpy((*out)->b[l], m->b[l], sizeof(float) * (size_t)m->sizes[l + 1]);
  }
  return rc;
}

static int initial_model(const po_learn_train_config *c, uint64_t seed, const po_mlp *init,
                         po_mlp **m) {
  if (!c->init) return po_mlp_create(c->n_layers, c->sizes, seed, m);
  if (!init)
    return po_error(PO_ERR_ARG,
                    "run.init = %s: the model must be loaded by the caller (po_mlp_load)", c->init);
  int same = init->n_layers == c->n_layers;
  for (int l = 0; same && l <= c->n_layers; l++) same = init->sizes[l] == c->sizes[l];
  if (!same)
    return po_error(PO_ERR_ARG, "%s: layer sizes differ from run.layers = %s", c->init, c->layers);
  return mlp_copy(init, m);
}

int po_learn_train(const po_learn_train_config *c, const po_params *p, uint64_t seed,
                   const po_mlp *init, const po_dataset *tr, const po_dataset *te,
                   po_epoch_fn on_epoch, void *ctx, po_learn_train_result *r) {
  memset(r, 0, sizeof *r);
  r->train_samples = tr->n;
  po_backend *b = NULL;
  int rc = po_backend_open(c->backend, p, &b);
  if (!rc) rc = initial_model(c, seed, init, &r->model);
  if (rc) {
    po_backend_close(b);
    return rc;
  }
  po_backend_set_seed(b, seed);
  r->model->quant_w_bits = (int)c->quant_w_bits;
  r->model->quant_act_bits = (int)c->quant_act_bits;
  po_train_opts o;
  po_train_opts_default(&o);
  o.epochs = (int)c->epochs;
  o.batch = (int)c->batch;
  o.optimizer = c->optimizer;
  o.lr = c->lr;
  o.lr_decay = c->lr_decay;
  o.momentum = c->momentum;
  o.weight_decay = c->weight_decay;
  o.seed = seed;
  o.backward_on_backend = c->backward_on_backend;
  epoch_tap tap = {on_epoch, ctx, NAN, NAN};
  o.on_epoch = tap_epoch;
  o.ctx = &tap;
  double t0 = po_run_now_s();
  rc = po_mlp_train(r->model, b, tr, &o);
  r->train_s = po_run_now_s() - t0;
  r->train_loss = tap.loss;
  r->train_accuracy = tap.accuracy;
  r->train_joules = po_ledger_total_joules(po_backend_ledger(b));
  po_backend_close(b);
  if (rc) return rc;
  /* Inference on a fresh backend, seeded so that a train run evaluates like
   * physopt eval --seed SEED of the trained model. */
  return po_learn_eval_on(c->backend, p, seed, 1, r->model, te, 1000, &r->test);
}

/* ---- physopt eval ---- */

size_t po_eval_sections(const po_param_section **secs, size_t cap) {
  size_t n = 0;
  if (cap) secs[n++] = &po_eval_run_section;
  for (size_t i = 0; i < po_backend_count() && n + 2 <= cap; i++) {
    const po_backend_ops *o = po_backend_ops_at(i);
    if (o->params) secs[n++] = o->params;
    if (o->energy) secs[n++] = o->energy;
  }
  return n;
}

/* Whether backend `name` takes part: run.backend, and with a photon sweep
 * also photonic and its cpu reference. */
static int backend_used(const char *name, const po_eval_config *c) {
  return !strcmp(name, c->backend) ||
         (c->sweep_photons && (!strcmp(name, "photonic") || !strcmp(name, "cpu")));
}

/* A setting of a backend this evaluation does not run would be accepted
 * and ignored (as solve and train refuse it, so does eval). */
static int check_backend_keys(const po_params *p, const po_eval_config *c) {
  for (size_t i = 0; i < po_params_count(p); i++) {
    const char *sec, *key, *val;
    po_params_entry(p, i, &sec, &key, &val);
    for (size_t b = 0; b < po_backend_count(); b++) {
      const po_backend_ops *o = po_backend_ops_at(b);
      int owns = (o->params && !strcmp(o->params->name, sec)) ||
                 (o->energy && !strcmp(o->energy->name, sec));
      if (owns && !backend_used(o->name, c))
        return po_error(PO_ERR_ARG,
                        "%s.%s is a setting of backend %s, which this evaluation does not run "
                        "(run.backend = %s%s); it would be ignored",
                        sec, key, o->name, c->backend,
                        c->sweep_photons ? ", plus the photon sweep" : "");
    }
  }
  return PO_OK;
}

int po_eval_config_read(const po_params *p, po_eval_config *c) {
  const po_param_section *s = &po_eval_run_section, *secs[1 + 2 * 16];
  memset(c, 0, sizeof *c);
  int rc;
  if ((rc = po_params_check(p, secs, po_eval_sections(secs, PO_RUN_N_OF(secs)))) ||
      (rc = po_run_check_task(p, "eval", "eval")) || (rc = po_params_u64(p, s, "seed", &c->seed)) ||
      (rc = po_params_int(p, s, "threads", &c->threads)) ||
      (rc = po_params_string(p, s, "backend", &c->backend)) ||
      (rc = po_params_string(p, s, "data", &c->data)) ||
      (rc = po_params_int(p, s, "test_samples", &c->test_samples)) ||
      (rc = po_params_int(p, s, "batch", &c->batch)) ||
      (rc = po_params_int(p, s, "repeats", &c->repeats)))
    return rc;
  c->model = po_run_optional(p, "model");
  c->sweep_photons = po_run_optional(p, "sweep_photons");
  c->plot = po_run_optional(p, "plot");
  if (!c->model)
    return po_error(PO_ERR_ARG, "no model: pass --model FILE.h5 (run.model, from physopt train "
                                "--out)");
  if (c->plot && !c->sweep_photons)
    return po_error(PO_ERR_ARG, "--plot (run.plot) needs --sweep-photons");
  if (c->sweep_photons && strcmp(c->backend, "cpu") && strcmp(c->backend, "photonic"))
    return po_error(PO_ERR_ARG, "--sweep-photons runs the photonic backend (run.backend = %s)",
                    c->backend);
  return check_backend_keys(p, c);
}

int po_eval_run(const po_params *p, const po_mlp *model, po_eval_result *r) {
  po_eval_config c;
  po_dataset *te = NULL;
  memset(r, 0, sizeof *r);
  int rc = po_eval_config_read(p, &c);
  if (rc) return rc;
  if (c.sweep_photons || c.plot)
    return po_error(PO_ERR_ARG, "run.sweep_photons and run.plot belong to the command physopt "
                                "eval; here evaluate once per photonic.photons_per_mac");
  if (!model) return po_error(PO_ERR_ARG, "run.model = %s: no model loaded (po_mlp_load)", c.model);
  snprintf(r->backend, sizeof r->backend, "%s", c.backend);
  if ((rc = po_dataset_load(c.data, "test", (int)c.test_samples, &te))) return rc;
  r->test_samples = te->n;
  const int omp_caller = po_omp_threads_push((int)c.threads);
  double t0 = po_run_now_s();
  rc = po_learn_eval_on(c.backend, p, c.seed, (int)c.repeats, model, te, (int)c.batch, &r->point);
  r->wall_s = po_run_now_s() - t0;
  po_omp_threads_pop(omp_caller);
  po_dataset_destroy(te);
  return rc;
}

/* ---- physopt train ---- */

int po_train_sections(const char *backend, const po_param_section **secs, size_t cap, size_t *n) {
  po_backend_info info;
  int rc = po_backend_info_get(backend, &info); /* unknown names: the error lists them */
  *n = 0;
  if (rc || !cap) return rc;
  secs[0] = &po_train_run_section;
  *n = po_run_sections(&info, secs, 1, cap);
  return PO_OK;
}

int po_train_run(const po_params *p, const po_mlp *init, po_epoch_fn on_epoch, void *ctx,
                 po_train_run_result *r) {
  const po_param_section *s = &po_train_run_section, *secs[1 + PO_BACKEND_MAX_SECTIONS];
  const char *backend;
  po_dataset *tr = NULL, *te = NULL;
  long threads;
  size_t nsec;
  memset(r, 0, sizeof *r);
  int rc;
  if ((rc = po_params_string(p, s, "backend", &backend)) ||
      (rc = po_train_sections(backend, secs, PO_RUN_N_OF(secs), &nsec)) ||
      (rc = po_params_check(p, secs, nsec)) || (rc = po_run_check_task(p, "train", "train")) ||
      (rc = po_params_u64(p, s, "seed", &r->seed)) ||
      (rc = po_params_int(p, s, "threads", &threads)) || (rc = po_learn_train_read(p, &r->config)))
    return rc;
  const po_learn_train_config *c = &r->config;
  if ((rc = po_dataset_load(c->data, "train", (int)c->train_samples, &tr)) ||
      (rc = po_dataset_load(c->data, "test", (int)c->test_samples, &te)))
    goto done;
  r->test_samples = te->n;
  const int omp_caller = po_omp_threads_push((int)threads);
  double t0 = po_run_now_s();
  rc = po_learn_train(c, p, r->seed, init, tr, te, on_epoch, ctx, &r->train);
  r->wall_s = po_run_now_s() - t0;
  po_omp_threads_pop(omp_caller);
done:
  po_dataset_destroy(tr);
  po_dataset_destroy(te);
  return rc;
}

void po_train_run_free(po_train_run_result *r) {
  if (!r) return;
  po_mlp_destroy(r->train.model);
  r->train.model = NULL;
}
