/* Ising models, QUBO conversions and generators (problems/).
 *
 * Everything is checked against independent brute force on small instances:
 * energies, local fields and flip deltas against a direct double-precision
 * sum over a reference coupling matrix; QUBO <-> Ising objective equality over
 * all 2^N states; the Wishart planted state against exhaustive enumeration. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <omp.h>
#include "physopt/physopt.h"

/* A random instance and its reference matrix (double, holds float-rounded values). */
typedef struct {
  int n;
  long m;
  int32_t *ei, *ej;
  double *w, *h;
  double *J; /* n*n reference */
} ref_inst;

static void ref_free(ref_inst *r) {
  free(r->ei);
  free(r->ej);
  free(r->w);
  free(r->h);
  free(r->J);
}

/* Random graph on n spins with edge probability p; weights are integers in
 * [-3, 3] \ {0} when integer, else N(0,1); fields when with_h.  Each pair is
 * listed once, in a random orientation. */
static ref_inst ref_make(po_rng *r, int n, double p, int integer, int with_h) {
  ref_inst x = {0};
  x.n = n;
  long cap = (long)n * (n - 1) / 2 + 1;
  x.ei = malloc(cap * sizeof *x.ei);
  x.ej = malloc(cap * sizeof *x.ej);
  x.w = malloc(cap * sizeof *x.w);
  x.J = calloc((size_t)n * n, sizeof *x.J);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      if (po_rng_uniform(r) >= p) continue;
      double w = integer ? (double)(1 + po_rng_below(r, 3)) * (po_rng_below(r, 2) ? 1 : -1)
                         : po_rng_normal(r);
      int flip = (int)po_rng_below(r, 2);
      x.ei[x.m] = flip ? j : i;
      x.ej[x.m] = flip ? i : j;
      x.w[x.m++] = w;
      x.J[i * n + j] = x.J[j * n + i] = (float)w;
    }
  if (with_h) {
    x.h = malloc(n * sizeof *x.h);
    for (int i = 0; i < n; i++)
      x.h[i] = integer ? (double)po_rng_below(r, 5) - 2.0 : po_rng_normal(r);
  }
  return x;
}

static double ref_energy(const ref_inst *x, const int8_t *s) {
  double e = 0.0;
  for (int i = 0; i < x->n; i++) {
    for (int j = i + 1; j < x->n; j++) e += x->J[i * x->n + j] * s[i] * s[j];
    if (x->h) e += (float)x->h[i] * s[i];
  }
  return e;
}

static void state_from_bits(int n, uint64_t bits, int8_t *s) {
  for (int i = 0; i < n; i++) s[i] = (bits >> i & 1) ? 1 : -1;
}

/* Asserts the stored model equals the reference: couplings, CSR structure,
 * statistics and flags. */
static void check_model(const po_ising *m, const ref_inst *x, int integer) {
  const int n = x->n;
  long ne = 0;
  double ws = 0.0;
  int pm1 = 1;
  if (x->h)
    for (int i = 0; i < n; i++)
      if (x->h[i] != 0.0) pm1 = 0;
  for (int i = 0; i < n; i++) {
    assert_true(po_ising_coupling(m, i, i) == 0.0f);
    for (int j = 0; j < n; j++) {
      if (i == j) continue;
      assert_true(po_ising_coupling(m, i, j) == (float)x->J[i * n + j]);
      if (j > i && x->J[i * n + j] != 0.0) {
        ne++;
        ws += x->J[i * n + j];
        if (fabs(x->J[i * n + j]) != 1.0) pm1 = 0;
      }
    }
  }
  assert_int_equal(m->n, n);
  assert_int_equal(m->n_edges, ne);
  assert_true(fabs(m->weight_sum - ws) <= 1e-9 * (1.0 + fabs(ws)));
  assert_int_equal(m->pm1, pm1);
  if (integer) assert_true(m->integer_weights);
  if (m->storage == PO_STORAGE_CSR) {
    assert_int_equal(m->row_ptr[0], 0);
    assert_int_equal(m->row_ptr[n], 2 * ne);
    for (int i = 0; i < n; i++)
      for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++) {
        if (k > m->row_ptr[i]) assert_true(m->col[k - 1] < m->col[k]); /* sorted, unique */
        assert_true(m->col[k] != i);
        assert_true(m->val[k] == (float)x->J[i * n + m->col[k]]);
      }
  } else {
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) assert_true(m->dense[i * n + j] == (float)x->J[i * n + j]);
  }
  if (x->h) {
    int any = 0;
    for (int i = 0; i < n; i++) any |= x->h[i] != 0.0;
    if (any) {
      assert_non_null(m->h);
      for (int i = 0; i < n; i++) assert_true(m->h[i] == (float)x->h[i]);
    } else {
      assert_null(m->h);
    }
  } else {
    assert_null(m->h);
  }
}

