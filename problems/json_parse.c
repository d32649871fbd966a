/* Strict bounded JSON parser with line:column positions (json_parse.h). */
#include "problems/json_parse.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"

typedef struct jp {
  const char *path;
  const char *s;
  size_t len, pos;
  long line, col;
} jp;

static int fail(const jp *p, const char *what) {
  return po_error(PO_ERR_PARSE, "%s:%ld:%ld: %s", p->path, p->line, p->col, what);
}

static void advance(jp *p) {
  if (p->s[p->pos] == '\n') {
    p->line++;
    p->col = 1;
  } else {
    p->col++;
  }
  p->pos++;
}

static void skip_ws(jp *p) {
  while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
                             p->s[p->pos] == '\r'))
    advance(p);
}

static int peek(const jp *p) {
  return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

const char *po__jv_type_name(po_jv_type t) {
  static const char *const names[] = {"null",     "a boolean", "a number",
                                      "a string", "an array",  "an object"};
  return names[t];
}

void po__jv_free(po_jv *v) {
  if (!v) return;
  for (size_t k = 0; k < v->n; k++) {
    po__jv_free(&v->items[k]);
    if (v->keys) free(v->keys[k]);
  }
  free(v->items);
  free(v->keys);
  free(v->str);
  memset(v, 0, sizeof *v);
}

const po_jv *po__jv_get(const po_jv *obj, const char *key) {
  if (obj->type != PO_JV_OBJECT) return NULL;
  for (size_t k = 0; k < obj->n; k++)
    if (!strcmp(obj->keys[k], key)) return &obj->items[k];
  return NULL;
}

static int parse_value(jp *p, po_jv *v, int depth);

static int literal(jp *p, const char *word) {
  size_t n = strlen(word);
  if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n)) return fail(p, "invalid literal");
  for (size_t k = 0; k < n; k++) advance(p);
  return PO_OK;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int parse_number(jp *p, po_jv *v) {
  size_t start = p->pos;
  long col = p->col;
  if (peek(p) == '-') advance(p);
  if (peek(p) == '0') {
    advance(p);
    if (peek(p) >= '0' && peek(p) <= '9') return fail(p, "leading zero in a number");
  } else if (peek(p) >= '1' && peek(p) <= '9') {
    while (peek(p) >= '0' && peek(p) <= '9') advance(p);
  } else {
    return fail(p, "invalid number");
  }
  if (peek(p) == '.') {
    advance(p);
    if (!(peek(p) >= '0' && peek(p) <= '9')) return fail(p, "digit expected after '.'");
    while (peek(p) >= '0' && peek(p) <= '9') advance(p);
  }
  if (peek(p) == 'e' || peek(p) == 'E') {
    advance(p);
    if (peek(p) == '+' || peek(p) == '-') advance(p);
    if (!(peek(p) >= '0' && peek(p) <= '9')) return fail(p, "digit expected in the exponent");
    while (peek(p) >= '0' && peek(p) <= '9') advance(p);
  }
  char buf[512];
  size_t n = p->pos - start;
  if (n >= sizeof buf) {
    p->col = col;
    return fail(p, "number literal longer than 511 characters");
  }
  memcpy(buf, p->s + start, n);
  buf[n] = '\0';
  v->type = PO_JV_NUMBER;
  v->num = strtod(buf, NULL);
  return PO_OK;
}

static int hex4(jp *p, unsigned *u) {
  *u = 0;
  for (int k = 0; k < 4; k++) {
    int c = peek(p);
    unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                 : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                 : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                        : 16u;
    if (d == 16) return fail(p, "\\u needs four hex digits");
    *u = *u * 16 + d;
    advance(p);
  }
  return PO_OK;
}

