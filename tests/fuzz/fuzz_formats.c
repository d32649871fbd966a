/* libFuzzer target: every problem file reader of the format table
 * (po_problem_formats: G-set, QUBO, Matrix Market, NPY, NPZ).  The first
 * input byte picks the reader, the rest is the file; a model that loads
 * must have a finite energy. */
#include <math.h>
#include "physopt/problem.h"
#include "tests/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t n_formats;
  const po_problem_format *formats = po_problem_formats(&n_formats);
  const po_problem_format *fmt = &formats[data[0] % n_formats];
  po_load_opts opts = {(data[0] / n_formats) & 1 ? PO_DUP_SUM : PO_DUP_REJECT, -1, fmt->name};
  po_ising *m = NULL;
  int rc = po_problem_read(po_fuzz_file(data + 1, size - 1), &opts, &m);
  po_fuzz_check_status(rc);
  if (!rc) {
    int8_t s[64];
    if (m->n <= 64) {
      for (int i = 0; i < m->n; i++) s[i] = (i & 1) ? 1 : -1;
      if (!isfinite(po_ising_energy(m, s))) abort();
    }
    po_ising_destroy(m);
  }
  return 0;
}
