/* Multispin-coded Metropolis SA for +/-1 couplings without fields, in the
 * manner of S. V. Isakov, I. N. Zintchenko, T. F. Ronnow and M. Troyer,
 * "Optimised simulated annealing for Ising spin glasses", Comput. Phys.
 * Commun. 192, 265 (2015): 64 replicas ("lanes") share one uint64 word per
 * spin, bit l of X[i] is replica l's spin i (bit 1 <=> s_i = -1).
 *
 * Bond (i,j) is unsatisfied (contributes +1 to E) when J_ij s_i s_j = +1:
 * u_ij = x_i ^ x_j ^ a_ij with a_ij = all-ones if J_ij = +1, else 0.  With d_i
 * neighbours of which U_i are unsatisfied, s_i f_i = 2 U_i - d_i and a flip
 * changes E by dE = 2 k, k = d_i - 2 U_i.  Per spin and word the kernel
 *   1. counts U_i for all 64 lanes at once with a bit-sliced counter
 *      (carry-save adders over blocks of 8 bonds, Harley-Seal style);
 *   2. accepts lanes with k <= 0 (U_i >= ceil(d_i/2)) outright;
 *   3. accepts an uphill lane with probability exp(-2 beta k) = q^k,
 *      q = exp(-2 beta), as "k independent Bernoulli(q) events all succeed":
 *      the product mask P is built level by level (k = k0, k0+2, ..., the
 *      parity of d_i), multiplying in one Bernoulli(q^k0) mask and then one
 *      Bernoulli(q^2) mask per level, and stops as soon as no lane still
 *      waiting has survived.
 * Bernoulli(p) masks are independent per lane: lane l compares its own
 * 32-bit uniform integer r_l (bit b of r_l = bit l of the b-th random word,
 * most significant first) with t = floor(p 2^32), and accepts iff r_l < t;
 * random words are drawn only while some lane of interest is undecided
 * (about 7-8 words for 64 lanes, fewer when few lanes need a decision).
 * Acceptance probabilities are therefore exact Metropolis up to quantisation
 * of q and q^2 to multiples of 2^-32 (rounded down; an uphill move with
 * probability below 2^-32 per step is never accepted).
 *
 * The lowest-energy state of every lane is tracked from exact per-lane
 * energies (bit-sliced count of unsatisfied edges) evaluated after every
 * sweep in the last quarter of the anneal, after every 16th sweep before
 * that, and after the final sweep; the rest of the time the energies are not
 * needed and evaluating them would cost about half a sweep.
 *
 * Each 64-lane word has its own stream (seed, po_hash2(run_id, 'MSPN'), w);
 * replicas are rounded up to a multiple of 64 and the extra lanes are
 * discarded; words are distributed over threads, so results do not depend
 * on the number of threads. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "backends/cpu/cpu_anneal.h"
#include "physopt/error.h"
#include "physopt/rng.h"

#define MAXB 24                   /* counter planes: degrees up to 2^24 - 1 */
#define ETAG UINT64_C(0x4d53504e) /* 'MSPN' */

#define CSA(h, l, a, b, c)                                                                         \
  do {                                                                                             \
    const uint64_t u_ = (a) ^ (b);                                                                 \
    const uint64_t c_ = (c);                                                                       \
    h = ((a) & (b)) | (u_ & c_);                                                                   \
    l = u_ ^ c_;                                                                                   \
  } while (0)

typedef struct msmodel {
  int n;
  long m;       /* edges i < j */
  int B;        /* counter planes for the largest degree (>= 3) */
  int EB;       /* counter planes for the number of edges */
  int64_t *off; /* n + 1 */
  uint32_t *nb; /* neighbour j << 1 | (J_ij > 0) */
  uint32_t *ei; /* edges i < j: i */
  uint32_t *ej; /* j << 1 | (J_ij > 0) */
  double offset;
} msmodel;

static void msmodel_free(msmodel *mm) {
  free(mm->off);
  free(mm->nb);
  free(mm->ei);
  free(mm->ej);
}

static int bits_for(uint64_t v) {
  int b = 0;
  while (v) {
    b++;
    v >>= 1;
  }
  return b;
}

