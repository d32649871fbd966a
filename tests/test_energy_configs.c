/* The cost models shipped in configs/energy/<backend>.ini must state exactly
 * the defaults compiled into each backend (the [energy.<backend>] spec
 * table), so that the documented, cited numbers are the ones in use. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "physopt/physopt.h"

static void test_shipped_cost_models_match_compiled_defaults(void **state) {
  (void)state;
  for (size_t i = 0; i < po_backend_count(); i++) {
    const po_backend_ops *ops = po_backend_ops_at(i);
    if (!ops->energy) continue;
    char path[256];
    snprintf(path, sizeof path, "configs/energy/%s.ini", ops->name);
    po_params *p;
    assert_int_equal(po_params_create(&p), PO_OK);
    if (po_params_load_ini(p, path) != PO_OK) fail_msg("%s", po_last_error());
    const po_param_section *secs[] = {ops->energy};
    if (po_params_check(p, secs, 1) != PO_OK) fail_msg("%s: %s", path, po_last_error());
    for (size_t k = 0; k < ops->energy->n_specs; k++) {
      const po_param_spec *s = &ops->energy->specs[k];
      const char *text = po_params_get(p, ops->energy->name, s->key);
      if (!text) fail_msg("%s does not state %s.%s", path, ops->energy->name, s->key);
      if (s->type == PO_PARAM_DOUBLE || s->type == PO_PARAM_INT) {
        double file_v = strtod(text, NULL), def_v = strtod(s->def, NULL);
        if (fabs(file_v - def_v) > 1e-12 * fabs(def_v))
          fail_msg("%s: %s = %s but the compiled default is %s", path, s->key, text, s->def);
      } else if (strcmp(text, s->def)) {
        fail_msg("%s: %s = %s but the compiled default is %s", path, s->key, text, s->def);
      }
    }
    po_params_destroy(p);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shipped_cost_models_match_compiled_defaults),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