static size_t put_utf8(char *o, unsigned u) {
  if (u < 0x80) return o[0] = (char)u, 1;
  if (u < 0x800) return o[0] = (char)(0xC0 | u >> 6), o[1] = (char)(0x80 | (u & 63)), 2;
  if (u < 0x10000)
    return o[0] = (char)(0xE0 | u >> 12), o[1] = (char)(0x80 | (u >> 6 & 63)),
           o[2] = (char)(0x80 | (u & 63)), 3;
  return o[0] = (char)(0xF0 | u >> 18), o[1] = (char)(0x80 | (u >> 12 & 63)),
         o[2] = (char)(0x80 | (u >> 6 & 63)), o[3] = (char)(0x80 | (u & 63)), 4;
}

/* The escape after a backslash into o (enough room: escapes never grow). */
static int parse_escape(jp *p, char *o, size_t *w) {
  static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
  int c = peek(p);
  const char *e = c > 0 ? strchr(from, c) : NULL;
  if (e && c != 'u') {
    o[(*w)++] = to[e - from];
    advance(p);
    return PO_OK;
  }
  if (c != 'u') return fail(p, "invalid escape in a string");
  advance(p);
  unsigned u, lo;
  int rc = hex4(p, &u);
  if (rc) return rc;
  if (u >= 0xDC00 && u <= 0xDFFF) return fail(p, "unpaired low surrogate \\u escape");
  if (u >= 0xD800 && u <= 0xDBFF) {
    if (peek(p) != '\\') return fail(p, "unpaired high surrogate \\u escape");
    advance(p);
    if (peek(p) != 'u') return fail(p, "unpaired high surrogate \\u escape");
    advance(p);
    if ((rc = hex4(p, &lo))) return rc;
    if (lo < 0xDC00 || lo > 0xDFFF) return fail(p, "unpaired high surrogate \\u escape");
    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
  }
  if (u == 0) return fail(p, "\\u0000 in a string is not accepted");
  *w += put_utf8(o + *w, u);
  return PO_OK;
}

static int parse_string(jp *p, char **out) {
  advance(p); /* the opening quote */
  size_t start = p->pos, end = start;
  while (end < p->len && p->s[end] != '"') end += p->s[end] == '\\' ? 2 : 1;
  char *o = malloc(end - start + 1);
  if (!o) return po_error(PO_ERR_NOMEM, "%s: out of memory", p->path);
  size_t w = 0;
  for (;;) {
    int c = peek(p);
    if (c < 0) {
      free(o);
      return fail(p, "unterminated string");
    }
    if (c == '"') break;
    if (c < 0x20) {
      free(o);
      return fail(p, "control character in a string (escape it)");
    }
    if (c == '\\') {
      advance(p);
      int rc = parse_escape(p, o, &w);
      if (rc) {
        free(o);
        return rc;
      }
      continue;
    }
    o[w++] = (char)c;
    advance(p);
  }
  advance(p);
  o[w] = '\0';
  *out = o;
  return PO_OK;
}

static int grow(jp *p, po_jv *v, size_t *cap, int with_keys) {
  if (v->n < *cap) return PO_OK;
  size_t nc = *cap ? 2 * *cap : 8;
  po_jv *it = realloc(v->items, nc * sizeof *it);
  if (!it) return po_error(PO_ERR_NOMEM, "%s: out of memory", p->path);
  v->items = it;
  if (with_keys) {
    char **k = realloc(v->keys, nc * sizeof *k);
    if (!k) return po_error(PO_ERR_NOMEM, "%s: out of memory", p->path);
    v->keys = k;
  }
  *cap = nc;
  return PO_OK;
}

