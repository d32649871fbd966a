#include "tests/util/testutil.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

const char *po_test_data_dir(void) {
  const char *d = getenv("PHYSOPT_DATA");
  return d && *d ? d : "../shared/data";
}

po_ising *po_test_load(const char *rel) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", po_test_data_dir(), rel);
  po_ising *m = NULL;
  if (po_ising_read_file(path, NULL, &m) != PO_OK) fail_msg("%s", po_last_error());
  return m;
}

po_backend *po_test_open_backend(const char *name, const char *ini, const char *const *sets) {
  po_params *p;
  assert_int_equal(po_params_create(&p), PO_OK);
  if (ini && po_params_load_ini(p, ini) != PO_OK) fail_msg("%s", po_last_error());
  for (; sets && *sets; sets++)
    if (po_params_assign(p, *sets) != PO_OK) fail_msg("%s", po_last_error());
  po_backend *b = NULL;
  if (po_backend_open(name, p, &b) != PO_OK) fail_msg("%s", po_last_error());
  po_params_destroy(p);
  return b;
}
