/* po_config_find: the search order of --config NAME (include/physopt/params.h,
 * docs/cli.md): the name itself, then $PHYSOPT_CONFIG_PATH, then the
 * installed configs; ".ini" may be omitted and a leading "configs/" is
 * dropped in the search directories. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "physopt/physopt.h"
#include "tests/util/testutil.h"

typedef struct fixture {
  char dir[64];
  char a[96], b[96]; /* two search directories */
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/physopt-cfgpath-XXXXXX");
  if (!mkdtemp(f->dir)) return -1;
  snprintf(f->a, sizeof f->a, "%s/a", f->dir);
  snprintf(f->b, sizeof f->b, "%s/b", f->dir);
  if (mkdir(f->a, 0777) || mkdir(f->b, 0777)) return -1;
  char p[160];
  snprintf(p, sizeof p, "%s/only-b.ini", f->b);
  po_test_write_text(p, "[run]\nsteps = 7\n");
  snprintf(p, sizeof p, "%s/both.ini", f->a);
  po_test_write_text(p, "[run]\nsteps = 1\n");
  snprintf(p, sizeof p, "%s/both.ini", f->b);
  po_test_write_text(p, "[run]\nsteps = 2\n");
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  int st = system(cmd);
  unsetenv("PHYSOPT_CONFIG_PATH");
  free(f);
  return st;
}

static void set_path(const fixture *f, const char *extra) {
  char env[400];
  snprintf(env, sizeof env, "%s%s:%s", extra, f->a, f->b);
  setenv("PHYSOPT_CONFIG_PATH", env, 1);
}

static void assert_found(const char *name, const char *expect) {
  char *path;
  assert_int_equal(po_config_find(name, &path), PO_OK);
  assert_string_equal(path, expect);
  free(path);
}

static void test_search_order(void **state) {
  fixture *f = *state;
  set_path(f, "/nonexistent::"); /* missing and empty entries are skipped */
  char want[160];
  /* Earlier directories win; ".ini" may be left out. */
  snprintf(want, sizeof want, "%s/both.ini", f->a);
  assert_found("both.ini", want);
  assert_found("both", want);
  snprintf(want, sizeof want, "%s/only-b.ini", f->b);
  assert_found("only-b", want);
  /* The README's spelling, outside the source tree. */
  assert_found("configs/only-b.ini", want);
  /* The name itself comes first when it is a file. */
  snprintf(want, sizeof want, "%s/only-b.ini", f->b);
  assert_found(want, want);
  /* A directory of configurations is found the same way (`physopt
   * backends` lists the installed configs/devices through it). */
  char sub[160];
  snprintf(sub, sizeof sub, "%s/presets", f->b);
  assert_int_equal(mkdir(sub, 0777), 0);
  assert_found("configs/presets", sub);
  assert_found("presets", sub);
}

static void test_loads_the_file_found(void **state) {
  fixture *f = *state;
  set_path(f, "");
  po_params *p;
  assert_int_equal(po_params_create(&p), PO_OK);
  assert_int_equal(po_params_load_config(p, "both"), PO_OK);
  assert_string_equal(po_params_get(p, "run", "steps"), "1");
  assert_int_equal(po_params_load_config(p, "only-b"), PO_OK);
  assert_string_equal(po_params_get(p, "run", "steps"), "7");
  po_params_destroy(p);
}

static void test_not_found_lists_the_places(void **state) {
  fixture *f = *state;
  set_path(f, "");
  char *path = (char *)1;
  assert_int_equal(po_config_find("no-such-config", &path), PO_ERR_NOT_FOUND);
  assert_null(path);
  const char *e = po_last_error();
  assert_non_null(strstr(e, "no-such-config"));
  assert_non_null(strstr(e, f->a));
  assert_non_null(strstr(e, f->b));
  assert_non_null(strstr(e, po_config_install_dir()));
  /* An absolute name is never searched for elsewhere: it is returned as it
   * is, and reading it names it. */
  char abs[160];
  snprintf(abs, sizeof abs, "%s/c/both.ini", f->dir);
  assert_int_equal(po_config_find(abs, &path), PO_OK);
  assert_string_equal(path, abs);
  free(path);
  po_params *p;
  assert_int_equal(po_params_create(&p), PO_OK);
  assert_int_equal(po_params_load_config(p, abs), PO_ERR_IO);
  assert_non_null(strstr(po_last_error(), abs));
  /* A directory is not a configuration file. */
  assert_int_equal(po_params_load_config(p, f->a), PO_ERR_IO);
  assert_non_null(strstr(po_last_error(), "Is a directory"));
  po_params_destroy(p);
  assert_int_equal(po_config_find("", &path), PO_ERR_ARG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_search_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_loads_the_file_found, setup, teardown),
      cmocka_unit_test_setup_teardown(test_not_found_lists_the_places, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
