/* Where --config NAME is looked for (include/physopt/params.h,
 * docs/cli.md "Finding configuration files"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "physopt/error.h"
#include "physopt/params.h"

/* PREFIX/share/physopt/configs of `make install` (Makefile, one object). */
#ifndef PO_CONFIG_DIR
#define PO_CONFIG_DIR "/usr/local/share/physopt/configs"
#endif

const char *po_config_install_dir(void) {
  return PO_CONFIG_DIR;
}

static int is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* dir/name (a file or a directory: `physopt backends` lists the installed
 * configs/devices this way), then dir/name.ini (a file); the first found
 * goes to *out. */
static int try_dir(const char *dir, size_t dir_len, const char *name, char **out) {
  static const char *const suffixes[] = {"", ".ini"};
  for (size_t k = 0; k < sizeof suffixes / sizeof *suffixes; k++) {
    size_t len = dir_len + strlen(name) + strlen(suffixes[k]) + 2;
    char *p = malloc(len);
    if (!p) return po_error(PO_ERR_NOMEM, "out of memory");
    snprintf(p, len, "%.*s/%s%s", (int)dir_len, dir, name, suffixes[k]);
    if (k ? is_file(p) : exists(p)) {
      *out = p;
      return PO_OK;
    }
    free(p);
  }
  return PO_ERR_NOT_FOUND;
}

/* Each directory of a colon-separated list (empty entries skipped). */
static int try_path_list(const char *list, const char *name, char **out) {
  for (const char *d = list; d && *d;) {
    const char *end = strchr(d, ':');
    size_t len = end ? (size_t)(end - d) : strlen(d);
    if (len) {
      int rc = try_dir(d, len, name, out);
      if (rc != PO_ERR_NOT_FOUND) return rc;
    }
    d = end ? end + 1 : NULL;
  }
  return PO_ERR_NOT_FOUND;
}

int po_config_find(const char *name, char **out) {
  *out = NULL;
  if (!name || !*name) return po_error(PO_ERR_ARG, "configuration file: empty name");
  /* The name itself when it exists (a directory too: po_params_load_ini
   * then says "Is a directory"), and an absolute name always. */
  struct stat st;
  if (stat(name, &st) == 0 || name[0] == '/') {
    *out = strdup(name);
    return *out ? PO_OK : po_error(PO_ERR_NOMEM, "out of memory");
  }
  /* "configs/x.ini" as written in the README, run outside the source tree,
   * is x.ini in the installed configs directory. */
  const char *rel = !strncmp(name, "configs/", 8) ? name + 8 : name;
  const char *env = getenv("PHYSOPT_CONFIG_PATH");
  int rc = try_path_list(env, rel, out);
  if (rc == PO_ERR_NOT_FOUND) rc = try_dir(PO_CONFIG_DIR, strlen(PO_CONFIG_DIR), rel, out);
  if (rc != PO_ERR_NOT_FOUND) return rc;
  return po_error(PO_ERR_NOT_FOUND,
                  "configuration file %s: not found (looked for %s, then %s[.ini] in "
                  "$PHYSOPT_CONFIG_PATH = '%s' and in %s)",
                  name, name, rel, env ? env : "", PO_CONFIG_DIR);
}

int po_params_load_config(po_params *p, const char *name) {
  char *path;
  int rc = po_config_find(name, &path);
  if (rc) return rc;
  rc = po_params_load_ini(p, path);
  free(path);
  return rc;
}
