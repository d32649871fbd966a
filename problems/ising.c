/* Ising models: construction from edge lists, dense <-> CSR copies, energies,
 * local fields and flip deltas.
 *
 * Convention (include/physopt/problem.h, ../shared/data/README.md):
 *     E(s) = sum_{i<j} J_ij s_i s_j + sum_i h_i s_i + offset,   s_i = +/-1,
 *     f_i(s) = sum_j J_ij s_j + h_i,   E(s with s_i flipped) - E(s) = -2 s_i f_i.
 *
 * Couplings are stored in float (device precision, DESIGN.md); every sum over
 * them is accumulated in double.  The content hash is FNV-1a (po_hash_bytes)
 * over: n as int64, then every nonzero coupling i<j in row-major order as
 * (int32 i, int32 j, float J_ij), then, when h != NULL, the n floats of h.
 * It does not depend on the storage, the offset or the source, so a dense
 * copy of a CSR model hashes equal. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"
#include "physopt/problem.h"
#include "physopt/results.h"
#include "physopt/rng.h"
#include "problems/ising_internal.h"

int po__ising_alloc(int n, po_storage storage, po_ising **out) {
  *out = NULL;
  if (n < 1 || n > PO_ISING_MAX_N)
    return po_error(PO_ERR_ARG, "ising: n = %d must be in [1, %d]", n, PO_ISING_MAX_N);
  po_ising *m = calloc(1, sizeof *m);
  if (!m) return po_error(PO_ERR_NOMEM, "ising: out of memory");
  m->n = n;
  m->storage = storage;
  if (storage == PO_STORAGE_DENSE) {
    size_t nn = (size_t)n * (size_t)n;
    m->dense = calloc(nn, sizeof *m->dense);
    if (!m->dense) {
      free(m);
      return po_error(PO_ERR_NOMEM, "ising: cannot allocate dense %d x %d couplings (%.2f GB)", n,
                      n, (double)nn * sizeof(float) / 1e9);
    }
  }
  *out = m;
  return PO_OK;
}

void po_ising_destroy(po_ising *m) {
  if (!m) return;
  free(m->dense);
  free(m->row_ptr);
  free(m->col);
  free(m->val);
  free(m->h);
  free(m->ground_state);
  free(m);
}

static uint64_t hash_edge(uint64_t hs, int32_t i, int32_t j, float v) {
  hs = po_hash_bytes(&i, sizeof i, hs);
  hs = po_hash_bytes(&j, sizeof j, hs);
  return po_hash_bytes(&v, sizeof v, hs);
}

static int is_integer(double v) {
  return isfinite(v) && v == floor(v);
}

void po__ising_finalize(po_ising *m) {
  const int n = m->n;
  if (m->h) {
    int any = 0;
    for (int i = 0; i < n; i++) {
      if (m->h[i] == 0.0f)
        m->h[i] = 0.0f; /* -0 -> +0 for the hash */
      else
        any = 1;
    }
    if (!any) {
      free(m->h);
      m->h = NULL;
    }
  }
  int64_t n64 = n;
  uint64_t hs = po_hash_bytes(&n64, sizeof n64, 0);
  long ne = 0;
  double ws = 0.0;
  int integer = 1, pm1 = 1;
  for (int i = 0; i < n; i++) {
    if (m->storage == PO_STORAGE_DENSE) {
      const float *row = m->dense + (size_t)i * n;
      for (int j = i + 1; j < n; j++) {
        float v = row[j];
        if (v == 0.0f) continue;
        ne++;
        ws += v;
        if (!is_integer(v)) integer = 0;
        if (fabsf(v) != 1.0f) pm1 = 0;
        hs = hash_edge(hs, i, j, v);
      }
    } else {
      for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++) {
        int32_t j = m->col[k];
        float v = m->val[k];
        if (j <= i || v == 0.0f) continue;
        ne++;
        ws += v;
        if (!is_integer(v)) integer = 0;
        if (fabsf(v) != 1.0f) pm1 = 0;
        hs = hash_edge(hs, i, j, v);
      }
    }
  }
  if (m->h) {
    pm1 = 0;
    for (int i = 0; i < n; i++)
      if (!is_integer(m->h[i])) integer = 0;
    hs = po_hash_bytes(m->h, (unsigned long)n * sizeof *m->h, hs);
  }
  m->n_edges = ne;
  m->weight_sum = ws;
  m->integer_weights = integer;
  m->pm1 = pm1;
  m->content_hash = hs;
}

