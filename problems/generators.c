/* Random instance generators.
 *
 * Sherrington-Kirkpatrick (Sherrington & Kirkpatrick, Phys. Rev. Lett. 35,
 * 1792, 1975): fully connected, J_ij (i<j) i.i.d. N(0, 1/N) ("gauss") or
 * +/-1 with probability 1/2 each ("pm", the convention of the SK benchmark
 * set of Hamerly et al., Sci. Adv. 5, eaau0823, 2019).  The couplings are
 * drawn in row-major order i<j from the stream po_rng(seed, 0, 0).
 *
 * Wishart planted ensemble (Hamze, Raymond, Pattison, Biswas & Katzgraber,
 * Phys. Rev. E 101, 052102, 2020).  With a planted state t, draw the M
 * columns w^mu of an N x M matrix W from a Gaussian restricted to the
 * subspace orthogonal to t (a standard normal vector z projected,
 * w = z - (t.z / N) t, and scaled by sqrt(N/(N-1)) so that each entry has unit
 * variance -- the covariance Sigma = N/(N-1) (I - t t^T / N)).  The paper
 * writes H = -sum_{i<j} J^paper_ij s_i s_j with J^paper = -(1/N) W W^T; in
 * this library's convention E = +sum_{i<j} J_ij s_i s_j, so we store
 *     J_ij = (1/N) (W W^T)_ij,   i != j,   J_ii = 0,
 * and then E(s) = (1/2N) (|W^T s|^2 - sum_i |W_i.|^2) >= E(t) since W^T t = 0:
 * t is a ground state (with -t).  The paper plants t = (1,...,1); we apply a
 * random gauge g (J_ij -> g_i g_j J_ij) so the planted state is g and a solver
 * cannot succeed by a bias toward all-equal spins.  Equivalently the
 * projection is taken orthogonal to g directly, which is what the code does.
 * alpha = M/N tunes the hardness (small alpha: rugged and hard; large alpha:
 * smooth and easy; see the paper for the phase diagram).  The unit-variance
 * normalisation is our choice: a constant scale of J leaves the ground state
 * unchanged.  The gauge is drawn first (N values), then W column by column,
 * all from po_rng(seed, 0, 0). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"
#include "physopt/problem.h"
#include "physopt/rng.h"
#include "problems/ising_internal.h"

/* Generator size limits (dense storage: N = 1e5 needs 40 GB). */
#define PO_GEN_MAX_N 100000
#define PO_GEN_MAX_M 100000

int po_ising_generate_sk(int n, uint64_t seed, int gaussian, po_ising **out) {
  if (!out) return po_error(PO_ERR_ARG, "po_ising_generate_sk: out is NULL");
  *out = NULL;
  if (n < 2 || n > PO_GEN_MAX_N)
    return po_error(PO_ERR_ARG, "sk: N = %d must be an integer in [2, %d]", n, PO_GEN_MAX_N);
  po_ising *m;
  int rc = po__ising_alloc(n, PO_STORAGE_DENSE, &m);
  if (rc) return rc;
  po_rng r;
  po_rng_init(&r, seed, PO_STREAM_GENERATOR, 1);
  const double sd = 1.0 / sqrt((double)n);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      float v =
          gaussian ? (float)(sd * po_rng_normal(&r)) : ((po_rng_u64(&r) >> 63) ? 1.0f : -1.0f);
      m->dense[(size_t)i * n + j] = v;
      m->dense[(size_t)j * n + i] = v;
    }
  po__ising_finalize(m);
  snprintf(m->source, sizeof m->source, "sk:%d:%llu:%s", n, (unsigned long long)seed,
           gaussian ? "gauss" : "pm");
  *out = m;
  return PO_OK;
}

