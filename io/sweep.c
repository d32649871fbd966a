/* Sweep expansion, run ids and derived seeds (include/physopt/sweep.h,
 * docs/sweeps.md). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/backend.h"
#include "physopt/error.h"
#include "physopt/rng.h"
#include "physopt/run.h"
#include "physopt/sweep.h"

/* The run keys every command shares (include/physopt/run.h) are the ones
 * that cannot change a run's results: results are bit-identical for any
 * thread count, output location, overwrite or verbosity, and the run seed is
 * derived from the id, so run.seed (the sweep seed when [sweep] seed is
 * unset) stays out too.  They are left out of the run id; a key added to
 * that table is left out with them. */
static const po_param_spec id_excluded[] = {PO_RUN_COMMON_SPECS};

typedef struct entry {
  char *section, *key, *name; /* name = "section.key" */
  char **items;               /* one malloc block (po_sweep_split) */
  size_t n_items;
  int axis;     /* index into axes, or -1 for a single value */
  int excluded; /* left out of the run id */
} entry;

typedef struct axis {
  size_t len;
  size_t n_entries;
  size_t *entries;
} axis;

struct po_sweep {
  uint64_t seed;
  int repeats;
  size_t n_points, n_runs;
  size_t n_entries;
  entry *entries;
  size_t *sorted; /* entries sorted by name, for the canonical id string */
  size_t n_axes;
  axis *axes;
  size_t n_keys;
  size_t *keys; /* swept entries in order of appearance */
  uint64_t *ids;
  size_t *by_id;    /* run indices sorted by id */
  size_t *point_of; /* point k of the sweep -> index in the full grid of the axes */
};

int po_sweep_split(const char *value, char ***items, size_t *n) {
  *items = NULL;
  *n = 0;
  size_t len = strlen(value), count = 1;
  int inq = 0;
  for (size_t i = 0; i < len; i++) {
    if (value[i] == '"')
      inq = !inq;
    else if (value[i] == ',' && !inq)
      count++;
  }
  if (inq) return po_error(PO_ERR_PARSE, "unterminated quote in list value '%s'", value);
  /* One block: pointer array then a copy of the text. */
  char **out = malloc(count * sizeof *out + len + 1);
  if (!out) return po_error(PO_ERR_NOMEM, "out of memory splitting a list");
  char *text = (char *)(out + count);
  size_t k = 0;
  const char *p = value;
  char *w = text;
  for (;;) {
    while (*p == ' ' || *p == '\t') p++;
    char *start = w;
    char *last_nonblank = w; /* one past the last character to keep */
    int quoted = 0;
    inq = 0;
    while (*p && (inq || *p != ',')) {
      if (*p == '"') {
        inq = !inq;
        quoted = 1;
        p++;
        last_nonblank = w;
        continue;
      }
      *w++ = *p;
      if (inq || (*p != ' ' && *p != '\t')) last_nonblank = w;
      p++;
    }
    w = last_nonblank;
    *w++ = '\0';
    if (start[0] == '\0' && !quoted) {
      free(out);
      return po_error(PO_ERR_PARSE, "empty item in list value '%s'", value);
    }
    out[k++] = start;
    if (*p == ',')
      p++;
    else
      break;
  }
  *items = out;
  *n = k;
  return PO_OK;
}

/* Numbers are compared by value: 50, 50.0 and 5e1 give the same id. */
static const char *canonical(const char *v, char buf[40]) {
  if (!*v) return v;
  char *end;
  errno = 0;
  double x = strtod(v, &end);
  if (end == v || *end || errno || !isfinite(x)) return v;
  if (x == 0) x = 0; /* -0 */
  snprintf(buf, 40, "%.17g", x);
  return buf;
}

static uint64_t hash_str(uint64_t h, const char *s) {
  return po_hash_bytes(s, strlen(s), h);
}

#define FNV_OFFSET 0xcbf29ce484222325ull

static uint64_t finish_id(uint64_t h, int repeat) {
  return po_hash2(h, (uint64_t)repeat);
}

static int is_excluded(const char *name) {
  if (strncmp(name, "run.", 4)) return 0;
  for (size_t i = 0; i < sizeof id_excluded / sizeof *id_excluded; i++)
    if (!strcmp(name + 4, id_excluded[i].key)) return 1;
  return 0;
}

