/* QUBO <-> Ising with the substitution x_i = (1 + s_i)/2, s_i = 2 x_i - 1.
 *
 * QUBO f(x) = sum_{i<=j} Q_ij x_i x_j + c (upper triangle read).  Term by term:
 *   Q_ii x_i         = Q_ii/2 + (Q_ii/2) s_i
 *   Q_ij x_i x_j     = Q_ij/4 (1 + s_i + s_j + s_i s_j)             (i < j)
 * so J_ij = Q_ij/4, h_i = Q_ii/2 + sum_{j != i} Q_ij/4 (upper entries of row
 * and column i), offset = c + sum_i Q_ii/2 + sum_{i<j} Q_ij/4.  Conversely
 *   J_ij s_i s_j     = J_ij (4 x_i x_j - 2 x_i - 2 x_j + 1)
 *   h_i s_i          = 2 h_i x_i - h_i
 * so Q_ij = 4 J_ij, Q_ii = 2 h_i - 2 sum_{j != i} J_ij,
 * c = offset + sum_{i<j} J_ij - sum_i h_i.  f(x(s)) = E(s) for every state. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"
#include "physopt/problem.h"
#include "problems/ising_internal.h"

int po_qubo_to_ising(const po_qubo *q, po_ising **out) {
  if (!out) return po_error(PO_ERR_ARG, "po_qubo_to_ising: out is NULL");
  *out = NULL;
  if (!q || !q->Q) return po_error(PO_ERR_ARG, "po_qubo_to_ising: QUBO or its matrix is NULL");
  const int n = q->n;
  if (n < 1 || n > PO_ISING_MAX_N)
    return po_error(PO_ERR_ARG, "po_qubo_to_ising: n = %d must be in [1, %d]", n, PO_ISING_MAX_N);
  if (!isfinite(q->offset)) return po_error(PO_ERR_ARG, "po_qubo_to_ising: offset is not finite");
  long m = 0;
  for (int i = 0; i < n; i++)
    for (int j = i; j < n; j++) {
      double v = q->Q[(size_t)i * n + j];
      if (!isfinite(v))
        return po_error(PO_ERR_ARG, "po_qubo_to_ising: Q[%d][%d] is not finite", i, j);
      if (j > i && v != 0.0) m++;
    }
  int32_t *ei = malloc((size_t)(m > 0 ? m : 1) * sizeof *ei);
  int32_t *ej = malloc((size_t)(m > 0 ? m : 1) * sizeof *ej);
  double *w = malloc((size_t)(m > 0 ? m : 1) * sizeof *w);
  double *h = calloc((size_t)n, sizeof *h);
  if (!ei || !ej || !w || !h) {
    free(ei);
    free(ej);
    free(w);
    free(h);
    return po_error(PO_ERR_NOMEM, "po_qubo_to_ising: out of memory");
  }
  double c = q->offset;
  long k = 0;
  for (int i = 0; i < n; i++) {
    double d = q->Q[(size_t)i * n + i];
    h[i] += 0.5 * d;
    c += 0.5 * d;
    for (int j = i + 1; j < n; j++) {
      double v = q->Q[(size_t)i * n + j];
      if (v == 0.0) continue;
      ei[k] = i;
      ej[k] = j;
      w[k++] = 0.25 * v;
      h[i] += 0.25 * v;
      h[j] += 0.25 * v;
      c += 0.25 * v;
    }
  }
  int rc = po_ising_from_edges(n, m, ei, ej, w, h, NULL, out);
  free(ei);
  free(ej);
  free(w);
  free(h);
  if (rc) return po_error_wrap(rc, "po_qubo_to_ising");
  (*out)->offset = c;
  snprintf((*out)->source, sizeof(*out)->source, "qubo");
  return PO_OK;
}

int po_ising_to_qubo(const po_ising *m, po_qubo *out) {
  if (!out) return po_error(PO_ERR_ARG, "po_ising_to_qubo: out is NULL");
  memset(out, 0, sizeof *out);
  if (!m) return po_error(PO_ERR_ARG, "po_ising_to_qubo: model is NULL");
  const int n = m->n;
  double *Q = calloc((size_t)n * n, sizeof *Q);
  if (!Q) return po_error(PO_ERR_NOMEM, "po_ising_to_qubo: cannot allocate %d x %d QUBO", n, n);
  double c = m->offset;
  for (int i = 0; i < n; i++) {
    double hi = m->h ? (double)m->h[i] : 0.0;
    Q[(size_t)i * n + i] += 2.0 * hi;
    c -= hi;
  }
  for (int i = 0; i < n; i++) {
    if (m->storage == PO_STORAGE_DENSE) {
      for (int j = i + 1; j < n; j++) {
        double J = m->dense[(size_t)i * n + j];
        if (J == 0.0) continue;
        Q[(size_t)i * n + j] += 4.0 * J;
        Q[(size_t)i * n + i] -= 2.0 * J;
        Q[(size_t)j * n + j] -= 2.0 * J;
        c += J;
      }
    } else {
      for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++) {
        int j = m->col[k];
        double J = m->val[k];
        if (j <= i || J == 0.0) continue;
        Q[(size_t)i * n + j] += 4.0 * J;
        Q[(size_t)i * n + i] -= 2.0 * J;
        Q[(size_t)j * n + j] -= 2.0 * J;
        c += J;
      }
    }
  }
  out->n = n;
  out->Q = Q;
  out->offset = c;
  return PO_OK;
}

double po_qubo_value(const po_qubo *q, const uint8_t *x) {
  const int n = q->n;
  double f = q->offset;
  for (int i = 0; i < n; i++) {
    if (!x[i]) continue;
    const double *row = q->Q + (size_t)i * n;
    for (int j = i; j < n; j++)
      if (x[j]) f += row[j];
  }
  return f;
}

void po_qubo_free(po_qubo *q) {
  if (!q) return;
  free(q->Q);
  q->Q = NULL;
  q->n = 0;
  q->offset = 0.0;
}
