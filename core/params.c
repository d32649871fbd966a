/* Run parameters: "section.key" -> text, read from INI files (our own reader, below)
 * and overridden from the command line; typed, range-checked getters driven
 * by per-module po_param_spec tables. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "physopt/error.h"
#include "physopt/params.h"
#include "core/lines.h"

typedef struct entry {
  char *section, *key, *value;
} entry;

struct po_params {
  entry *e;
  size_t n, cap;
};

int po_params_create(po_params **out) {
  *out = calloc(1, sizeof **out);
  return *out ? PO_OK : po_error(PO_ERR_NOMEM, "out of memory");
}

void po_params_destroy(po_params *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) {
    free(p->e[i].section);
    free(p->e[i].key);
    free(p->e[i].value);
  }
  free(p->e);
  free(p);
}

static entry *find_entry(const po_params *p, const char *section, const char *key) {
  for (size_t i = 0; i < p->n; i++)
    if (!strcmp(p->e[i].section, section) && !strcmp(p->e[i].key, key)) return &p->e[i];
  return NULL;
}

static char *trimmed_copy(const char *s) {
  while (isspace((unsigned char)*s)) s++;
  size_t len = strlen(s);
  while (len > 0 && isspace((unsigned char)s[len - 1])) len--;
  char *c = malloc(len + 1);
  if (c) {
    memcpy(c, s, len);
    c[len] = '\0';
  }
  return c;
}

static int set_entry(po_params *p, const char *section, const char *key, const char *value) {
  char *v = trimmed_copy(value);
  if (!v) return po_error(PO_ERR_NOMEM, "out of memory");
  entry *e = find_entry(p, section, key);
  if (e) {
    free(e->value);
    e->value = v;
    return PO_OK;
  }
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 16;
    entry *ne = realloc(p->e, cap * sizeof *ne);
    if (!ne) {
      free(v);
      return po_error(PO_ERR_NOMEM, "out of memory");
    }
    p->e = ne;
    p->cap = cap;
  }
  e = &p->e[p->n];
  e->section = trimmed_copy(section);
  e->key = trimmed_copy(key);
  e->value = v;
  if (!e->section || !e->key) {
    free(e->section);
    free(e->key);
    free(v);
    return po_error(PO_ERR_NOMEM, "out of memory");
  }
  p->n++;
  return PO_OK;
}

/* ---- INI reader ------------------------------------------------------------
 *
 * Our own, because libinih as Debian builds it stops at 200-character lines
 * (INI_MAX_LINE) and then reports a wrong line as a "syntax error", and it
 * accepts a repeated key silently (the last one wins).  The syntax is
 * libinih's: "[section]", "key = value" or "key: value", whole-line
 * comments starting with ';' or '#', inline comments " ; ..." after a
 * value; surrounding blanks are dropped.  Lines may be up to PO_LINE_MAX
 * bytes.  Within one file a key may be given once and a section opened
 * once: a repetition is an error naming both lines (which one was meant
 * cannot be guessed). */

typedef struct ini_seen {
  char *section, *key; /* key NULL: the section header itself */
  long line;
} ini_seen;

typedef struct ini_state {
  const char *path;
  po_params *p;
  char section[256];
  long section_line;
  ini_seen *seen;
  size_t n_seen, cap_seen;
} ini_state;

static char *trim_in_place(char *s) {
  while (isspace((unsigned char)*s)) s++;
  size_t len = strlen(s);
  while (len > 0 && isspace((unsigned char)s[len - 1])) s[--len] = '\0';
  return s;
}

/* The line where (section, key) was given before in this file, or 0;
 * records it otherwise. */
static long seen_before(ini_state *st, const char *key, long line, int *nomem) {
  for (size_t i = 0; i < st->n_seen; i++) {
    const ini_seen *e = &st->seen[i];
    if (!strcmp(e->section, st->section) &&
        ((!key && !e->key) || (key && e->key && !strcmp(e->key, key))))
      return e->line;
  }
  if (st->n_seen == st->cap_seen) {
    size_t cap = st->cap_seen ? 2 * st->cap_seen : 32;
    ini_seen *ns = realloc(st->seen, cap * sizeof *ns);
    if (!ns) return *nomem = 1, 0;
    st->seen = ns;
    st->cap_seen = cap;
  }
  ini_seen *e = &st->seen[st->n_seen];
  e->section = strdup(st->section);
  e->key = key ? strdup(key) : NULL;
  e->line = line;
  if (!e->section || (key && !e->key)) {
    free(e->section);
    free(e->key);
    return *nomem = 1, 0;
  }
  st->n_seen++;
  return 0;
}

