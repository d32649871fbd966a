/* libFuzzer target: the INI reader (core/params.c) and the text it writes
 * back, which must read again to the same entries. */
#include <string.h>
#include "physopt/params.h"
#include "tests/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  po_params *p = NULL;
  if (po_params_create(&p)) return 0;
  int rc = po_params_load_ini(p, po_fuzz_file(data, size));
  po_fuzz_check_status(rc);
  if (!rc) {
    char *text = po_params_to_ini(p);
    po_params *q = NULL;
    if (text && !po_params_create(&q)) {
      if (po_params_load_ini(q, po_fuzz_file((const uint8_t *)text, strlen(text))) == PO_OK &&
          po_params_count(q) != po_params_count(p))
        abort(); /* written text reads back to the same number of entries */
      po_params_destroy(q);
    }
    free(text);
  }
  po_params_destroy(p);
  return 0;
}