void po_sweep_destroy(po_sweep *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n_entries; i++) {
    free(s->entries[i].section);
    free(s->entries[i].key);
    free(s->entries[i].name);
    free(s->entries[i].items);
  }
  for (size_t a = 0; a < s->n_axes; a++) free(s->axes[a].entries);
  free(s->entries);
  free(s->sorted);
  free(s->axes);
  free(s->keys);
  free(s->ids);
  free(s->by_id);
  free(s->point_of);
  free(s);
}

static char *xstrdup(const char *t) {
  size_t n = strlen(t) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, t, n);
  return d;
}

typedef struct name_ix {
  const char *name;
  size_t ix;
} name_ix;
typedef struct id_ix {
  uint64_t id;
  size_t ix;
} id_ix;
static int cmp_name(const void *a, const void *b) {
  return strcmp(((const name_ix *)a)->name, ((const name_ix *)b)->name);
}
static int cmp_id(const void *a, const void *b) {
  uint64_t x = ((const id_ix *)a)->id, y = ((const id_ix *)b)->id;
  return x < y ? -1 : x > y;
}

static int find_entry(const po_sweep *s, const char *name) {
  for (size_t i = 0; i < s->n_entries; i++)
    if (!strcmp(s->entries[i].name, name)) return (int)i;
  return -1;
}

static int parse_long(const char *v, const char *what, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long x = strtol(v, &end, 0);
  while (*end == ' ') end++;
  if (end == v || *end || errno || x < lo || x > hi)
    return po_error(PO_ERR_ARG, "%s = '%s' is not an integer in [%ld, %ld]", what, v, lo, hi);
  *out = x;
  return PO_OK;
}

