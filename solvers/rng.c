/* Random streams: xoshiro256** seeded by splitmix64 (Blackman & Vigna 2021),
 * Lemire's unbiased bounded integers (ACM TOMS 2019), polar Box-Muller
 * normals, and Poisson variates (inversion below mean 10, Hormann's PTRS,
 * Insurance: Math. Econ. 12, 39, 1993, above). */
#include <math.h>
#include <string.h>
#include "physopt/rng.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t po_hash2(uint64_t x, uint64_t y) {
  uint64_t s = x ^ 0x6a09e667f3bcc909ULL;
  uint64_t a = splitmix64(&s);
  s = a ^ (y + 0xbb67ae8584caa73bULL);
  return splitmix64(&s);
}

uint64_t po_hash_bytes(const void *data, unsigned long len, uint64_t h) {
  const unsigned char *p = data;
  if (h == 0) h = 0xcbf29ce484222325ULL;
  for (unsigned long i = 0; i < len; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

void po_rng_init(po_rng *r, uint64_t seed, uint64_t a, uint64_t b) {
  uint64_t x = po_hash2(po_hash2(seed, a), b);
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
  r->has_spare = 0;
  r->spare = 0.0;
}

uint64_t po_rng_below(po_rng *r, uint64_t n) {
  if (n == 0) return 0;
  unsigned __int128 m = (unsigned __int128)po_rng_u64(r) * n;
  uint64_t l = (uint64_t)m;
  if (l < n) {
    uint64_t t = -n % n;
    while (l < t) {
      m = (unsigned __int128)po_rng_u64(r) * n;
      l = (uint64_t)m;
    }
  }
  return (uint64_t)(m >> 64);
}

/* Two independent N(0,1) values by the polar Box-Muller method. */
static void polar_pair(po_rng *r, double *a, double *b) {
  double u, v, q;
  do {
    u = 2.0 * po_rng_uniform(r) - 1.0;
    v = 2.0 * po_rng_uniform(r) - 1.0;
    q = u * u + v * v;
  } while (q >= 1.0 || q == 0.0);
  double f = sqrt(-2.0 * log(q) / q);
  *a = u * f;
  *b = v * f;
}

double po_rng_normal(po_rng *r) {
  if (r->has_spare) {
    r->has_spare = 0;
    return r->spare;
  }
  double a, b;
  polar_pair(r, &a, &b);
  r->spare = b;
  r->has_spare = 1;
  return a;
}

void po_rng_normal_fill(po_rng *r, float *x, long n) {
  long i = 0;
  for (; i + 1 < n; i += 2) {
    double a, b;
    polar_pair(r, &a, &b);
    x[i] = (float)a;
    x[i + 1] = (float)b;
  }
  if (i < n) x[i] = (float)po_rng_normal(r);
}

/* ---- batched Box-Muller (po_rng_normal_fill_bm) --------------------------
 * One 64-bit draw per pair: the high 32 bits give u1 = k 2^-32 + 2^-33 in
 * (0, 1] (rounded to float), the low 32 bits the angle.  Radius
 * sqrt(-2 ln u1) and the angle's sine and cosine are computed in float by
 * the branch-free polynomials below on blocks of pairs, so the compiler
 * vectorises them (no libm call in the loop).  Truncation errors: ln by the
 * atanh series to f^9 on [sqrt(1/2), sqrt(2)), < 3e-9 relative; sin and cos
 * of the half angle a in (-pi/2, pi/2) by Taylor series to a^11 / a^12,
 * < 6e-8 absolute; both at or below float rounding (6e-8 relative), which
 * is the precision of the result.  The largest |z| is
 * sqrt(-2 ln 2^-33) = 6.76, so the tail beyond 6.76 sigma (probability
 * 1.4e-11) is cut.  The Makefile compiles this file with -fno-math-errno
 * (sqrt of a non-negative number never sets errno; with errno semantics GCC
 * keeps sqrt a library call and does not vectorise). */
#define PO_BM_BLOCK 64

static inline float bm_log(float u) {
  uint32_t b;
  memcpy(&b, &u, sizeof b);
  /* mantissa m in [1, 2); above sqrt(2) (float 0x3fb504f3, compared as bits:
   * both positive) it is halved exactly by lowering its exponent and e
   * raised by 1.  Integer selects rather than float ones, so that GCC also
   * if-converts and vectorises this with baseline SSE2 (same values: the
   * halving and e + 1 are exact). */
  uint32_t mb = (b & 0x007fffffu) | 0x3f800000u;
  const uint32_t big = mb > 0x3fb504f3u;
  mb -= big << 23;
  const float e = (float)((int32_t)(b >> 23) - 127 + (int32_t)big);
  float m;
  memcpy(&m, &mb, sizeof m);
  const float f = (m - 1.0f) / (m + 1.0f), f2 = f * f;
  float s = 1.0f / 9;
  s = 1.0f / 7 + f2 * s;
  s = 1.0f / 5 + f2 * s;
  s = 1.0f / 3 + f2 * s;
  s = 1.0f + f2 * s;
  return e * 0.693147181f + 2.0f * f * s;
}

/* One pair from one 64-bit word: *zc = r cos(2a), *zs = r sin(2a).  The
 * single definition of the transform, inlined into both loops below so
 * that po_rng_normal_fill_bm and po_rng_normal_fill_bm_lanes give the same
 * bits (no FMA contraction: -ffp-contract=off in the Makefile). */
static inline void bm_pair(uint64_t w, float *zc, float *zs) {
  const float u1 = (float)(uint32_t)(w >> 32) * 0x1.0p-32f + 0x1.0p-33f;
  const float t = ((float)((uint32_t)w >> 9) + 0.5f) * 0x1.0p-23f - 0.5f;
  const float r = sqrtf(-2.0f * bm_log(u1));
  const float a = 3.14159265f * t, a2 = a * a; /* half angle */
  float sa = -1.0f / 39916800, ca = 1.0f / 479001600;
  sa = 1.0f / 362880 + a2 * sa;
  sa = -1.0f / 5040 + a2 * sa;
  sa = 1.0f / 120 + a2 * sa;
  sa = -1.0f / 6 + a2 * sa;
  sa = a * (1.0f + a2 * sa);
  ca = -1.0f / 3628800 + a2 * ca;
  ca = 1.0f / 40320 + a2 * ca;
  ca = -1.0f / 720 + a2 * ca;
  ca = 1.0f / 24 + a2 * ca;
  ca = -0.5f + a2 * ca;
  ca = 1.0f + a2 * ca;
  *zc = r * ((ca - sa) * (ca + sa)); /* r cos(2a) */
  *zs = r * (2.0f * sa * ca);        /* r sin(2a) */
}

/* z[2j], z[2j+1] for j < np from the words w[j]. */
static void bm_pairs(const uint64_t *w, float *z, int np) {
#pragma omp simd
  for (int j = 0; j < np; j++) {
    float zc, zs;
    bm_pair(w[j], &zc, &zs);
    z[2 * j] = zc;
    z[2 * j + 1] = zs;
  }
}

void po_rng_normal_fill_bm(po_rng *r, float *x, long n) {
  uint64_t w[PO_BM_BLOCK];
  float z[2 * PO_BM_BLOCK];
  for (long i = 0; i < n; i += 2 * PO_BM_BLOCK) {
    const long left = n - i;
    const int np = left >= 2 * PO_BM_BLOCK ? PO_BM_BLOCK : (int)((left + 1) / 2);
    for (int j = 0; j < np; j++) w[j] = po_rng_u64(r);
    if (left >= 2 * PO_BM_BLOCK) {
      bm_pairs(w, x + i, np);
    } else {
      bm_pairs(w, z, np);
      memcpy(x + i, z, (size_t)left * sizeof *x);
    }
  }
}

/* ---- many streams in lockstep (po_rng_normal_fill_bm_lanes) -------------
 * The states of up to PO_BM_LANES streams are copied into one array per
 * state word (structure of arrays), so that one xoshiro256** step of all of
 * them is a loop over lanes that the compiler vectorises like the
 * Box-Muller arithmetic after it (shifts, rotations, xors and the
 * multiplications by 5 and 9, which need no 64-bit vector multiply).  Each
 * lane still draws its own stream's words in its own order, one word per
 * pair of rows, so the values are those of po_rng_normal_fill_bm on that
 * stream, only written as a column of x. */
#define PO_BM_LANES 32

/* Portable x86-64 builds (NATIVE=0, make install) also carry AVX2 and
 * AVX-512 versions of this loop, picked at load time by the CPU (GCC
 * function multiversioning): 4 floats per vector -> 8 or 16.  Same values
 * in every version (no FMA contraction, IEEE division and square root). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__AVX2__) &&       \
    !defined(PO_SANITIZE)
#define PO_BM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define PO_BM_CLONES
#endif

PO_BM_CLONES static void fill_bm_lanes(po_rng *r, int lanes, float *x, long n, long ld,
                                       float scale) {
  float spare[PO_BM_LANES]; /* the sine of the last pair of an odd n, discarded */
  for (int q0 = 0; q0 < lanes; q0 += PO_BM_LANES) {
    const int L = lanes - q0 < PO_BM_LANES ? lanes - q0 : PO_BM_LANES;
    uint64_t s0[PO_BM_LANES], s1[PO_BM_LANES], s2[PO_BM_LANES], s3[PO_BM_LANES];
    for (int q = 0; q < L; q++) {
      s0[q] = r[q0 + q].s[0];
      s1[q] = r[q0 + q].s[1];
      s2[q] = r[q0 + q].s[2];
      s3[q] = r[q0 + q].s[3];
    }
    for (long i = 0; i < n; i += 2) {
      float *restrict xc = x + i * ld + q0;
      float *restrict xs = i + 1 < n ? x + (i + 1) * ld + q0 : spare;
#pragma omp simd
      for (int q = 0; q < L; q++) {
        const uint64_t w = po_rng_rotl(s1[q] * 5, 7) * 9, t = s1[q] << 17;
        s2[q] ^= s0[q];
        s3[q] ^= s1[q];
        s1[q] ^= s2[q];
        s0[q] ^= s3[q];
        s2[q] ^= t;
        s3[q] = po_rng_rotl(s3[q], 45);
        float zc, zs;
        bm_pair(w, &zc, &zs);
        xc[q] = scale * zc;
        xs[q] = scale * zs;
      }
    }
    for (int q = 0; q < L; q++) {
      r[q0 + q].s[0] = s0[q];
      r[q0 + q].s[1] = s1[q];
      r[q0 + q].s[2] = s2[q];
      r[q0 + q].s[3] = s3[q];
    }
  }
}

/* The public name without the clones' resolver symbol (not exported). */
void po_rng_normal_fill_bm_lanes(po_rng *r, int lanes, float *x, long n, long ld, float scale) {
  fill_bm_lanes(r, lanes, x, n, ld, scale);
}

static long poisson_inversion(po_rng *r, double mean) {
  double p = exp(-mean), s = p, u = po_rng_uniform(r);
  long k = 0;
  while (u > s) {
    k++;
    p *= mean / (double)k;
    s += p;
    if (p < 1e-300 && k > mean) break;
  }
  return k;
}

/* PTRS: transformed rejection with squeeze, valid for mean >= 10. */
static long poisson_ptrs(po_rng *r, double mean) {
  const double slam = sqrt(mean), loglam = log(mean);
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    double u = po_rng_uniform(r) - 0.5, v = po_rng_uniform(r);
    double us = 0.5 - fabs(u);
    long k = (long)floor((2 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (log(v) + log(invalpha) - log(a / (us * us) + b) <=
        -mean + (double)k * loglam - lgamma((double)k + 1))
      return k;
  }
}

long po_rng_poisson(po_rng *r, double mean) {
  if (!(mean > 0.0)) return 0;
  return mean < 10.0 ? poisson_inversion(r, mean) : poisson_ptrs(r, mean);
}
