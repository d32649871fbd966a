/* The independent numpy implementation of the slm noise model
 * (scripts/photonic_numpy_check.py, written from Wang et al., Nat. Commun.
 * 13, 123 (2022)) must agree with `physopt eval --set
 * photonic.encoding=slm` within the statistical error at five photon
 * budgets (1, 3, 10, 30, 100 photons per MAC) on the same trained weights
 * and test images.  The script trains a small model with the physopt
 * binary of this build ($BUILD/physopt, as tests/run-all.sh sets BUILD),
 * and needs /usr/bin/python3 with python3-numpy and python3-h5py (Debian,
 * in DEB_PKGS). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

static void test_numpy_cross_check_agrees(void **state) {
  (void)state;
  const char *build = getenv("BUILD");
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 scripts/photonic_numpy_check.py --physopt %s/physopt "
           "--budgets 1,3,10,30,100",
           build && *build ? build : "build");
  int status = system(cmd);
  if (status != 0) fail_msg("%s: exit status %d (1 = disagreement, 2 = setup error)", cmd, status);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_numpy_cross_check_agrees),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