static void check_energies(const po_ising *m, const ref_inst *x, po_rng *r) {
  const int n = x->n;
  int8_t s[16];
  double f[16];
  int exhaustive = n <= 10;
  long states = exhaustive ? 1L << n : 300;
  for (long b = 0; b < states; b++) {
    state_from_bits(n, exhaustive ? (uint64_t)b : po_rng_u64(r), s);
    double e = ref_energy(x, s);
    double tol = 1e-9 * (1.0 + fabs(e));
    assert_true(fabs(po_ising_energy(m, s) - e) <= tol);
    po_ising_local_fields(m, s, f);
    for (int i = 0; i < n; i++) {
      double fi = x->h ? (float)x->h[i] : 0.0;
      for (int j = 0; j < n; j++) fi += x->J[i * n + j] * s[j];
      assert_true(fabs(f[i] - fi) <= 1e-9 * (1.0 + fabs(fi)));
      s[i] = (int8_t)-s[i];
      double e2 = ref_energy(x, s);
      s[i] = (int8_t)-s[i];
      assert_true(fabs(po_ising_flip_delta(m, s, i) - (e2 - e)) <= tol);
      assert_true(fabs(-2.0 * s[i] * f[i] - (e2 - e)) <= tol);
    }
  }
}

static void test_energy_fields_deltas_vs_brute_force(void **state) {
  (void)state;
  po_rng r;
  po_rng_init(&r, 12345, 0, 0);
  const int sizes[] = {1, 2, 3, 7, 10, 13, 16};
  const double dens[] = {0.1, 0.5, 1.0};
  for (int a = 0; a < 7; a++)
    for (int b = 0; b < 3; b++)
      for (int integer = 0; integer < 2; integer++)
        for (int with_h = 0; with_h < 2; with_h++)
          for (int st = -1; st <= 1; st++) {
            ref_inst x = ref_make(&r, sizes[a], dens[b], integer, with_h);
            po_load_opts o = {PO_DUP_REJECT, st, NULL};
            po_ising *m;
            assert_int_equal(po_ising_from_edges(x.n, x.m, x.ei, x.ej, x.w, x.h, &o, &m), PO_OK);
            if (st >= 0) assert_int_equal(m->storage, st);
            check_model(m, &x, integer);
            check_energies(m, &x, &r);
            po_ising_destroy(m);
            ref_free(&x);
          }
}

static void test_auto_storage_threshold(void **state) {
  (void)state;
  /* n = 11: 55 pairs; 13 edges (23.6%) -> CSR, 14 edges (25.5%) -> dense. */
  int32_t ei[14], ej[14];
  double w[14];
  for (int k = 0; k < 14; k++) {
    ei[k] = k % 11;
    ej[k] = (k % 11 + 1 + k / 11) % 11;
    w[k] = 1.0;
  }
  po_ising *m;
  assert_int_equal(po_ising_from_edges(11, 13, ei, ej, w, NULL, NULL, &m), PO_OK);
  assert_int_equal(m->storage, PO_STORAGE_CSR);
  assert_int_equal(m->n_edges, 13);
  assert_true(m->pm1 && m->integer_weights);
  po_ising_destroy(m);
  assert_int_equal(po_ising_from_edges(11, 14, ei, ej, w, NULL, NULL, &m), PO_OK);
  assert_int_equal(m->storage, PO_STORAGE_DENSE);
  po_ising_destroy(m);
}

static void test_dense_csr_copies_equal(void **state) {
  (void)state;
  po_rng r;
  po_rng_init(&r, 777, 0, 0);
  for (int rep = 0; rep < 20; rep++) {
    int n = 1 + (int)po_rng_below(&r, 16);
    ref_inst x = ref_make(&r, n, po_rng_uniform(&r), rep % 2, rep % 3 == 0);
    po_load_opts o = {PO_DUP_REJECT, rep % 2 ? PO_STORAGE_CSR : PO_STORAGE_DENSE, NULL};
    po_ising *m, *d, *c, *d2;
    assert_int_equal(po_ising_from_edges(x.n, x.m, x.ei, x.ej, x.w, x.h, &o, &m), PO_OK);
    m->offset = 2.5;
    m->has_ground = 1;
    m->ground_energy = -3.0;
    m->ground_state = malloc(n);
    for (int i = 0; i < n; i++) m->ground_state[i] = (int8_t)(i % 2 ? 1 : -1);
    snprintf(m->source, sizeof m->source, "test-%d", rep);
    assert_int_equal(po_ising_to_dense(m, &d), PO_OK);
    assert_int_equal(po_ising_to_csr(d, &c), PO_OK);
    assert_int_equal(po_ising_to_dense(c, &d2), PO_OK);
    assert_int_equal(d->storage, PO_STORAGE_DENSE);
    assert_int_equal(c->storage, PO_STORAGE_CSR);
    const po_ising *all[] = {d, c, d2};
    for (int k = 0; k < 3; k++) {
      const po_ising *y = all[k];
      check_model(y, &x, rep % 2);
      assert_true(y->content_hash == m->content_hash);
      assert_int_equal(y->n_edges, m->n_edges);
      assert_true(y->weight_sum == m->weight_sum);
      assert_true(y->offset == 2.5);
      assert_true(y->has_ground && y->ground_energy == -3.0);
      assert_memory_equal(y->ground_state, m->ground_state, n);
      assert_string_equal(y->source, m->source);
    }
    po_ising_destroy(m);
    po_ising_destroy(d);
    po_ising_destroy(c);
    po_ising_destroy(d2);
    ref_free(&x);
  }
}

