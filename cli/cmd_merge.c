/* physopt merge: turns a sweep's master file (external links into OUT.d/)
 * plus any part files it does not link yet into one self-contained HDF5
 * file, written by temp + rename (docs/sweeps.md). */
#include <stdio.h>
#include "cli/common.h"
#include "io/sweep_store.h"

static const po_param_spec run_specs[] = {PO_CLI_COMMON_RUN_SPECS};
static const po_param_section run_sec = {"run", run_specs, PO_CLI_N(run_specs)};
static const po_param_section *const secs[] = {&run_sec};
static const po_cli_option opts[] = {{NULL, NULL, NULL, NULL}};
static const po_cli_spec spec = {
    "merge",
    "RESULTS.h5 [--out MERGED.h5]",
    "Copies every run of a sweep (the master's links and any complete part file in\n"
    "RESULTS.h5.d/) into one self-contained file: MERGED.h5, or RESULTS.h5 itself when\n"
    "--out is not given (the part directory is left in place and may then be removed).",
    opts,
    secs,
    1,
    1};

int po_cmd_merge(int argc, char **argv) {
  po_cli cli;
  int rc = po_cli_parse(&cli, &spec, argc, argv);
  if (rc == PO_CLI_HELP) return 0;
  if (!rc && cli.n_args != 1)
    rc = po_error(PO_ERR_ARG, "merge: expected one results file (physopt merge RESULTS.h5)");
  if (!rc) rc = po_params_check(cli.params, secs, 1);
  if (!rc) rc = po_cli_read_common(&cli, &run_sec);
  size_t n = 0;
  const char *dest = NULL;
  if (!rc) {
    dest = cli.out ? cli.out : cli.args[0];
    po_cli_reading(cli.args[0]);
    rc = po_sweep_merge(cli.args[0], dest, &n);
    po_cli_reading(NULL);
  }
  if (!rc) {
    if (cli.json) {
      po_json j;
      po_json_begin(&j, stdout);
      po_json_string(&j, "out", dest);
      po_json_int(&j, "runs", (long long)n);
      po_json_end(&j);
    } else
      printf("merged %zu runs into %s\n", n, dest);
  }
  po_cli_free(&cli);
  return po_cli_exit(rc);
}
