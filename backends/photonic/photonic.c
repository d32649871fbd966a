/* The photonic backend: matmul through the shot-noise-limited optical
 * multiplier of physics/photonic.c; every other op is served by the CPU
 * reference (fallback "cpu").  Every product books MACs, detected photons,
 * DAC/ADC conversions and modulator symbols in the ledger, priced by
 * [energy.photonic] (configs/energy/photonic.ini). */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "physics/photonic.h"
#include "physopt/backend.h"
#include "physopt/error.h"

static const po_param_spec photonic_specs[] = {
    {"photons_per_mac", PO_PARAM_DOUBLE, "10", 1e-6, 1e12, NULL, "photons",
     "mean DETECTED signal photons per scalar multiplication, averaged over each product "
     "(Wang et al., Nat. Commun. 13, 123 (2022): 99% MNIST at ~3.2)"},
    {"eta", PO_PARAM_DOUBLE, "0.8", 1e-6, 1, NULL, "1",
     "detector quantum efficiency; incident photons = detected / eta (0.8: typical Si/InGaAs "
     "photodiode, assumption)"},
    {"dark_counts", PO_PARAM_DOUBLE, "0", 0, 1e12, NULL, "counts",
     "mean dark counts per detector per read-out (0 = shot-noise-limited reference)"},
    {"read_noise", PO_PARAM_DOUBLE, "0", 0, 1e9, NULL, "electrons",
     "Gaussian read-out noise per detector per read-out, rms (0 = photon counting; sCMOS "
     "cameras ~1-2 e-)"},
    {"bits_in", PO_PARAM_INT, "8", 0, 24, NULL, "bits",
     "DAC resolution of the input intensities, 0 = ideal (8-bit display/SLM class, as in Wang "
     "et al. 2022)"},
    {"bits_w", PO_PARAM_INT, "8", 0, 24, NULL, "bits",
     "resolution of the weight transmissions, 0 = ideal (8-bit SLM, Wang et al. 2022)"},
    {"bits_out", PO_PARAM_INT, "0", 0, 24, NULL, "bits",
     "ADC resolution of each detector, 0 = ideal (isolates shot noise)"},
    {"adc_headroom", PO_PARAM_DOUBLE, "1", 0.01, 100, NULL, "1",
     "ADC full scale as a multiple of the largest mean count of the product"},
    {"encoding", PO_PARAM_STRING, "differential", 0, 0, "differential|offset", "",
     "signed operands: differential (two detectors, no extra photons) or offset (one detector, "
     "offset photons add shot noise)"},
    {"detection", PO_PARAM_STRING, "incoherent", 0, 0, "incoherent|homodyne", "",
     "incoherent intensity/Poisson (Wang et al. 2022) or coherent homodyne/Gaussian (Hamerly "
     "et al., PRX 9, 021032 (2019))"},
    {"wavelength_nm", PO_PARAM_DOUBLE, "532", 200, 20000, NULL, "nm",
     "optical wavelength: 532 nm as in Wang et al. 2022 (h nu = 3.73e-19 J); 1550 nm for "
     "Hamerly et al. 2019 (1.28e-19 J)"},
    {"gauss_threshold", PO_PARAM_DOUBLE, "1000", 10, 1e15, NULL, "photons",
     "Poisson means above this are sampled as Gaussians (skewness < 3%)"},
};

/* Cost model.  Optical energy per detected photon h nu / (eta x wall_plug);
 * converters by the Walden figure of merit E = FOM x 2^bits. */
static const po_param_spec photonic_energy_specs[] = {
    {"laser_wall_plug", PO_PARAM_DOUBLE, "0.2", 1e-6, 1, NULL, "1",
     "laser wall-plug efficiency (10-30% for semiconductor lasers; D. A. B. Miller, J. Lightwave "
     "Technol. 35, 346 (2017))"},
    {"dac_fom_j", PO_PARAM_DOUBLE, "1e-14", 0, 1, NULL, "J/step",
     "DAC Walden figure of merit: ~10 fJ per conversion step for GS/s converters (B. Murmann, "
     "ADC Performance Survey 1997-2024, Stanford; same value assumed for DACs)"},
    {"adc_fom_j", PO_PARAM_DOUBLE, "1e-14", 0, 1, NULL, "J/step",
     "ADC Walden figure of merit: ~10 fJ per conversion step (B. Murmann, ADC Performance "
     "Survey 1997-2024, Stanford)"},
    {"modulator_j", PO_PARAM_DOUBLE, "1e-14", 0, 1, NULL, "J",
     "energy per modulator symbol: ~10 fJ/bit for integrated modulators (D. A. B. Miller, "
     "J. Lightwave Technol. 35, 346 (2017))"},
};

const po_param_section po_photonic_params = {"photonic", photonic_specs,
                                             sizeof photonic_specs / sizeof photonic_specs[0]};