static void test_content_hash_sensitivity(void **state) {
  (void)state;
  int32_t ei[] = {0, 1}, ej[] = {1, 2};
  double w[] = {1.0, -1.0}, w2[] = {1.0, 1.0}, h[] = {0, 0.5, 0};
  po_ising *a, *b, *c, *d;
  assert_int_equal(po_ising_from_edges(3, 2, ei, ej, w, NULL, NULL, &a), PO_OK);
  assert_int_equal(po_ising_from_edges(3, 2, ej, ei, w, NULL, NULL, &b), PO_OK); /* reversed */
  assert_int_equal(po_ising_from_edges(3, 2, ei, ej, w2, NULL, NULL, &c), PO_OK);
  assert_int_equal(po_ising_from_edges(3, 2, ei, ej, w, h, NULL, &d), PO_OK);
  assert_true(a->content_hash == b->content_hash);
  assert_true(a->content_hash != c->content_hash);
  assert_true(a->content_hash != d->content_hash);
  assert_true(a->pm1 && !d->pm1 && !d->integer_weights && a->integer_weights);
  po_ising_destroy(a);
  po_ising_destroy(b);
  po_ising_destroy(c);
  po_ising_destroy(d);
}

static void test_duplicates_and_bad_edges(void **state) {
  (void)state;
  int32_t ei[] = {0, 1, 2, 3}, ej[] = {1, 2, 1, 0};
  double w[] = {1.0, 2.0, 0.5, -1.0};
  po_ising *m = (po_ising *)1;
  /* Default: reject, naming both edges (1 and 2 are the pair (1,2)/(2,1)). */
  assert_int_equal(po_ising_from_edges(4, 4, ei, ej, w, NULL, NULL, &m), PO_ERR_ARG);
  assert_null(m);
  assert_non_null(strstr(po_last_error(), "edge 2 (2, 1) duplicates edge 1 (1, 2)"));
  po_load_opts sum = {PO_DUP_SUM, -1, NULL};
  assert_int_equal(po_ising_from_edges(4, 4, ei, ej, w, NULL, &sum, &m), PO_OK);
  assert_true(po_ising_coupling(m, 1, 2) == 2.5f && po_ising_coupling(m, 2, 1) == 2.5f);
  assert_true(po_ising_coupling(m, 0, 3) == -1.0f);
  assert_int_equal(m->n_edges, 3);
  assert_true(m->weight_sum == 2.5);
  po_ising_destroy(m);
  /* Summing to zero removes the pair. */
  int32_t zi[] = {0, 1}, zj[] = {1, 0};
  double zw[] = {1.0, -1.0};
  assert_int_equal(po_ising_from_edges(2, 2, zi, zj, zw, NULL, &sum, &m), PO_OK);
  assert_int_equal(m->n_edges, 0);
  assert_int_equal(m->storage == PO_STORAGE_CSR ? m->row_ptr[2] : 0, 0);
  po_ising_destroy(m);

  int32_t bi[] = {0}, bj[] = {4}, si[] = {2}, sj[] = {2};
  double nan_w[] = {NAN}, one[] = {1.0};
  assert_int_equal(po_ising_from_edges(4, 1, bi, bj, one, NULL, NULL, &m), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "outside [0, 3]"));
  assert_int_equal(po_ising_from_edges(4, 1, si, sj, one, NULL, NULL, &m), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "self-loop"));
  assert_int_equal(po_ising_from_edges(4, 1, zi, zj, nan_w, NULL, NULL, &m), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "non-finite"));
  assert_int_equal(po_ising_from_edges(0, 0, NULL, NULL, NULL, NULL, NULL, &m), PO_ERR_ARG);
  assert_int_equal(po_ising_from_edges(3, -1, NULL, NULL, NULL, NULL, NULL, &m), PO_ERR_ARG);
  po_load_opts bad = {PO_DUP_REJECT, 7, NULL};
  assert_int_equal(po_ising_from_edges(3, 0, NULL, NULL, NULL, NULL, &bad, &m), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "storage"));
  double hbad[] = {0, INFINITY, 0};
  assert_int_equal(po_ising_from_edges(3, 0, NULL, NULL, NULL, hbad, NULL, &m), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "h[1]"));
  /* Zero fields are dropped; an empty model is valid. */
  double hz[] = {0, -0.0, 0};
  assert_int_equal(po_ising_from_edges(3, 0, NULL, NULL, NULL, hz, NULL, &m), PO_OK);
  assert_null(m->h);
  assert_int_equal(m->n_edges, 0);
  int8_t s[3] = {1, -1, 1};
  assert_true(po_ising_energy(m, s) == 0.0);
  po_ising_destroy(m);
}

