/* Shot-noise-limited optical matrix multiplication.
 *
 * Incoherent, intensity-encoded multiplier (T. Wang, S.-Y. Ma, L. G. Wright,
 * T. Onodera, B. C. Richard, P. L. McMahon, "An optical neural network using
 * less than 1 photon per multiplication", Nat. Commun. 13, 123 (2022)):
 *
 *   operands are scaled by their largest magnitude, a' = a / max|A| and
 *   b' = b / max|B| in [-1, 1], and quantised: weights to b_w bits (the
 *   modulator/SLM transmission), inputs to b_in bits (the DAC);
 *   a non-negative operand is written directly as a transmission/intensity
 *   a~ = a' in [0, 1]; a signed one needs an encoding:
 *
 *   differential (default): a' = a+ - a-, b' = b+ - b-.  Two detectors per
 *     output collect S+ = sum_k (a+ b+ + a- b-) and S- = sum_k (a+ b- + a- b+);
 *     since a+ a- = 0, S+ + S- = sum_k |a'||b'|: every photon carries signal
 *     and the photon cost of a multiplication is |a'||b'|, exactly as for
 *     non-negative data.  The price is a second detector and ADC per output.
 *   offset: a~ = (a' + 1)/2 in [0, 1], one detector; the known offsets
 *     (row sums of a~, column sums of b~, K) are removed digitally after
 *     detection.  Each multiplication costs ~1/4 of the full-scale photons
 *     even when a'b' = 0, so at the same photon budget the shot noise is
 *     larger (typically 2-10x more photons for the same SNR, see docs).
 *
 *   Detection: count_i ~ Poisson(lambda_i + d) + N(0, sigma_r^2),
 *   lambda_i = s S_i.  The photon budget n = photons_per_mac is defined
 *   exactly as the mean number of DETECTED signal photons per scalar
 *   multiplication over the whole product:
 *
 *       sum_ij lambda_ij = n M N K   =>   s = n M N K / sum_ij S_ij,
 *
 *   i.e. the laser power is calibrated once per product (per call).  In the
 *   issue's notation lambda = eta n_inc sum_j x~_j w~_ij with the incident
 *   budget n_inc = n / eta; eta therefore changes only the optical energy
 *   (incident photons = detected / eta), not the noise at a given n.
 *   d = dark counts per read-out (mean subtracted after detection), sigma_r
 *   the read-out noise in electrons.  The ADC has b_out bits over a full
 *   scale of headroom x the largest mean count of the product; counts are
 *   clipped to [0, full scale] and rounded to the ADC step.  The output in
 *   real units is alpha max|A| max|B| (q+ - q-)/s (differential).
 *
 * Coherent (homodyne) multiplier (R. Hamerly, L. Bernstein, A. Sludds,
 * M. Soljacic, D. Englund, "Large-scale optical neural networks based on
 * photoelectric multiplication", Phys. Rev. X 9, 021032 (2019)): operands are
 * field amplitudes (signed natively), alpha_k = g_a a'_ik and
 * beta_k = g_b b'_kj; the balanced homodyne charge integrated over k is
 *
 *     Q_ij = 2 g_a g_b sum_k a'_ik b'_kj + noise,
 *     Var Q_ij = sum_k (g_a^2 a'_ik^2 + g_b^2 b'_kj^2) + 2 sigma_r^2,
 *
 * (shot noise of all detected photons; Gaussian approximation, valid when
 * the photon numbers per output are large, n K >> 1).  The photons of one
 * multiplication are g_a^2 a'^2 + g_b^2 b'^2; g_a, g_b are set so that the
 * mean over the product is n, split equally between the two operands
 * (which maximises the SNR of a typical output).
 *
 * Sampling: Poisson variates by po_rng_poisson (inversion / PTRS); means above
 * gauss_threshold (default 1000, where the Poisson skewness 1/sqrt(lambda)
 * is < 3%) are drawn as round(lambda + sqrt(lambda) z).  With an ideal ADC
 * and both differential channels above the threshold, the difference is drawn
 * as one Gaussian of variance lambda+ + lambda- + 2 d + 2 sigma_r^2. */
#include "physics/photonic.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include "core/threads.h"
#include "solvers/sgemm.h"
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"
#include "physopt/rng.h"

void po_photonic_model_default(po_photonic_model *m) {
  m->photons_per_mac = 10.0;
  m->eta = 0.8;
  m->dark_counts = 0.0;
  m->read_noise = 0.0;
  m->bits_in = 8;
  m->bits_w = 8;
  m->bits_out = 0;
  m->adc_headroom = 1.0;
  m->encoding = PO_PH_DIFFERENTIAL;
  m->detection = PO_PH_INCOHERENT;
  m->wavelength_nm = 532.0;
  m->gauss_threshold = 1000.0;
  m->slm_t_min = 0.01;
  m->budget = PO_PH_BUDGET_BATCH;
}