int po_ising_generate_wishart(int n, int mcols, uint64_t seed, po_ising **out) {
  if (!out) return po_error(PO_ERR_ARG, "po_ising_generate_wishart: out is NULL");
  *out = NULL;
  if (n < 2 || n > PO_GEN_MAX_N)
    return po_error(PO_ERR_ARG, "wishart: N = %d must be an integer in [2, %d]", n, PO_GEN_MAX_N);
  if (mcols < 1 || mcols > PO_GEN_MAX_M)
    return po_error(PO_ERR_ARG, "wishart: M = %d must be an integer in [1, %d]", mcols,
                    PO_GEN_MAX_M);
  po_ising *m;
  int rc = po__ising_alloc(n, PO_STORAGE_DENSE, &m);
  if (rc) return rc;
  int8_t *g = malloc((size_t)n);
  double *W = malloc((size_t)n * mcols * sizeof *W); /* row-major n x M */
  double *z = malloc((size_t)n * sizeof *z);
  if (!g || !W || !z) {
    free(g);
    free(W);
    free(z);
    po_ising_destroy(m);
    return po_error(PO_ERR_NOMEM, "wishart: out of memory for N = %d, M = %d", n, mcols);
  }
  po_rng r;
  po_rng_init(&r, seed, PO_STREAM_GENERATOR, 2);
  for (int i = 0; i < n; i++) g[i] = (po_rng_u64(&r) >> 63) ? 1 : -1;
  const double scale = sqrt((double)n / (double)(n - 1));
  for (int mu = 0; mu < mcols; mu++) {
    double dot = 0.0;
    for (int i = 0; i < n; i++) {
      z[i] = po_rng_normal(&r);
      dot += g[i] * z[i];
    }
    dot /= n;
    for (int i = 0; i < n; i++) W[(size_t)i * mcols + mu] = scale * (z[i] - dot * g[i]);
  }
  /* J_ij = (1/N) W_i . W_j for i < j.  Each dot product is summed in a fixed
   * order (four interleaved partial sums), so the instance is bit-identical
   * for any number of threads; a threaded BLAS syrk gives no such promise. */
  const double invn = 1.0 / n;
#pragma omp parallel for schedule(dynamic, 16)
  for (int i = 0; i < n; i++) {
    const double *wi = W + (size_t)i * mcols;
    for (int j = i + 1; j < n; j++) {
      const double *wj = W + (size_t)j * mcols;
      double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      int k = 0;
      for (; k + 3 < mcols; k += 4) {
        a0 += wi[k] * wj[k];
        a1 += wi[k + 1] * wj[k + 1];
        a2 += wi[k + 2] * wj[k + 2];
        a3 += wi[k + 3] * wj[k + 3];
      }
      for (; k < mcols; k++) a0 += wi[k] * wj[k];
      float v = (float)(((a0 + a1) + (a2 + a3)) * invn);
      m->dense[(size_t)i * n + j] = v;
      m->dense[(size_t)j * n + i] = v;
    }
  }
  free(W);
  free(z);
  po__ising_finalize(m);
  m->ground_state = g;
  m->has_ground = 1;
  m->ground_energy = po_ising_energy(m, g);
  snprintf(m->source, sizeof m->source, "wishart:%d:%d:%llu", n, mcols, (unsigned long long)seed);
  *out = m;
  return PO_OK;
}

/* A unit-weight MaxCut graph (J_ij = w_ij = 1) from its edge list, named
 * source; the caller keeps and frees ei, ej. */
static int build_unit_graph(int n, long m, const int32_t *ei, const int32_t *ej,
                            const po_load_opts *opts, const char *source, po_ising **out) {
  double *w = malloc((size_t)(m > 0 ? m : 1) * sizeof *w);
  if (!w) return po_error(PO_ERR_NOMEM, "%s: out of memory for %ld edges", source, m);
  for (long k = 0; k < m; k++) w[k] = 1.0;
  int rc = po_ising_from_edges(n, m, ei, ej, w, NULL, opts, out);
  free(w);
  if (!rc) snprintf((*out)->source, sizeof(*out)->source, "%s", source);
  return rc;
}

/* Erdos-Renyi G(N, P) MaxCut graph (Erdos & Renyi 1959; Gilbert 1959):
 * each pair i<j is an edge with probability P, weight +1 (J_ij = w_ij = 1 as
 * the G-set reader stores a unit-weight graph, so cut = (|E| - E(s)) / 2).
 * The pairs are visited in row-major order i<j and the gaps between
 * consecutive edges drawn geometrically (Batagelj & Brandes, Phys. Rev. E 71,
 * 036113, 2005, algorithm G(n,p)), so the cost is O(N + |E|), from the stream
 * po_rng(seed, GENERATOR, 3). */