static void test_cut_and_scales(void **state) {
  (void)state;
  /* Triangle 0-1 (w 2), 1-2 (w 3), 0-2 (w -1) plus spin 3 on edge 2-3 (w 0.5). */
  int32_t ei[] = {0, 1, 0, 2}, ej[] = {1, 2, 2, 3};
  double w[] = {2, 3, -1, 0.5};
  po_ising *m;
  assert_int_equal(po_ising_from_edges(4, 4, ei, ej, w, NULL, NULL, &m), PO_OK);
  assert_true(m->weight_sum == 4.5);
  /* Brute force: cut = sum of w over edges whose ends differ. */
  for (int b = 0; b < 16; b++) {
    int8_t s[4];
    state_from_bits(4, (uint64_t)b, s);
    double cut = 0.0;
    for (int k = 0; k < 4; k++) cut += s[ei[k]] != s[ej[k]] ? w[k] : 0.0;
    double e = po_ising_energy(m, s);
    assert_true(fabs(po_ising_cut(m, e) - cut) < 1e-12);
    assert_true(fabs(po_ising_energy_of_cut(m, cut) - e) < 1e-12);
  }
  /* The offset does not change the cut. */
  m->offset = 10.0;
  int8_t s0[4] = {1, -1, 1, 1};
  assert_true(fabs(po_ising_cut(m, po_ising_energy(m, s0)) - 5.0) < 1e-12);
  assert_true(fabs(po_ising_energy_of_cut(m, 5.0) - po_ising_energy(m, s0)) < 1e-12);
  double mx, mn;
  po_ising_coupling_scales(m, &mx, &mn);
  /* Row sums of |J|: 3, 5, 4.5, 0.5. */
  assert_true(mx == 5.0);
  assert_true(mn == 0.5);
  po_ising_destroy(m);
  double h[] = {0, 0, 0, -7};
  assert_int_equal(po_ising_from_edges(4, 4, ei, ej, w, h, NULL, &m), PO_OK);
  po_ising_coupling_scales(m, &mx, NULL);
  assert_true(mx == 7.5);
  po_ising_destroy(m);
  assert_int_equal(po_ising_from_edges(2, 0, NULL, NULL, NULL, NULL, NULL, &m), PO_OK);
  po_ising_coupling_scales(m, &mx, &mn);
  assert_true(mx == 0.0 && mn == 0.0);
  po_ising_destroy(m);
}

static void test_qubo_ising_round_trip(void **state) {
  (void)state;
  po_rng r;
  po_rng_init(&r, 4242, 0, 0);
  for (int rep = 0; rep < 24; rep++) {
    int n = 1 + (int)po_rng_below(&r, 12);
    po_qubo q = {n, calloc((size_t)n * n, sizeof(double)), (double)po_rng_below(&r, 9) - 4.0};
    double p = po_rng_uniform(&r);
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        /* Integers keep Q/4 exact in float; the lower triangle is junk that
         * must be ignored. */
        if (j < i)
          q.Q[i * n + j] = 1e6;
        else if (po_rng_uniform(&r) < p)
          q.Q[i * n + j] = (double)po_rng_below(&r, 21) - 10.0;
      }
    po_ising *m;
    assert_int_equal(po_qubo_to_ising(&q, &m), PO_OK);
    po_qubo q2;
    assert_int_equal(po_ising_to_qubo(m, &q2), PO_OK);
    assert_int_equal(q2.n, n);
    for (int i = 0; i < n; i++)
      for (int j = i; j < n; j++) assert_true(fabs(q2.Q[i * n + j] - q.Q[i * n + j]) < 1e-9);
    assert_true(fabs(q2.offset - q.offset) < 1e-9);
    uint8_t x[16];
    int8_t s[16];
    for (uint64_t b = 0; b < (1ULL << n); b++) {
      for (int i = 0; i < n; i++) {
        x[i] = (uint8_t)(b >> i & 1);
        s[i] = (int8_t)(2 * x[i] - 1);
      }
      /* Independent QUBO value. */
      double f = q.offset;
      for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) f += q.Q[i * n + j] * x[i] * x[j];
      assert_true(fabs(po_qubo_value(&q, x) - f) < 1e-9);
      assert_true(fabs(po_ising_energy(m, s) - f) < 1e-9);
      assert_true(fabs(po_qubo_value(&q2, x) - f) < 1e-9);
    }
    po_qubo_free(&q2);
    assert_null(q2.Q);
    po_ising_destroy(m);
    free(q.Q);
  }
  /* Ising (real weights, fields, offset, both storages) -> QUBO: same values. */
  for (int rep = 0; rep < 8; rep++) {
    int n = 2 + (int)po_rng_below(&r, 10);
    ref_inst x = ref_make(&r, n, 0.6, 0, 1);
    po_load_opts o = {PO_DUP_REJECT, rep % 2, NULL};
    po_ising *m;
    assert_int_equal(po_ising_from_edges(n, x.m, x.ei, x.ej, x.w, x.h, &o, &m), PO_OK);
    m->offset = -1.25;
    po_qubo q;
    assert_int_equal(po_ising_to_qubo(m, &q), PO_OK);
    uint8_t xs[16];
    int8_t s[16];
    for (uint64_t b = 0; b < (1ULL << n); b++) {
      for (int i = 0; i < n; i++) {
        xs[i] = (uint8_t)(b >> i & 1);
        s[i] = (int8_t)(2 * xs[i] - 1);
      }
      double e = ref_energy(&x, s) - 1.25;
      assert_true(fabs(po_qubo_value(&q, xs) - e) < 1e-9 * (1.0 + fabs(e)));
    }
    po_qubo_free(&q);
    po_ising_destroy(m);
    ref_free(&x);
  }
  po_qubo bad = {0, NULL, 0.0};
  po_ising *m;
  assert_int_equal(po_qubo_to_ising(&bad, &m), PO_ERR_ARG);
}

