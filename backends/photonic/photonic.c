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
     "mean DETECTED photons per scalar multiplication, averaged over each product (budget = "
     "batch) or each input vector (budget = sample) (Wang et al., Nat. Commun. 13, 123 (2022): "
     "99% MNIST at ~3.1)"},
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
    {"encoding", PO_PARAM_STRING, "differential", 0, 0, "differential|offset|slm", "",
     "signed operands: differential (two detectors, no extra photons), offset (one detector, "
     "offset photons add shot noise) or slm (the experiment of Wang et al. 2022: weights "
     "min-max mapped onto SLM transmissions [slm_t_min, 1], one detector, offset removed "
     "digitally)"},
    {"slm_t_min", PO_PARAM_DOUBLE, "0.01", 0, 0.99, NULL, "1",
     "encoding = slm: transmission of the darkest SLM level, 1 / extinction ratio (0.01 = "
     "100:1, typical of liquid-crystal amplitude modulation between polarisers; assumption, "
     "not a value from Wang et al. 2022)"},
    {"budget", PO_PARAM_STRING, "auto", 0, 0, "auto|sample|batch", "",
     "whose photons photons_per_mac counts: sample = each input vector (laser power per "
     "sample, the definition of Wang et al. 2022), batch = the whole product (one laser power "
     "per call); auto = sample for encoding = slm, batch otherwise"},
    {"optical_energy", PO_PARAM_STRING, "auto", 0, 0, "auto|detected|source", "",
     "optical energy charged: detected = detected photons / (eta x wall-plug); source = "
     "photons the laser must emit, detected / (mask transmission x coupling x eta x "
     "wall-plug), with detectors and digital post-processing itemised; auto = source for "
     "encoding = slm, detected otherwise"},
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
    {"coupling_efficiency", PO_PARAM_DOUBLE, "1", 1e-6, 1, NULL, "1",
     "optical_energy = source: fraction of the laser's light delivered to the weight mask "
     "(fan-out optics, fill factor); 1 = lossless optics, a lower bound on the energy"},
    {"detector_j", PO_PARAM_DOUBLE, "1e-14", 0, 1, NULL, "J",
     "optical_energy = source: energy per detector read-out (photodiode + receiver "
     "amplifier), ~10 fJ/bit for integrated receivers (D. A. B. Miller, J. Lightwave Technol. "
     "35, 346 (2017))"},
    {"digital_op_j", PO_PARAM_DOUBLE, "4.6e-12", 0, 1, NULL, "J",
     "optical_energy = source: energy per multiply-add of the digital post-processing (offset "
     "removal, rescaling): fp32 multiply-add at 45 nm (M. Horowitz, ISSCC 2014; as "
     "[energy.cpu] mac_j)"},
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
  int source_energy; /* optical_energy = source (resolved from auto) */
  double coupling;   /* energy.photonic coupling_efficiency */
} photonic_state;

static int read_model(const po_backend *b, po_photonic_model *m, po_photonic_energy *e,
                      int *source_energy) {
  long bi, bw, bo;
  const char *enc, *det, *budget, *optical;
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
      (rc = po_backend_param_double(b, "slm_t_min", &m->slm_t_min)) ||
      (rc = po_backend_param_string(b, "budget", &budget)) ||
      (rc = po_backend_param_string(b, "optical_energy", &optical)) ||
      (rc = po_backend_energy_cost(b, "coupling_efficiency", &e->coupling)) ||
      (rc = po_backend_energy_cost(b, "detector_j", &e->detector_j)) ||
      (rc = po_backend_energy_cost(b, "digital_op_j", &e->digital_op_j)) ||
      (rc = po_backend_energy_cost(b, "laser_wall_plug", &e->wall_plug)) ||
      (rc = po_backend_energy_cost(b, "dac_fom_j", &e->dac_fom_j)) ||
      (rc = po_backend_energy_cost(b, "adc_fom_j", &e->adc_fom_j)) ||
      (rc = po_backend_energy_cost(b, "modulator_j", &e->modulator_j)))
    return rc;
  m->bits_in = (int)bi;
  m->bits_w = (int)bw;
  m->bits_out = (int)bo;
  m->encoding = !strcmp(enc, "offset") ? PO_PH_OFFSET
                : !strcmp(enc, "slm")  ? PO_PH_SLM
                                       : PO_PH_DIFFERENTIAL;
  m->detection = strcmp(det, "homodyne") ? PO_PH_INCOHERENT : PO_PH_HOMODYNE;
  /* auto: the slm encoding is the experiment and follows its conventions;
   * the older encodings keep theirs, so their documented results stand. */
  const int slm = m->encoding == PO_PH_SLM && m->detection == PO_PH_INCOHERENT;
  m->budget = !strcmp(budget, "sample") || (!strcmp(budget, "auto") && slm) ? PO_PH_BUDGET_SAMPLE
                                                                            : PO_PH_BUDGET_BATCH;
  *source_energy = !strcmp(optical, "source") || (!strcmp(optical, "auto") && slm);
  return po_photonic_model_check(m);
}

static int photonic_create(po_backend *b, const po_params *p) {
  (void)p;
  photonic_state *s = calloc(1, sizeof *s);
  if (!s) return po_error(PO_ERR_NOMEM, "out of memory");
  po_photonic_energy e;
  int rc = read_model(b, &s->model, &e, &s->source_energy);
  if (rc) {
    free(s);
    return rc;
  }
  po_photonic_prices_compute(&s->model, &e, &s->prices);
  s->coupling = e.coupling;
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
  if (s->source_energy) {
    /* the light is paid for where it is made: source photons =
     * mask photons / coupling, each h nu / wall_plug */
    po_ledger_add(l, "detected_photons", "photons", st.detected_photons, 0.0);
    po_ledger_add(l, "source_light", "photons", st.mask_photons / s->coupling,
                  p->mask_photon_j * s->coupling);
    po_ledger_add(l, "detector_readouts", "read-outs", st.readouts, p->readout_j);
  } else {
    po_ledger_add(l, "detected_photons", "photons", st.detected_photons, p->photon_j);
  }
  po_ledger_add(l, "dac_inputs", "conversions", st.dac_inputs, p->dac_input_j);
  po_ledger_add(l, "dac_weights", "conversions", st.dac_weights, p->dac_weight_j);
  po_ledger_add(l, "modulations", "symbols", st.modulations, p->modulator_j);
  po_ledger_add(l, "adc_conversions", "conversions", st.adc, p->adc_j);
  if (s->source_energy)
    po_ledger_add(l, "digital_ops", "multiply-adds", st.digital_ops, p->digital_op_j);
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