typedef struct {
  int32_t a, b; /* a < b */
  long k;       /* position in the input */
} edge_key;

static int edge_cmp(const void *x, const void *y) {
  const edge_key *p = x, *q = y;
  if (p->a != q->a) return p->a < q->a ? -1 : 1;
  if (p->b != q->b) return p->b < q->b ? -1 : 1;
  return (p->k > q->k) - (p->k < q->k);
}

const char *po__ising_weight_check(double w) {
  if (fabs(w) > FLT_MAX)
    return "weight overflows float storage (|w| must be at most 3.40282347e+38)";
  if (w != 0 && fabs(w) < FLT_MIN)
    return "weight underflows float storage (a nonzero |w| must be at least 1.17549435e-38)";
  return NULL;
}

/* Whether some local field bound sum_j |J_ij| + |h_i| exceeds FLT_MAX (the
 * backends accumulate local fields in float, DESIGN.md "Precision"): -1 if
 * none, else the index k of the merged pair whose weight made a row
 * overflow (swapped so that keys[k].b is that row's spin), or -2 - i when
 * the field h_i did. */
static long fields_overflow(int n, long u, edge_key *keys, const double *wsum, const double *h) {
  double *row = calloc((size_t)n, sizeof *row);
  if (!row) return -1; /* the allocation below fails and says so */
  if (h)
    for (int i = 0; i < n; i++) row[i] = fabs(h[i]);
  long bad = -1;
  for (long k = 0; k < u && bad == -1; k++) {
    double a = fabs(wsum[k]);
    row[keys[k].a] += a;
    row[keys[k].b] += a;
    if (row[keys[k].a] > FLT_MAX) {
      int32_t t = keys[k].a; /* report the overflowing spin as .b */
      keys[k].a = keys[k].b;
      keys[k].b = t;
      bad = k;
    } else if (row[keys[k].b] > FLT_MAX)
      bad = k;
  }
  for (int i = 0; h && bad == -1 && i < n; i++)
    if (row[i] > FLT_MAX) bad = -2 - i;
  free(row);
  return bad;
}

/* Checks the arguments of po_ising_from_edges before anything is allocated. */
static int check_build_args(int n, long m, const int32_t *ei, const int32_t *ej, const double *w,
                            const double *h, const po_load_opts *opts, long dup[2]) {
  if (n < 1 || n > PO_ISING_MAX_N)
    return po_error(PO_ERR_ARG, "po_ising_from_edges: n = %d must be in [1, %d]", n,
                    PO_ISING_MAX_N);
  if (m < 0) return po_error(PO_ERR_ARG, "po_ising_from_edges: m = %ld must be >= 0", m);
  if (m > 0 && (!ei || !ej || !w))
    return po_error(PO_ERR_ARG, "po_ising_from_edges: edge arrays are NULL with m = %ld", m);
  if (opts->duplicates != PO_DUP_REJECT && opts->duplicates != PO_DUP_SUM)
    return po_error(PO_ERR_ARG,
                    "po_ising_from_edges: duplicates policy %d is not %d (reject) "
                    "or %d (sum)",
                    (int)opts->duplicates, PO_DUP_REJECT, PO_DUP_SUM);
  if (opts->storage < -1 || opts->storage > PO_STORAGE_CSR)
    return po_error(PO_ERR_ARG,
                    "po_ising_from_edges: storage %d must be -1 (auto), 0 (dense) or 1 (csr)",
                    opts->storage);
  for (long k = 0; k < m; k++) {
    if (ei[k] < 0 || ei[k] >= n || ej[k] < 0 || ej[k] >= n)
      return po_error(PO_ERR_ARG,
                      "po_ising_from_edges: edge %ld (%d, %d) has an index outside [0, %d]", k,
                      (int)ei[k], (int)ej[k], n - 1);
    if (ei[k] == ej[k])
      return po_error(PO_ERR_ARG, "po_ising_from_edges: edge %ld is a self-loop on spin %d", k,
                      (int)ei[k]);
    if (!isfinite(w[k]))
      return po_error(PO_ERR_ARG, "po_ising_from_edges: edge %ld (%d, %d) has non-finite weight", k,
                      (int)ei[k], (int)ej[k]);
    if (po__ising_weight_check(w[k])) {
      if (dup) dup[0] = -2, dup[1] = k;
      return po_error(PO_ERR_ARG, "po_ising_from_edges: edge %ld (%d, %d): %s", k, (int)ei[k],
                      (int)ej[k], po__ising_weight_check(w[k]));
    }
  }
  for (int i = 0; h && i < n; i++) {
    if (!isfinite(h[i]))
      return po_error(PO_ERR_ARG, "po_ising_from_edges: field h[%d] is not finite", i);
    if (po__ising_weight_check(h[i]))
      return po_error(PO_ERR_ARG, "po_ising_from_edges: field h[%d]: %s", i,
                      po__ising_weight_check(h[i]));
  }
  return PO_OK;
}