static void test_sk_reproducible_and_statistics(void **state) {
  (void)state;
  const int n = 400;
  po_ising *a, *b, *c;
  assert_int_equal(po_ising_generate_sk(n, 99, 1, &a), PO_OK);
  assert_int_equal(po_ising_generate_sk(n, 99, 1, &b), PO_OK);
  assert_int_equal(po_ising_generate_sk(n, 100, 1, &c), PO_OK);
  assert_int_equal(a->storage, PO_STORAGE_DENSE);
  assert_memory_equal(a->dense, b->dense, (size_t)n * n * sizeof(float));
  assert_true(a->content_hash == b->content_hash);
  assert_true(a->content_hash != c->content_hash);
  assert_string_equal(a->source, "sk:400:99:gauss");
  /* K = n(n-1)/2 i.i.d. N(0, 1/n) samples: the sample mean has sd
   * sqrt(1/(n K)); the sample variance has sd ~ sqrt(2/K)/n.  5 sigma. */
  const double K = 0.5 * n * (n - 1);
  double s1 = 0, s2 = 0, s4 = 0;
  for (int i = 0; i < n; i++) {
    assert_true(a->dense[i * n + i] == 0.0f);
    for (int j = i + 1; j < n; j++) {
      double v = a->dense[i * n + j];
      assert_true(v == a->dense[j * n + i]);
      s1 += v;
      s2 += v * v;
      s4 += v * v * v * v;
    }
  }
  double mean = s1 / K, var = s2 / K - mean * mean;
  assert_true(fabs(mean) < 5.0 * sqrt(1.0 / (n * K)));
  assert_true(fabs(var - 1.0 / n) < 5.0 * sqrt(2.0 / K) / n);
  /* Gaussian kurtosis: E[J^4] = 3/n^2 (sd of the estimate ~ sqrt(96/K)/n^2). */
  assert_true(fabs(s4 / K - 3.0 / ((double)n * n)) < 5.0 * sqrt(96.0 / K) / ((double)n * n));
  assert_int_equal(a->n_edges, (long)K);
  assert_false(a->pm1);
  po_ising_destroy(a);
  po_ising_destroy(b);
  po_ising_destroy(c);

  assert_int_equal(po_ising_generate_sk(n, 5, 0, &a), PO_OK);
  assert_true(a->pm1 && a->integer_weights);
  assert_int_equal(a->n_edges, (long)K);
  /* +/-1 equiprobable: sum of K signs has sd sqrt(K). */
  assert_true(fabs(a->weight_sum) < 5.0 * sqrt(K));
  po_ising_destroy(a);

  assert_int_equal(po_ising_generate_sk(1, 5, 0, &a), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "[2, 100000]"));
}

/* Minimum energy over all 2^n states by Gray code with flip deltas, and the
 * state that attains it (first one found). */
static double exhaustive_min(const po_ising *m, int8_t *best) {
  const int n = m->n;
  int8_t s[20];
  if (n < 1 || n > 20) fail_msg("exhaustive_min: n = %d outside [1, 20]", n);
  for (int i = 0; i < n; i++) s[i] = -1;
  double e = po_ising_energy(m, s), emin = e;
  for (int q = 0; q < n; q++) best[q] = s[q];
  for (uint64_t k = 1; k < (1ULL << n); k++) {
    int i = __builtin_ctzll(k);
    e += po_ising_flip_delta(m, s, i);
    s[i] = (int8_t)-s[i];
    if (e < emin) {
      emin = e;
      for (int q = 0; q < n; q++) best[q] = s[q];
    }
  }
  return emin;
}

