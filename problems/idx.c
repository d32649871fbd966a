/* IDX reader (MNIST / Fashion-MNIST format, see include/physopt/dataset.h).
 * zlib's gzread reads gzip and plain files alike. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include "physopt/dataset.h"
#include "physopt/error.h"

static int elem_size(int type) {
  switch (type) {
  case 0x08:
  case 0x09:
    return 1;
  case 0x0B:
    return 2;
  case 0x0C:
  case 0x0D:
    return 4;
  case 0x0E:
    return 8;
  default:
    return 0;
  }
}

/* Reads exactly n bytes; returns the number read (< n at end of file) or
 * -1 on a decompression error (message set). */
static long read_full(gzFile f, const char *path, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    size_t chunk = n - got > (1u << 30) ? (1u << 30) : n - got;
    int r = gzread(f, (char *)buf + got, (unsigned)chunk);
    if (r < 0) {
      int e;
      const char *msg = gzerror(f, &e);
      po_error(PO_ERR_PARSE, "%s: corrupt compressed data (%s)", path, msg);
      return -1;
    }
    if (r == 0) break;
    got += (size_t)r;
  }
  /* a truncated gzip stream reports an error only through gzerror */
  int e;
  gzerror(f, &e);
  if (got < n && e != Z_OK && e != Z_STREAM_END) {
    po_error(PO_ERR_PARSE, "%s: truncated or corrupt compressed data after %zu bytes", path, got);
    return -1;
  }
  return (long)got;
}

/* Reads up to n bytes into a buffer that grows (doubling from 1 MiB) with
 * the data actually present; *buf is freed by the caller.  Returns the
 * count read, -1 on corrupt data (message set), -2 when out of memory. */
