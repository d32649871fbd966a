/* Scale-aware defaults: parameter recipes per instance class (docs/cim.md,
 * "Scale-aware defaults").  A backend whose parameter table declares a
 * `recipe` key (cim) gets, when that key is `auto` or a class name, the
 * values of configs/<backend>-recipes/<class>.ini for every key of its
 * section the user did not set.  The key's default is auto, but a default
 * is not a request: left unset, the recipe applies only when the user set
 * no key of the backend's section at all (a configuration such as
 * configs/cim-gset.ini or a device file is a complete set of values that a
 * recipe must not be mixed into); set explicitly, it combines with the
 * user's values.  The class comes from the instance
 * statistics (problems/stats.c); the file is found as --config files are
 * (po_config_find: the source tree, $PHYSOPT_CONFIG_PATH, the installed
 * configs).  A recipe file:
 *
 *   [recipe]
 *   algorithm = cac          ; the algorithm it was tuned for
 *   [cim]
 *   key = value ...          ; applied under the user's values
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"
#include "physopt/run.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const po_param_spec recipe_specs[] = {
    {"algorithm", PO_PARAM_STRING, "", 0, 0, NULL, "",
     "the algorithm the recipe was tuned for; it applies to runs of that algorithm only"},
    {"summary", PO_PARAM_STRING, "", 0, 0, NULL, "", "one line: what was tuned, on what"},
};
const po_param_section po_recipe_section = {"recipe", recipe_specs, N_OF(recipe_specs)};

static int has_recipe_key(const po_param_section *sec) {
  for (size_t i = 0; sec && i < sec->n_specs; i++)
    if (!strcmp(sec->specs[i].key, "recipe")) return 1;
  return 0;
}

int po_recipe_path(const char *backend, const char *cls, char *buf, size_t size) {
  int n = snprintf(buf, size, "configs/%s-recipes/%s.ini", backend, cls);
  return n > 0 && (size_t)n < size ? PO_OK : po_error(PO_ERR_ARG, "recipe path too long");
}

int po_recipe_load(const char *backend, const char *cls, po_params **out, char *file, size_t size) {
  *out = NULL;
  char name[256];
  char *found = NULL;
  int rc = po_recipe_path(backend, cls, name, sizeof name);
  if (rc || (rc = po_config_find(name, &found))) return rc;
  snprintf(file, size, "%s", found);
  po_params *r = NULL;
  const po_backend_ops *ops = po_backend_find(backend);
  const po_param_section *secs[2] = {&po_recipe_section, ops ? ops->params : NULL};
  if ((rc = po_params_create(&r)) || (rc = po_params_load_ini(r, found)) ||
      (rc = po_params_check_values(r, secs, ops ? 2 : 1)))
    po_params_destroy(r);
  else
    *out = r;
  free(found);
  return rc;
}

static void stats_note(const po_ising_stats *s, char *buf, size_t size) {
  snprintf(buf, size, "N = %d, density %.3g, mean degree %.4g, %s weights, %.0f%% negative", s->n,
           s->density, s->mean_degree, s->unit_weights ? "unit" : "real",
           100.0 * s->negative_fraction);
}

/* The first key of the backend's section that p sets, other than the
 * recipe key itself; NULL when there is none. */
static const char *first_backend_key(const po_params *p, const char *backend) {
  for (size_t i = 0, n = po_params_count(p); i < n; i++) {
    const char *sec, *key, *val;
    po_params_entry(p, i, &sec, &key, &val);
    if (!strcmp(sec, backend) && strcmp(key, "recipe")) return key;
  }
  return NULL;
}

int po_run_recipe_resolve(const po_params *p, const char *backend, const char *algorithm,
                          const po_ising *m, po_params **out, po_recipe_choice *ch) {
  *out = NULL;
  memset(ch, 0, sizeof *ch);
  snprintf(ch->name, sizeof ch->name, "none");
  const po_backend_ops *ops = po_backend_find(backend);
  if (!ops || !has_recipe_key(ops->params)) return PO_OK;
  const char *want;
  const int implicit = !po_params_get(p, backend, "recipe"); /* the default, not a request */
  int rc = po_params_string(p, ops->params, "recipe", &want);
  if (rc || !strcmp(want, "none")) return rc;
  po_ising_stats st;
  po_ising_stats_get(m, &st);
  const int automatic = !strcmp(want, "auto");
  const int cls = automatic ? (int)po_problem_classify(&st) : po_problem_class_find(want);
  if (cls < 0)
    return po_error(PO_ERR_ARG, "%s.recipe = '%s' is not a recipe (none, auto or a class)", backend,
                    want);
  const char *cname = po_problem_class_name((po_problem_class)cls);
  po_params *r = NULL;
  if ((rc = po_recipe_load(backend, cname, &r, ch->file, sizeof ch->file)))
    return implicit ? po_error_wrap(rc,
                                    "%s.recipe = auto (the default when no [%s] key is set) "
                                    "uses the recipe of class %s; set %s.recipe=none for the "
                                    "table defaults, or PHYSOPT_CONFIG_PATH to a configs directory",
                                    backend, backend, cname, backend)
                    : rc;
  char alg[64];
  snprintf(alg, sizeof alg, "%s",
           po_params_get(r, "recipe", "algorithm") ? po_params_get(r, "recipe", "algorithm") : "");
  if (*alg && strcmp(alg, algorithm)) {
    po_params_destroy(r);
    if (!automatic)
      return po_error(PO_ERR_ARG, "%s.recipe = %s was tuned for --algorithm %s, not %s", backend,
                      cname, alg, algorithm);
    snprintf(ch->note, sizeof ch->note, "class %s, but its recipe is for algorithm %s", cname, alg);
    ch->file[0] = '\0';
    return PO_OK;
  }
  const char *user_key = implicit ? first_backend_key(p, backend) : NULL;
  if (user_key) {
    po_params_destroy(r);
    snprintf(ch->note, sizeof ch->note,
             "class %s; not applied because %s.%s is set (%s.recipe = auto combines them)", cname,
             backend, user_key, backend);
    ch->file[0] = '\0';
    return PO_OK;
  }
  po_params *c = NULL;
  if ((rc = po_params_clone(p, &c))) {
    po_params_destroy(r);
    return rc;
  }
  char sk[128];
  for (size_t i = 0, n = po_params_count(r); i < n && !rc; i++) {
    const char *sec, *key, *val;
    po_params_entry(r, i, &sec, &key, &val);
    if (strcmp(sec, backend) || po_params_get(p, sec, key)) continue; /* the user's value wins */
    snprintf(sk, sizeof sk, "%s.%s", sec, key);
    rc = po_params_set(c, sk, val);
  }
  snprintf(sk, sizeof sk, "%s.recipe", backend);
  if (!rc) rc = po_params_set(c, sk, cname); /* the resolved class, for the provenance */
  po_params_destroy(r);
  if (rc) {
    po_params_destroy(c);
    return rc;
  }
  snprintf(ch->name, sizeof ch->name, "%s", cname);
  stats_note(&st, ch->note, sizeof ch->note);
  *out = c;
  return PO_OK;
}