static void test_wishart_planted_ground_state(void **state) {
  (void)state;
  int nontrivial = 0;
  for (int n = 12; n <= 16; n++)
    for (int seed = 1; seed <= 3; seed++) {
      int mcols = 1 + (n * seed) / 4; /* alpha from ~0.3 to ~0.8 */
      po_ising *m;
      assert_int_equal(po_ising_generate_wishart(n, mcols, (uint64_t)seed, &m), PO_OK);
      assert_int_equal(m->storage, PO_STORAGE_DENSE);
      assert_true(m->has_ground);
      assert_non_null(m->ground_state);
      const int8_t *g = m->ground_state;
      int plus = 0;
      for (int i = 0; i < n; i++) {
        assert_true(g[i] == 1 || g[i] == -1);
        plus += g[i] == 1;
      }
      if (plus != 0 && plus != n) nontrivial++;
      double eg = po_ising_energy(m, g);
      assert_true(eg == m->ground_energy);
      assert_true(eg < 0.0);
      int8_t best[20];
      double emin = exhaustive_min(m, best);
      /* The planted state is a ground state of the stored (float) couplings. */
      assert_true(eg <= emin + 1e-9 * fabs(emin));
      /* ... and the argmin is +/- g (unique up to the global flip). */
      int same = 1, opp = 1;
      for (int i = 0; i < n; i++) {
        same &= best[i] == g[i];
        opp &= best[i] == -g[i];
      }
      assert_true(same || opp);
      /* Reproducible from the seed. */
      po_ising *m2;
      assert_int_equal(po_ising_generate_wishart(n, mcols, (uint64_t)seed, &m2), PO_OK);
      assert_true(m2->content_hash == m->content_hash);
      assert_memory_equal(m2->ground_state, g, n);
      po_ising_destroy(m2);
      po_ising_destroy(m);
    }
  assert_true(nontrivial >= 10); /* the gauge hides the planted state */
  po_ising *m;
  assert_int_equal(po_ising_generate_wishart(10, 0, 1, &m), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "M = 0"));
  assert_int_equal(po_ising_generate_wishart(1, 3, 1, &m), PO_ERR_ARG);
}

/* Same seed, 1 or 2 threads: bit-identical instances (DESIGN.md). */
static void test_generators_thread_independent(void **state) {
  (void)state;
  int saved = omp_get_max_threads();
  po_ising *a[2], *b[2];
  for (int t = 0; t < 2; t++) {
    omp_set_num_threads(t + 1);
    assert_int_equal(po_ising_generate_wishart(300, 77, 11, &a[t]), PO_OK);
    assert_int_equal(po_ising_generate_sk(300, 11, 1, &b[t]), PO_OK);
  }
  omp_set_num_threads(saved);
  assert_memory_equal(a[0]->dense, a[1]->dense, 300 * 300 * sizeof(float));
  assert_true(a[0]->ground_energy == a[1]->ground_energy);
  assert_memory_equal(b[0]->dense, b[1]->dense, 300 * 300 * sizeof(float));
  /* Local fields of a large model (the OpenMP path, n >= 4096) too. */
  po_ising *big;
  assert_int_equal(po_ising_generate_sk(4096, 3, 0, &big), PO_OK);
  int8_t *s = malloc(4096);
  double *f1 = malloc(4096 * sizeof *f1), *f2 = malloc(4096 * sizeof *f2);
  for (int i = 0; i < 4096; i++) s[i] = (int8_t)(i % 3 ? 1 : -1);
  omp_set_num_threads(1);
  po_ising_local_fields(big, s, f1);
  omp_set_num_threads(2);
  po_ising_local_fields(big, s, f2);
  omp_set_num_threads(saved);
  assert_memory_equal(f1, f2, 4096 * sizeof *f1);
  double e = 0.0;
  for (int i = 0; i < 4096; i++) e += 0.5 * s[i] * f1[i];
  assert_true(e == po_ising_energy(big, s));
  free(s);
  free(f1);
  free(f2);
  po_ising_destroy(big);
  for (int t = 0; t < 2; t++) {
    po_ising_destroy(a[t]);
    po_ising_destroy(b[t]);
  }
}

/* Degree of spin i (nonzero couplings in its row) for any storage. */
static int degree_of(const po_ising *m, int i) {
  if (m->storage == PO_STORAGE_CSR) return (int)(m->row_ptr[i + 1] - m->row_ptr[i]);
  int d = 0;
  for (int j = 0; j < m->n; j++) d += m->dense[(size_t)i * m->n + j] != 0.0f;
  return d;
}