/* The m edges as (min, max, input position), sorted so that duplicates are
 * adjacent and keep their input order. */
static int sorted_edge_keys(long m, const int32_t *ei, const int32_t *ej, edge_key **out) {
  edge_key *keys = malloc((size_t)(m > 0 ? m : 1) * sizeof *keys);
  if (!keys) return po_error(PO_ERR_NOMEM, "po_ising_from_edges: out of memory (%ld edges)", m);
  for (long k = 0; k < m; k++) {
    int32_t a = ei[k], b = ej[k];
    keys[k].a = a < b ? a : b;
    keys[k].b = a < b ? b : a;
    keys[k].k = k;
  }
  qsort(keys, (size_t)m, sizeof *keys, edge_cmp);
  *out = keys;
  return PO_OK;
}

/* Merges duplicates in place: keys[u] keeps the first occurrence, wsum[u]
 * its (summed) weight; pairs whose weight is zero are dropped. Sets *n_unique
 * to u, or returns an error naming both edges under the reject policy. */
static int merge_duplicate_edges(long m, const int32_t *ei, const int32_t *ej, const double *w,
                                 const po_load_opts *opts, edge_key *keys, double *wsum,
                                 long *n_unique, long dup[2]) {
  long u = 0;
  for (long k = 0; k < m;) {
    long e = k + 1;
    double s = w[keys[k].k];
    while (e < m && keys[e].a == keys[k].a && keys[e].b == keys[k].b) {
      if (opts->duplicates == PO_DUP_REJECT) {
        long k0 = keys[k].k, k1 = keys[e].k;
        if (dup) {
          dup[0] = k0;
          dup[1] = k1;
        }
        return po_error(PO_ERR_ARG,
                        "po_ising_from_edges: edge %ld (%d, %d) duplicates edge %ld (%d, %d) "
                        "(duplicates policy: reject)",
                        k1, (int)ei[k1], (int)ej[k1], k0, (int)ei[k0], (int)ej[k0]);
      }
      s += w[keys[e].k];
      e++;
    }
    if ((float)s != 0.0f) {
      keys[u] = keys[k];
      wsum[u] = s;
      u++;
    }
    k = e;
  }
  *n_unique = u;
  return PO_OK;
}

/* The requested storage, or with auto (-1) dense from 25% of all pairs up. */
static po_storage choose_storage(int n, long u, const po_load_opts *opts) {
  if (opts->storage >= 0) return (po_storage)opts->storage;
  double pairs = 0.5 * (double)n * (double)(n - 1);
  return (pairs > 0 && (double)u / pairs >= 0.25) ? PO_STORAGE_DENSE : PO_STORAGE_CSR;
}

static void fill_dense(po_ising *mod, long u, const edge_key *keys, const double *wsum) {
  int n = mod->n;
  for (long k = 0; k < u; k++) {
    float v = (float)wsum[k];
    mod->dense[(size_t)keys[k].a * n + keys[k].b] = v;
    mod->dense[(size_t)keys[k].b * n + keys[k].a] = v;
  }
}