static int ini_section(ini_state *st, char *text, long line) {
  char *close = strchr(text, ']');
  if (!close)
    return po_error(PO_ERR_PARSE, "%s:%ld: section header '%.60s' is not closed with ']'", st->path,
                    line, text);
  char *after = trim_in_place(close + 1);
  if (*after && *after != ';' && *after != '#')
    return po_error(PO_ERR_PARSE, "%s:%ld: unexpected '%.40s' after section header", st->path, line,
                    after);
  *close = '\0';
  char *name = trim_in_place(text + 1);
  if (!*name) return po_error(PO_ERR_PARSE, "%s:%ld: empty section name '[]'", st->path, line);
  if (strlen(name) >= sizeof st->section)
    return po_error(PO_ERR_PARSE, "%s:%ld: section name longer than %zu characters", st->path, line,
                    sizeof st->section - 1);
  snprintf(st->section, sizeof st->section, "%s", name);
  int nomem = 0;
  long first = seen_before(st, NULL, line, &nomem);
  if (nomem) return po_error(PO_ERR_NOMEM, "out of memory");
  if (first)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: section [%s] appears a second time (first at line %ld); give each "
                    "section once",
                    st->path, line, name, first);
  st->section_line = line;
  return PO_OK;
}

/* Drops an inline comment: ';' preceded by a blank (libinih's rule). */
static void strip_inline_comment(char *value) {
  for (char *c = value; *c; c++)
    if (*c == ';' && c > value && isspace((unsigned char)c[-1])) {
      *c = '\0';
      return;
    }
}

static int ini_key_value(ini_state *st, char *text, long line) {
  size_t at = strcspn(text, "=:");
  if (!text[at])
    return po_error(PO_ERR_PARSE, "%s:%ld: syntax error (expected [section] or key = value)",
                    st->path, line);
  text[at] = '\0';
  char *key = trim_in_place(text), *value = text + at + 1;
  strip_inline_comment(value);
  value = trim_in_place(value);
  if (!*key) return po_error(PO_ERR_PARSE, "%s:%ld: empty key before '='", st->path, line);
  if (strchr(key, '.'))
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: key '%.60s' contains '.', which separates section and key in "
                    "section.key names; put it in its [section]",
                    st->path, line, key);
  if (!st->section[0])
    return po_error(PO_ERR_PARSE, "%s:%ld: key '%s' appears before any [section]", st->path, line,
                    key);
  int nomem = 0;
  long first = seen_before(st, key, line, &nomem);
  if (nomem) return po_error(PO_ERR_NOMEM, "out of memory");
  if (first)
    return po_error(PO_ERR_PARSE,
                    "%s:%ld: %s.%s is given a second time (first at line %ld); give each key "
                    "once (a list is one line: key = a, b, c)",
                    st->path, line, st->section, key, first);
  return set_entry(st->p, st->section, key, value);
}

static int ini_line(ini_state *st, char *text, long line) {
  if (line == 1 && !strncmp(text, "\xEF\xBB\xBF", 3)) text += 3; /* UTF-8 byte order mark */
  text = trim_in_place(text);
  if (!*text || *text == ';' || *text == '#') return PO_OK;
  return *text == '[' ? ini_section(st, text, line) : ini_key_value(st, text, line);
}