static int msmodel_build(const po_ising *m, msmodel *mm) {
  memset(mm, 0, sizeof *mm);
  const int n = m->n;
  if ((uint64_t)n >= (UINT64_C(1) << 31))
    return po_error(PO_ERR_ARG, "multispin: n = %d is too large", n);
  mm->n = n;
  mm->offset = m->offset;
  mm->off = malloc((size_t)(n + 1) * sizeof *mm->off);
  if (!mm->off) return po_error(PO_ERR_NOMEM, "multispin: out of memory");
  mm->off[0] = 0;
  for (int i = 0; i < n; i++) {
    int64_t d = 0;
    if (m->storage == PO_STORAGE_DENSE) {
      for (int j = 0; j < n; j++) d += m->dense[(size_t)i * n + j] != 0.0f;
    } else {
      for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++) d += m->val[k] != 0.0f;
    }
    mm->off[i + 1] = mm->off[i] + d;
  }
  const int64_t nnz = mm->off[n];
  mm->m = (long)(nnz / 2);
  mm->nb = malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof *mm->nb);
  mm->ei = malloc((size_t)(mm->m > 0 ? mm->m : 1) * sizeof *mm->ei);
  mm->ej = malloc((size_t)(mm->m > 0 ? mm->m : 1) * sizeof *mm->ej);
  if (!mm->nb || !mm->ei || !mm->ej) {
    msmodel_free(mm);
    return po_error(PO_ERR_NOMEM, "multispin: out of memory for %lld bonds", (long long)nnz);
  }
  int64_t dmax = 0, e = 0;
  long q = 0;
  for (int i = 0; i < n; i++) {
    if (mm->off[i + 1] - mm->off[i] > dmax) dmax = mm->off[i + 1] - mm->off[i];
    if (m->storage == PO_STORAGE_DENSE) {
      for (int j = 0; j < n; j++) {
        float v = m->dense[(size_t)i * n + j];
        if (v == 0.0f) continue;
        uint32_t c = ((uint32_t)j << 1) | (v > 0.0f);
        mm->nb[e++] = c;
        if (j > i && q < mm->m) {
          mm->ei[q] = (uint32_t)i;
          mm->ej[q++] = c;
        }
      }
    } else {
      for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++) {
        float v = m->val[k];
        if (v == 0.0f) continue;
        uint32_t c = ((uint32_t)m->col[k] << 1) | (v > 0.0f);
        mm->nb[e++] = c;
        if (m->col[k] > i && q < mm->m) {
          mm->ei[q] = (uint32_t)i;
          mm->ej[q++] = c;
        }
      }
    }
  }
  mm->m = q;
  mm->B = bits_for((uint64_t)dmax);
  if (mm->B < 3) mm->B = 3;
  mm->EB = bits_for((uint64_t)mm->m);
  if (mm->EB < 3) mm->EB = 3;
  if (mm->B > MAXB || mm->EB > 40) {
    msmodel_free(mm);
    return po_error(PO_ERR_ARG, "multispin: degree %lld or %ld edges too large", (long long)dmax,
                    mm->m);
  }
  return PO_OK;
}

/* Adds the one-bit-per-lane word x at plane p of a bit-sliced counter. */
static inline void add_at(uint64_t *c, int p, int B, uint64_t x) {
  for (int b = p; b < B; b++) {
    const uint64_t t = c[b] & x;
    c[b] ^= x;
    x = t;
  }
}

static inline uint64_t bond(const uint64_t *X, uint64_t xi, uint32_t c) {
  return xi ^ X[c >> 1] ^ (UINT64_C(0) - (c & 1u));
}

/* c[0..B) = number of unsatisfied bonds of spin i, per lane. */
static inline void count_unsat(const uint64_t *restrict X, uint64_t xi, const uint32_t *restrict nb,
                               int64_t d, uint64_t *restrict c, int B) {
  uint64_t ones = 0, twos = 0, fours = 0;
  for (int b = 3; b < B; b++) c[b] = 0;
  int64_t e = 0;
  for (; e + 8 <= d; e += 8) {
    uint64_t tA, tB, fA, fB, eA;
    CSA(tA, ones, ones, bond(X, xi, nb[e]), bond(X, xi, nb[e + 1]));
    CSA(tB, ones, ones, bond(X, xi, nb[e + 2]), bond(X, xi, nb[e + 3]));
    CSA(fA, twos, twos, tA, tB);
    CSA(tA, ones, ones, bond(X, xi, nb[e + 4]), bond(X, xi, nb[e + 5]));
    CSA(tB, ones, ones, bond(X, xi, nb[e + 6]), bond(X, xi, nb[e + 7]));
    CSA(fB, twos, twos, tA, tB);
    CSA(eA, fours, fours, fA, fB);
    add_at(c, 3, B, eA);
  }
  for (; e + 2 <= d; e += 2) {
    uint64_t tA, fA;
    CSA(tA, ones, ones, bond(X, xi, nb[e]), bond(X, xi, nb[e + 1]));
    fA = twos & tA;
    twos ^= tA;
    const uint64_t eA = fours & fA;
    fours ^= fA;
    add_at(c, 3, B, eA);
  }
  if (e < d) {
    const uint64_t u = bond(X, xi, nb[e]);
    const uint64_t t = ones & u;
    ones ^= u;
    const uint64_t t2 = twos & t;
    twos ^= t;
    const uint64_t t3 = fours & t2;
    fours ^= t2;
    add_at(c, 3, B, t3);
  }
  c[0] = ones;
  c[1] = twos;
  c[2] = fours;
}

