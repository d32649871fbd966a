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