int po_params_load_ini(po_params *p, const char *path) {
  po_lines r;
  if (po_lines_open(&r, path, 0))
    return po_error(PO_ERR_IO, "cannot open config file %s: %s", path, strerror(errno));
  ini_state st = {.path = path, .p = p};
  int rc, got = 1;
  while (!(rc = po_lines_next(&r, &got)) && got && !(rc = ini_line(&st, r.buf, r.line))) {
  }
  for (size_t i = 0; i < st.n_seen; i++) {
    free(st.seen[i].section);
    free(st.seen[i].key);
  }
  free(st.seen);
  po_lines_close(&r);
  if (rc == PO_ERR_IO && r.read_errno) /* e.g. EISDIR: a directory is no configuration */
    return po_error(rc, "cannot read config file %s: %s", path, strerror(r.read_errno));
  return rc;
}

int po_params_set(po_params *p, const char *section_key, const char *value) {
  const char *dot = strrchr(section_key, '.');
  if (!dot || dot == section_key || !dot[1])
    return po_error(PO_ERR_ARG, "parameter name '%s' must have the form section.key", section_key);
  size_t slen = (size_t)(dot - section_key);
  char section[256];
  if (slen >= sizeof section) return po_error(PO_ERR_ARG, "section name too long");
  memcpy(section, section_key, slen);
  section[slen] = '\0';
  return set_entry(p, section, dot + 1, value);
}

int po_params_assign(po_params *p, const char *assignment) {
  const char *eq = strchr(assignment, '=');
  if (!eq)
    return po_error(PO_ERR_ARG, "'%s' is not an assignment of the form section.key=value",
                    assignment);
  char name[512];
  size_t len = (size_t)(eq - assignment);
  if (len >= sizeof name) return po_error(PO_ERR_ARG, "parameter name too long");
  memcpy(name, assignment, len);
  name[len] = '\0';
  char *t = trimmed_copy(name);
  if (!t) return po_error(PO_ERR_NOMEM, "out of memory");
  int rc = po_params_set(p, t, eq + 1);
  free(t);
  return rc;
}

const char *po_params_get(const po_params *p, const char *section, const char *key) {
  if (!p) return NULL;
  entry *e = find_entry(p, section, key);
  return e ? e->value : NULL;
}

int po_params_has_section(const po_params *p, const char *section) {
  if (!p) return 0;
  for (size_t i = 0; i < p->n; i++)
    if (!strcmp(p->e[i].section, section)) return 1;
  return 0;
}

static const po_param_spec *find_spec(const po_param_section *sec, const char *key) {
  for (size_t i = 0; i < sec->n_specs; i++)
    if (!strcmp(sec->specs[i].key, key)) return &sec->specs[i];
  return NULL;
}

/* "a, b, c" list of a section's keys, for error messages. */
static void list_keys(const po_param_section *sec, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < sec->n_specs && used + 1 < size; i++)
    used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", sec->specs[i].key);
}

static int lookup(const po_params *p, const po_param_section *sec, const char *key,
                  po_param_type type, const po_param_spec **spec, const char **text) {
  *spec = find_spec(sec, key);
  if (!*spec) {
    char keys[1024];
    list_keys(sec, keys, sizeof keys);
    return po_error(PO_ERR_NOT_FOUND, "unknown parameter %s.%s (valid: %s)", sec->name, key, keys);
  }
  if ((*spec)->type != type)
    return po_error(PO_ERR_ARG, "internal: parameter %s.%s read with the wrong type", sec->name,
                    key);
  *text = po_params_get(p, sec->name, key);
  if (!*text) *text = (*spec)->def;
  return PO_OK;
}

/* A range limit written exactly: the shortest of %.6g .. %.17g that reads
 * back as the same double ("[1, 1.67772e+07]" hid that 16777216 was the
 * limit, and a value just above the rounded one was refused). */
typedef struct limit_text {
  char s[40];
} limit_text;

static limit_text exact(double v) {
  limit_text t;
  for (int prec = 6; prec <= 17; prec++) {
    snprintf(t.s, sizeof t.s, "%.*g", prec, v);
    if (strtod(t.s, NULL) == v) break;
  }
  return t;
}

const char *po_param_range_text(const po_param_spec *s, char *buf, size_t size) {
  snprintf(buf, size, "[%s, %s]", exact(s->min).s, exact(s->max).s);
  return buf;
}

