/* Device files listed from disk and the model label of a run; see devices.h. */
#include "cli/devices.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_name(const struct dirent **a, const struct dirent **b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

/* configs/devices found as --config finds files (po_config_find: as given,
 * $PHYSOPT_CONFIG_PATH, the installed configs); caller frees. */
static char *devices_dir(void) {
  char *dir = NULL;
  return po_config_find("configs/devices", &dir) == PO_OK ? dir : NULL;
}

static void list_one(const char *path, const char *backend, po_json *j) {
  po_params *p = NULL;
  if (po_params_create(&p) || po_params_load_ini(p, path)) {
    po_params_destroy(p);
    return; /* an unreadable file is not a device */
  }
  const char *name = po_params_get(p, backend, "device");
  const char *summary = po_params_get(p, backend, "device_summary");
  if (j) {
    po_json_object(j, NULL);
    po_json_string(j, "file", path);
    po_json_string(j, "name", name);
    po_json_string(j, "summary", summary);
    po_json_close(j);
  } else {
    printf("    %-40s %s\n", path, summary ? summary : (name ? name : ""));
  }
  po_params_destroy(p);
}

void po_cli_list_devices(const char *backend, po_json *j) {
  char *dir = devices_dir();
  struct dirent **ents = NULL;
  int n = dir ? scandir(dir, &ents, NULL, by_name) : -1;
  if (n < 0) {
    free(dir);
    return;
  }
  char prefix[80], path[1024];
  snprintf(prefix, sizeof prefix, "%s-", backend);
  int shown = 0;
  for (int i = 0; i < n; i++) {
    const char *f = ents[i]->d_name;
    const size_t len = strlen(f);
    if (!strncmp(f, prefix, strlen(prefix)) && len > 4 && !strcmp(f + len - 4, ".ini")) {
      if (!shown++) {
        if (j)
          po_json_array(j, "devices");
        else
          printf("  devices (--config FILE):\n");
      }
      snprintf(path, sizeof path, "%s/%s", dir, f);
      list_one(path, backend, j);
    }
    free(ents[i]);
  }
  free(ents);
  free(dir);
  if (j && shown) po_json_close(j);
}

void po_cli_model_json(po_json *j, const po_ledger *l) {
  if (!l || l->n_model <= 0) return;
  po_json_object(j, "model");
  for (int i = 0; i < l->n_model && i < PO_MODEL_MAX; i++) {
    const po_model_item *it = &l->model[i];
    switch (it->kind) {
    case PO_MODEL_TEXT:
      po_json_string(j, it->key, it->text[0] ? it->text : NULL);
      break;
    case PO_MODEL_FLAG:
      po_json_bool(j, it->key, it->value != 0);
      break;
    case PO_MODEL_INT:
      po_json_int(j, it->key, (long long)it->value);
      break;
    default:
      po_json_number(j, it->key, it->value);
    }
  }
  po_json_close(j);
}

void po_cli_list_recipes(const char *backend, po_json *j) {
  int shown = 0;
  for (int c = 0; c < PO_CLASS_COUNT; c++) {
    po_params *r = NULL;
    char file[1024];
    const char *cls = po_problem_class_name((po_problem_class)c);
    if (po_recipe_load(backend, cls, &r, file, sizeof file)) continue; /* none for this class */
    const char *alg = po_params_get(r, "recipe", "algorithm");
    const char *summary = po_params_get(r, "recipe", "summary");
    if (!shown++) {
      if (j)
        po_json_array(j, "recipes");
      else
        printf("  recipes (used when no [%s] key is set, or with --set %s.recipe=auto|CLASS; "
               "none turns them off; docs/cim.md \"Scale-aware defaults\"):\n",
               backend, backend);
    }
    if (j) {
      po_json_object(j, NULL);
      po_json_string(j, "class", cls);
      po_json_string(j, "rule", po_problem_class_rule((po_problem_class)c));
      po_json_string(j, "file", file);
      po_json_string(j, "algorithm", alg);
      po_json_string(j, "summary", summary);
      po_json_close(j);
    } else {
      printf("    %-14s %s\n    %-14s when %s; for %s: %s\n", cls, file, "",
             po_problem_class_rule((po_problem_class)c), alg ? alg : "any algorithm",
             summary ? summary : "");
    }
    po_params_destroy(r);
  }
  if (j && shown) po_json_close(j);
}