int po_ising_generate_er(int n, double p, uint64_t seed, const po_load_opts *opts, po_ising **out) {
  if (!out) return po_error(PO_ERR_ARG, "po_ising_generate_er: out is NULL");
  *out = NULL;
  if (n < 2 || n > PO_GEN_MAX_N)
    return po_error(PO_ERR_ARG, "er: N = %d must be an integer in [2, %d]", n, PO_GEN_MAX_N);
  if (!(p > 0.0 && p <= 1.0))
    return po_error(PO_ERR_ARG, "er: P = %g must be a number in (0, 1]", p);
  po_rng r;
  po_rng_init(&r, seed, PO_STREAM_GENERATOR, 3);
  long cap = 0, m = 0;
  int32_t *ei = NULL, *ej = NULL;
  double *w = NULL;
  long *ln = NULL;
  const double lq = p < 1.0 ? log1p(-p) : 0.0;
  /* pair (i, j) with i < j; start before (0, 1) */
  long i = 0, j = 0;
  int rc = PO_OK;
  for (;;) {
    long skip = 1;
    if (p < 1.0) {
      double u = po_rng_uniform(&r); /* [0, 1) */
      double g = floor(log1p(-u) / lq);
      if (g > 1e15) break;
      skip += (long)g;
    }
    j += skip;
    while (j >= n && i < n - 1) { /* row i holds the pairs (i, i+1 .. n-1) */
      const long over = j - n;
      i++;
      j = i + 1 + over;
    }
    if (i >= n - 1) break;
    if (po__edges_reserve(&ei, &ej, &w, &ln, &cap, m)) {
      rc = po_error(PO_ERR_NOMEM, "er: out of memory for N = %d, P = %g", n, p);
      break;
    }
    ei[m] = (int32_t)i;
    ej[m] = (int32_t)j;
    m++;
  }
  char src[96];
  snprintf(src, sizeof src, "er:%d:%.17g:%llu", n, p, (unsigned long long)seed);
  if (!rc) rc = build_unit_graph(n, m, ei, ej, opts, src, out);
  free(ei);
  free(ej);
  free(w);
  free(ln);
  return rc;
}

/* Random D-regular graph, unit weights (MaxCut convention as er above).
 * Steger & Wormald (Combin. Probab. Comput. 8, 377, 1999): N D points (D per
 * vertex) are paired at random, a pair being accepted only when it joins two
 * different, not yet adjacent vertices; when no acceptable pair is left the
 * attempt restarts.  The result is asymptotically uniform for D = o(N^1/28)
 * and close to uniform in practice for moderate D.  For D > (N-1)/2 the
 * complement of an (N-1-D)-regular graph is returned (the pairing is then
 * easier), which is D-regular too.  Stream po_rng(seed, GENERATOR, 4). */
#define PO_RRG_MAX_POINTS   200000000L
#define PO_RRG_MAX_RESTARTS 1000

static int rrg_adjacent(const int32_t *adj, const int *deg, int d, int32_t u, int32_t v) {
  const int32_t *a = adj + (size_t)u * d;
  for (int k = 0; k < deg[u]; k++)
    if (a[k] == v) return 1;
  return 0;
}

/* One pairing attempt: 1 = a D-regular graph in adj, 0 = stuck (restart). */
static int rrg_attempt(int n, int d, po_rng *r, int32_t *pt, int32_t *adj, int *deg) {
  long u = (long)n * d;
  for (long k = 0; k < u; k++) pt[k] = (int32_t)(k / d);
  memset(deg, 0, (size_t)n * sizeof *deg);
  long fails = 0;
  while (u > 0) {
    long a = (long)po_rng_below(r, (uint64_t)u), b = (long)po_rng_below(r, (uint64_t)u);
    int32_t x = pt[a], y = pt[b];
    if (a == b || x == y || rrg_adjacent(adj, deg, d, x, y)) {
      if (++fails < 64 + 16 * u) continue;
      /* many failures: is any acceptable pair left? */
      int found = 0;
      for (long i = 0; i < u && !found; i++)
        for (long j = i + 1; j < u && !found; j++)
          found = pt[i] != pt[j] && !rrg_adjacent(adj, deg, d, pt[i], pt[j]);
      if (!found) return 0;
      fails = 0;
      continue;
    }
    adj[(size_t)x * d + deg[x]++] = y;
    adj[(size_t)y * d + deg[y]++] = x;
    /* remove points a and b (the larger index first) */
    long hi = a > b ? a : b, lo = a > b ? b : a;
    pt[hi] = pt[--u];
    pt[lo] = pt[--u];
    fails = 0;
  }
  return 1;
}