int po_photonic_model_check(const po_photonic_model *m) {
  if (!(m->photons_per_mac > 0) || !isfinite(m->photons_per_mac))
    return po_error(PO_ERR_ARG, "photonic.photons_per_mac = %g must be > 0", m->photons_per_mac);
  if (!(m->eta > 0 && m->eta <= 1))
    return po_error(PO_ERR_ARG, "photonic.eta = %g is outside the accepted range (0, 1]", m->eta);
  if (!(m->dark_counts >= 0))
    return po_error(PO_ERR_ARG, "photonic.dark_counts = %g must be >= 0", m->dark_counts);
  if (!(m->read_noise >= 0))
    return po_error(PO_ERR_ARG, "photonic.read_noise = %g must be >= 0", m->read_noise);
  if (m->bits_in < 0 || m->bits_in > 24 || m->bits_w < 0 || m->bits_w > 24 || m->bits_out < 0 ||
      m->bits_out > 24)
    return po_error(PO_ERR_ARG, "photonic bits (in %d, w %d, out %d) must be in [0, 24]",
                    m->bits_in, m->bits_w, m->bits_out);
  if (!(m->adc_headroom > 0))
    return po_error(PO_ERR_ARG, "photonic.adc_headroom = %g must be > 0", m->adc_headroom);
  if (!(m->wavelength_nm > 0))
    return po_error(PO_ERR_ARG, "photonic.wavelength_nm = %g must be > 0", m->wavelength_nm);
  if (!(m->gauss_threshold >= 10))
    return po_error(PO_ERR_ARG, "photonic.gauss_threshold = %g must be >= 10", m->gauss_threshold);
  if (!(m->slm_t_min >= 0 && m->slm_t_min < 1))
    return po_error(PO_ERR_ARG, "photonic.slm_t_min = %g is outside the accepted range [0, 1)",
                    m->slm_t_min);
  if (m->budget == PO_PH_BUDGET_SAMPLE && m->detection == PO_PH_HOMODYNE)
    return po_error(PO_ERR_ARG, "photonic.budget = sample is implemented for incoherent "
                                "detection only (photonic.detection = homodyne calibrates per "
                                "product: use photonic.budget = batch)");
  return PO_OK;
}

double po_photonic_photon_energy(double wavelength_nm) {
  const double h = 6.62607015e-34, c = 299792458.0; /* SI exact */
  return h * c / (wavelength_nm * 1e-9);
}

void po_photonic_prices_compute(const po_photonic_model *m, const po_photonic_energy *e,
                                po_photonic_prices *out) {
  out->photon_j = po_photonic_photon_energy(m->wavelength_nm) / (m->eta * e->wall_plug);
  int bi = m->bits_in ? m->bits_in : 8, bw = m->bits_w ? m->bits_w : 8;
  int bo = m->bits_out ? m->bits_out : 8;
  out->dac_input_j = e->dac_fom_j * ldexp(1.0, bi);
  out->dac_weight_j = e->dac_fom_j * ldexp(1.0, bw);
  out->adc_j = e->adc_fom_j * ldexp(1.0, bo);
  out->modulator_j = e->modulator_j;
  const double coupling = e->coupling > 0 ? e->coupling : 1.0;
  out->mask_photon_j = po_photonic_photon_energy(m->wavelength_nm) / (coupling * e->wall_plug);
  out->readout_j = e->detector_j;
  out->digital_op_j = e->digital_op_j;
}

double po_photonic_stats_joules(const po_photonic_stats *st, const po_photonic_prices *p) {
  return st->detected_photons * p->photon_j + st->dac_inputs * p->dac_input_j +
         st->dac_weights * p->dac_weight_j + st->adc * p->adc_j + st->modulations * p->modulator_j;
}

double po_photonic_stats_source_joules(const po_photonic_stats *st, const po_photonic_prices *p) {
  return st->mask_photons * p->mask_photon_j + st->readouts * p->readout_j +
         st->dac_inputs * p->dac_input_j + st->dac_weights * p->dac_weight_j + st->adc * p->adc_j +
         st->modulations * p->modulator_j + st->digital_ops * p->digital_op_j;
}

void po_photonic_ws_free(po_photonic_ws *ws) {
  if (!ws) return;
  free(ws->buf);
  ws->buf = NULL;
  ws->cap = 0;
}

/* ---- operand encoding -------------------------------------------------- */

static inline float quantise(float v, float levels) {
  return levels > 0 ? nearbyintf(v * levels) / levels : v;
}