/* Every nonzero coupling is +1 (MaxCut unit weights); returns their number. */
static long count_unit_edges(const po_ising *m) {
  long e = 0;
  for (int i = 0; i < m->n; i++)
    for (int j = i + 1; j < m->n; j++) {
      float v = po_ising_coupling(m, i, j);
      if (v != 0.0f) {
        assert_true(v == 1.0f);
        e++;
      }
    }
  return e;
}

static void test_er_graphs(void **state) {
  (void)state;
  static const struct {
    int n;
    double p;
  } cases[] = {{300, 0.5}, {500, 0.02}, {60, 0.9}, {2000, 0.003}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
    for (uint64_t seed = 1; seed <= 3; seed++) {
      po_ising *m;
      assert_int_equal(po_ising_generate_er(cases[c].n, cases[c].p, seed, NULL, &m), PO_OK);
      const double pairs = 0.5 * cases[c].n * (cases[c].n - 1.0), p = cases[c].p;
      const double sd = sqrt(pairs * p * (1 - p));
      /* binomial edge count within 5 sd (a false failure has probability ~6e-7) */
      assert_true(fabs((double)m->n_edges - pairs * p) < 5 * sd);
      assert_true(m->pm1 && m->integer_weights && !m->h);
      assert_true(m->weight_sum == (double)m->n_edges);
      /* the first half of the rows holds its share of the pairs (catches a
       * skip walk that drifts across rows) */
      const int h = cases[c].n / 2;
      long first = 0;
      for (int i = 0; i < h; i++) first += degree_of(m, i);
      /* degrees of rows < h count edges inside the half twice */
      double pairs_first = 0.5 * h * (h - 1.0) * 2 + (double)h * (cases[c].n - h);
      double sd1 = sqrt(pairs_first * p * (1 - p)) * 2;
      assert_true(fabs((double)first - pairs_first * p) < 5 * sd1);
      /* cut convention of the G-set reader: all spins equal cut nothing,
       * and cut + (weight_sum - E) / 2 */
      int8_t *s = malloc((size_t)m->n);
      for (int i = 0; i < m->n; i++) s[i] = 1;
      assert_true(po_ising_cut(m, po_ising_energy(m, s)) == 0.0);
      po_ising *again;
      assert_int_equal(po_ising_generate_er(cases[c].n, cases[c].p, seed, NULL, &again), PO_OK);
      assert_true(again->content_hash == m->content_hash);
      po_ising_destroy(again);
      assert_int_equal(po_ising_generate_er(cases[c].n, cases[c].p, seed + 100, NULL, &again),
                       PO_OK);
      assert_true(again->content_hash != m->content_hash);
      po_ising_destroy(again);
      free(s);
      po_ising_destroy(m);
    }
  po_ising *m;
  assert_int_equal(po_ising_generate_er(40, 1.0, 5, NULL, &m), PO_OK); /* complete */
  assert_int_equal(m->n_edges, 40 * 39 / 2);
  assert_int_equal(count_unit_edges(m), 40 * 39 / 2);
  assert_int_equal(m->storage, PO_STORAGE_DENSE);
  po_ising_destroy(m);
  assert_int_equal(po_problem_open("er:400:0.05:9", NULL, &m), PO_OK);
  assert_int_equal(m->storage, PO_STORAGE_CSR); /* auto storage, as files */
  assert_string_equal(m->source, "er:400:0.05:9");
  assert_int_equal(count_unit_edges(m), m->n_edges);
  po_ising_destroy(m);
  assert_int_equal(po_ising_generate_er(10, 0.0, 1, NULL, &m), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "(0, 1]"));
}

static void test_rrg_graphs(void **state) {
  (void)state;
  static const struct {
    int n, d;
  } cases[] = {{200, 3}, {100, 10}, {50, 30}, {11, 10}, {1000, 4}, {64, 63}, {10, 1}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
    for (uint64_t seed = 1; seed <= 2; seed++) {
      po_ising *m;
      assert_int_equal(po_ising_generate_rrg(cases[c].n, cases[c].d, seed, NULL, &m), PO_OK);
      assert_int_equal(m->n_edges, (long)cases[c].n * cases[c].d / 2);
      for (int i = 0; i < m->n; i++)
        if (degree_of(m, i) != cases[c].d)
          fail_msg("rrg:%d:%d:%llu: spin %d has degree %d", cases[c].n, cases[c].d,
                   (unsigned long long)seed, i, degree_of(m, i));
      assert_int_equal(count_unit_edges(m), m->n_edges);
      po_ising *again;
      assert_int_equal(po_ising_generate_rrg(cases[c].n, cases[c].d, seed, NULL, &again), PO_OK);
      assert_true(again->content_hash == m->content_hash);
      po_ising_destroy(again);
      po_ising_destroy(m);
    }
  po_ising *a, *b;
  assert_int_equal(po_ising_generate_rrg(200, 3, 1, NULL, &a), PO_OK);
  assert_int_equal(po_ising_generate_rrg(200, 3, 2, NULL, &b), PO_OK);
  assert_true(a->content_hash != b->content_hash);
  po_ising_destroy(a);
  po_ising_destroy(b);
  assert_int_equal(po_ising_generate_rrg(11, 3, 1, NULL, &a), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "even"));
  assert_int_equal(po_ising_generate_rrg(10, 10, 1, NULL, &a), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "[1, N - 1 = 9]"));
}