/* Arrays and objects: values separated by commas between open and close. */
static int parse_container(jp *p, po_jv *v, int depth) {
  int is_obj = peek(p) == '{';
  char close = is_obj ? '}' : ']';
  if (depth >= PO_JSON_MAX_DEPTH) return fail(p, "nesting deeper than 64 levels");
  v->type = is_obj ? PO_JV_OBJECT : PO_JV_ARRAY;
  advance(p);
  skip_ws(p);
  if (peek(p) == close) {
    advance(p);
    return PO_OK;
  }
  size_t cap = 0;
  for (;;) {
    int rc = grow(p, v, &cap, is_obj);
    if (rc) return rc;
    po_jv *item = &v->items[v->n];
    memset(item, 0, sizeof *item);
    if (is_obj) {
      skip_ws(p);
      if (peek(p) != '"') return fail(p, "object key (a string) expected");
      long kl = p->line, kc = p->col;
      char *key;
      if ((rc = parse_string(p, &key))) return rc;
      for (size_t k = 0; k < v->n; k++)
        if (!strcmp(v->keys[k], key)) {
          free(key);
          return po_error(PO_ERR_PARSE, "%s:%ld:%ld: duplicate key \"%.60s\" (first at %ld:%ld)",
                          p->path, kl, kc, v->keys[k], v->items[k].line, v->items[k].col);
        }
      v->keys[v->n] = key;
      skip_ws(p);
      if (peek(p) != ':') {
        v->n++; /* the key is owned; its value stays null */
        return fail(p, "':' expected after an object key");
      }
      advance(p);
    }
    v->n++;
    if ((rc = parse_value(p, item, depth + 1))) return rc;
    skip_ws(p);
    if (peek(p) == ',') {
      advance(p);
      skip_ws(p);
      if (peek(p) == close) return fail(p, "trailing comma");
      continue;
    }
    if (peek(p) == close) {
      advance(p);
      return PO_OK;
    }
    return fail(p, is_obj ? "',' or '}' expected" : "',' or ']' expected");
  }
}

static int parse_value(jp *p, po_jv *v, int depth) {
  skip_ws(p);
  v->line = p->line;
  v->col = p->col;
  int c = peek(p);
  switch (c) {
  case -1:
    return fail(p, "unexpected end of file (a value expected)");
  case '{':
  case '[':
    return parse_container(p, v, depth);
  case '"':
    v->type = PO_JV_STRING;
    return parse_string(p, &v->str);
  case 't':
    v->type = PO_JV_BOOL, v->boolean = 1;
    return literal(p, "true");
  case 'f':
    v->type = PO_JV_BOOL;
    return literal(p, "false");
  case 'n':
    v->type = PO_JV_NULL;
    return literal(p, "null");
  default:
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p, v);
    if (c == 'N' || c == 'I') return fail(p, "NaN and Infinity are not JSON numbers");
    return fail(p, "unexpected character (a value expected)");
  }
}

static int slurp(const char *path, char **buf, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return po_error(PO_ERR_IO, "cannot open %s: %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  char *b = malloc(cap);
  int rc = b ? PO_OK : po_error(PO_ERR_NOMEM, "%s: out of memory", path);
  while (!rc) {
    if (n == cap) {
      if (cap >= (size_t)PO_JSON_MAX_BYTES) {
        rc = po_error(PO_ERR_PARSE, "%s: larger than %ld bytes", path, PO_JSON_MAX_BYTES);
        break;
      }
      char *nb = realloc(b, cap * 2);
      if (!nb) {
        rc = po_error(PO_ERR_NOMEM, "%s: out of memory", path);
        break;
      }
      b = nb;
      cap *= 2;
    }
    size_t got = fread(b + n, 1, cap - n, f);
    n += got;
    if (got == 0) {
      if (ferror(f)) rc = po_error(PO_ERR_IO, "cannot read %s", path);
      break;
    }
  }
  fclose(f);
  if (rc) {
    free(b);
    return rc;
  }
  *buf = b;
  *len = n;
  return PO_OK;
}

int po__json_parse_file(const char *path, po_jv *root) {
  memset(root, 0, sizeof *root);
  char *buf = NULL;
  size_t len = 0;
  int rc = slurp(path, &buf, &len);
  if (rc) return rc;
  jp p = {path, buf, len, 0, 1, 1};
  if (memchr(buf, '\0', len)) {
    const char *z = memchr(buf, '\0', len);
    while (p.s + p.pos < z) advance(&p);
    rc = fail(&p, "NUL byte (not a JSON text file)");
  }
  if (!rc) rc = parse_value(&p, root, 0);
  if (!rc) {
    skip_ws(&p);
    if (p.pos < p.len) rc = fail(&p, "text after the JSON value");
  }
  free(buf);
  if (rc) po__jv_free(root);
  return rc;
}
