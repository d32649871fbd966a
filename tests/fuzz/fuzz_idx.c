/* libFuzzer target: the IDX reader (problems/idx.c), plain and gzip. */
#include "physopt/dataset.h"
#include "tests/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  po_idx x;
  int rc = po_idx_read(po_fuzz_file(data, size), &x);
  po_fuzz_check_status(rc);
  if (!rc) {
    size_t count = 1;
    for (int d = 0; d < x.ndims; d++) count *= (size_t)x.dims[d];
    if (count != x.count) abort();
    po_idx_free(&x);
  }
  return 0;
}
