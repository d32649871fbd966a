/* Annealing schedules shared by every backend (see schedule.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"
#include "physopt/schedule.h"

static const char *const kind_names[] = {"default", "linear", "geometric", "tanh", "table"};

const char *po_schedule_kind_name(po_schedule_kind kind) {
  return (unsigned)kind < 5 ? kind_names[kind] : "unknown";
}

int po_schedule_init(po_schedule *s, po_schedule_kind kind, double start, double end,
                     double steepness) {
  memset(s, 0, sizeof *s);
  if (!isfinite(start) || !isfinite(end))
    return po_error(PO_ERR_ARG, "schedule start and end must be finite numbers");
  if (kind == PO_SCHED_GEOMETRIC && !(start > 0 && end > 0))
    return po_error(PO_ERR_ARG, "geometric schedule needs start > 0 and end > 0 (got %g, %g)",
                    start, end);
  if (kind == PO_SCHED_TANH && !(steepness > 0 && isfinite(steepness)))
    return po_error(PO_ERR_ARG, "tanh schedule steepness = %g must be > 0", steepness);
  if (kind == PO_SCHED_TABLE)
    return po_error(PO_ERR_ARG, "table schedules are made with po_schedule_load_table");
  s->kind = kind;
  s->start = start;
  s->end = end;
  s->steepness = steepness;
  return PO_OK;
}

static int table_push(po_schedule *s, int *cap, double t, double v) {
  if (s->n_points == *cap) {
    int nc = *cap ? 2 * *cap : 16;
    double *nt = realloc(s->t, (size_t)nc * sizeof *nt);
    if (!nt) return po_error(PO_ERR_NOMEM, "out of memory");
    s->t = nt;
    double *nv = realloc(s->v, (size_t)nc * sizeof *nv);
    if (!nv) return po_error(PO_ERR_NOMEM, "out of memory");
    s->v = nv;
    *cap = nc;
  }
  s->t[s->n_points] = t;
  s->v[s->n_points] = v;
  s->n_points++;
  return PO_OK;
}

/* Length of s without its trailing line break (for messages). */
static int text_len(const char *s) {
  return (int)strcspn(s, "\r\n");
}

static int parse_table_line(const char *path, int line, const char *buf, double *t, double *v) {
  char *end;
  errno = 0;
  *t = strtod(buf, &end);
  if (end == buf)
    return po_error(PO_ERR_PARSE, "%s:%d: expected 't value', got '%.*s'", path, line,
                    text_len(buf), buf);
  if (errno == ERANGE && fabs(*t) > 1)
    return po_error(PO_ERR_PARSE, "%s:%d: t out of the range of a double", path, line);
  const char *p = end;
  errno = 0;
  *v = strtod(p, &end);
  if (end == p) return po_error(PO_ERR_PARSE, "%s:%d: missing value after t = %g", path, line, *t);
  if (errno == ERANGE && fabs(*v) > 1)
    return po_error(PO_ERR_PARSE, "%s:%d: value '%.*s' out of the range of a double", path, line,
                    (int)(end - p), p);
  while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') end++;
  if (*end)
    return po_error(PO_ERR_PARSE, "%s:%d: trailing text '%.*s' after 't value'", path, line,
                    text_len(end), end);
  if (!isfinite(*t) || !isfinite(*v))
    return po_error(PO_ERR_PARSE, "%s:%d: non-finite number", path, line);
  if (*t < 0 || *t > 1)
    return po_error(PO_ERR_PARSE, "%s:%d: t = %g outside [0, 1]", path, line, *t);
  return PO_OK;
}

