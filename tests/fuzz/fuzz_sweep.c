/* libFuzzer target: sweep expansion (io/sweep.c) of a fuzzed sweep file:
 * lists, zip groups, repeats, backend-specific lists; every run's id must be
 * found again and its materialised config must give the same id. */
#include "physopt/params.h"
#include "physopt/sweep.h"
#include "tests/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  po_params *p = NULL;
  if (po_params_create(&p)) return 0;
  po_sweep *s = NULL;
  int rc = po_params_load_ini(p, po_fuzz_file(data, size));
  if (!rc && po_params_count(p) > 0) {
    rc = po_sweep_expand(p, &s);
    po_fuzz_check_status(rc);
  }
  for (size_t r = 0; s && r < po_sweep_size(s) && r < 64; r++) {
    if (po_sweep_find(s, po_sweep_run_id(s, r)) != r) abort();
    for (size_t k = 0; k < po_sweep_n_keys(s); k++)
      if (!po_sweep_run_value(s, r, k)) abort();
    po_params *rp = NULL;
    if (po_sweep_run_params(s, r, &rp) == PO_OK &&
        po_sweep_config_id(rp, po_sweep_run_repeat(s, r)) != po_sweep_run_id(s, r))
      abort();
    po_params_destroy(rp);
  }
  po_sweep_destroy(s);
  po_params_destroy(p);
  return 0;
}