/* Largest |op(X)|, whether op(X) has a negative element, and its smallest
 * and largest element (the min-max map of the slm encoding). */
static void scan(const float *X, int ld, int rows, int cols, int trans, int par, float *amax,
                 int *neg, float *lo, float *hi) {
  float mx = 0.0f, vlo = INFINITY, vhi = -INFINITY;
  int ng = 0;
  int R = trans ? cols : rows, Cc = trans ? rows : cols; /* stored shape */
#pragma omp parallel for reduction(max                                                             \
                                   : mx, vhi) reduction(min                                        \
                                                        : vlo) reduction(|                         \
                                                                         : ng)                     \
    schedule(static) if (par)
  for (int r = 0; r < R; r++) {
    const float *x = X + (size_t)r * ld;
    for (int c = 0; c < Cc; c++) {
      float v = x[c];
      ng |= v < 0.0f;
      float a = fabsf(v);
      mx = a > mx ? a : mx;
      vlo = v < vlo ? v : vlo;
      vhi = v > vhi ? v : vhi;
    }
  }
  *amax = mx;
  *neg = ng;
  *lo = vlo;
  *hi = vhi;
}

/* Writes rows [r0, r1) of op(X) (rows x cols) as encoded values into E
 * (rows x cols, contiguous): signed quantised magnitude (differential,
 * homodyne) or, with offset, the transmission (x' + 1)/2.  A non-negative
 * operand is always written as x' (no offset needed).  If Eabs != NULL,
 * |E| is written too. */
static void encode_rows(const float *X, int ld, int cols, int trans, float scale, int bits,
                        int offset, float *E, float *Eabs, int r0, int r1) {
  const float levels = bits ? (float)((1u << bits) - 1u) : 0.0f;
  for (int r = r0; r < r1; r++) {
    float *e = E + (size_t)r * cols;
    if (trans)
      for (int c = 0; c < cols; c++) e[c] = X[(size_t)c * ld + r] * scale;
    else
      for (int c = 0; c < cols; c++) e[c] = X[(size_t)r * ld + c] * scale;
    if (offset)
      for (int c = 0; c < cols; c++) e[c] = quantise(0.5f * (e[c] + 1.0f), levels);
    else if (levels > 0)
      for (int c = 0; c < cols; c++) e[c] = copysignf(quantise(fabsf(e[c]), levels), e[c]);
    if (Eabs)
      for (int c = 0; c < cols; c++) Eabs[(size_t)r * cols + c] = fabsf(e[c]);
  }
}

/* The SLM map of Wang et al. 2022: u = (x - lo) / range in [0, 1],
 * quantised to the 2^bits - 1 grey levels, written as the transmission
 * t = t_min + (1 - t_min) u (t_min = 1 / extinction ratio: the darkest level
 * still transmits).  With lo = 0 and t_min = 0 this is the plain
 * intensity encoding of a non-negative operand. */
static void encode_rows_minmax(const float *X, int ld, int cols, int trans, float lo,
                               float inv_range, int bits, float t_min, float *E, int r0, int r1) {
  const float levels = bits ? (float)((1u << bits) - 1u) : 0.0f;
  for (int r = r0; r < r1; r++) {
    float *e = E + (size_t)r * cols;
    for (int c = 0; c < cols; c++) {
      float x = trans ? X[(size_t)c * ld + r] : X[(size_t)r * ld + c];
      float u = (x - lo) * inv_range;
      u = u < 0.0f ? 0.0f : (u > 1.0f ? 1.0f : u);
      e[c] = t_min + (1.0f - t_min) * quantise(u, levels);
    }
  }
}

/* Affine decoding x = scale x encoded + shift of one operand. */
typedef struct affine {
  double scale, shift;
} affine;

/* Range [lo, hi] of the min-max map; a constant operand is mapped over
 * [min(c, 0), max(c, 0)] so that the range is never empty. */
static void minmax_range(float lo, float hi, float *lo_out, float *range_out) {
  if (!(hi > lo)) {
    lo = lo < 0.0f ? lo : 0.0f;
    hi = hi > 0.0f ? hi : 0.0f;
  }
  *lo_out = lo;
  *range_out = hi - lo;
}

static int reserve(po_photonic_ws *ws, size_t n, float **out) {
  if (ws->cap < n) {
    float *p = realloc(ws->buf, n * sizeof(float));
    if (!p) return po_error(PO_ERR_NOMEM, "photonic matmul: out of memory (%zu floats)", n);
    ws->buf = p;
    ws->cap = n;
  }
  *out = ws->buf;
  return PO_OK;
}