/* Builds the symmetric CSR arrays; on failure mod is left for the caller to destroy. */
static int fill_csr(po_ising *mod, long u, const edge_key *keys, const double *wsum) {
  int n = mod->n;
  mod->row_ptr = calloc((size_t)n + 1, sizeof *mod->row_ptr);
  mod->col = malloc((size_t)(u > 0 ? 2 * u : 1) * sizeof *mod->col);
  mod->val = malloc((size_t)(u > 0 ? 2 * u : 1) * sizeof *mod->val);
  int64_t *fill = malloc((size_t)n * sizeof *fill);
  if (!mod->row_ptr || !mod->col || !mod->val || !fill) {
    free(fill);
    return po_error(PO_ERR_NOMEM, "po_ising_from_edges: out of memory (%ld edges)", u);
  }
  for (long k = 0; k < u; k++) {
    mod->row_ptr[keys[k].a + 1]++;
    mod->row_ptr[keys[k].b + 1]++;
  }
  for (int i = 0; i < n; i++) mod->row_ptr[i + 1] += mod->row_ptr[i];
  memcpy(fill, mod->row_ptr, (size_t)n * sizeof *fill);
  /* Pairs arrive sorted by (a, b), so row r receives its lower columns
   * (pairs (c, r), c increasing) before its upper ones (pairs (r, c)). */
  for (long k = 0; k < u; k++) {
    int32_t a = keys[k].a, b = keys[k].b;
    float v = (float)wsum[k];
    mod->col[fill[a]] = b;
    mod->val[fill[a]++] = v;
    mod->col[fill[b]] = a;
    mod->val[fill[b]++] = v;
  }
  free(fill);
  return PO_OK;
}

/* Allocates the model in storage st and fills its couplings from the merged pairs. */
static int couplings_from_pairs(int n, po_storage st, long u, const edge_key *keys,
                                const double *wsum, po_ising **out) {
  po_ising *mod;
  int rc = po__ising_alloc(n, st, &mod);
  if (rc) return rc;
  if (st == PO_STORAGE_DENSE)
    fill_dense(mod, u, keys, wsum);
  else if ((rc = fill_csr(mod, u, keys, wsum)) != PO_OK) {
    po_ising_destroy(mod);
    return rc;
  }
  *out = mod;
  return PO_OK;
}

static int store_fields(po_ising *mod, const double *h) {
  int n = mod->n;
  mod->h = malloc((size_t)n * sizeof *mod->h);
  if (!mod->h) return po_error(PO_ERR_NOMEM, "po_ising_from_edges: out of memory");
  for (int i = 0; i < n; i++) mod->h[i] = (float)h[i];
  return PO_OK;
}

/* The local-field bound of every spin must fit float (fields_overflow). */
static int check_fields_fit(int n, long u, edge_key *keys, const double *wsum, const double *h,
                            long dup[2]) {
  long bad = fields_overflow(n, u, keys, wsum, h);
  if (bad != -1) {
    int rc =
        bad >= 0
            ? po_error(PO_ERR_ARG,
                       "po_ising_from_edges: the couplings of spin %d (0-based) add up to more "
                       "than the float range (%.9g) of the device state in absolute "
                       "value: its local field would overflow",
                       (int)keys[bad].b, (double)FLT_MAX)
            : po_error(PO_ERR_ARG,
                       "po_ising_from_edges: field h[%ld] plus its couplings exceed the "
                       "float range (%.9g) in absolute value",
                       -bad - 2, (double)FLT_MAX);
    if (dup && bad >= 0) dup[0] = -2, dup[1] = keys[bad].k;
    return rc;
  }
  return PO_OK;
}

int po__ising_build(int n, long m, const int32_t *ei, const int32_t *ej, const double *w,
                    const double *h, const po_load_opts *opts, po_ising **out, long dup[2]) {
  po_load_opts def = {PO_DUP_REJECT, -1, NULL};
  if (!opts) opts = &def;
  if (dup) dup[0] = dup[1] = -1;
  if (!out) return po_error(PO_ERR_ARG, "po_ising_from_edges: out is NULL");
  *out = NULL;
  int rc = check_build_args(n, m, ei, ej, w, h, opts, dup);
  if (rc) return rc;

  edge_key *keys = NULL;
  if ((rc = sorted_edge_keys(m, ei, ej, &keys)) != PO_OK) return rc;
  double *wsum = malloc((size_t)(m > 0 ? m : 1) * sizeof *wsum);
  if (!wsum) {
    free(keys);
    return po_error(PO_ERR_NOMEM, "po_ising_from_edges: out of memory (%ld edges)", m);
  }
  long u = 0;
  po_ising *mod = NULL;
  rc = merge_duplicate_edges(m, ei, ej, w, opts, keys, wsum, &u, dup);
  if (rc == PO_OK) rc = check_fields_fit(n, u, keys, wsum, h, dup);
  if (rc == PO_OK) rc = couplings_from_pairs(n, choose_storage(n, u, opts), u, keys, wsum, &mod);
  free(keys);
  free(wsum);
  if (rc) return rc;
  if (h && (rc = store_fields(mod, h)) != PO_OK) {
    po_ising_destroy(mod);
    return rc;
  }
  po__ising_finalize(mod);
  *out = mod;
  return PO_OK;
}