static int range_error(const po_param_section *sec, const po_param_spec *s, const char *text) {
  /* "1" marks a dimensionless quantity in the spec tables; not worth printing. */
  int show_unit = s->unit && *s->unit && strcmp(s->unit, "1");
  char range[96];
  return po_error(PO_ERR_ARG, "%s.%s = %s is outside the accepted range %s%s%s", sec->name, s->key,
                  text, po_param_range_text(s, range, sizeof range), show_unit ? " " : "",
                  show_unit ? s->unit : "");
}

int po_params_int(const po_params *p, const po_param_section *sec, const char *key, long *out) {
  const po_param_spec *s;
  const char *text;
  int rc = lookup(p, sec, key, PO_PARAM_INT, &s, &text);
  if (rc) return rc;
  if (!text) return po_error(PO_ERR_ARG, "parameter %s.%s is required", sec->name, key);
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end || errno || v != floor(v) || fabs(v) > 9e15)
    return po_error(PO_ERR_ARG, "%s.%s = '%s' is not an integer (accepted range [%s, %s])",
                    sec->name, key, text, exact(s->min).s, exact(s->max).s);
  if (v < s->min || v > s->max) return range_error(sec, s, text);
  *out = (long)v;
  return PO_OK;
}

int po_params_u64(const po_params *p, const po_param_section *sec, const char *key, uint64_t *out) {
  const char *text = po_params_get(p, sec->name, key);
  if (text && *text && !strchr(text, '-')) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (end != text && !*end && !errno) {
      *out = v;
      return PO_OK;
    }
  }
  long v; /* the default, and the errors naming the accepted range */
  int rc = po_params_int(p, sec, key, &v);
  if (!rc) *out = (uint64_t)v;
  return rc;
}

int po_params_double(const po_params *p, const po_param_section *sec, const char *key,
                     double *out) {
  const po_param_spec *s;
  const char *text;
  int rc = lookup(p, sec, key, PO_PARAM_DOUBLE, &s, &text);
  if (rc) return rc;
  if (!text) return po_error(PO_ERR_ARG, "parameter %s.%s is required", sec->name, key);
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end || errno || !isfinite(v))
    return po_error(PO_ERR_ARG, "%s.%s = '%s' is not a finite number (accepted range [%s, %s])",
                    sec->name, key, text, exact(s->min).s, exact(s->max).s);
  if (v < s->min || v > s->max) return range_error(sec, s, text);
  *out = v;
  return PO_OK;
}

/* Is `word` one of the '|'-separated `choices`? */
static int is_choice(const char *choices, const char *word) {
  size_t wl = strlen(word);
  for (const char *c = choices; *c;) {
    const char *bar = strchr(c, '|');
    size_t len = bar ? (size_t)(bar - c) : strlen(c);
    if (len == wl && !strncmp(c, word, len)) return 1;
    if (!bar) break;
    c = bar + 1;
  }
  return 0;
}

int po_params_string(const po_params *p, const po_param_section *sec, const char *key,
                     const char **out) {
  const po_param_spec *s;
  const char *text;
  int rc = lookup(p, sec, key, PO_PARAM_STRING, &s, &text);
  if (rc) return rc;
  if (text && s->choices && !is_choice(s->choices, text))
    return po_error(PO_ERR_ARG, "%s.%s = '%s' is not one of %s", sec->name, key, text, s->choices);
  *out = text;
  return PO_OK;
}

int po_params_bool(const po_params *p, const po_param_section *sec, const char *key, int *out) {
  const po_param_spec *s;
  const char *text;
  int rc = lookup(p, sec, key, PO_PARAM_BOOL, &s, &text);
  if (rc) return rc;
  if (!text) return po_error(PO_ERR_ARG, "parameter %s.%s is required", sec->name, key);
  static const char *yes[] = {"1", "true", "yes", "on"}, *no[] = {"0", "false", "no", "off"};
  for (int i = 0; i < 4; i++) {
    if (!strcasecmp(text, yes[i])) return *out = 1, PO_OK;
    if (!strcasecmp(text, no[i])) return *out = 0, PO_OK;
  }
  return po_error(PO_ERR_ARG, "%s.%s = '%s' is not a boolean (true|false)", sec->name, key, text);
}

