/* Helpers shared by the cmocka tests (linked into every test binary). */
#ifndef PHYSOPT_TESTUTIL_H
#define PHYSOPT_TESTUTIL_H

#include "physopt/physopt.h"

/* The shared reference instances: $PHYSOPT_DATA, else ../shared/data. */
const char *po_test_data_dir(void);
/* Loads data_dir/rel (a G-set / SK file); fails the running test on error. */
po_ising *po_test_load(const char *rel);
/* Opens backend `name` with an optional INI file and NULL-terminated
 * "section.key=value" overrides; fails the running test on error. */
po_backend *po_test_open_backend(const char *name, const char *ini, const char *const *sets);

#endif