static void test_problem_open_specs(void **state) {
  (void)state;
  po_ising *m;
  assert_int_equal(po_problem_open("sk:20:7", NULL, &m), PO_OK);
  assert_string_equal(m->source, "sk:20:7");
  assert_false(m->pm1); /* default: gaussian */
  po_ising *g;
  assert_int_equal(po_ising_generate_sk(20, 7, 1, &g), PO_OK);
  assert_true(g->content_hash == m->content_hash);
  po_ising_destroy(g);
  po_ising_destroy(m);
  assert_int_equal(po_problem_open("sk:20:7:pm", NULL, &m), PO_OK);
  assert_true(m->pm1);
  assert_false(m->has_ground);
  po_ising_destroy(m);
  po_load_opts csr = {PO_DUP_REJECT, PO_STORAGE_CSR, NULL};
  assert_int_equal(po_problem_open("wishart:14:5:3", &csr, &m), PO_OK);
  assert_int_equal(m->storage, PO_STORAGE_CSR);
  assert_true(m->has_ground);
  assert_true(fabs(po_ising_energy(m, m->ground_state) - m->ground_energy) < 1e-9);
  assert_string_equal(m->source, "wishart:14:5:3");
  po_ising_destroy(m);

  static const struct {
    const char *spec, *msg;
  } bad[] = {
      {"sk:1:3", "N must be an integer in [2, 100000]"},
      {"sk:abc:3", "N must be an integer"},
      {"sk:100001:3", "N must be an integer"},
      {"sk:20", "expected 2 or 3 fields"},
      {"sk:20:-1", "SEED must be an integer"},
      {"sk:20:1x", "SEED must be an integer"},
      {"sk:20:99999999999999999999", "SEED must be an integer"},
      {"sk:20:1:foo", "'gauss' or 'pm'"},
      {"sk:20:1:pm:x", "expected 2 or 3 fields"},
      {"sk::1", "N must be"},
      {"wishart:10:0:1", "M must be an integer in [1, 100000]"},
      {"wishart:10:3", "expected 3 fields"},
      {"wishart:x:3:1", "N must be"},
      {"wishart:10:3:1:2", "expected 3 fields"},
      {"er:10:0:1", "P must be a number in (0, 1]"},
      {"er:10:1.5:1", "P must be a number in (0, 1]"},
      {"er:10:x:1", "P must be"},
      {"er:1:0.5:1", "N must be an integer in [2, 100000]"},
      {"er:10:0.5", "expected 3 fields after 'er'"},
      {"rrg:10:10:1", "D must be an integer in [1, N - 1 = 9]"},
      {"rrg:11:3:1", "N D must be even"},
      {"rrg:10:3:-2", "SEED must be"},
      {"rrg:10:3", "expected 3 fields after 'rrg'"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    m = (po_ising *)1;
    assert_int_equal(po_problem_open(bad[k].spec, NULL, &m), PO_ERR_ARG);
    assert_null(m);
    if (!strstr(po_last_error(), bad[k].msg) || !strstr(po_last_error(), bad[k].spec))
      fail_msg("spec '%s': message '%s' lacks '%s'", bad[k].spec, po_last_error(), bad[k].msg);
  }
  assert_int_equal(po_problem_open("/nonexistent/dir/x.txt", NULL, &m), PO_ERR_IO);
  assert_non_null(strstr(po_last_error(), "/nonexistent/dir/x.txt"));
  assert_int_equal(po_problem_open("", NULL, &m), PO_ERR_ARG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_energy_fields_deltas_vs_brute_force),
      cmocka_unit_test(test_auto_storage_threshold),
      cmocka_unit_test(test_dense_csr_copies_equal),
      cmocka_unit_test(test_content_hash_sensitivity),
      cmocka_unit_test(test_duplicates_and_bad_edges),
      cmocka_unit_test(test_cut_and_scales),
      cmocka_unit_test(test_qubo_ising_round_trip),
      cmocka_unit_test(test_sk_reproducible_and_statistics),
      cmocka_unit_test(test_wishart_planted_ground_state),
      cmocka_unit_test(test_generators_thread_independent),
      cmocka_unit_test(test_er_graphs),
      cmocka_unit_test(test_rrg_graphs),
      cmocka_unit_test(test_problem_open_specs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