/* ---- fast normal variates ------------------------------------------------
 * Ziggurat method with 128 layers (G. Marsaglia and W. W. Tsang, "The
 * ziggurat method for generating random variables", J. Stat. Softw. 5(8),
 * 2000), drawing the layer index and the value from separate bits of one
 * 64-bit output (the fix of J. A. Doornik, "An improved ziggurat method to
 * generate normal random samples", 2005).  About 4x faster than the polar
 * method; the noise tests check its moments through every Gaussian path. */
static uint32_t zig_k[128];
static double zig_w[128], zig_f[128];
static pthread_once_t zig_once = PTHREAD_ONCE_INIT;

static void zig_init(void) {
  const double m1 = 2147483648.0, vn = 9.91256303526217e-3;
  double dn = 3.442619855899, tn = dn;
  double q = vn / exp(-0.5 * dn * dn);
  zig_k[0] = (uint32_t)((dn / q) * m1);
  zig_k[1] = 0;
  zig_w[0] = q / m1;
  zig_w[127] = dn / m1;
  zig_f[0] = 1.0;
  zig_f[127] = exp(-0.5 * dn * dn);
  for (int i = 126; i >= 1; i--) {
    dn = sqrt(-2.0 * log(vn / dn + exp(-0.5 * dn * dn)));
    zig_k[i + 1] = (uint32_t)((dn / tn) * m1);
    tn = dn;
    zig_f[i] = exp(-0.5 * dn * dn);
    zig_w[i] = dn / m1;
  }
}

static double zig_normal(po_rng *r);

double po_photonic_normal(po_rng *r) {
  pthread_once(&zig_once, zig_init);
  return zig_normal(r);
}

static double zig_normal(po_rng *r) {
  for (;;) {
    uint64_t u = po_rng_u64(r);
    int iz = (int)(u & 127);
    int32_t hz = (int32_t)(uint32_t)(u >> 32);
    uint32_t ahz = hz < 0 ? (uint32_t)(-(int64_t)hz) : (uint32_t)hz;
    double x = hz * zig_w[iz];
    if (ahz < zig_k[iz]) return x;
    if (iz == 0) { /* tail beyond r = 3.4426 */
      const double rr = 3.442619855899;
      double xt, y;
      do {
        xt = -log(1.0 - po_rng_uniform(r)) / rr;
        y = -log(1.0 - po_rng_uniform(r));
      } while (y + y < xt * xt);
      return hz > 0 ? rr + xt : -rr - xt;
    }
    if (zig_f[iz] + po_rng_uniform(r) * (zig_f[iz - 1] - zig_f[iz]) < exp(-0.5 * x * x)) return x;
  }
}

/* ---- detection ---------------------------------------------------------- */

typedef struct adc {
  double step, full; /* full = 0: ideal */
  double levels;
} adc;

static adc adc_make(int bits, double full) {
  adc a = {0.0, 0.0, 0.0};
  if (bits > 0 && full > 0) {
    a.levels = ldexp(1.0, bits) - 1.0;
    a.full = full;
    a.step = full / a.levels;
  }
  return a;
}

/* Unsigned ADC on a count. */
static inline double adc_read(const adc *a, double c) {
  if (a->full <= 0) return c;
  double k = nearbyint(c / a->step);
  if (k < 0) k = 0;
  if (k > a->levels) k = a->levels;
  return k * a->step;
}

/* Signed ADC over [-full, full]. */
static inline double adc_read_signed(const adc *a, double c) {
  if (a->full <= 0) return c;
  double st = 2.0 * a->step, half = floor(a->levels / 2.0);
  double k = nearbyint(c / st);
  if (k < -half) k = -half;
  if (k > half) k = half;
  return k * st;
}

/* One detector read-out: Poisson(lambda + dark) + read noise. */
static inline double detect(po_rng *r, double lambda, double dark, double sigma, double thr) {
  double mu = lambda + dark, c;
  if (mu > thr) {
    c = nearbyint(mu + sqrt(mu) * zig_normal(r));
    if (c < 0) c = 0;
  } else {
    c = (double)po_rng_poisson(r, mu);
  }
  if (sigma > 0) c += sigma * zig_normal(r);
  return c;
}

static inline void store(float *c, float alpha, float beta, double y) {
  float v = alpha * (float)y;
  *c = beta == 0.0f ? v : v + beta * *c;
}

/* ---- the product ---------------------------------------------------------- */

/* Parallel layout: one OpenMP region; the rows of C are cut into chunks
 * whose size depends on M only (about M/8, 16 to 128 rows: enough chunks to
 * balance the threads, few enough that re-packing B per SGEMM stays cheap),
 * dealt round-robin to the threads.  Each chunk is one single-threaded
 * SGEMM (OpenBLAS threads are set to 1 for the product and restored), so
 * BLAS and OpenMP threads never compete for cores.  The chunks do not
 * depend on the thread count, so neither do the SGEMM calls and their
 * rounding: one thread runs the same chunks in turn.  (A whole-matrix,
 * multi-threaded SGEMM for one thread rounded differently, which moved the
 * Poisson means and gave other counts for --threads 1.)  Every reduction
 * that feeds the output is done in a fixed order (per row, then rows in
 * order) and noise streams are per row, so the result is bit-identical for
 * any thread count.  Small products run on the calling thread. */