int po_ising_from_edges(int n, long m, const int32_t *ei, const int32_t *ej, const double *w,
                        const double *h, const po_load_opts *opts, po_ising **out) {
  return po__ising_build(n, m, ei, ej, w, h, opts, out, NULL);
}

int po__ising_copy_meta(po_ising *dst, const po_ising *src) {
  memcpy(dst->source, src->source, sizeof dst->source);
  dst->offset = src->offset;
  dst->binary = src->binary;
  dst->has_ground = src->has_ground;
  dst->ground_energy = src->ground_energy;
  if (src->ground_state) {
    dst->ground_state = malloc((size_t)src->n);
    if (!dst->ground_state) return po_error(PO_ERR_NOMEM, "ising: out of memory");
    memcpy(dst->ground_state, src->ground_state, (size_t)src->n);
  }
  return PO_OK;
}

static int copy_fields(po_ising *dst, const po_ising *src) {
  if (!src->h) return PO_OK;
  dst->h = malloc((size_t)src->n * sizeof *dst->h);
  if (!dst->h) return po_error(PO_ERR_NOMEM, "ising: out of memory");
  memcpy(dst->h, src->h, (size_t)src->n * sizeof *dst->h);
  return PO_OK;
}

int po_ising_to_dense(const po_ising *m, po_ising **out) {
  if (!out) return po_error(PO_ERR_ARG, "po_ising_to_dense: out is NULL");
  *out = NULL;
  if (!m) return po_error(PO_ERR_ARG, "po_ising_to_dense: model is NULL");
  const int n = m->n;
  po_ising *d;
  int rc = po__ising_alloc(n, PO_STORAGE_DENSE, &d);
  if (rc) return rc;
  if (m->storage == PO_STORAGE_DENSE) {
    memcpy(d->dense, m->dense, (size_t)n * n * sizeof *d->dense);
  } else {
    for (int i = 0; i < n; i++)
      for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++)
        d->dense[(size_t)i * n + m->col[k]] = m->val[k];
  }
  if ((rc = copy_fields(d, m)) || (rc = po__ising_copy_meta(d, m))) {
    po_ising_destroy(d);
    return rc;
  }
  po__ising_finalize(d);
  *out = d;
  return PO_OK;
}

int po_ising_to_csr(const po_ising *m, po_ising **out) {
  if (!out) return po_error(PO_ERR_ARG, "po_ising_to_csr: out is NULL");
  *out = NULL;
  if (!m) return po_error(PO_ERR_ARG, "po_ising_to_csr: model is NULL");
  const int n = m->n;
  po_ising *c;
  int rc = po__ising_alloc(n, PO_STORAGE_CSR, &c);
  if (rc) return rc;
  int64_t nnz = 0;
  if (m->storage == PO_STORAGE_CSR) {
    nnz = m->row_ptr[n];
  } else {
    for (size_t k = 0; k < (size_t)n * n; k++) nnz += m->dense[k] != 0.0f;
  }
  c->row_ptr = malloc(((size_t)n + 1) * sizeof *c->row_ptr);
  c->col = malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof *c->col);
  c->val = malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof *c->val);
  if (!c->row_ptr || !c->col || !c->val) {
    po_ising_destroy(c);
    return po_error(PO_ERR_NOMEM, "po_ising_to_csr: out of memory (%lld entries)", (long long)nnz);
  }
  if (m->storage == PO_STORAGE_CSR) {
    memcpy(c->row_ptr, m->row_ptr, ((size_t)n + 1) * sizeof *c->row_ptr);
    memcpy(c->col, m->col, (size_t)nnz * sizeof *c->col);
    memcpy(c->val, m->val, (size_t)nnz * sizeof *c->val);
  } else {
    int64_t k = 0;
    c->row_ptr[0] = 0;
    for (int i = 0; i < n; i++) {
      const float *row = m->dense + (size_t)i * n;
      for (int j = 0; j < n; j++)
        if (row[j] != 0.0f) {
          c->col[k] = j;
          c->val[k++] = row[j];
        }
      c->row_ptr[i + 1] = k;
    }
  }
  if ((rc = copy_fields(c, m)) || (rc = po__ising_copy_meta(c, m))) {
    po_ising_destroy(c);
    return rc;
  }
  po__ising_finalize(c);
  *out = c;
  return PO_OK;
}