int po_schedule_load_table(po_schedule *s, const char *path) {
  memset(s, 0, sizeof *s);
  s->kind = PO_SCHED_TABLE;
  FILE *f = fopen(path, "r");
  if (!f) return po_error(PO_ERR_IO, "cannot open schedule table %s: %s", path, strerror(errno));
  char buf[512];
  int line = 0, cap = 0, rc = PO_OK;
  while (!rc && fgets(buf, sizeof buf, f)) {
    line++;
    if (!strchr(buf, '\n') && !feof(f)) {
      rc = po_error(PO_ERR_PARSE, "%s:%d: line longer than %d characters", path, line,
                    (int)sizeof buf - 2);
      break;
    }
    const char *p = buf;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '#' || *p == '\n' || *p == '\r' || !*p) continue;
    double t = 0, v = 0;
    rc = parse_table_line(path, line, p, &t, &v);
    if (!rc && s->n_points > 0 && t <= s->t[s->n_points - 1])
      rc = po_error(PO_ERR_PARSE, "%s:%d: t = %g is not greater than the previous t = %g", path,
                    line, t, s->t[s->n_points - 1]);
    if (!rc) rc = table_push(s, &cap, t, v);
  }
  if (!rc && ferror(f))
    rc = po_error(PO_ERR_IO, "cannot read schedule table %s: %s", path,
                  strerror(errno ? errno : EIO));
  fclose(f);
  if (!rc && s->n_points < 1) rc = po_error(PO_ERR_PARSE, "%s: schedule table has no points", path);
  if (rc)
    po_schedule_free(s);
  else {
    s->start = s->v[0];
    s->end = s->v[s->n_points - 1];
  }
  return rc;
}

int po_schedule_parse(po_schedule *s, const char *spec) {
  memset(s, 0, sizeof *s);
  if (!strcmp(spec, "default")) return PO_OK;
  if (!strncmp(spec, "table:", 6)) return po_schedule_load_table(s, spec + 6);
  static const struct {
    const char *name;
    po_schedule_kind kind;
    int nargs;
  } forms[] = {{"linear", PO_SCHED_LINEAR, 2},
               {"geometric", PO_SCHED_GEOMETRIC, 2},
               {"tanh", PO_SCHED_TANH, 3}};
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
    size_t len = strlen(forms[i].name);
    if (strncmp(spec, forms[i].name, len) || spec[len] != ':') continue;
    double a[3] = {0, 0, 0};
    const char *p = spec + len;
    for (int k = 0; k < forms[i].nargs; k++) {
      char *end;
      if (*p != ':') goto bad;
      errno = 0;
      a[k] = strtod(p + 1, &end);
      if (end == p + 1 || errno) goto bad;
      p = end;
    }
    if (*p) goto bad;
    return po_schedule_init(s, forms[i].kind, a[0], a[1], a[2]);
  }
bad:
  return po_error(PO_ERR_ARG,
                  "schedule '%s' not understood (expected default, linear:A:B, geometric:A:B, "
                  "tanh:A:B:STEEPNESS or table:FILE)",
                  spec);
}

static double table_value(const po_schedule *s, double t) {
  if (t <= s->t[0]) return s->v[0];
  int n = s->n_points;
  if (t >= s->t[n - 1]) return s->v[n - 1];
  int lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    int mid = (lo + hi) / 2;
    if (s->t[mid] <= t)
      lo = mid;
    else
      hi = mid;
  }
  double w = (t - s->t[lo]) / (s->t[hi] - s->t[lo]);
  return s->v[lo] + w * (s->v[hi] - s->v[lo]);
}

double po_schedule_value(const po_schedule *s, long k, long K) {
  double t = K > 1 ? (double)k / (double)(K - 1) : 1.0;
  if (t < 0) t = 0;
  if (t > 1) t = 1;
  switch (s->kind) {
  case PO_SCHED_LINEAR:
    return s->start + (s->end - s->start) * t;
  case PO_SCHED_GEOMETRIC:
    return s->start * pow(s->end / s->start, t);
  case PO_SCHED_TANH:
    return s->start + (s->end - s->start) * tanh(s->steepness * t) / tanh(s->steepness);
  case PO_SCHED_TABLE:
    return table_value(s, t);
  case PO_SCHED_DEFAULT:
    break;
  }
  return NAN;
}

void po_schedule_free(po_schedule *s) {
  free(s->t);
  free(s->v);
  s->t = s->v = NULL;
  s->n_points = 0;
}