#define PAR_MIN_MACS ((double)(1 << 24))

typedef struct prod {
  const po_photonic_model *m;
  int M, N, K;
  int homodyne, offset, off_a, off_b, need_abs, two;
  int slm;             /* offset-type detection with the min-max SLM map */
  float a_lo, a_inv;   /* slm: min-max map of op(A) */
  affine dec_a, dec_b; /* offset and slm: a = scale a~ + shift, b likewise */
  float *Ae, *Be, *Aa, *Ba, *D, *T;
  double *ra, *cb, *rowsum, *rowmax;
  double *bin;        /* per column of op(B): light entering the mask, sum_k |b~_kj| */
  double *sj;         /* budget = sample: photons per unit encoded product, per column */
  double sample_full; /* budget = sample: largest mean count of the product */
} prod;

/* Encodes A rows [i0, i1), multiplies them by the encoded B and records
 * per-row sums and maxima. */
static void block_product(prod *p, const float *A, int lda, int ta, float amax, int i0, int i1) {
  const po_photonic_model *m = p->m;
  const int N = p->N, K = p->K, rows = i1 - i0;
  if (rows <= 0) return;
  if (p->slm)
    encode_rows_minmax(A, lda, K, ta, p->a_lo, p->a_inv, m->bits_w, (float)m->slm_t_min, p->Ae, i0,
                       i1);
  else
    encode_rows(A, lda, K, ta, 1.0f / amax, m->bits_w, p->off_a, p->Ae,
                p->need_abs && p->Aa != p->Ae ? p->Aa : NULL, i0, i1);
  float *Ab = p->Ae + (size_t)i0 * K, *Db = p->D + (size_t)i0 * N;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, N, K, 1.0f, Ab, K, p->Be, N, 0.0f,
              Db, N);
  if (p->need_abs)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, N, K, 1.0f, p->Aa + (size_t)i0 * K,
                K, p->Ba, N, 0.0f, p->T + (size_t)i0 * N, N);
  for (int i = i0; i < i1; i++) {
    const float *a = p->Ae + (size_t)i * K;
    double r = 0;
    if (p->homodyne)
      for (int k = 0; k < K; k++) r += (double)a[k] * a[k];
    else
      for (int k = 0; k < K; k++) r += a[k];
    p->ra[i] = r;
    /* photon total and ADC range: T (differential), D (offset), |D| (homodyne) */
    const float *x = (p->homodyne || p->offset || !p->two ? p->D : p->T) + (size_t)i * N;
    double sum = 0;
    float mx = 0;
    for (int j = 0; j < N; j++) {
      sum += x[j];
      float v = fabsf(x[j]);
      mx = v > mx ? v : mx;
    }
    p->rowsum[i] = sum;
    p->rowmax[i] = mx;
  }
}

typedef struct noise {
  double s; /* photons per unit encoded product (incoherent) */
  double ga2, gb2, g;
  adc ad;
  double scale; /* output units per count */
} noise;