int po_ising_generate_rrg(int n, int d, uint64_t seed, const po_load_opts *opts, po_ising **out) {
  if (!out) return po_error(PO_ERR_ARG, "po_ising_generate_rrg: out is NULL");
  *out = NULL;
  if (n < 2 || n > PO_GEN_MAX_N)
    return po_error(PO_ERR_ARG, "rrg: N = %d must be an integer in [2, %d]", n, PO_GEN_MAX_N);
  if (d < 1 || d > n - 1)
    return po_error(PO_ERR_ARG, "rrg: D = %d must be an integer in [1, N - 1 = %d]", d, n - 1);
  if (((long)n * d) % 2)
    return po_error(PO_ERR_ARG, "rrg: N D = %d x %d must be even (every edge has two ends)", n, d);
  if ((long)n * d > PO_RRG_MAX_POINTS)
    return po_error(PO_ERR_ARG, "rrg: N D = %ld must be at most %ld", (long)n * d,
                    PO_RRG_MAX_POINTS);
  const int comp = d > (n - 1) / 2;
  const int dd = comp ? n - 1 - d : d; /* degree of the graph drawn */
  const long m = (long)n * d / 2;
  int32_t *pt = malloc(((size_t)n * dd + 1) * sizeof *pt);
  int32_t *adj = malloc(((size_t)n * dd + 1) * sizeof *adj);
  int *deg = malloc((size_t)n * sizeof *deg);
  int32_t *ei = malloc((size_t)(m > 0 ? m : 1) * sizeof *ei);
  int32_t *ej = malloc((size_t)(m > 0 ? m : 1) * sizeof *ej);
  uint8_t *row = comp ? calloc((size_t)n, 1) : NULL;
  int rc = PO_OK;
  if (!pt || !adj || !deg || !ei || !ej || (comp && !row))
    rc = po_error(PO_ERR_NOMEM, "rrg: out of memory for N = %d, D = %d", n, d);
  po_rng r;
  po_rng_init(&r, seed, PO_STREAM_GENERATOR, 4);
  int ok = 0;
  for (int t = 0; !rc && !ok && t < PO_RRG_MAX_RESTARTS; t++)
    ok = dd == 0 ? (memset(deg, 0, (size_t)n * sizeof *deg), 1)
                 : rrg_attempt(n, dd, &r, pt, adj, deg);
  if (!rc && !ok)
    rc = po_error(PO_ERR_NUMERIC, "rrg: no %d-regular graph on %d vertices after %d attempts", dd,
                  n, PO_RRG_MAX_RESTARTS);
  long k = 0;
  for (int32_t i = 0; !rc && i < n; i++) {
    const int32_t *a = adj + (size_t)i * dd;
    if (comp) {
      for (int q = 0; q < dd; q++) row[a[q]] = 1;
      for (int32_t j = i + 1; j < n; j++)
        if (!row[j]) ei[k] = i, ej[k++] = j;
      for (int q = 0; q < dd; q++) row[a[q]] = 0;
    } else {
      for (int q = 0; q < dd; q++)
        if (a[q] > i) ei[k] = i, ej[k++] = a[q];
    }
  }
  char src[96];
  snprintf(src, sizeof src, "rrg:%d:%d:%llu", n, d, (unsigned long long)seed);
  if (!rc) rc = build_unit_graph(n, k, ei, ej, opts, src, out);
  free(pt);
  free(adj);
  free(deg);
  free(ei);
  free(ej);
  free(row);
  return rc;
}