static long read_growing(gzFile f, const char *path, size_t n, unsigned char **buf) {
  size_t cap = n < ((size_t)1 << 20) ? n : ((size_t)1 << 20), got = 0;
  *buf = malloc(cap ? cap : 1);
  if (!*buf) return -2;
  for (;;) {
    long r = read_full(f, path, *buf + got, cap - got);
    if (r < 0) return -1;
    got += (size_t)r;
    if (got < cap || cap == n) return (long)got;
    size_t ncap = cap > n / 2 ? n : 2 * cap;
    unsigned char *nb = realloc(*buf, ncap);
    if (!nb) return -2;
    *buf = nb;
    cap = ncap;
  }
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int po_idx_read(const char *path, po_idx *out) {
  memset(out, 0, sizeof *out);
  struct stat sb;
  if (stat(path, &sb) != 0)
    return po_error(PO_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
  gzFile f = gzopen(path, "rb");
  if (!f) return po_error(PO_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
  unsigned char hdr[4];
  unsigned char *raw = NULL;
  int rc = PO_OK;
  long r = read_full(f, path, hdr, 4);
  if (r < 0) {
    rc = PO_ERR_PARSE;
    goto done;
  }
  if (r < 4) {
    rc = po_error(PO_ERR_PARSE, "%s: truncated header (%ld of 4 magic bytes)", path, r);
    goto done;
  }
  uint32_t magic = be32(hdr);
  int type = hdr[2], nd = hdr[3], es = elem_size(type);
  if (hdr[0] != 0 || hdr[1] != 0 || es == 0 || nd < 1 || nd > PO_IDX_MAX_DIMS) {
    rc = po_error(PO_ERR_PARSE,
                  "%s: bad magic number 0x%08x (expected 0x0000TTDD with type TT in "
                  "{08,09,0B,0C,0D,0E} and 1 <= DD <= %d dimensions)",
                  path, (unsigned)magic, PO_IDX_MAX_DIMS);
    goto done;
  }
  unsigned char dh[4 * PO_IDX_MAX_DIMS];
  r = read_full(f, path, dh, 4 * (size_t)nd);
  if (r < 0) {
    rc = PO_ERR_PARSE;
    goto done;
  }
  if (r < 4 * nd) {
    rc = po_error(PO_ERR_PARSE, "%s: truncated header (%d dimension sizes expected)", path, nd);
    goto done;
  }
  size_t count = 1;
  for (int d = 0; d < nd; d++) {
    uint32_t v = be32(dh + 4 * d);
    if (v == 0 || v > (uint32_t)INT_MAX) {
      rc = po_error(PO_ERR_PARSE, "%s: dimension %d has invalid size %u", path, d, (unsigned)v);
      goto done;
    }
    out->dims[d] = (long)v;
    if (count > ((size_t)1 << 34) / v) {
      rc = po_error(PO_ERR_PARSE, "%s: dimensions too large (more than 2^34 elements)", path);
      goto done;
    }
    count *= v;
  }
  size_t bytes = count * (size_t)es;
  /* The header's sizes are a claim, not a fact: memory grows with the data
   * actually read, so a 116-byte file claiming 2^31 images is "truncated",
   * not "out of memory". */
  r = read_growing(f, path, bytes, &raw);
  if (r < 0) {
    rc = r == -2 ? po_error(PO_ERR_NOMEM, "%s: out of memory for %zu elements", path, count)
                 : PO_ERR_PARSE;
    goto done;
  }
  if ((size_t)r < bytes) {
    rc = po_error(PO_ERR_PARSE,
                  "%s: truncated: dimensions promise %zu elements (%zu bytes) but only %ld bytes "
                  "of data follow the header",
                  path, count, bytes, r);
    goto done;
  }
  out->data = malloc(count * sizeof(float));
  if (!out->data) {
    rc = po_error(PO_ERR_NOMEM, "%s: out of memory for %zu elements", path, count);
    goto done;
  }
  unsigned char extra;
  if (read_full(f, path, &extra, 1) != 0) {
    rc = po_error(PO_ERR_PARSE, "%s: trailing data after %zu elements (wrong dimensions?)", path,
                  count);
    goto done;
  }
  for (size_t i = 0; i < count; i++) {
    const unsigned char *p = raw + i * (size_t)es;
    float v;
    switch (type) {
    case 0x08:
      v = p[0];
      break;
    case 0x09:
      v = (signed char)p[0];
      break;
    case 0x0B:
      v = (int16_t)((uint16_t)p[0] << 8 | p[1]);
      break;
    case 0x0C:
      v = (float)(int32_t)be32(p);
      break;
    case 0x0D: {
      uint32_t u = be32(p);
      memcpy(&v, &u, 4);
      break;
    }
    default: {
      uint64_t u = (uint64_t)be32(p) << 32 | be32(p + 4);
      double dv;
      memcpy(&dv, &u, 8);
      v = (float)dv;
    }
    }
    out->data[i] = v;
  }
  out->type = type;
  out->ndims = nd;
  out->count = count;
done:
  free(raw);
  gzclose(f);
  if (rc) po_idx_free(out);
  return rc;
}

void po_idx_free(po_idx *x) {
  if (!x) return;
  free(x->data);
  memset(x, 0, sizeof *x);
}

void po_dataset_destroy(po_dataset *d) {
  if (!d) return;
  free(d->x);
  free(d->y);
  free(d);
}

/* dir/base, with ".gz" appended when only the compressed file exists. */
static void find_file(char *out, size_t n, const char *dir, const char *base) {
  struct stat sb;
  snprintf(out, n, "%s/%s", dir, base);
  if (stat(out, &sb) == 0) return;
  snprintf(out, n, "%s/%s.gz", dir, base);
}

/* The image and label files of split `split` of data set `name`. */
static int split_files(const char *name, const char *split, char *ip, char *lp, size_t n) {
  const char *dir = name;
  if (!strcmp(name, "fashion-mnist")) {
    const char *env = getenv("PHYSOPT_FASHION_MNIST");
    dir = env && *env ? env : "/usr/share/datasets/fashion-mnist";
  }
  struct stat sb;
  if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
    return po_error(PO_ERR_NOT_FOUND,
                    "data set '%s': directory %s not found (known: fashion-mnist, from the Debian "
                    "package dataset-fashion-mnist; or a directory of MNIST-layout IDX files)",
                    name, dir);
  const char *pre;
  if (!strcmp(split, "train"))
    pre = "train";
  else if (!strcmp(split, "test"))
    pre = "t10k";
  else
    return po_error(PO_ERR_ARG, "data set split '%s' (accepted: train, test)", split);
  char base[64];
  snprintf(base, sizeof base, "%s-images-idx3-ubyte", pre);
  find_file(ip, n, dir, base);
  snprintf(base, sizeof base, "%s-labels-idx1-ubyte", pre);
  find_file(lp, n, dir, base);
  return PO_OK;
}

int po_dataset_check(const char *name, const char *split) {
  char ip[1024], lp[1024];
  int rc = split_files(name, split, ip, lp, sizeof ip);
  if (rc) return rc;
  const char *paths[] = {ip, lp};
  for (int i = 0; i < 2; i++) {
    FILE *f = fopen(paths[i], "rb");
    if (!f)
      return po_error(PO_ERR_IO, "data set '%s': %s: cannot open: %s", name, paths[i],
                      strerror(errno));
    fclose(f);
  }
  return PO_OK;
}

int po_dataset_load(const char *name, const char *split, int max_samples, po_dataset **out) {
  *out = NULL;
  char ip[1024], lp[1024];
  int rc0 = split_files(name, split, ip, lp, sizeof ip);
  if (rc0) return rc0;
  po_idx im, lb;
  int rc = po_idx_read(ip, &im);
  if (rc) return rc;
  if ((rc = po_idx_read(lp, &lb))) {
    po_idx_free(&im);
    return rc;
  }
  if (im.type != 0x08 || im.ndims != 3) {
    rc = po_error(PO_ERR_PARSE,
                  "%s: expected a 3-D ubyte image array (type 08, 3 dims), found "
                  "type %02x with %d dims",
                  ip, im.type, im.ndims);
  } else if (lb.type != 0x08 || lb.ndims != 1) {
    rc = po_error(PO_ERR_PARSE,
                  "%s: expected a 1-D ubyte label array, found type %02x with %d "
                  "dims",
                  lp, lb.type, lb.ndims);
  } else if (lb.dims[0] != im.dims[0]) {
    rc = po_error(PO_ERR_PARSE, "%s has %ld labels but %s has %ld images", lp, lb.dims[0], ip,
                  im.dims[0]);
  }
  po_dataset *d = NULL;
  if (!rc) {
    d = calloc(1, sizeof *d);
    if (!d) rc = po_error(PO_ERR_NOMEM, "out of memory");
  }
  if (!rc) {
    long n = im.dims[0];
    if (max_samples > 0 && max_samples < n) n = max_samples;
    d->n = (int)n;
    d->rows = (int)im.dims[1];
    d->cols = (int)im.dims[2];
    d->dim = d->rows * d->cols;
    d->x = malloc(sizeof(float) * (size_t)n * d->dim);
    d->y = malloc((size_t)n);
    if (!d->x || !d->y) rc = po_error(PO_ERR_NOMEM, "out of memory for %ld images", n);
    int maxl = 0;
    for (long i = 0; !rc && i < n; i++) {
      float v = lb.data[i];
      if (v > 254) {
        rc = po_error(PO_ERR_PARSE, "%s: label %ld = %g is out of range", lp, i, v);
        break;
      }
      d->y[i] = (uint8_t)v;
      if (d->y[i] > maxl) maxl = d->y[i];
    }
    for (size_t t = 0; !rc && t < (size_t)n * d->dim; t++) d->x[t] = im.data[t] / 255.0f;
    d->n_classes = maxl + 1 < 10 ? 10 : maxl + 1;
    size_t ln = strlen(ip) < sizeof d->source - 1 ? strlen(ip) : sizeof d->source - 1;
    memcpy(d->source, ip, ln);
    d->source[ln] = '\0';
  }
  po_idx_free(&im);
  po_idx_free(&lb);
  if (rc) {
    po_dataset_destroy(d);
    return rc;
  }
  *out = d;
  return PO_OK;
}
