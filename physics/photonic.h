/* Photonic matrix-vector multiplier limited by photon shot noise: a pure
 * device model (no I/O, no global state).  Equations, sources and the exact
 * definition of the photon budget are in physics/photonic.c and
 * docs/photonic.md.
 *
 * C = alpha op(A) op(B) + beta C (row-major, M x N, inner size K) computed as
 * an optical processor would: op(A) is the weight mask (transmissions,
 * b_w-bit modulator), the columns of op(B) are the input vectors (intensities
 * written by a b_in-bit DAC), each output is a detected photon count read by
 * a b_out-bit ADC, then rescaled to real units. */
#ifndef PHYSOPT_PHYSICS_PHOTONIC_H
#define PHYSOPT_PHYSICS_PHOTONIC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  PO_PH_DIFFERENTIAL = 0, /* x = x+ - x-, two detectors per output (default) */
  PO_PH_OFFSET = 1,       /* x~ = (x + 1)/2, one detector, offset removed digitally */
  PO_PH_SLM = 2           /* Wang et al. 2022: weights min-max mapped onto SLM transmissions
                             in [t_min, 1], one detector, offset removed digitally */
} po_ph_encoding;

/* Whose photon budget photons_per_mac fixes: the whole product (one laser
 * power per call) or each input vector (column of op(B)) separately, as
 * Wang et al. 2022 define it (detected photons per multiplication, per
 * sample). */
typedef enum { PO_PH_BUDGET_BATCH = 0, PO_PH_BUDGET_SAMPLE = 1 } po_ph_budget;

typedef enum {
  PO_PH_INCOHERENT = 0, /* intensity encoding, direct detection (Wang et al. 2022) */
  PO_PH_HOMODYNE = 1    /* amplitude encoding, balanced homodyne (Hamerly et al. 2019) */
} po_ph_detection;

typedef struct po_photonic_model {
  double photons_per_mac; /* n: mean detected photons per scalar multiplication */
  double eta;             /* detector quantum efficiency (enters the energy only) */
  double dark_counts;     /* mean dark counts per detector per read-out */
  double read_noise;      /* Gaussian read-out noise, electrons rms per read-out */
  int bits_in;            /* DAC resolution of the inputs op(B); 0 = ideal */
  int bits_w;             /* resolution of the weights op(A); 0 = ideal */
  int bits_out;           /* ADC resolution; 0 = ideal */
  double adc_headroom;    /* ADC full scale = headroom x largest mean count */
  po_ph_encoding encoding;
  po_ph_detection detection;
  double wavelength_nm;
  double gauss_threshold; /* Poisson means above this are sampled as N(l, l) */
  double slm_t_min;       /* SLM transmission of the darkest level (1 / extinction ratio) */
  po_ph_budget budget;
} po_photonic_model;

/* What one product cost, for the energy ledger. */
typedef struct po_photonic_stats {
  double macs;             /* M N K */
  double detected_photons; /* mean detected signal photons = n M N K */
  double dac_inputs;       /* conversions of op(B) elements (b_in bits) */
  double dac_weights;      /* conversions of op(A) elements (b_w bits) */
  double modulations;      /* modulator symbols (inputs + weights) */
  double adc;              /* ADC conversions (outputs x detectors) */
  double mask_photons;     /* photons that must reach the weight mask (before the mask's
                              losses and the unused channel) for detected_photons to be
                              detected: detected / (eta x mean transmission) */
  double readouts;         /* detector read-outs (outputs x detectors) */
  double digital_ops;      /* digital post-processing: offset removal and rescaling
                              (multiply-adds) */
} po_photonic_stats;

/* Scratch memory reused between calls (may be zero-initialised). */
typedef struct po_photonic_ws {
  float *buf;
  size_t cap;
} po_photonic_ws;

void po_photonic_model_default(po_photonic_model *m);
/* Checks ranges; errors name the parameter as photonic.<key>. */
int po_photonic_model_check(const po_photonic_model *m);

/* The noisy product.  Noise of output row i comes from the stream
 * po_rng_init(seed, call, i), so results do not depend on the thread count.
 * ws may be NULL (temporary memory); st may be NULL. */
int po_photonic_matmul(const po_photonic_model *m, uint64_t seed, uint64_t call, int trans_a,
                       int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc, po_photonic_ws *ws,
                       po_photonic_stats *st);

void po_photonic_ws_free(po_photonic_ws *ws);

struct po_rng;
/* The standard normal generator of the noise model (ziggurat), exposed for
 * tests. */
double po_photonic_normal(struct po_rng *r);

/* Energy of one photon, h c / lambda, in J (1.28e-19 J at 1550 nm). */
double po_photonic_photon_energy(double wavelength_nm);

/* Cost model (energy.photonic). */
typedef struct po_photonic_energy {
  double wall_plug;    /* laser wall-plug efficiency, optical W / electrical W */
  double dac_fom_j;    /* DAC Walden figure of merit, J per conversion step */
  double adc_fom_j;    /* ADC Walden figure of merit, J per conversion step */
  double modulator_j;  /* J per modulator symbol */
  double coupling;     /* fraction of the source light delivered to the weight mask */
  double detector_j;   /* J per detector read-out (photodiode + amplifier) */
  double digital_op_j; /* J per digital multiply-add of the post-processing */
} po_photonic_energy;

/* Joules per unit of each stats entry: photon = h nu / (eta wall_plug),
 * conversion = FOM x 2^bits (an ideal converter, bits = 0, is priced at 8
 * bits so that the energy stays finite and comparable). */
typedef struct po_photonic_prices {
  double photon_j, dac_input_j, dac_weight_j, adc_j, modulator_j;
  /* Source accounting: J per photon reaching the mask, h nu / (coupling x
   * wall_plug), so that source light = detected / (transmission x coupling x
   * eta x wall_plug); per read-out; per digital multiply-add. */
  double mask_photon_j, readout_j, digital_op_j;
} po_photonic_prices;

void po_photonic_prices_compute(const po_photonic_model *m, const po_photonic_energy *e,
                                po_photonic_prices *out);
double po_photonic_stats_joules(const po_photonic_stats *st, const po_photonic_prices *p);
/* The same with the light paid for at the source (mask_photons, priced per
 * photon reaching the mask), detector read-outs and digital post-processing
 * itemised. */
double po_photonic_stats_source_joules(const po_photonic_stats *st, const po_photonic_prices *p);

#ifdef __cplusplus
}
#endif
#endif
