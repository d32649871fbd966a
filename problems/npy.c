/* NumPy .npy and .npz problem files.
 *
 * .npy (NumPy Enhancement Proposal 1, "A Simple File Format for NumPy
 * Arrays", versions 1.0-3.0): magic "\x93NUMPY", version bytes, a
 * little-endian header length (2 bytes in 1.0, 4 in 2.0/3.0), a Python dict
 * literal {'descr': '<f8', 'fortran_order': False, 'shape': (N, N), } and the
 * raw data.  We read dtypes b1, i1-i8, u1-u8, f4, f8 in either byte order.
 * A .npy file is the dense coupling matrix J (N x N): symmetric, zero
 * diagonal (checked exactly), E(s) = sum_{i<j} J_ij s_i s_j = s^T J s / 2.
 *
 * .npz (numpy.savez / savez_compressed) is a zip archive (PKWARE APPNOTE.TXT,
 * sections 4.3-4.5; zip64 records included) of .npy members, stored or
 * deflated (inflated with zlib, CRC-32 checked).  Members: J.npy (or
 * arr_0.npy, the name np.savez gives the first positional array), optional
 * h.npy (or arr_1.npy, N fields) and offset.npy (a scalar added to E).
 * Any other member is an error, so a misspelt name is not silently ignored.
 *
 * Binary files have no lines: errors are "PATH: what" or
 * "PATH:MEMBER: what" (PO_ERR_PARSE). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "physopt/error.h"
#include "physopt/problem.h"
#include "problems/ising_internal.h"

typedef struct npy_array {
  char kind; /* 'b', 'i', 'u', 'f' */
  int size;  /* bytes per element */
  int swap;  /* big-endian data */
  int fortran;
  int ndim;
  long long shape[2];
  const unsigned char *data;
} npy_array;

