/* libFuzzer target: the G-set / rudy edge-list reader (problems/gset.c),
 * both duplicate policies; a model that loads must have finite energies. */
#include <math.h>
#include "physopt/problem.h"
#include "tests/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = po_fuzz_file(data, size);
  for (int policy = 0; policy < 2; policy++) {
    po_load_opts opts = {policy ? PO_DUP_SUM : PO_DUP_REJECT, -1, NULL};
    po_ising *m = NULL;
    int rc = po_ising_read_file(path, &opts, &m);
    po_fuzz_check_status(rc);
    if (rc) continue;
    int8_t s[64];
    if (m->n <= 64) {
      for (int i = 0; i < m->n; i++) s[i] = (i & 1) ? 1 : -1;
      if (!isfinite(po_ising_energy(m, s))) abort(); /* weights and sums fit float */
    }
    po_ising_destroy(m);
  }
  return 0;
}