/* Lanes whose counter is >= v. */
static inline uint64_t ge_const(const uint64_t *c, int B, uint64_t v) {
  uint64_t gt = 0, eq = ~UINT64_C(0);
  for (int b = B - 1; b >= 0; b--) {
    if ((v >> b) & 1)
      eq &= c[b];
    else {
      gt |= eq & c[b];
      eq &= ~c[b];
    }
  }
  return gt | eq;
}

/* Lanes whose counter equals v. */
static inline uint64_t eq_const(const uint64_t *c, int B, uint64_t v) {
  uint64_t eq = ~UINT64_C(0);
  for (int b = 0; b < B; b++) eq &= ((v >> b) & 1) ? c[b] : ~c[b];
  return eq;
}

/* Bernoulli(t / 2^32) independently for each lane in `want` (others 0). */
static inline uint64_t bern(po_rng *r, uint64_t t, uint64_t want, long *words) {
  if (t >> 32) return want;
  if (t == 0) return 0;
  uint64_t lt = 0, und = want;
  for (int b = 31; b >= 0 && und; b--) {
    const uint64_t R = po_rng_u64(r);
    ++*words;
    if ((t >> b) & 1) {
      lt |= und & ~R;
      und &= R;
    } else {
      und &= ~R;
    }
  }
  return lt;
}

static uint64_t thr32(double p) {
  if (p >= 1.0) return UINT64_C(1) << 32;
  if (!(p > 0.0)) return 0;
  return (uint64_t)(p * 0x1.0p32);
}

typedef struct msword {
  po_rng rng;
  double accepted, rwords;
} msword;

/* One sweep of one word: t1 = threshold of q = exp(-2 beta), t2 of q^2.
 * noinline: inlined into the sweep loop it ran 5-10% slower (gcc 12, -O3). */
static __attribute__((noinline)) void ms_sweep(const msmodel *mm, uint64_t *restrict X, msword *ws,
                                               uint64_t t1, uint64_t t2, uint64_t valid) {
  const int n = mm->n, B = mm->B;
  uint64_t c[MAXB];
  long acc_count = 0, words = 0;
  po_rng rng = ws->rng; /* local copy: stays in registers (X may alias it) */
  for (int i = 0; i < n; i++) {
    const int64_t a = mm->off[i], d = mm->off[i + 1] - a;
    const uint64_t xi = X[i];
    count_unsat(X, xi, mm->nb + a, d, c, B);
    const uint64_t h = (uint64_t)(d + 1) / 2; /* k <= 0  <=>  U >= ceil(d/2) */
    uint64_t acc = ge_const(c, B, h);
    uint64_t pending = ~acc;
    if (pending && h > 0) {
      /* first uphill level U = h - 1 has k = 1 (d odd) or 2 (d even) */
      uint64_t P = bern(&rng, (d & 1) ? t1 : t2, pending, &words);
      uint64_t lev = h - 1;
      while (P) {
        const uint64_t lvl = eq_const(c, B, lev) & pending;
        acc |= lvl & P;
        pending &= ~lvl;
        P &= pending;
        if (!P || lev == 0) break;
        P = bern(&rng, t2, P, &words);
        lev--;
      }
    }
    X[i] = xi ^ acc;
    acc_count += __builtin_popcountll(acc & valid);
  }
  ws->rng = rng;
  ws->accepted += (double)acc_count;
  ws->rwords += (double)words;
}