static void block_noise(const prod *p, const noise *z, uint64_t seed, uint64_t call, float alpha,
                        float beta, float *C, int ldc, int i0, int i1) {
  const po_photonic_model *m = p->m;
  const int N = p->N, K = p->K;
  const double dark = m->dark_counts, sig = m->read_noise, thr = m->gauss_threshold;
  const double s = z->s;
  if (!p->homodyne && !p->offset && !p->sj && !(s > 0)) { /* all products vanish: no light */
    for (int i = i0; i < i1; i++)
      for (int j = 0; j < N; j++) store(C + (size_t)i * ldc + j, alpha, beta, 0.0);
    return;
  }
  for (int i = i0; i < i1; i++) {
    po_rng r;
    po_rng_init(&r, seed, call, (uint64_t)i);
    const float *Dr = p->D + (size_t)i * N, *Tr = p->T ? p->T + (size_t)i * N : NULL;
    float *Cr = C + (size_t)i * ldc;
    if (p->homodyne) {
      for (int j = 0; j < N; j++) {
        double var = z->ga2 * p->ra[i] + z->gb2 * p->cb[j] + 2.0 * sig * sig;
        double q = adc_read_signed(&z->ad, z->g * Dr[j] + sqrt(var) * zig_normal(&r));
        store(Cr + j, alpha, beta, q * z->scale);
      }
    } else if (p->offset) {
      /* a = aa a~ + ba, b = ab b~ + bb:
       * sum_k a b = aa ab S + aa bb Ra_i + ba ab Cb_j + ba bb K */
      const double aa = p->dec_a.scale, ba = p->dec_a.shift;
      const double ab = p->dec_b.scale, bb = p->dec_b.shift;
      for (int j = 0; j < N; j++) {
        const double sj = p->sj ? p->sj[j] : s;
        double Sh = 0.0; /* no light in this column: the product term is exactly 0 */
        if (sj > 0) {
          double c = adc_read(&z->ad, detect(&r, sj * Dr[j], dark, sig, thr));
          Sh = (c - dark) / sj;
        }
        double y = aa * ab * Sh + aa * bb * p->ra[i] + ba * ab * p->cb[j] + ba * bb * K;
        store(Cr + j, alpha, beta, y * z->scale);
      }
    } else {
      /* differential: S+- = (T +- D)/2 */
      for (int j = 0; j < N; j++) {
        const double sc = p->sj ? p->sj[j] : z->s;
        if (!(sc > 0)) { /* no light in this column */
          store(Cr + j, alpha, beta, 0.0);
          continue;
        }
        double lp, lm;
        if (p->two) {
          lp = 0.5 * sc * ((double)Tr[j] + Dr[j]);
          lm = 0.5 * sc * ((double)Tr[j] - Dr[j]);
          if (lp < 0) lp = 0;
          if (lm < 0) lm = 0;
        } else {
          lp = sc * Dr[j];
          lm = 0;
        }
        double y;
        if (z->ad.full <= 0 && lp + dark > thr && (!p->two || lm + dark > thr)) {
          double var = lp + dark + sig * sig + (p->two ? lm + dark + sig * sig : 0);
          y = lp - lm + sqrt(var) * zig_normal(&r);
        } else {
          double cp = adc_read(&z->ad, detect(&r, lp, dark, sig, thr)) - dark;
          double cm = p->two ? adc_read(&z->ad, detect(&r, lm, dark, sig, thr)) - dark : 0.0;
          y = cp - cm;
        }
        store(Cr + j, alpha, beta, y / sc * z->scale);
      }
    }
  }
}

/* Everything that needs all rows: calibration and ADC range. */
static void calibrate(const prod *p, double amax, double bmax, noise *z) {
  const po_photonic_model *m = p->m;
  const double n = m->photons_per_mac, macs = (double)p->M * p->N * p->K;
  double tot = 0, mx = 0;
  for (int i = 0; i < p->M; i++) {
    tot += p->rowsum[i];
    mx = p->rowmax[i] > mx ? p->rowmax[i] : mx;
  }
  memset(z, 0, sizeof *z);
  z->scale = amax * bmax;
  if (p->homodyne) {
    double sa = 0, sb = 0;
    for (int i = 0; i < p->M; i++) sa += p->ra[i];
    for (int j = 0; j < p->N; j++) sb += p->cb[j];
    /* N ga^2 sa = M gb^2 sb = n M N K / 2 */
    z->ga2 = sa > 0 ? n * p->M * p->K / (2.0 * sa) : 0;
    z->gb2 = sb > 0 ? n * p->N * p->K / (2.0 * sb) : 0;
    z->g = 2.0 * sqrt(z->ga2 * z->gb2);
    z->ad = adc_make(m->bits_out, m->adc_headroom * z->g * mx);
    z->scale /= z->g > 0 ? z->g : 1;
  } else if (p->sj) {
    z->s = 0; /* per column: p->sj */
    z->ad = adc_make(m->bits_out, m->adc_headroom * (p->sample_full + m->dark_counts));
  } else {
    z->s = tot > 0 ? n * macs / tot : 0;
    /* S+ and S- are each at most T: one full scale for both detectors */
    z->ad = adc_make(m->bits_out, m->adc_headroom * (z->s * mx + m->dark_counts));
  }
  if (p->slm) z->scale = 1.0; /* dec_a, dec_b decode to real units */
}

/* budget = sample (Wang et al. 2022): each input vector j gets its own
 * laser power s_j, so that its detected photons are n per multiplication,
 * sum_i lambda_ij = n M K.  Column sums in a fixed order (rows in turn),
 * on one thread, so the result does not depend on the thread count. */
static void calibrate_samples(prod *p) {
  const int M = p->M, N = p->N;
  const double nMK = p->m->photons_per_mac * (double)M * p->K;
  const float *X = p->homodyne || p->offset || !p->two ? p->D : p->T;
  double *colsum = p->sj;
  double full = 0.0;
  for (int j = 0; j < N; j++) colsum[j] = 0.0;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) colsum[j] += X[(size_t)i * N + j];
  for (int j = 0; j < N; j++) p->sj[j] = colsum[j] > 0 ? nMK / colsum[j] : 0.0;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double v = p->sj[j] * fabs((double)X[(size_t)i * N + j]);
      full = v > full ? v : full;
    }
  p->sample_full = full;
}