/* Whether a section before secs[k] has the same name (listed once). */
static int named_before(const po_param_section *const *secs, size_t k) {
  for (size_t j = 0; j < k; j++)
    if (secs[j] && !strcmp(secs[j]->name, secs[k]->name)) return 1;
  return 0;
}

int po_params_check(const po_params *p, const po_param_section *const *secs, size_t n_secs) {
  if (!p) return PO_OK;
  for (size_t i = 0; i < p->n; i++) {
    const entry *e = &p->e[i];
    const po_param_section *sec = NULL;
    for (size_t k = 0; k < n_secs && !sec; k++)
      if (secs[k] && !strcmp(secs[k]->name, e->section)) sec = secs[k];
    if (!sec) {
      char names[1024];
      size_t used = 0;
      names[0] = '\0';
      for (size_t k = 0; k < n_secs && used + 1 < sizeof names; k++)
        if (secs[k] && !named_before(secs, k))
          used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "",
                                   secs[k]->name);
      return po_error(PO_ERR_NOT_FOUND, "unknown section [%s] (key %s.%s; valid sections: %s)",
                      e->section, e->section, e->key, names);
    }
    if (!find_spec(sec, e->key)) {
      char keys[1024];
      list_keys(sec, keys, sizeof keys);
      return po_error(PO_ERR_NOT_FOUND, "unknown parameter %s.%s (valid: %s)", e->section, e->key,
                      keys);
    }
  }
  return PO_OK;
}

int po_params_check_values(const po_params *p, const po_param_section *const *secs, size_t n_secs) {
  int rc = po_params_check(p, secs, n_secs);
  for (size_t i = 0; !rc && p && i < p->n; i++) {
    const entry *e = &p->e[i];
    const po_param_section *sec = NULL;
    for (size_t k = 0; k < n_secs && !sec; k++)
      if (secs[k] && !strcmp(secs[k]->name, e->section)) sec = secs[k];
    const po_param_spec *s = find_spec(sec, e->key);
    long iv;
    int bv;
    double dv;
    const char *sv;
    switch (s->type) {
    case PO_PARAM_INT:
      rc = po_params_int(p, sec, e->key, &iv);
      break;
    case PO_PARAM_DOUBLE:
      rc = po_params_double(p, sec, e->key, &dv);
      break;
    case PO_PARAM_BOOL:
      rc = po_params_bool(p, sec, e->key, &bv);
      break;
    default:
      rc = po_params_string(p, sec, e->key, &sv);
      break;
    }
  }
  return rc;
}

char *po_params_to_ini(const po_params *p) {
  size_t size = 1;
  for (size_t i = 0; p && i < p->n; i++)
    size += strlen(p->e[i].section) * 2 + strlen(p->e[i].key) + strlen(p->e[i].value) + 16;
  char *buf = malloc(size), *w = buf;
  if (!buf) return NULL;
  *w = '\0';
  /* Group by section in order of first appearance. */
  for (size_t i = 0; p && i < p->n; i++) {
    int seen = 0;
    for (size_t k = 0; k < i && !seen; k++) seen = !strcmp(p->e[k].section, p->e[i].section);
    if (seen) continue;
    w += sprintf(w, "[%s]\n", p->e[i].section);
    for (size_t k = i; k < p->n; k++)
      if (!strcmp(p->e[k].section, p->e[i].section))
        w += sprintf(w, "%s = %s\n", p->e[k].key, p->e[k].value);
  }
  return buf;
}

size_t po_params_count(const po_params *p) {
  return p ? p->n : 0;
}

void po_params_entry(const po_params *p, size_t i, const char **section, const char **key,
                     const char **value) {
  *section = p->e[i].section;
  *key = p->e[i].key;
  *value = p->e[i].value;
}

int po_params_clone(const po_params *p, po_params **out) {
  int rc = po_params_create(out);
  for (size_t i = 0; !rc && p && i < p->n; i++)
    rc = set_entry(*out, p->e[i].section, p->e[i].key, p->e[i].value);
  if (rc) {
    po_params_destroy(*out);
    *out = NULL;
  }
  return rc;
}
