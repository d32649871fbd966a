/* physopt train: trains the MLP (default 784-100-100-10) on Fashion-MNIST on
 * a backend (cpu, or photonic for noise-aware training), reports the test
 * accuracy and writes the model to HDF5 (--out). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/common.h"
#include "cli/run_config.h"
#include "cli/learn_run.h"
#include "physopt/learn.h"

static const po_param_section *const base_secs[] = {&po_train_run_section};

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
  long epochs;
} epoch_ctx;

/* One progress line per epoch (stderr, also when it is not a terminal):
 * elapsed time and the ETA from the mean epoch time so far. */
static void on_epoch(void *ctx, int e, double loss, double acc) {
  epoch_ctx *c = ctx;
  if (c->quiet) return;
  double el = po_cli_now() - c->t0;
  char eta[32];
  po_cli_format_eta(eta, sizeof eta, el, c->epochs > 0 ? (double)e / c->epochs : 1.0);
  fprintf(stderr, "epoch %3d/%ld  loss %.4f  train accuracy %.4f  %6.1f s  %s\n", e, c->epochs,
          loss, acc, el, eta);
}

int po_cmd_train(int argc, char **argv) {
  po_cli cli;
  po_mlp *init = NULL;
  po_train_run_result r = {0};
  char *cfg = NULL, *cmdline = NULL;
  int rc = po_cli_parse(&cli, &spec, argc, argv);
  if (rc == PO_CLI_HELP) return 0;
  if (rc) return po_cli_exit(rc);
  const po_param_section *run_sec = &po_train_run_section;
  const char *backend, *init_path = po_params_get(cli.params, "run", "init");
  const po_param_section *vsecs[1 + PO_BACKEND_MAX_SECTIONS];
  size_t nsec;
  if ((rc = po_params_string(cli.params, run_sec, "backend", &backend)) ||
      (rc = po_train_sections(backend, vsecs, PO_CLI_N(vsecs), &nsec)) ||
      (rc = po_params_check(cli.params, vsecs, nsec)) ||
      (rc = po_cli_check_task(cli.params, "train", "train")) ||
      (rc = po_cli_read_common(&cli, run_sec)))
    goto done;
  if (init_path && *init_path) {
    po_cli_reading(init_path);
    rc = po_mlp_load(init_path, &init);
    po_cli_reading(NULL);
    if (rc) goto done;
  }
  long epochs = 0;
  po_params_int(cli.params, run_sec, "epochs", &epochs);
  epoch_ctx ec = {cli.json || cli.quiet, po_cli_now(), epochs};
  po_cli_interrupt_note("nothing was saved: %s is written after the last epoch; run the same "
                        "command again (same seed, same result)",
                        cli.out ? cli.out : "the model");
  /* The library reads the configuration, loads the data and trains, as
   * for the Python binding's physopt.train. */
  if ((rc = po_train_run(cli.params, init, on_epoch, &ec, &r))) goto done;
  const po_learn_train_config *c = &r.config;
  const double wall = r.wall_s;
  if (cli.out) {
    cfg = po_cli_config_text(cli.params, vsecs, nsec);
    cmdline = po_cli_command_line();
    const po_mlp_attr attrs[] = {
        {.key = "program", .text = "physopt"},
        {.key = "command_line", .text = cmdline},
        {.key = "config", .text = cfg ? cfg : ""},
        {.key = "seed", .type = PO_MLP_ATTR_U64, .u64 = cli.seed},
        {.key = "backend", .text = backend},
        {.key = "data", .text = c->data},
        {.key = "test_accuracy", .type = PO_MLP_ATTR_F64, .f64 = r.train.test.accuracy}};
    if ((rc = po_mlp_save_attrs(r.train.model, cli.out, attrs, (int)PO_CLI_N(attrs)))) goto done;
  }
  if (cli.json) {
    po_json j;
    po_json_begin(&j, stdout);
    po_json_string(&j, "command", "train");
    po_json_string(&j, "backend", backend);
    po_json_string(&j, "data", c->data);
    po_json_string(&j, "layers", c->layers);
    po_json_int(&j, "epochs", c->epochs);
    po_json_int(&j, "train_samples", r.train.train_samples);
    po_json_int(&j, "test_samples", r.test_samples);
    po_json_number(&j, "test_accuracy", r.train.test.accuracy);
    po_json_number(&j, "test_loss", r.train.test.loss);
    po_json_number(&j, "photons_per_mac", r.train.test.photons);
    po_json_number(&j, "energy_per_mac_j", r.train.test.e_mac);
    po_json_number(&j, "train_energy_j", r.train.train_joules);
    po_json_number(&j, "train_s", r.train.train_s);
    po_json_number(&j, "wall_s", wall);
    po_json_string(&j, "model", cli.out);
    po_json_end(&j);
  } else {
    printf("backend         %s\n", backend);
    printf("data            %s (%d train, %d test images)\n", c->data, r.train.train_samples,
           r.test_samples);
    printf("network         %s, %ld epochs, %s\n", c->layers, c->epochs, c->optimizer);
    printf("test accuracy   %.4f   (loss %.4f, on %s)\n", r.train.test.accuracy, r.train.test.loss,
           backend);
    if (!isnan(r.train.test.photons)) printf("photons/MAC     %g\n", r.train.test.photons);
    printf("energy/MAC      %.3g J (inference on %s)\n", r.train.test.e_mac, backend);
    printf("wall            %.1f s (training %.1f s)\n", wall, r.train.train_s);
    if (cli.out) printf("model           %s\n", cli.out);
  }
done:
  free(cfg);
  free(cmdline);
  po_mlp_destroy(init);
  po_train_run_free(&r);
  po_cli_free(&cli);
  return po_cli_exit(rc);
}