float po_ising_coupling(const po_ising *m, int i, int j) {
  if (!m || i < 0 || j < 0 || i >= m->n || j >= m->n || i == j) return 0.0f;
  if (m->storage == PO_STORAGE_DENSE) return m->dense[(size_t)i * m->n + j];
  int64_t lo = m->row_ptr[i], hi = m->row_ptr[i + 1];
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (m->col[mid] < j)
      lo = mid + 1;
    else
      hi = mid;
  }
  return (lo < m->row_ptr[i + 1] && m->col[lo] == j) ? m->val[lo] : 0.0f;
}

/* sum_j J_ij s_j (no field). */
static double row_dot(const po_ising *m, int i, const int8_t *s) {
  double f = 0.0;
  if (m->storage == PO_STORAGE_DENSE) {
    const float *row = m->dense + (size_t)i * m->n;
    for (int j = 0; j < m->n; j++) f += (double)row[j] * s[j];
  } else {
    for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++)
      f += (double)m->val[k] * s[m->col[k]];
  }
  return f;
}

void po_ising_local_fields(const po_ising *m, const int8_t *s, double *f) {
  const int n = m->n;
#pragma omp parallel for schedule(static) if (n >= 4096)
  for (int i = 0; i < n; i++) f[i] = row_dot(m, i, s) + (m->h ? (double)m->h[i] : 0.0);
}

double po_ising_energy(const po_ising *m, const int8_t *s) {
  const int n = m->n;
  double pair = 0.0, field = 0.0;
  for (int i = 0; i < n; i++) {
    pair += s[i] * row_dot(m, i, s);
    if (m->h) field += (double)m->h[i] * s[i];
  }
  return 0.5 * pair + field + m->offset;
}

double po_ising_flip_delta(const po_ising *m, const int8_t *s, int i) {
  double f = row_dot(m, i, s) + (m->h ? (double)m->h[i] : 0.0);
  return -2.0 * s[i] * f;
}

double po_ising_cut(const po_ising *m, const double energy) {
  return 0.5 * (m->weight_sum - (energy - m->offset));
}

double po_ising_energy_of_cut(const po_ising *m, double cut) {
  return m->weight_sum - 2.0 * cut + m->offset;
}

void po_ising_coupling_scales(const po_ising *m, double *max_row_abs, double *min_nonzero) {
  const int n = m->n;
  double mx = 0.0, mn = INFINITY;
  for (int i = 0; i < n; i++) {
    double r = m->h ? fabs((double)m->h[i]) : 0.0;
    if (m->storage == PO_STORAGE_DENSE) {
      const float *row = m->dense + (size_t)i * n;
      for (int j = 0; j < n; j++) {
        double a = fabs((double)row[j]);
        r += a;
        if (a > 0.0 && a < mn) mn = a;
      }
    } else {
      for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++) {
        double a = fabs((double)m->val[k]);
        r += a;
        if (a > 0.0 && a < mn) mn = a;
      }
    }
    if (r > mx) mx = r;
  }
  if (max_row_abs) *max_row_abs = mx;
  if (min_nonzero) *min_nonzero = isinf(mn) ? 0.0 : mn;
}

/* Energies of samples from their spins (used to verify backends). */
void po_samples_recompute(po_samples *s, const po_ising *m) {
  for (int r = 0; r < s->replicas; r++)
    s->energy[r] = po_ising_energy(m, s->spins + (size_t)r * (size_t)s->n);
}