const po_param_section po_photonic_energy_params = {"energy.photonic", photonic_energy_specs,
                                                    sizeof photonic_energy_specs /
                                                        sizeof photonic_energy_specs[0]};

typedef struct photonic_state {
  po_photonic_model model;
  po_photonic_prices prices;
  po_photonic_ws ws;
} photonic_state;

static int read_model(const po_backend *b, po_photonic_model *m, po_photonic_energy *e) {
  long bi, bw, bo;
  const char *enc, *det;
  int rc;
  if ((rc = po_backend_param_double(b, "photons_per_mac", &m->photons_per_mac)) ||
      (rc = po_backend_param_double(b, "eta", &m->eta)) ||
      (rc = po_backend_param_double(b, "dark_counts", &m->dark_counts)) ||
      (rc = po_backend_param_double(b, "read_noise", &m->read_noise)) ||
      (rc = po_backend_param_int(b, "bits_in", &bi)) ||
      (rc = po_backend_param_int(b, "bits_w", &bw)) ||
      (rc = po_backend_param_int(b, "bits_out", &bo)) ||
      (rc = po_backend_param_double(b, "adc_headroom", &m->adc_headroom)) ||
      (rc = po_backend_param_string(b, "encoding", &enc)) ||
      (rc = po_backend_param_string(b, "detection", &det)) ||
      (rc = po_backend_param_double(b, "wavelength_nm", &m->wavelength_nm)) ||
      (rc = po_backend_param_double(b, "gauss_threshold", &m->gauss_threshold)) ||
      (rc = po_backend_energy_cost(b, "laser_wall_plug", &e->wall_plug)) ||
      (rc = po_backend_energy_cost(b, "dac_fom_j", &e->dac_fom_j)) ||
      (rc = po_backend_energy_cost(b, "adc_fom_j", &e->adc_fom_j)) ||
      (rc = po_backend_energy_cost(b, "modulator_j", &e->modulator_j)))
    return rc;
  m->bits_in = (int)bi;
  m->bits_w = (int)bw;
  m->bits_out = (int)bo;
  m->encoding = strcmp(enc, "offset") ? PO_PH_DIFFERENTIAL : PO_PH_OFFSET;
  m->detection = strcmp(det, "homodyne") ? PO_PH_INCOHERENT : PO_PH_HOMODYNE;
  return po_photonic_model_check(m);
}

static int photonic_create(po_backend *b, const po_params *p) {
  (void)p;
  photonic_state *s = calloc(1, sizeof *s);
  if (!s) return po_error(PO_ERR_NOMEM, "out of memory");
  po_photonic_energy e;
  int rc = read_model(b, &s->model, &e);
  if (rc) {
    free(s);
    return rc;
  }
  po_photonic_prices_compute(&s->model, &e, &s->prices);
  b->data = s;
  return PO_OK;
}

static void photonic_destroy(po_backend *b) {
  photonic_state *s = b->data;
  if (!s) return;
  po_photonic_ws_free(&s->ws);
  free(s);
  b->data = NULL;
}

static int photonic_matmul(po_backend *b, po_trans ta, po_trans tb, int M, int N, int K,
                           float alpha, const float *A, int lda, const float *B, int ldb,
                           float beta, float *C, int ldc) {
  photonic_state *s = b->data;
  po_photonic_stats st;
  double t0 = omp_get_wtime();
  int rc = po_photonic_matmul(&s->model, b->seed, b->calls++, ta == PO_TRANS, tb == PO_TRANS, M, N,
                              K, alpha, A, lda, B, ldb, beta, C, ldc, &s->ws, &st);
  if (rc) return rc;
  double dt = omp_get_wtime() - t0;
  const po_photonic_prices *p = &s->prices;
  po_ledger *l = &b->ledger;
  l->wall_s += dt;
  l->device_s += dt;
  po_ledger_add(l, "macs", "MAC", st.macs, 0.0);
  po_ledger_add(l, "detected_photons", "photons", st.detected_photons, p->photon_j);
  po_ledger_add(l, "dac_inputs", "conversions", st.dac_inputs, p->dac_input_j);
  po_ledger_add(l, "dac_weights", "conversions", st.dac_weights, p->dac_weight_j);
  po_ledger_add(l, "modulations", "symbols", st.modulations, p->modulator_j);
  po_ledger_add(l, "adc_conversions", "conversions", st.adc, p->adc_j);
  return PO_OK;
}

const po_backend_ops po_backend_ops_photonic = {
    .name = "photonic",
    .summary = "optical matrix multiplier with photon shot noise (Wang et al. 2022, Hamerly et "
               "al. 2019); other ops on cpu",
    .caps = PO_CAP_MATMUL,
    .fallback = "cpu",
    .params = &po_photonic_params,
    .energy = &po_photonic_energy_params,
    .create = photonic_create,
    .destroy = photonic_destroy,
    .matmul = photonic_matmul,
};