/* What the product cost.  The light that must reach the weight mask is
 * what the detected photons need before the mask's losses: each input
 * element is fanned out to the M rows (and, differential with signed
 * weights, to the pixel of the unused channel), so the mask receives
 * channels x M x sum_k |b~_kj| in units of the calibration s (per column with
 * budget = sample), and eta converts detected to arriving photons.
 * Homodyne: both pulses at full amplitude, (g_a^2 + g_b^2) per
 * multiplication.  Digital post-processing (multiply-adds): rescaling and
 * differencing per output; the offset-type encodings also need the row
 * sums of the mask (M K), the column sums of the inputs (K N) and one
 * offset per output. */
static void fill_stats(const prod *p, float amax, float bmax, int aneg, po_photonic_stats *st) {
  const po_photonic_model *m = p->m;
  const int M = p->M, N = p->N, K = p->K;
  const double macs = (double)M * N * K, MN = (double)M * N;
  noise z;
  calibrate(p, amax, bmax, &z);
  st->macs = macs;
  st->dac_inputs = (double)K * N;
  st->dac_weights = (double)M * K;
  st->modulations = (double)K * N + (double)M * K;
  st->adc = MN * (p->need_abs ? 2 : 1); /* homodyne: one balanced pair, one ADC */
  st->readouts = st->adc;
  if (p->homodyne) {
    st->detected_photons = m->photons_per_mac * macs;
    st->mask_photons = (z.ga2 + z.gb2) * macs / m->eta;
    st->digital_ops = MN;
    return;
  }
  const double channels = (!p->offset && aneg) ? 2.0 : 1.0;
  double mask = 0.0, detected = 0.0;
  for (int j = 0; j < N; j++) {
    const double sj = p->sj ? p->sj[j] : z.s;
    mask += sj * p->bin[j];
    if (p->sj && sj > 0) detected += m->photons_per_mac * M * K;
  }
  st->detected_photons = p->sj ? detected : m->photons_per_mac * macs;
  st->mask_photons = channels * M * mask / m->eta;
  st->digital_ops = p->offset ? 2.0 * MN + (double)M * K + (double)K * N : st->adc;
}

