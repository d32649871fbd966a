/* core/atomic_file: the one write-to-temporary-then-rename routine.  Checks
 * what the callers rely on: the temporary file sits in the target's
 * directory under a hidden ".tmp" name, commit replaces the target with the
 * new bytes, abort and every failed commit leave the old target untouched
 * and no temporary file behind, and errors name the path. */
#include <dirent.h>
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
#include "core/atomic_file.h"
#include "physopt/error.h"
#include "tests/util/testutil.h"

typedef struct fixture {
  char dir[64];
  char path[128];
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/physopt-atomic-XXXXXX");
  if (!mkdtemp(f->dir)) return -1;
  snprintf(f->path, sizeof f->path, "%s/out.txt", f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  int st = system(cmd);
  free(f);
  return st;
}

/* Entries of dir other than . and ..; *tmp counts hidden ".tmp" names. */
static int count_entries(const char *dir, int *tmp) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  *tmp = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    size_t len = strlen(e->d_name);
    n++;
    if (e->d_name[0] == '.' && len > 4 && !strcmp(e->d_name + len - 4, ".tmp")) (*tmp)++;
  }
  closedir(d);
  return n;
}

static void assert_content(const char *path, const char *text) {
  char buf[64] = {0};
  FILE *t = fopen(path, "r");
  assert_non_null(t);
  size_t n = fread(buf, 1, sizeof buf - 1, t);
  fclose(t);
  assert_int_equal(n, strlen(text));
  assert_string_equal(buf, text);
}

static void test_commit_replaces_target(void **state) {
  fixture *f = *state;
  po_test_write_text(f->path, "old\n");
  po_atomic_file a;
  assert_int_equal(po_atomic_begin(&a, f->path), PO_OK);
  /* Same directory, hidden, ".tmp" at the end, the pid in the name. */
  assert_int_equal(strncmp(a.tmp_path, f->dir, strlen(f->dir)), 0);
  assert_int_equal(strncmp(a.tmp_path + strlen(f->dir), "/.out.txt.", 10), 0);
  char pid[32];
  snprintf(pid, sizeof pid, ".%ld.", (long)getpid());
  assert_non_null(strstr(a.tmp_path, pid));
  int tmp;
  assert_int_equal(count_entries(f->dir, &tmp), 2);
  assert_int_equal(tmp, 1);
  assert_content(f->path, "old\n"); /* untouched while the new one is written */
  po_test_write_text(a.tmp_path, "new\n");
  assert_int_equal(po_atomic_commit(&a), PO_OK);
  assert_null(a.tmp_path);
  assert_content(f->path, "new\n");
  assert_int_equal(count_entries(f->dir, &tmp), 1);
  assert_int_equal(tmp, 0);
  po_atomic_abort(&a); /* harmless after a commit */
  assert_content(f->path, "new\n");
}

static void test_abort_keeps_old_file(void **state) {
  fixture *f = *state;
  po_test_write_text(f->path, "old\n");
  po_atomic_file a;
  assert_int_equal(po_atomic_begin(&a, f->path), PO_OK);
  po_test_write_text(a.tmp_path, "half");
  po_atomic_abort(&a);
  po_atomic_abort(&a); /* twice is harmless */
  int tmp;
  assert_int_equal(count_entries(f->dir, &tmp), 1);
  assert_int_equal(tmp, 0);
  assert_content(f->path, "old\n");
}

/* Two files begun at once (as by two threads or nested writers) get
 * different temporary names. */
static void test_names_are_unique(void **state) {
  fixture *f = *state;
  po_atomic_file a, b;
  assert_int_equal(po_atomic_begin(&a, f->path), PO_OK);
  assert_int_equal(po_atomic_begin(&b, f->path), PO_OK);
  assert_string_not_equal(a.tmp_path, b.tmp_path);
  po_test_write_text(a.tmp_path, "a\n");
  po_test_write_text(b.tmp_path, "b\n");
  assert_int_equal(po_atomic_commit(&a), PO_OK);
  assert_int_equal(po_atomic_commit(&b), PO_OK);
  assert_content(f->path, "b\n");
}

/* mode 0666 minus the umask, like fopen (mkstemp alone would give 0600). */
static void test_permissions_follow_umask(void **state) {
  fixture *f = *state;
  mode_t old = umask(022);
  po_atomic_file a;
  assert_int_equal(po_atomic_begin(&a, f->path), PO_OK);
  assert_int_equal(po_atomic_commit(&a), PO_OK);
  umask(old);
  struct stat st;
  assert_int_equal(stat(f->path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);
}

static void test_errors_name_the_path(void **state) {
  fixture *f = *state;
  po_atomic_file a;
  char missing[256];
  snprintf(missing, sizeof missing, "%s/no/such/dir/out.txt", f->dir);
  assert_int_equal(po_atomic_begin(&a, missing), PO_ERR_IO);
  assert_non_null(strstr(po_last_error(), missing));
  assert_null(a.tmp_path);
  assert_int_equal(po_atomic_begin(&a, ""), PO_ERR_ARG);
  assert_int_equal(po_atomic_begin(&a, NULL), PO_ERR_ARG);

  /* A rename that fails (the target is a non-empty directory): the error
   * names both names, the temporary file is gone, the target untouched. */
  char target[256], inner[300];
  snprintf(target, sizeof target, "%s/taken", f->dir);
  assert_int_equal(mkdir(target, 0777), 0);
  snprintf(inner, sizeof inner, "%s/keep", target);
  po_test_write_text(inner, "keep\n");
  assert_int_equal(po_atomic_begin(&a, target), PO_OK);
  po_test_write_text(a.tmp_path, "new\n");
  assert_int_equal(po_atomic_commit(&a), PO_ERR_IO);
  assert_non_null(strstr(po_last_error(), target));
  assert_null(a.tmp_path);
  int tmp;
  assert_int_equal(count_entries(f->dir, &tmp), 1);
  assert_int_equal(tmp, 0);
  assert_content(inner, "keep\n");
  /* A commit without a begin is an error, not a crash. */
  po_atomic_file z = {0};
  assert_int_equal(po_atomic_commit(&z), PO_ERR_ARG);
}

/* A bare file name lives in the current directory. */
static void test_relative_name(void **state) {
  fixture *f = *state;
  char cwd[4096];
  assert_non_null(getcwd(cwd, sizeof cwd));
  assert_int_equal(chdir(f->dir), 0);
  po_atomic_file a;
  int rc = po_atomic_begin(&a, "rel.txt");
  if (rc == PO_OK) {
    assert_int_equal(strncmp(a.tmp_path, "./.rel.txt.", 11), 0);
    po_test_write_text(a.tmp_path, "rel\n");
    rc = po_atomic_commit(&a);
  }
  assert_int_equal(chdir(cwd), 0);
  assert_int_equal(rc, PO_OK);
  char p[200];
  snprintf(p, sizeof p, "%s/rel.txt", f->dir);
  assert_content(p, "rel\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_commit_replaces_target, setup, teardown),
      cmocka_unit_test_setup_teardown(test_abort_keeps_old_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_names_are_unique, setup, teardown),
      cmocka_unit_test_setup_teardown(test_permissions_follow_umask, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors_name_the_path, setup, teardown),
      cmocka_unit_test_setup_teardown(test_relative_name, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