/* Per-lane energies of the 64 lanes of X (exact integers). */
static void ms_energies(const msmodel *mm, const uint64_t *restrict X, int64_t *E) {
  uint64_t V[48] = {0};
  const int EB = mm->EB;
  uint64_t ones = 0, twos = 0, fours = 0;
  long q = 0;
#define EB_(k)                                                                                     \
  (X[mm->ei[q + (k)]] ^ X[mm->ej[q + (k)] >> 1] ^ (UINT64_C(0) - (mm->ej[q + (k)] & 1u)))
  for (; q + 8 <= mm->m; q += 8) {
    uint64_t tA, tB, fA, fB, eA;
    CSA(tA, ones, ones, EB_(0), EB_(1));
    CSA(tB, ones, ones, EB_(2), EB_(3));
    CSA(fA, twos, twos, tA, tB);
    CSA(tA, ones, ones, EB_(4), EB_(5));
    CSA(tB, ones, ones, EB_(6), EB_(7));
    CSA(fB, twos, twos, tA, tB);
    CSA(eA, fours, fours, fA, fB);
    add_at(V, 3, EB, eA);
  }
  V[0] = ones;
  V[1] = twos;
  V[2] = fours;
  for (; q < mm->m; q++) add_at(V, 0, EB, EB_(0));
#undef EB_
  for (int l = 0; l < 64; l++) {
    int64_t u = 0;
    for (int b = 0; b < EB; b++) u |= (int64_t)((V[b] >> l) & 1) << b;
    E[l] = 2 * u - mm->m;
  }
}

static void ms_track(const msmodel *mm, const uint64_t *X, uint64_t *BX, int64_t *Ebest) {
  int64_t E[64];
  ms_energies(mm, X, E);
  uint64_t better = 0;
  for (int l = 0; l < 64; l++)
    if (E[l] < Ebest[l]) {
      Ebest[l] = E[l];
      better |= UINT64_C(1) << l;
    }
  if (!better) return;
  for (int i = 0; i < mm->n; i++) BX[i] = (BX[i] & ~better) | (X[i] & better);
}

/* Working arrays of one call: the words of current and best states, best
 * energies per lane and per-word streams. */
typedef struct msbufs {
  uint64_t *X, *BX; /* W x n words, bit l of word (w, i) = spin i of replica 64 w + l */
  int64_t *Ebest;   /* W x 64 */
  msword *ws;       /* W */
} msbufs;

static void msbufs_free(msbufs *b) {
  free(b->X);
  free(b->BX);
  free(b->Ebest);
  free(b->ws);
}

static int msbufs_alloc(msbufs *b, int W, int n, int R) {
  b->X = malloc((size_t)W * n * sizeof *b->X);
  b->BX = malloc((size_t)W * n * sizeof *b->BX);
  b->Ebest = malloc((size_t)W * 64 * sizeof *b->Ebest);
  b->ws = calloc((size_t)W, sizeof *b->ws);
  if (!b->X || !b->BX || !b->Ebest || !b->ws) {
    msbufs_free(b);
    return po_error(PO_ERR_NOMEM, "multispin: out of memory for %d replicas of %d spins", R, n);
  }
  return PO_OK;
}

/* Random start of word w from its own stream; it is also the best state so far. */
static void ms_word_start(const msmodel *mm, msbufs *b, int w, uint64_t seed, uint64_t stream_run) {
  const int n = mm->n;
  po_rng_init(&b->ws[w].rng, seed, stream_run, (uint64_t)w);
  for (int i = 0; i < n; i++) b->X[(size_t)w * n + i] = po_rng_u64(&b->ws[w].rng);
  memcpy(b->BX + (size_t)w * n, b->X + (size_t)w * n, (size_t)n * sizeof *b->X);
  ms_energies(mm, b->X + (size_t)w * n, b->Ebest + (size_t)w * 64);
}

/* Runs the K sweeps of word w; the best state is checked every 16 sweeps and
 * on every sweep of the last quarter (unless the final state is wanted). */