/* Whole file into memory. */
static int slurp(const char *path, unsigned char **buf, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return po_error(PO_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  unsigned char *b = malloc(cap);
  int rc = b ? PO_OK : po_error(PO_ERR_NOMEM, "%s: out of memory", path);
  while (!rc) {
    if (n == cap) {
      unsigned char *nb = cap < SIZE_MAX / 2 ? realloc(b, cap * 2) : NULL;
      if (!nb) {
        rc = po_error(PO_ERR_NOMEM, "%s: out of memory after %zu bytes", path, n);
        break;
      }
      b = nb;
      cap *= 2;
    }
    size_t got = fread(b + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  if (!rc && ferror(f)) rc = po_error(PO_ERR_IO, "%s: read error: %s", path, strerror(errno));
  fclose(f);
  if (rc) {
    free(b);
    return rc;
  }
  *buf = b;
  *len = n;
  return PO_OK;
}

/* The value of 'key': in the header dict, or NULL. */
static const char *dict_value(const char *hdr, const char *key) {
  char pat[32];
  snprintf(pat, sizeof pat, "'%s'", key);
  const char *p = strstr(hdr, pat);
  if (!p) return NULL;
  p += strlen(pat);
  while (*p == ' ') p++;
  if (*p != ':') return NULL;
  p++;
  while (*p == ' ') p++;
  return p;
}

static int parse_descr(const char *where, const char *v, npy_array *a) {
  if (!v || *v != '\'') return po_error(PO_ERR_PARSE, "%s: header has no 'descr' string", where);
  char order = v[1], kind = v[2];
  char *end;
  long size = strtol(v + 3, &end, 10);
  int shown = (int)strcspn(v + 1, "'");
  if (*end != '\'' || (order != '<' && order != '>' && order != '|' && order != '='))
    return po_error(PO_ERR_PARSE, "%s: dtype '%.*s' is not a plain numeric dtype", where,
                    shown < 40 ? shown : 40, v + 1);
  int ok = (kind == 'b' && size == 1) ||
           ((kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) ||
           (kind == 'f' && (size == 4 || size == 8));
  if (!ok)
    return po_error(PO_ERR_PARSE,
                    "%s: dtype '%.*s' is not supported (bool, int8-64, uint8-64, float32, "
                    "float64)",
                    where, shown, v + 1);
  a->kind = kind;
  a->size = (int)size;
  uint16_t probe = 1;
  int little = *(unsigned char *)&probe == 1;
  a->swap = size > 1 && ((order == '>' && little) || (order == '<' && !little));
  return PO_OK;
}

static int parse_shape(const char *where, const char *v, npy_array *a) {
  if (!v || *v != '(') return po_error(PO_ERR_PARSE, "%s: header has no 'shape' tuple", where);
  const char *p = v + 1;
  a->ndim = 0;
  for (;;) {
    while (*p == ' ') p++;
    if (*p == ')') break;
    char *end;
    errno = 0;
    long long d = strtoll(p, &end, 10);
    if (end == p || d < 0 || errno == ERANGE || a->ndim == 2)
      return po_error(PO_ERR_PARSE, "%s: shape '%.40s' is not a tuple of at most 2 sizes", where,
                      v);
    a->shape[a->ndim++] = d;
    p = end;
    while (*p == ' ') p++;
    if (*p == ',') p++;
  }
  return PO_OK;
}

/* One .npy image (a file or an .npz member). */
static int npy_parse(const char *where, const unsigned char *b, size_t len, npy_array *a) {
  memset(a, 0, sizeof *a);
  if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
    return po_error(PO_ERR_PARSE, "%s: not a .npy file (no \\x93NUMPY magic)", where);
  int major = b[6];
  if (major < 1 || major > 3)
    return po_error(PO_ERR_PARSE, "%s: .npy format version %d.%d is not supported (1-3)", where,
                    major, b[7]);
  size_t hlen, start = major == 1 ? 10 : 12;
  if (len < start) return po_error(PO_ERR_PARSE, "%s: truncated .npy header", where);
  hlen = major == 1 ? (size_t)b[8] | (size_t)b[9] << 8
                    : (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
  if (hlen > len - start)
    return po_error(PO_ERR_PARSE, "%s: header of %zu bytes runs past the end (%zu bytes)", where,
                    hlen, len);
  char *hdr = malloc(hlen + 1);
  if (!hdr) return po_error(PO_ERR_NOMEM, "%s: out of memory", where);
  memcpy(hdr, b + start, hlen);
  hdr[hlen] = '\0';
  int rc = parse_descr(where, dict_value(hdr, "descr"), a);
  const char *fo = dict_value(hdr, "fortran_order");
  if (!rc && (!fo || (strncmp(fo, "True", 4) && strncmp(fo, "False", 5))))
    rc = po_error(PO_ERR_PARSE, "%s: header has no 'fortran_order' True|False", where);
  if (!rc) a->fortran = strncmp(fo, "True", 4) == 0;
  if (!rc) rc = parse_shape(where, dict_value(hdr, "shape"), a);
  free(hdr);
  if (rc) return rc;
  double count = 1;
  for (int k = 0; k < a->ndim; k++) count *= (double)a->shape[k];
  size_t have = len - start - hlen;
  if (count * a->size > (double)have)
    return po_error(PO_ERR_PARSE, "%s: data truncated: shape needs %.0f bytes, file has %zu", where,
                    count * a->size, have);
  a->data = b + start + hlen;
  return PO_OK;
}

/* Element k in storage order, as double. */
static double npy_get(const npy_array *a, size_t k) {
  unsigned char v[8];
  const unsigned char *p = a->data + k * (size_t)a->size;
  for (int t = 0; t < a->size; t++) v[t] = a->swap ? p[a->size - 1 - t] : p[t];
  switch (a->kind) {
  case 'b':
    return v[0] != 0;
  case 'f':
    if (a->size == 4) {
      float x;
      memcpy(&x, v, 4);
      return x;
    } else {
      double x;
      memcpy(&x, v, 8);
      return x;
    }
  case 'i':
    switch (a->size) {
    case 1:
      return (int8_t)v[0];
    case 2: {
      int16_t x;
      memcpy(&x, v, 2);
      return x;
    }
    case 4: {
      int32_t x;
      memcpy(&x, v, 4);
      return x;
    }
    default: {
      int64_t x;
      memcpy(&x, v, 8);
      return (double)x;
    }
    }
  default:
    switch (a->size) {
    case 1:
      return v[0];
    case 2: {
      uint16_t x;
      memcpy(&x, v, 2);
      return x;
    }
    case 4: {
      uint32_t x;
      memcpy(&x, v, 4);
      return x;
    }
    default: {
      uint64_t x;
      memcpy(&x, v, 8);
      return (double)x;
    }
    }
  }
}

/* J[i][j] of a 2-D array in either memory order. */
static double npy_at(const npy_array *a, long long i, long long j) {
  const long long rows = a->shape[0], cols = a->shape[1];
  return npy_get(a, a->fortran ? (size_t)(j * rows + i) : (size_t)(i * cols + j));
}

/* Checked float conversion: finite and within float range. */
static int to_float(const char *where, const char *what, double v, float *out) {
  float f = (float)v;
  if (!isfinite(v) || !isfinite(f))
    return po_error(PO_ERR_PARSE, "%s: %s = %g is not finite in single precision", where, what, v);
  *out = f;
  return PO_OK;
}

/* The model from J (N x N) and optional h (N) and offset (scalar). */
static int build_model(const char *path, const char *jwhere, const npy_array *J, const char *hwhere,
                       const npy_array *h, double offset, const po_load_opts *opts,
                       po_ising **out) {
  if (J->ndim != 2 || J->shape[0] != J->shape[1] || J->shape[0] < 1 || J->shape[0] > PO_ISING_MAX_N)
    return po_error(PO_ERR_PARSE, "%s: J must be a square N x N matrix, N in [1, %d] (ndim %d)",
                    jwhere, PO_ISING_MAX_N, J->ndim);
  const int n = (int)J->shape[0];
  if (h && (h->ndim != 1 || h->shape[0] != n))
    return po_error(PO_ERR_PARSE, "%s: h must be a vector of N = %d fields", hwhere, n);
  po_ising *m;
  int rc = po__ising_alloc(n, PO_STORAGE_DENSE, &m);
  if (rc) return rc;
  char what[64];
  for (int i = 0; i < n && !rc; i++) {
    if (npy_at(J, i, i) != 0.0)
      rc = po_error(PO_ERR_PARSE,
                    "%s: J[%d][%d] = %g: the diagonal must be zero (s_i^2 = 1; fields go in h)",
                    jwhere, i, i, npy_at(J, i, i));
    for (int j = i + 1; j < n && !rc; j++) {
      double a = npy_at(J, i, j), b = npy_at(J, j, i);
      if (a != b && !(isnan(a) && isnan(b))) {
        rc = po_error(PO_ERR_PARSE, "%s: J is not symmetric: J[%d][%d] = %.17g, J[%d][%d] = %.17g",
                      jwhere, i, j, a, j, i, b);
        break;
      }
      snprintf(what, sizeof what, "J[%d][%d]", i, j);
      float v = 0.0f;
      if ((rc = to_float(jwhere, what, a, &v))) break;
      m->dense[(size_t)i * n + j] = m->dense[(size_t)j * n + i] = v;
    }
  }
  if (!rc && h) {
    m->h = malloc((size_t)n * sizeof *m->h);
    if (!m->h) rc = po_error(PO_ERR_NOMEM, "%s: out of memory", path);
    for (int i = 0; i < n && !rc; i++) {
      snprintf(what, sizeof what, "h[%d]", i);
      rc = to_float(hwhere, what, npy_get(h, (size_t)i), &m->h[i]);
    }
  }
  if (rc) {
    po_ising_destroy(m);
    return rc;
  }
  po__ising_finalize(m);
  m->offset = offset;
  snprintf(m->source, sizeof m->source, "%s", path);
  double pairs = 0.5 * (double)n * (double)(n - 1);
  int csr = opts && opts->storage >= 0 ? opts->storage == PO_STORAGE_CSR
                                       : !(pairs > 0 && (double)m->n_edges / pairs >= 0.25);
  if (csr) {
    po_ising *c;
    rc = po_ising_to_csr(m, &c);
    po_ising_destroy(m);
    if (rc) return rc;
    m = c;
  }
  *out = m;
  return PO_OK;
}

int po__read_npy(const char *path, const po_load_opts *opts, po_ising **out) {
  unsigned char *buf;
  size_t len;
  int rc = slurp(path, &buf, &len);
  if (rc) return rc;
  npy_array J;
  rc = npy_parse(path, buf, len, &J);
  if (!rc) rc = build_model(path, path, &J, NULL, NULL, 0.0, opts, out);
  free(buf);
  return rc;
}

/* ---- zip ---------------------------------------------------------------- */

static uint32_t rd16(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}
static uint32_t rd32(const unsigned char *p) {
  return rd16(p) | rd16(p + 2) << 16;
}
static uint64_t rd64(const unsigned char *p) {
  return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

typedef struct zip_member {
  char name[64];
  unsigned method;
  uint32_t crc;
  uint64_t csize, usize, local;
} zip_member;

/* The central directory: offset and entry count (zip64 records honoured). */
static int zip_directory(const char *path, const unsigned char *b, size_t len, uint64_t *cd,
                         uint64_t *count) {
  if (len < 22) return po_error(PO_ERR_PARSE, "%s: not a zip archive (%zu bytes)", path, len);
  size_t lo = len > 22 + 65535 ? len - 22 - 65535 : 0;
  size_t e = len - 22 + 1;
  while (e-- > lo)
    if (rd32(b + e) == 0x06054b50) break;
  if (e + 1 == lo || rd32(b + e) != 0x06054b50)
    return po_error(PO_ERR_PARSE, "%s: not a zip archive (no end-of-central-directory record)",
                    path);
  *count = rd16(b + e + 10);
  *cd = rd32(b + e + 16);
  if ((*count == 0xFFFF || *cd == 0xFFFFFFFF) && e >= 20 && rd32(b + e - 20) == 0x07064b50) {
    uint64_t z = rd64(b + e - 20 + 8);
    if (len < 56 || z > len - 56 || rd32(b + z) != 0x06064b50)
      return po_error(PO_ERR_PARSE, "%s: zip64 end record out of bounds", path);
    *count = rd64(b + z + 32);
    *cd = rd64(b + z + 48);
  }
  if (*cd > len) return po_error(PO_ERR_PARSE, "%s: central directory out of bounds", path);
  return PO_OK;
}

/* Central-directory entry at *pos; advances *pos. */
static int zip_entry(const char *path, const unsigned char *b, size_t len, uint64_t *pos,
                     zip_member *m) {
  uint64_t p = *pos;
  if (len < 46 || p > len - 46 || rd32(b + p) != 0x02014b50)
    return po_error(PO_ERR_PARSE, "%s: corrupt central directory at byte %llu", path,
                    (unsigned long long)p);
  unsigned flags = rd16(b + p + 8), nlen = rd16(b + p + 28), xlen = rd16(b + p + 30),
           clen = rd16(b + p + 32);
  if (p + 46 + nlen + xlen + clen > len)
    return po_error(PO_ERR_PARSE, "%s: central directory entry runs past the end", path);
  m->method = rd16(b + p + 10);
  m->crc = rd32(b + p + 16);
  m->csize = rd32(b + p + 20);
  m->usize = rd32(b + p + 24);
  m->local = rd32(b + p + 42);
  snprintf(m->name, sizeof m->name, "%.*s", (int)(nlen < 63 ? nlen : 63), (const char *)b + p + 46);
  for (uint64_t x = p + 46 + nlen; x + 4 <= p + 46 + nlen + xlen;) { /* zip64 extra */
    unsigned id = rd16(b + x), sz = rd16(b + x + 2);
    const unsigned char *d = b + x + 4, *dend = d + sz;
    if (x + 4 + sz > p + 46 + nlen + xlen) break;
    if (id == 1) {
      if (m->usize == 0xFFFFFFFF && d + 8 <= dend) m->usize = rd64(d), d += 8;
      if (m->csize == 0xFFFFFFFF && d + 8 <= dend) m->csize = rd64(d), d += 8;
      if (m->local == 0xFFFFFFFF && d + 8 <= dend) m->local = rd64(d);
    }
    x += 4 + sz;
  }
  if (flags & 1) return po_error(PO_ERR_PARSE, "%s:%s: encrypted member", path, m->name);
  *pos = p + 46 + nlen + xlen + clen;
  return PO_OK;
}

/* The member's bytes, inflated when deflated; CRC-32 checked. */
static int zip_extract(const char *path, const unsigned char *b, size_t len, const zip_member *m,
                       unsigned char **out) {
  uint64_t p = m->local;
  if (len < 30 || p > len - 30 || rd32(b + p) != 0x04034b50)
    return po_error(PO_ERR_PARSE, "%s:%s: local header out of bounds", path, m->name);
  uint64_t data = p + 30 + rd16(b + p + 26) + rd16(b + p + 28);
  if (data > len || m->csize > len - data)
    return po_error(PO_ERR_PARSE, "%s:%s: member data runs past the end", path, m->name);
  if (m->method != 0 && m->method != 8)
    return po_error(PO_ERR_PARSE, "%s:%s: compression method %u (only stored and deflated)", path,
                    m->name, m->method);
  if (m->usize > (uint64_t)SIZE_MAX / 2 || (m->method == 0 && m->usize != m->csize))
    return po_error(PO_ERR_PARSE, "%s:%s: inconsistent member sizes", path, m->name);
  unsigned char *u = malloc(m->usize ? (size_t)m->usize : 1);
  if (!u) return po_error(PO_ERR_NOMEM, "%s:%s: out of memory", path, m->name);
  int rc = PO_OK;
  if (m->method == 0) {
    memcpy(u, b + data, (size_t)m->usize);
  } else {
    z_stream z = {0};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
      rc = po_error(PO_ERR_NOMEM, "%s:%s: zlib init failed", path, m->name);
    uint64_t done_in = 0, done_out = 0;
    int zr = Z_OK;
    while (!rc && zr == Z_OK) { /* chunks: avail_* are 32-bit */
      uint64_t in_left = m->csize - done_in, out_left = m->usize - done_out;
      z.next_in = (unsigned char *)(uintptr_t)(b + data + done_in);
      z.avail_in = (uInt)(in_left < UINT_MAX ? in_left : UINT_MAX);
      z.next_out = u + done_out;
      z.avail_out = (uInt)(out_left < UINT_MAX ? out_left : UINT_MAX);
      uInt in0 = z.avail_in, out0 = z.avail_out;
      zr = inflate(&z, Z_NO_FLUSH);
      done_in += in0 - z.avail_in;
      done_out += out0 - z.avail_out;
      if (zr == Z_OK && in0 == z.avail_in && out0 == z.avail_out) zr = Z_BUF_ERROR;
    }
    if (!rc && (zr != Z_STREAM_END || done_out != m->usize))
      rc = po_error(PO_ERR_PARSE, "%s:%s: corrupt deflate data (%s)", path, m->name,
                    z.msg ? z.msg : "wrong size");
    inflateEnd(&z);
  }
  if (!rc) {
    uLong crc = crc32(0L, Z_NULL, 0);
    for (uint64_t k = 0; k < m->usize;) {
      uInt chunk = (uInt)(m->usize - k < UINT_MAX ? m->usize - k : UINT_MAX);
      crc = crc32(crc, u + k, chunk);
      k += chunk;
    }
    if ((uint32_t)crc != m->crc)
      rc = po_error(PO_ERR_PARSE, "%s:%s: CRC-32 mismatch (corrupt member)", path, m->name);
  }
  if (rc) {
    free(u);
    return rc;
  }
  *out = u;
  return PO_OK;
}

enum { MEMBER_J, MEMBER_H, MEMBER_OFFSET, N_MEMBERS };

static int member_slot(const char *name) {
  if (!strcmp(name, "J.npy") || !strcmp(name, "arr_0.npy")) return MEMBER_J;
  if (!strcmp(name, "h.npy") || !strcmp(name, "arr_1.npy")) return MEMBER_H;
  if (!strcmp(name, "offset.npy")) return MEMBER_OFFSET;
  return -1;
}

typedef struct npz_parts {
  unsigned char *raw[N_MEMBERS];
  size_t len[N_MEMBERS];
  char where[N_MEMBERS][600];
  npy_array a[N_MEMBERS];
} npz_parts;

static int npz_members(const char *path, const unsigned char *b, size_t len, npz_parts *pt) {
  uint64_t cd = 0, count = 0;
  int rc = zip_directory(path, b, len, &cd, &count);
  for (uint64_t k = 0; !rc && k < count; k++) {
    zip_member m;
    if ((rc = zip_entry(path, b, len, &cd, &m))) break;
    int slot = member_slot(m.name);
    if (slot < 0)
      return po_error(PO_ERR_PARSE,
                      "%s:%s: unexpected member (accepted: J.npy or arr_0.npy, h.npy or "
                      "arr_1.npy, offset.npy)",
                      path, m.name);
    if (pt->raw[slot])
      return po_error(PO_ERR_PARSE, "%s:%s: a second %s array", path, m.name,
                      slot == MEMBER_J   ? "J"
                      : slot == MEMBER_H ? "h"
                                         : "offset");
    snprintf(pt->where[slot], sizeof pt->where[slot], "%s:%s", path, m.name);
    if ((rc = zip_extract(path, b, len, &m, &pt->raw[slot]))) break;
    pt->len[slot] = (size_t)m.usize;
    rc = npy_parse(pt->where[slot], pt->raw[slot], pt->len[slot], &pt->a[slot]);
  }
  if (!rc && !pt->raw[MEMBER_J])
    rc = po_error(PO_ERR_PARSE, "%s: no J.npy member (write it with np.savez(path, J=J, h=h))",
                  path);
  return rc;
}

int po__read_npz(const char *path, const po_load_opts *opts, po_ising **out) {
  unsigned char *buf;
  size_t len;
  int rc = slurp(path, &buf, &len);
  if (rc) return rc;
  npz_parts pt = {0};
  rc = npz_members(path, buf, len, &pt);
  double offset = 0.0;
  if (!rc && pt.raw[MEMBER_OFFSET]) {
    const npy_array *o = &pt.a[MEMBER_OFFSET];
    double count = 1;
    for (int k = 0; k < o->ndim; k++) count *= (double)o->shape[k];
    offset = count == 1 ? npy_get(o, 0) : NAN;
    if (!isfinite(offset))
      rc = po_error(PO_ERR_PARSE, "%s: offset must be one finite number", pt.where[MEMBER_OFFSET]);
  }
  if (!rc)
    rc = build_model(path, pt.where[MEMBER_J], &pt.a[MEMBER_J], pt.where[MEMBER_H],
                     pt.raw[MEMBER_H] ? &pt.a[MEMBER_H] : NULL, offset, opts, out);
  for (int k = 0; k < N_MEMBERS; k++) free(pt.raw[k]);
  free(buf);
  return rc;
}