/* Adds zip group `spec` ("a.b, c.d"): every key becomes part of one axis. */
static int add_zip(po_sweep *s, const char *spec, const char *keyname) {
  char **names;
  size_t n;
  int rc = po_sweep_split(spec, &names, &n);
  if (rc) return po_error_wrap(rc, "sweep.%s", keyname);
  axis ax = {0, 0, calloc(n, sizeof(size_t))};
  if (!ax.entries) {
    free(names);
    return po_error(PO_ERR_NOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    int e = find_entry(s, names[i]);
    if (e < 0) {
      rc = po_error(PO_ERR_ARG, "sweep.%s names '%s', which is not a key of the sweep file",
                    keyname, names[i]);
      goto fail;
    }
    entry *en = &s->entries[e];
    if (en->axis != -1) {
      rc = po_error(PO_ERR_ARG, "sweep.%s: key '%s' is in more than one zip group", keyname,
                    names[i]);
      goto fail;
    }
    if (i > 0 && en->n_items != ax.len) {
      rc = po_error(PO_ERR_ARG,
                    "sweep.%s: zipped keys must have lists of equal length, but %s has %zu "
                    "values and %s has %zu",
                    keyname, s->entries[ax.entries[0]].name, ax.len, en->name, en->n_items);
      goto fail;
    }
    ax.len = en->n_items;
    en->axis = (int)s->n_axes;
    ax.entries[ax.n_entries++] = (size_t)e;
  }
  free(names);
  s->axes[s->n_axes++] = ax;
  return PO_OK;
fail:
  for (size_t i = 0; i < ax.n_entries; i++) s->entries[ax.entries[i]].axis = -1;
  free(ax.entries);
  free(names);
  return rc;
}

static const char *value_at(const entry *e, const size_t *choice) {
  return e->axis < 0 ? e->items[0] : e->items[choice[e->axis]];
}

/* Whether backend `owner` takes part in runs of `backend`: itself, or its
 * fallback chain (opened with the same parameters: photonic anneals
 * through cpu, so cpu.kernel matters to photonic runs). */
static int serves(const char *owner, const char *backend) {
  const po_backend_ops *b = po_backend_find(backend);
  for (int depth = 0; b && depth < 8; depth++) {
    if (!strcmp(b->name, owner)) return 1;
    b = b->fallback ? po_backend_find(b->fallback) : NULL;
  }
  return !strcmp(owner, backend);
}

/* Whether entry e is a swept setting of a backend other than the point's
 * run.backend and its fallbacks (NULL: not given, then nothing is foreign).  Such a list
 * cannot change the run, so it stays out of the run's id and points that
 * differ only in it are one run (issue 12 item 10: with backend = cpu, cim
 * and [cim] dt = 0.05, 0.1 the cpu run used to appear twice). */
static int foreign_list(const entry *e, const char *backend) {
  if (!backend || e->axis < 0) return 0;
  for (size_t b = 0; b < po_backend_count(); b++) {
    const po_backend_ops *o = po_backend_ops_at(b);
    int owns = (o->params && !strcmp(o->params->name, e->section)) ||
               (o->energy && !strcmp(o->energy->name, e->section));
    if (owns) return !serves(o->name, backend);
  }
  return 0;
}

/* Hashes v as the run's parameters hold it: po_params drops surrounding
 * blanks, also those a quoted list item kept (" = 6:2"), so the run id
 * equals po_sweep_config_id of the run's config (found by make fuzz). */
static uint64_t hash_value(uint64_t h, const char *v, char buf[40]) {
  while (isspace((unsigned char)*v)) v++;
  size_t n = strlen(v);
  while (n > 0 && isspace((unsigned char)v[n - 1])) n--;
  char *t = malloc(n + 1);
  if (!t) return hash_str(h, canonical(v, buf)); /* cannot happen for sane sizes */
  memcpy(t, v, n);
  t[n] = '\0';
  h = hash_str(h, canonical(t, buf));
  free(t);
  return h;
}

/* run.backend at a point, or NULL when the sweep does not set it. */
static const char *point_backend(const po_sweep *s, const size_t *choice) {
  int be = find_entry(s, "run.backend");
  return be < 0 ? NULL : value_at(&s->entries[be], choice);
}

/* Hash of a point's canonical parameter text; with skip_foreign the lists
 * of other backends' settings are left out (foreign_list). */
static uint64_t point_hash(const po_sweep *s, const size_t *choice, int skip_foreign) {
  uint64_t h = FNV_OFFSET;
  char buf[40];
  const char *backend = skip_foreign ? point_backend(s, choice) : NULL;
  for (size_t k = 0; k < s->n_entries; k++) {
    const entry *e = &s->entries[s->sorted[k]];
    if (e->excluded || foreign_list(e, backend)) continue;
    h = hash_str(h, e->name);
    h = hash_str(h, "=");
    h = hash_value(h, value_at(e, choice), buf);
    h = hash_str(h, "\n");
  }
  return h;
}

static uint64_t run_hash(const po_sweep *s, const size_t *choice) {
  return point_hash(s, choice, 1);
}

/* choice[a] for grid point `point` (last axis fastest). */
static void decompose_grid(const po_sweep *s, size_t point, size_t *choice) {
  for (size_t a = s->n_axes; a-- > 0;) {
    choice[a] = point % s->axes[a].len;
    point /= s->axes[a].len;
  }
}

/* choice[a] for run `run` (repeat outermost, then the sweep's points). */
static void decompose(const po_sweep *s, size_t run, size_t *choice, int *repeat) {
  size_t point = s->point_of ? s->point_of[run % s->n_points] : run % s->n_points;
  if (repeat) *repeat = (int)(run / s->n_points);
  for (size_t a = s->n_axes; a-- > 0;) {
    choice[a] = point % s->axes[a].len;
    point /= s->axes[a].len;
  }
}

static po_sweep *sweep_alloc(size_t np) {
  po_sweep *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->entries = calloc(np ? np : 1, sizeof *s->entries);
  s->axes = calloc(np ? np : 1, sizeof *s->axes);
  s->keys = calloc(np ? np : 1, sizeof *s->keys);
  s->sorted = calloc(np ? np : 1, sizeof *s->sorted);
  s->seed = 1;
  s->repeats = 1;
  if (s->entries && s->axes && s->keys && s->sorted) return s;
  po_sweep_destroy(s);
  return NULL;
}

/* One key of [sweep]: seed, repeats, zip* (read later) or a command option. */
static int read_sweep_key(po_sweep *s, const char *key, const char *val, int *have_seed) {
  if (!strcmp(key, "seed")) {
    char *end;
    errno = 0;
    unsigned long long x = strtoull(val, &end, 0);
    if (end == val || *end || errno || val[0] == '-')
      return po_error(PO_ERR_ARG, "sweep.seed = '%s' is not an integer in [0, 2^64-1]", val);
    s->seed = x;
    *have_seed = 1;
    return PO_OK;
  }
  if (!strcmp(key, "repeats")) {
    long r = 1;
    int rc = parse_long(val, "sweep.repeats", 1, 1000000, &r);
    s->repeats = (int)r;
    return rc;
  }
  if (strncmp(key, "zip", 3) != 0 && strcmp(key, "resume") && strcmp(key, "shard") &&
      strcmp(key, "flush_seconds") && strcmp(key, "dry_run"))
    return po_error(PO_ERR_ARG,
                    "unknown parameter sweep.%s (valid: seed, repeats, zip..., resume, shard, "
                    "flush_seconds, dry_run)",
                    key);
  return PO_OK;
}

/* A run key (any section but [sweep]) with its list of values. */
static int add_entry(po_sweep *s, const char *sec, const char *key, const char *val) {
  entry *e = &s->entries[s->n_entries];
  size_t ls = strlen(sec), lk = strlen(key);
  e->section = xstrdup(sec);
  e->key = xstrdup(key);
  e->name = malloc(ls + lk + 2);
  s->n_entries++; /* po_sweep_destroy frees what was allocated */
  if (!e->section || !e->key || !e->name) return po_error(PO_ERR_NOMEM, "out of memory");
  snprintf(e->name, ls + lk + 2, "%s.%s", sec, key);
  int rc = po_sweep_split(val, &e->items, &e->n_items);
  if (rc) return po_error_wrap(rc, "%s", e->name);
  e->axis = -1;
  e->excluded = is_excluded(e->name);
  if (!strcmp(e->name, "run.seed") && e->n_items > 1)
    return po_error(PO_ERR_ARG,
                    "run.seed = '%s' cannot be a list: the seed of each run derives "
                    "from the sweep seed and the run id (use sweep.repeats for "
                    "independent repeats)",
                    val);
  return PO_OK;
}

/* [sweep] settings and the run entries; a lone run.seed is the sweep seed
 * when [sweep] seed is absent. */
static int read_entries(po_sweep *s, const po_params *p) {
  int have_seed = 0, rc = PO_OK;
  const char *run_seed = NULL;
  for (size_t i = 0; i < po_params_count(p) && !rc; i++) {
    const char *sec, *key, *val;
    po_params_entry(p, i, &sec, &key, &val);
    if (!val) val = "";
    if (!strcmp(sec, "sweep")) {
      rc = read_sweep_key(s, key, val, &have_seed);
      continue;
    }
    rc = add_entry(s, sec, key, val);
    if (!strcmp(sec, "run") && !strcmp(key, "seed")) run_seed = val;
  }
  if (!rc && !have_seed && run_seed) {
    char *end;
    unsigned long long x = strtoull(run_seed, &end, 0);
    if (end != run_seed && !*end) s->seed = x;
  }
  return rc;
}

/* Zip groups first (in file order, groups separated by '|'), then every
 * other list is its own axis. */
static int make_axes(po_sweep *s, const po_params *p) {
  for (size_t i = 0; i < po_params_count(p); i++) {
    const char *sec, *key, *val;
    po_params_entry(p, i, &sec, &key, &val);
    if (strcmp(sec, "sweep") || strncmp(key, "zip", 3)) continue;
    char *copy = xstrdup(val ? val : "");
    if (!copy) return po_error(PO_ERR_NOMEM, "out of memory");
    char *save = NULL;
    int rc = PO_OK;
    for (char *g = strtok_r(copy, "|", &save); g && !rc; g = strtok_r(NULL, "|", &save))
      rc = add_zip(s, g, key);
    free(copy);
    if (rc) return rc;
  }
  for (size_t i = 0; i < s->n_entries; i++) {
    entry *e = &s->entries[i];
    if (e->axis == -1 && e->n_items > 1) {
      size_t *one = malloc(sizeof *one);
      if (!one) return po_error(PO_ERR_NOMEM, "out of memory");
      one[0] = i;
      e->axis = (int)s->n_axes;
      s->axes[s->n_axes++] = (axis){e->n_items, 1, one};
    }
    if (e->axis >= 0) s->keys[s->n_keys++] = i;
  }
  return PO_OK;
}

static int count_runs(po_sweep *s) {
  s->n_points = 1;
  for (size_t a = 0; a < s->n_axes; a++) {
    if (s->n_points > (size_t)PO_SWEEP_MAX_RUNS / s->axes[a].len)
      return po_error(PO_ERR_ARG, "sweep has more than %ld runs", PO_SWEEP_MAX_RUNS);
    s->n_points *= s->axes[a].len;
  }
  if (s->n_points > (size_t)PO_SWEEP_MAX_RUNS / (size_t)s->repeats)
    return po_error(PO_ERR_ARG, "sweep has more than %ld runs", PO_SWEEP_MAX_RUNS);
  s->n_runs = s->n_points * (size_t)s->repeats;
  return PO_OK;
}

/* s->sorted: entry indices by name (the canonical text's order). */
static int sort_entries_by_name(po_sweep *s) {
  name_ix *t = malloc((s->n_entries ? s->n_entries : 1) * sizeof *t);
  if (!t) return po_error(PO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < s->n_entries; i++) t[i] = (name_ix){s->entries[i].name, i};
  qsort(t, s->n_entries, sizeof *t, cmp_name);
  for (size_t i = 0; i < s->n_entries; i++) s->sorted[i] = t[i].ix;
  free(t);
  return PO_OK;
}

typedef struct grid_key {
  uint64_t rel, full; /* hash without other backends' lists, and with */
  size_t grid;
} grid_key;

static int cmp_grid_key(const void *a, const void *b) {
  const grid_key *x = a, *y = b;
  if (x->rel != y->rel) return x->rel < y->rel ? -1 : 1;
  return x->grid < y->grid ? -1 : x->grid > y->grid;
}

/* The sweep's points: the grid of the axes without the points that differ
 * from an earlier one only in another backend's swept settings. */
static int merge_points(po_sweep *s) {
  size_t n = s->n_points;
  grid_key *t = malloc((n ? n : 1) * sizeof *t);
  size_t *choice = calloc(s->n_axes ? s->n_axes : 1, sizeof *choice);
  char *drop = calloc(n ? n : 1, 1);
  s->point_of = malloc((n ? n : 1) * sizeof *s->point_of);
  int rc = PO_OK;
  if (!t || !choice || !drop || !s->point_of) {
    rc = po_error(PO_ERR_NOMEM, "out of memory for %zu sweep points", n);
    goto out;
  }
  for (size_t g = 0; g < n; g++) {
    decompose_grid(s, g, choice);
    t[g] = (grid_key){point_hash(s, choice, 1), point_hash(s, choice, 0), g};
  }
  qsort(t, n, sizeof *t, cmp_grid_key);
  for (size_t i = 0, first = 0; i < n; i++) {
    if (i == 0 || t[i].rel != t[first].rel)
      first = i;
    else if (t[i].full != t[first].full)
      drop[t[i].grid] = 1; /* same run as t[first] for its backend */
  }
  size_t k = 0;
  for (size_t g = 0; g < n; g++)
    if (!drop[g]) s->point_of[k++] = g;
  s->n_points = k;
  s->n_runs = k * (size_t)s->repeats;
out:
  free(t);
  free(choice);
  free(drop);
  return rc;
}

/* Run ids (hash of each point's canonical text, then the repeat) and the
 * by-id index; identical ids mean identical parameters, an error. */
static int make_ids(po_sweep *s) {
  s->ids = malloc(s->n_runs * sizeof *s->ids);
  s->by_id = malloc(s->n_runs * sizeof *s->by_id);
  size_t *choice = calloc(s->n_axes ? s->n_axes : 1, sizeof *choice);
  id_ix *t = malloc(s->n_runs * sizeof *t);
  int rc = PO_OK;
  if (!s->ids || !s->by_id || !choice || !t) {
    rc = po_error(PO_ERR_NOMEM, "out of memory for %zu runs", s->n_runs);
    goto out;
  }
  for (size_t pt = 0; pt < s->n_points; pt++) {
    decompose(s, pt, choice, NULL);
    uint64_t h = run_hash(s, choice);
    for (int r = 0; r < s->repeats; r++) s->ids[(size_t)r * s->n_points + pt] = finish_id(h, r);
  }
  for (size_t i = 0; i < s->n_runs; i++) t[i] = (id_ix){s->ids[i], i};
  qsort(t, s->n_runs, sizeof *t, cmp_id);
  for (size_t i = 0; i < s->n_runs; i++) s->by_id[i] = t[i].ix;
  for (size_t i = 1; i < s->n_runs && !rc; i++) {
    if (s->ids[s->by_id[i]] != s->ids[s->by_id[i - 1]]) continue;
    size_t a = s->by_id[i - 1], b = s->by_id[i];
    rc = po_error(PO_ERR_ARG,
                  "runs %zu and %zu of the sweep have identical parameters (a list holds the "
                  "same value twice?)",
                  a < b ? a : b, a < b ? b : a);
  }
out:
  free(choice);
  free(t);
  return rc;
}

int po_sweep_expand(const po_params *p, po_sweep **out) {
  *out = NULL;
  po_sweep *s = sweep_alloc(po_params_count(p));
  if (!s) return po_error(PO_ERR_NOMEM, "out of memory");
  int rc;
  if ((rc = read_entries(s, p)) || (rc = make_axes(s, p)) || (rc = count_runs(s)) ||
      (rc = sort_entries_by_name(s)) || (rc = merge_points(s)) || (rc = make_ids(s))) {
    po_sweep_destroy(s);
    return rc;
  }
  *out = s;
  return PO_OK;
}

size_t po_sweep_size(const po_sweep *s) {
  return s->n_runs;
}
uint64_t po_sweep_seed(const po_sweep *s) {
  return s->seed;
}
int po_sweep_repeats(const po_sweep *s) {
  return s->repeats;
}
size_t po_sweep_n_keys(const po_sweep *s) {
  return s->n_keys;
}
const char *po_sweep_key(const po_sweep *s, size_t i) {
  return i < s->n_keys ? s->entries[s->keys[i]].name : NULL;
}
int po_sweep_key_per_instance(const po_sweep *s, size_t i) {
  if (i >= s->n_keys) return 0;
  const entry *e = &s->entries[s->keys[i]];
  if (strcmp(e->name, "run.target_energy") && strcmp(e->name, "run.target_cut")) return 0;
  for (size_t k = 0; k < s->n_entries; k++)
    if (!strcmp(s->entries[k].name, "problem.spec")) return s->entries[k].axis == e->axis;
  return 0;
}
uint64_t po_sweep_run_id(const po_sweep *s, size_t run) {
  return s->ids[run];
}
uint64_t po_sweep_run_seed(const po_sweep *s, size_t run) {
  return po_hash2(s->seed, s->ids[run]);
}
int po_sweep_run_repeat(const po_sweep *s, size_t run) {
  return (int)(run / s->n_points);
}

const char *po_sweep_run_value(const po_sweep *s, size_t run, size_t key) {
  if (key >= s->n_keys || run >= s->n_runs) return NULL;
  const entry *e = &s->entries[s->keys[key]];
  size_t *choice = calloc(s->n_axes ? s->n_axes : 1, sizeof *choice);
  int foreign = 0;
  if (choice) {
    decompose(s, run, choice, NULL);
    foreign = foreign_list(e, point_backend(s, choice));
  }
  free(choice);
  if (foreign) return "-"; /* another backend's setting: not part of this run */
  size_t point = s->point_of ? s->point_of[run % s->n_points] : run % s->n_points;
  for (size_t a = s->n_axes; a-- > 0;) {
    size_t c = point % s->axes[a].len;
    if ((int)a == e->axis) return e->items[c];
    point /= s->axes[a].len;
  }
  return NULL;
}

int po_sweep_run_params(const po_sweep *s, size_t run, po_params **out) {
  *out = NULL;
  if (run >= s->n_runs) return po_error(PO_ERR_ARG, "run %zu outside [0, %zu)", run, s->n_runs);
  size_t *choice = calloc(s->n_axes ? s->n_axes : 1, sizeof *choice);
  if (!choice) return po_error(PO_ERR_NOMEM, "out of memory");
  decompose(s, run, choice, NULL);
  po_params *p;
  int rc = po_params_create(&p);
  const char *backend = point_backend(s, choice);
  for (size_t i = 0; !rc && i < s->n_entries; i++) {
    const entry *e = &s->entries[i];
    if (foreign_list(e, backend)) continue; /* does not apply to this run */
    rc = po_params_set(p, e->name, value_at(e, choice));
  }
  free(choice);
  if (rc) {
    po_params_destroy(p);
    return rc;
  }
  *out = p;
  return PO_OK;
}

size_t po_sweep_find(const po_sweep *s, uint64_t id) {
  size_t lo = 0, hi = s->n_runs;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    uint64_t x = s->ids[s->by_id[mid]];
    if (x == id) return s->by_id[mid];
    if (x < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return (size_t)-1;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

uint64_t po_sweep_config_id(const po_params *run, int repeat) {
  size_t n = po_params_count(run), m = 0;
  char **names = calloc(n ? n : 1, sizeof *names);
  if (!names) return 0;
  for (size_t i = 0; i < n; i++) {
    const char *sec, *key, *val;
    po_params_entry(run, i, &sec, &key, &val);
    if (!strcmp(sec, "sweep")) continue;
    size_t len = strlen(sec) + strlen(key) + 2;
    char *name = malloc(len);
    if (!name) continue;
    snprintf(name, len, "%s.%s", sec, key);
    if (is_excluded(name)) {
      free(name);
      continue;
    }
    names[m++] = name;
  }
  qsort(names, m, sizeof *names, cmp_str);
  uint64_t h = FNV_OFFSET;
  char buf[40];
  for (size_t i = 0; i < m; i++) {
    char *dot = strrchr(names[i], '.');
    *dot = '\0';
    const char *v = po_params_get(run, names[i], dot + 1);
    *dot = '.';
    h = hash_str(h, names[i]);
    h = hash_str(h, "=");
    h = hash_str(h, canonical(v ? v : "", buf));
    h = hash_str(h, "\n");
    free(names[i]);
  }
  free(names);
  return finish_id(h, repeat);
}

void po_sweep_id_format(uint64_t id, char buf[17]) {
  snprintf(buf, 17, "%016llx", (unsigned long long)id);
}

int po_sweep_id_parse(const char *text, uint64_t *id) {
  if (strlen(text) != 16) return po_error(PO_ERR_PARSE, "run id '%s' is not 16 hex digits", text);
  uint64_t x = 0;
  for (int i = 0; i < 16; i++) {
    int c = tolower((unsigned char)text[i]), d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else
      return po_error(PO_ERR_PARSE, "run id '%s' is not 16 hex digits", text);
    x = x << 4 | (uint64_t)d;
  }
  *id = x;
  return PO_OK;
}

/* A Slurm variable as a whole decimal number in [0, 2^31): "x", "", "3x"
 * and 4294967297 are errors naming the variable (they used to become 0). */
static int env_long(const char *name, const char *text, long *out) {
  errno = 0;
  char *end;
  long v = strtol(text, &end, 10);
  if (end == text || *end || errno || v < 0 || v > INT32_MAX)
    return po_error(PO_ERR_ARG,
                    "%s=%s is not an integer in [0, 2147483647]; use --shard i/n to choose the "
                    "shard explicitly",
                    name, text);
  *out = v;
  return PO_OK;
}

int po_sweep_parse_shard(const char *spec, int *index, int *count) {
  long i = 0, n = 1;
  char *end;
  if (spec && *spec) {
    errno = 0;
    i = strtol(spec, &end, 10);
    if (end == spec || *end != '/') goto bad;
    const char *q = end + 1;
    n = strtol(q, &end, 10);
    if (end == q || *end || errno) goto bad;
    if (n < 1 || i < 0 || i >= n || n > 1000000) goto bad;
  } else {
    const char *id = getenv("SLURM_ARRAY_TASK_ID"), *cnt = getenv("SLURM_ARRAY_TASK_COUNT");
    const char *mn = getenv("SLURM_ARRAY_TASK_MIN");
    if (id && !cnt)
      return po_error(PO_ERR_ARG,
                      "SLURM_ARRAY_TASK_ID=%s is set but SLURM_ARRAY_TASK_COUNT is not: every "
                      "array task would run every run; use --shard i/n",
                      id);
    if (id && cnt) {
      long lo = 0, raw_id = 0;
      if (env_long("SLURM_ARRAY_TASK_ID", id, &raw_id) ||
          env_long("SLURM_ARRAY_TASK_COUNT", cnt, &n) ||
          (mn && env_long("SLURM_ARRAY_TASK_MIN", mn, &lo)))
        return PO_ERR_ARG;
      i = raw_id - lo;
      if (n < 1 || i < 0 || i >= n || n > 1000000)
        return po_error(PO_ERR_ARG,
                        "SLURM_ARRAY_TASK_ID=%s (min %ld) and SLURM_ARRAY_TASK_COUNT=%s do not "
                        "give a shard in [0, count); use --shard i/n",
                        id, lo, cnt);
    }
  }
  *index = (int)i;
  *count = (int)n;
  return PO_OK;
bad:
  return po_error(PO_ERR_ARG, "--shard '%s': expected i/n with 0 <= i < n", spec);
}