int po_photonic_matmul(const po_photonic_model *m, uint64_t seed, uint64_t call, int trans_a,
                       int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc, po_photonic_ws *ws,
                       po_photonic_stats *st) {
  if (M < 0 || N < 0 || K < 0)
    return po_error(PO_ERR_ARG, "photonic matmul: negative dimension (M=%d N=%d K=%d)", M, N, K);
  int rc = po_photonic_model_check(m);
  if (rc) return rc;
  if (st) memset(st, 0, sizeof *st);
  if (M == 0 || N == 0) return PO_OK;

  const int par = (double)M * N * K >= PAR_MIN_MACS && omp_get_max_threads() > 1;
  float amax = 0.0f, bmax = 0.0f, alo = 0.0f, ahi = 0.0f, blo = 0.0f, bhi = 0.0f;
  int aneg = 0, bneg = 0;
  if (K > 0) {
    scan(A, lda, M, K, trans_a, par, &amax, &aneg, &alo, &ahi);
    scan(B, ldb, K, N, trans_b, par, &bmax, &bneg, &blo, &bhi);
  }
  if (!isfinite(amax) || !isfinite(bmax))
    return po_error(PO_ERR_NUMERIC, "photonic matmul: non-finite operand");
  if (amax == 0.0f || bmax == 0.0f) {
    /* The exact product is zero: no light reaches the detectors. */
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) store(C + (size_t)i * ldc + j, alpha, beta, 0.0);
    return PO_OK;
  }

  pthread_once(&zig_once, zig_init);
  prod p = {.m = m, .M = M, .N = N, .K = K};
  p.homodyne = m->detection == PO_PH_HOMODYNE;
  p.slm = !p.homodyne && m->encoding == PO_PH_SLM;
  p.offset = !p.homodyne && (m->encoding == PO_PH_OFFSET || p.slm);
  p.off_a = p.offset && aneg;
  p.off_b = p.offset && bneg;
  /* differential needs |A||B| only if some operand is signed */
  p.need_abs = !p.homodyne && !p.offset && (aneg || bneg);
  p.two = p.need_abs;
  /* Decoding of the offset-type encodings (y = aa ab S + aa bb Ra + ba ab Cb + ba bb K). */
  float b_lo = 0.0f, b_inv = 1.0f / bmax;
  if (p.slm) {
    /* weights: a = lo + range u, t = t_min + (1 - t_min) u
     *   => a = range / (1 - t_min) t + lo - range t_min / (1 - t_min);
     * inputs: b~ = b / max b if b >= 0 (dark pixel = zero light), else the
     * min-max map over [min b, max b] (offset removed digitally too). */
    float range;
    minmax_range(alo, ahi, &p.a_lo, &range);
    p.a_inv = 1.0f / range;
    const double ca = range / (1.0 - m->slm_t_min);
    p.dec_a = (affine){ca, p.a_lo - ca * m->slm_t_min};
    if (bneg) {
      minmax_range(blo, bhi, &b_lo, &range);
      b_inv = 1.0f / range;
      p.dec_b = (affine){range, b_lo};
    } else {
      p.dec_b = (affine){bmax, 0.0};
    }
  } else {
    /* offset: a' = 2 a~ - 1 for a signed operand, a' = a~ otherwise; output
     * scaled by max|A| max|B| (calibrate) */
    p.dec_a = (affine){p.off_a ? 2 : 1, p.off_a ? -1 : 0};
    p.dec_b = (affine){p.off_b ? 2 : 1, p.off_b ? -1 : 0};
  }
  const size_t MK = (size_t)M * K, KN = (size_t)K * N, MN = (size_t)M * N;
  size_t total = MK + KN + MN + (p.need_abs ? MK + KN + MN : 0);
  po_photonic_ws tmp = {NULL, 0};
  po_photonic_ws *w = ws ? ws : &tmp;
  float *buf = NULL;
  if ((rc = reserve(w, total, &buf))) return rc;
  double *dbuf = malloc(sizeof(double) * (3 * (size_t)M + 3 * (size_t)N));
  if (!dbuf) {
    po_photonic_ws_free(&tmp);
    return po_error(PO_ERR_NOMEM, "photonic matmul: out of memory");
  }
  p.ra = dbuf;
  p.rowsum = p.ra + M;
  p.rowmax = p.rowsum + M;
  p.cb = p.rowmax + M;
  p.bin = p.cb + N;
  if (!p.homodyne && m->budget == PO_PH_BUDGET_SAMPLE) p.sj = p.bin + N;
  p.Ae = buf;
  p.Be = p.Ae + MK;
  p.D = p.Be + KN;
  p.Aa = p.Ae;
  p.Ba = p.Be;
  if (p.need_abs) {
    p.T = p.D + MN;
    if (aneg) p.Aa = p.T + MN;
    if (bneg) p.Ba = p.T + MN + MK;
  }

  po_blas_threads_enter(1);
  /* B (K x N, small next to A) is encoded on the calling thread, so the
   * parallel region has two synchronisation points only: after the
   * products, and at its end (barriers are costly on a loaded machine). */
  if (p.slm)
    encode_rows_minmax(B, ldb, N, trans_b, b_lo, b_inv, m->bits_in, 0.0f, p.Be, 0, K);
  else
    encode_rows(B, ldb, N, trans_b, 1.0f / bmax, m->bits_in, p.off_b, p.Be,
                p.need_abs && bneg ? p.Ba : NULL, 0, K);
  for (int j = 0; j < N; j++) p.cb[j] = p.bin[j] = 0;
  for (int k = 0; k < K; k++) {
    const float *b = p.Be + (size_t)k * N;
    if (p.homodyne)
      for (int j = 0; j < N; j++) p.cb[j] += (double)b[j] * b[j];
    else
      for (int j = 0; j < N; j++) p.cb[j] += b[j];
    for (int j = 0; j < N; j++) p.bin[j] += fabsf(b[j]);
  }
  const int R = po_sgemm_chunk_rows(M), chunks = (M + R - 1) / R;
#pragma omp parallel if (par)
  {
    const int nt = omp_get_num_threads(), t = omp_get_thread_num();
    for (int c = t; c < chunks; c += nt)
      block_product(&p, A, lda, trans_a, amax, c * R, c * R + R < M ? c * R + R : M);
#pragma omp barrier
    if (p.sj) {
#pragma omp single
      calibrate_samples(&p);
    }
    noise zt; /* every thread computes the same calibration (fixed order) */
    calibrate(&p, amax, bmax, &zt);
    for (int c = t; c < chunks; c += nt)
      block_noise(&p, &zt, seed, call, alpha, beta, C, ldc, c * R, c * R + R < M ? c * R + R : M);
  }
  po_blas_threads_leave();
  if (st) fill_stats(&p, amax, bmax, aneg, st);
  free(dbuf);
  po_photonic_ws_free(&tmp);
  return PO_OK;
}
