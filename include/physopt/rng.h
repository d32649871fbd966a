/* Counter-derived random streams.
 *
 * Reproducibility rule (DESIGN.md): every stream is derived from
 * (seed, run, replica) -- never from a thread or rank id -- so results are
 * bit-identical for any number of threads or MPI ranks.  The generator is
 * xoshiro256** (Blackman & Vigna, ACM TOMS 47, 36, 2021) seeded through
 * splitmix64 from a hash of the three stream coordinates. */
#ifndef PHYSOPT_RNG_H
#define PHYSOPT_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared in include/physopt/ is exported from libphysopt.so,
 * nothing else is (-fvisibility=hidden; docs/design-notes.md). */
#pragma GCC visibility push(default)

typedef struct po_rng {
  uint64_t s[4];
  int has_spare; /* Box-Muller second value cached */
  double spare;
} po_rng;

/* Stream key `a` reserved for problem generators, so that an instance drawn
 * with seed X never shares a stream with replica b of run 0 annealed with
 * the same seed X (which would start that replica on the planted state). */
#define PO_STREAM_GENERATOR UINT64_C(0x67656e657261746f)

/* Stream for (seed, a, b); by convention a = run id, b = replica index. */
void po_rng_init(po_rng *r, uint64_t seed, uint64_t a, uint64_t b);

/* A well-mixed 64-bit hash of (x, y), used to derive seeds from ids. */
uint64_t po_hash2(uint64_t x, uint64_t y);
/* 64-bit FNV-1a hash of bytes, for content hashes and run ids. */
uint64_t po_hash_bytes(const void *data, unsigned long len, uint64_t h);

static inline uint64_t po_rng_rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

static inline uint64_t po_rng_u64(po_rng *r) {
  uint64_t *s = r->s;
  const uint64_t result = po_rng_rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = po_rng_rotl(s[3], 45);
  return result;
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double po_rng_uniform(po_rng *r) {
  return (double)(po_rng_u64(r) >> 11) * 0x1.0p-53;
}

/* Uniform float in [0, 1) with 24 random bits. */
static inline float po_rng_uniformf(po_rng *r) {
  return (float)(po_rng_u64(r) >> 40) * 0x1.0p-24f;
}

/* Uniform integer in [0, n) without modulo bias (Lemire's method). */
uint64_t po_rng_below(po_rng *r, uint64_t n);

/* Standard normal N(0, 1) (polar Box-Muller, caches the second value). */
double po_rng_normal(po_rng *r);

/* Fills x[0..n) with independent N(0, 1) floats; fast path for SDE noise. */
void po_rng_normal_fill(po_rng *r, float *x, long n);

/* Fills x[0..n) with independent N(0, 1) floats by Box-Muller on blocks of
 * pairs (one 64-bit draw per pair, vectorised polynomial log, sin, cos;
 * accuracy and the 6.75-sigma tail cut in solvers/rng.c), several times
 * faster than po_rng_normal_fill.  A different sequence from
 * po_rng_normal_fill for the same stream (that one is kept so that results
 * published with it stay reproducible).  Depends only on the stream and n:
 * an odd n discards the second value of the last pair. */
void po_rng_normal_fill_bm(po_rng *r, float *x, long n);

/* The streams r[0..lanes) at once, each as po_rng_normal_fill_bm would
 * draw it: x[i ld + q] = scale * (value i of po_rng_normal_fill_bm(&r[q],
 * ., n)) for i < n, q < lanes, bit for bit (so the checks of
 * tests/test_rng_normal.c hold for it), with the streams advanced in
 * lockstep by vector code -- several times faster than lanes calls of
 * po_rng_normal_fill_bm followed by a scatter into the columns. */
void po_rng_normal_fill_bm_lanes(po_rng *r, int lanes, float *x, long n, long ld, float scale);

/* Poisson(mean) variate (inversion for small means, PTRS for large). */
long po_rng_poisson(po_rng *r, double mean);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