static void ms_anneal_word(const msmodel *mm, msbufs *b, const po_cpu_betas *betas, int w, int R,
                           long K, int final_state, po_progress_fn progress, void *progress_ctx,
                           long *done) {
  const int n = mm->n, W = (R + 63) / 64;
  const long pstep = K / 32 > 0 ? K / 32 : 1; /* progress every pstep sweeps of a word */
  const long late = K - K / 4;                /* sweeps k >= late are all checked */
  const int lanes = R - 64 * w < 64 ? R - 64 * w : 64;
  const uint64_t valid = lanes == 64 ? ~UINT64_C(0) : (UINT64_C(1) << lanes) - 1;
  uint64_t *Xw = b->X + (size_t)w * n;
  for (long k = 0; k < K; k++) {
    /* Thresholds per sweep (a pow and two exp beside n word updates). */
    const double beta = po_cpu_beta_at(betas, k);
    ms_sweep(mm, Xw, &b->ws[w], thr32(exp(-2.0 * beta)), thr32(exp(-4.0 * beta)), valid);
    if (!final_state && (k >= late || (k + 1) % 16 == 0 || k == K - 1))
      ms_track(mm, Xw, b->BX + (size_t)w * n, b->Ebest + (size_t)w * 64);
    if ((k + 1) % pstep == 0) {
      long d;
#pragma omp atomic capture
      d = *done += pstep;
      if (progress && omp_get_thread_num() == 0)
        progress(progress_ctx, (double)d / ((double)K * W));
    }
    if (po_stop_requested()) break; /* the run fails with PO_ERR_INTERRUPTED */
  }
}

/* Lane l of word r / 64 becomes replica r: bit 1 is spin -1. */
static void ms_unpack(const msbufs *b, int n, int R, int final_state, int8_t *spins) {
  for (int r = 0; r < R; r++) {
    const uint64_t *Bw = (final_state ? b->X : b->BX) + (size_t)(r / 64) * n;
    const int l = r % 64;
    int8_t *s = spins + (size_t)r * n;
    for (int i = 0; i < n; i++) s[i] = ((Bw[i] >> l) & 1) ? -1 : 1;
  }
}

static void ms_count(const msmodel *mm, const msbufs *b, int R, long K, int nt,
                     po_cpu_counts *counts) {
  const int n = mm->n, W = (R + 63) / 64;
  double rwords = 0.0;
  for (int w = 0; w < W; w++) {
    counts->accepted += b->ws[w].accepted;
    rwords += b->ws[w].rwords;
  }
  /* Word operations: per spin and word about 7 per bond (3 for the bond, 5
   * per carry-save adder over two bonds, ripple), 4 B for the comparisons and
   * 10 for loop and flip; 12 per random word (xoshiro256** and the mask). */
  const double per_sweep = 7.0 * 2.0 * (double)mm->m + (4.0 * mm->B + 10.0) * n;
  counts->word_ops = per_sweep * (double)K * W + 12.0 * rwords;
  /* Attempts count the caller's replicas only (like accepted flips, which
   * mask the idle lanes); the idle lanes' cost is in the word operations. */
  counts->attempts = (double)R * (double)n * (double)K;
  counts->threads_used = nt < W ? nt : W;
}

int po_cpu_multispin_sa(const po_ising *m, const po_cpu_betas *betas, long K, int R, uint64_t seed,
                        uint64_t run_id, int threads, po_progress_fn progress, void *progress_ctx,
                        int final_state, int8_t *spins, po_cpu_counts *counts) {
  if (!m->pm1) return po_error(PO_ERR_ARG, "multispin kernel needs +/-1 couplings without fields");
  msmodel mm;
  int rc = msmodel_build(m, &mm);
  if (rc) return rc;
  const int n = mm.n, W = (R + 63) / 64;
  msbufs b = {0};
  if ((rc = msbufs_alloc(&b, W, n, R)) != PO_OK) {
    msmodel_free(&mm);
    return rc;
  }
  const uint64_t stream_run = po_hash2(run_id, ETAG);
  long done = 0;
  const int nt = threads > 0 ? threads : 1;

#pragma omp parallel num_threads(nt)
  {
#pragma omp for schedule(static)
    for (int w = 0; w < W; w++) ms_word_start(&mm, &b, w, seed, stream_run);
#pragma omp for schedule(dynamic, 1)
    for (int w = 0; w < W; w++)
      ms_anneal_word(&mm, &b, betas, w, R, K, final_state, progress, progress_ctx, &done);
  }
  if (progress) progress(progress_ctx, 1.0);
  ms_unpack(&b, n, R, final_state, spins);
  ms_count(&mm, &b, R, K, nt, counts);
  msbufs_free(&b);
  msmodel_free(&mm);
  return PO_OK;
}
