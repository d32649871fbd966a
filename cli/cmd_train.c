/* physopt train: trains the MLP (default 784-100-100-10) on Fashion-MNIST on
 * a backend (cpu, or photonic for noise-aware training), reports the test
 * accuracy and writes the model to HDF5 (--out). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include "cli/common.h"
#include "physopt/learn.h"

static const po_param_spec run_specs[] = {
    PO_CLI_COMMON_RUN_SPECS,
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
static const po_param_section run_sec = {"run", run_specs, PO_CLI_N(run_specs)};
static const po_param_section *const base_secs[] = {&run_sec};

static const po_cli_option options[] = {
    {"backend", "run.backend", "NAME", "cpu | photonic (noise-aware training)"},
    {"data", "run.data", "NAME", "data set"},
    {"layers", "run.layers", "SIZES", "e.g. 784-100-100-10"},
    {"epochs", "run.epochs", "E", "epochs"},
    {"batch", "run.batch", "B", "minibatch size"},
    {"optimizer", "run.optimizer", "adam|sgd", "optimizer"},
    {"lr", "run.lr", "LR", "learning rate"},
    {"quant-w-bits", "run.quant_w_bits", "BITS", "weight quantisation-aware training"},
    {"quant-act-bits", "run.quant_act_bits", "BITS", "activation quantisation-aware training"},
    {"backward-on-backend", "run.backward_on_backend", NULL, "backward products on the backend"},
    {"train-samples", "run.train_samples", "N", "use the first N training images"},
    {"test-samples", "run.test_samples", "N", "use the first N test images"},
    {"init", "run.init", "FILE.h5", "fine-tune this model instead of starting from scratch"},
    {NULL, NULL, NULL, NULL}};

static const po_cli_spec spec = {
    "train",
    "[--backend cpu|photonic] [--epochs E] [--out model.h5] [options]",
    "Trains a multilayer perceptron (ReLU, softmax cross-entropy; Adam or SGD with\n"
    "momentum) on Fashion-MNIST.  Forward products run on the backend, so\n"
    "--backend photonic is noise-aware training at [photonic] photons_per_mac.\n"
    "Reports the test accuracy (on the same backend) and writes the model to --out.",
    options,
    base_secs,
    PO_CLI_N(base_secs),
    0};

typedef struct epoch_ctx {
  int quiet;
  double t0;
} epoch_ctx;

static void on_epoch(void *ctx, int e, double loss, double acc) {
  epoch_ctx *c = ctx;
  if (c->quiet) return;
  fprintf(stderr, "epoch %3d  loss %.4f  train accuracy %.4f  %6.1f s\n", e, loss, acc,
          po_cli_now() - c->t0);
}

int po_cmd_train(int argc, char **argv) {
  po_cli cli;
  po_backend *b = NULL;
  po_mlp *m = NULL;
  po_dataset *tr = NULL, *te = NULL;
  char *cfg = NULL, *cmdline = NULL;
  int rc = po_cli_parse(&cli, &spec, argc, argv);
  if (rc == PO_CLI_HELP) return 0;
  if (rc) return po_cli_exit(rc);
  const char *backend, *data, *layers, *optimizer;
  long epochs, batch, qw, qa, ntrain, ntest;
  double lr, lr_decay, momentum, wd;
  int bwd;
  const po_backend_ops *ops = NULL;
  if ((rc = po_params_string(cli.params, &run_sec, "backend", &backend))) goto done;
  if (!(ops = po_backend_find(backend))) {
    rc = po_backend_open(backend, NULL, &b); /* error message lists the backends */
    goto done;
  }
  const po_param_section *vsecs[3] = {&run_sec, NULL, NULL};
  size_t nsec = 1;
  if (ops->params) vsecs[nsec++] = ops->params;
  if (ops->energy) vsecs[nsec++] = ops->energy;
  if ((rc = po_params_check(cli.params, vsecs, nsec))) goto done;
  if ((rc = po_cli_read_common(&cli, &run_sec))) goto done;
  if ((rc = po_params_string(cli.params, &run_sec, "data", &data)) ||
      (rc = po_params_string(cli.params, &run_sec, "layers", &layers)) ||
      (rc = po_params_string(cli.params, &run_sec, "optimizer", &optimizer)) ||
      (rc = po_params_int(cli.params, &run_sec, "epochs", &epochs)) ||
      (rc = po_params_int(cli.params, &run_sec, "batch", &batch)) ||
      (rc = po_params_int(cli.params, &run_sec, "quant_w_bits", &qw)) ||
      (rc = po_params_int(cli.params, &run_sec, "quant_act_bits", &qa)) ||
      (rc = po_params_int(cli.params, &run_sec, "train_samples", &ntrain)) ||
      (rc = po_params_int(cli.params, &run_sec, "test_samples", &ntest)) ||
      (rc = po_params_double(cli.params, &run_sec, "lr", &lr)) ||
      (rc = po_params_double(cli.params, &run_sec, "lr_decay", &lr_decay)) ||
      (rc = po_params_double(cli.params, &run_sec, "momentum", &momentum)) ||
      (rc = po_params_double(cli.params, &run_sec, "weight_decay", &wd)) ||
      (rc = po_params_bool(cli.params, &run_sec, "backward_on_backend", &bwd)))
    goto done;
  if (qw == 1) {
    rc = po_error(PO_ERR_ARG, "run.quant_w_bits = 1: signed weights need >= 2 bits (or 0 = off)");
    goto done;
  }
  if (cli.threads > 0) omp_set_num_threads(cli.threads);
  int n_layers, sizes[PO_MLP_MAX_LAYERS + 1];
  if ((rc = po_mlp_parse_sizes(layers, &n_layers, sizes))) goto done;
  if ((rc = po_backend_open(backend, cli.params, &b))) goto done;
  po_backend_set_seed(b, cli.seed);
  if ((rc = po_dataset_load(data, "train", (int)ntrain, &tr)) ||
      (rc = po_dataset_load(data, "test", (int)ntest, &te)))
    goto done;
  if (po_params_get(cli.params, "run", "init")) {
    const char *init;
    po_params_string(cli.params, &run_sec, "init", &init);
    if ((rc = po_mlp_load(init, &m))) goto done;
    int same = m->n_layers == n_layers;
    for (int l = 0; same && l <= n_layers; l++) same = m->sizes[l] == sizes[l];
    if (!same) {
      rc = po_error(PO_ERR_ARG, "%s: layer sizes differ from run.layers = %s", init, layers);
      goto done;
    }
  } else if ((rc = po_mlp_create(n_layers, sizes, cli.seed, &m))) {
    goto done;
  }
  m->quant_w_bits = (int)qw;
  m->quant_act_bits = (int)qa;
  po_train_opts o;
  po_train_opts_default(&o);
  o.epochs = (int)epochs;
  o.batch = (int)batch;
  o.optimizer = optimizer;
  o.lr = lr;
  o.lr_decay = lr_decay;
  o.momentum = momentum;
  o.weight_decay = wd;
  o.seed = cli.seed;
  o.backward_on_backend = bwd;
  epoch_ctx ec = {cli.json, po_cli_now()};
  o.on_epoch = on_epoch;
  o.ctx = &ec;
  double t0 = po_cli_now();
  if ((rc = po_mlp_train(m, b, tr, &o))) goto done;
  double train_s = po_cli_now() - t0;
  po_ledger train_ledger = *po_backend_ledger(b);
  po_backend_ledger_reset(b);
  double acc, loss;
  if ((rc = po_mlp_evaluate(m, b, te, 1000, &acc, &loss))) goto done;
  double wall = po_cli_now() - t0;
  const po_ledger *l = po_backend_ledger(b);
  const po_ledger_entry *macs = po_ledger_find(l, "macs");
  double e_mac = macs && macs->count > 0 ? po_ledger_total_joules(l) / macs->count : NAN;
  double n_photons = NAN;
  if (ops->params && po_cli_find_spec(vsecs, nsec, ops->name, "photons_per_mac"))
    po_backend_param_double(b, "photons_per_mac", &n_photons);
  if (cli.out) {
    cfg = po_cli_config_text(cli.params, vsecs, nsec);
    cmdline = po_cli_command_line();
    char accs[64], seeds[32];
    snprintf(accs, sizeof accs, "%.6f", acc);
    snprintf(seeds, sizeof seeds, "%llu", (unsigned long long)cli.seed);
    const char *keys[] = {"program", "command_line", "config",       "seed",
                          "backend", "data",         "test_accuracy"};
    const char *vals[] = {"physopt", cmdline, cfg ? cfg : "", seeds, backend, data, accs};
    if ((rc = po_mlp_save(m, cli.out, (int)PO_CLI_N(keys), keys, vals))) goto done;
  }
  if (cli.json) {
    po_json j;
    po_json_begin(&j, stdout);
    po_json_string(&j, "command", "train");
    po_json_string(&j, "backend", backend);
    po_json_string(&j, "data", data);
    po_json_string(&j, "layers", layers);
    po_json_int(&j, "epochs", epochs);
    po_json_int(&j, "train_samples", tr->n);
    po_json_int(&j, "test_samples", te->n);
    po_json_number(&j, "test_accuracy", acc);
    po_json_number(&j, "test_loss", loss);
    po_json_number(&j, "photons_per_mac", n_photons);
    po_json_number(&j, "energy_per_mac_j", e_mac);
    po_json_number(&j, "train_energy_j", po_ledger_total_joules(&train_ledger));
    po_json_number(&j, "train_s", train_s);
    po_json_number(&j, "wall_s", wall);
    po_json_string(&j, "model", cli.out);
    po_json_end(&j);
  } else {
    printf("backend         %s\n", backend);
    printf("data            %s (%d train, %d test images)\n", data, tr->n, te->n);
    printf("network         %s, %ld epochs, %s\n", layers, epochs, optimizer);
    printf("test accuracy   %.4f   (loss %.4f, on %s)\n", acc, loss, backend);
    if (!isnan(n_photons)) printf("photons/MAC     %g\n", n_photons);
    printf("energy/MAC      %.3g J (inference on %s)\n", e_mac, backend);
    printf("wall            %.1f s (training %.1f s)\n", wall, train_s);
    if (cli.out) printf("model           %s\n", cli.out);
  }
done:
  free(cfg);
  free(cmdline);
  po_mlp_destroy(m);
  po_dataset_destroy(tr);
  po_dataset_destroy(te);
  po_backend_close(b);
  po_cli_free(&cli);
  return po_cli_exit(rc);
}
