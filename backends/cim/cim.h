/* Private interface of the coherent Ising machine backend (backends/cim/). */
#ifndef PHYSOPT_BACKENDS_CIM_H
#define PHYSOPT_BACKENDS_CIM_H

#include "physics/cim_device.h"
#include "physopt/backend.h"

extern const po_param_section po_cim_params;
extern const po_param_section po_cim_energy;

/* AHC target modes (cim.ahc_target_mode; equations in docs/cim.md). */
enum { CIM_AHC_TARGET_CONSTANT, CIM_AHC_TARGET_ENERGY, CIM_AHC_TARGET_ENERGY_LATCHED };

/* Model and device parameters resolved from [cim] / [energy.cim]. */
typedef struct cim_config {
  double dt, pump, pump_start, pump_end, mu, eps, eps_scale, sigma, init_amp, field_amp;
  int eps_abs_norm;    /* eps_norm = abs (mean row sum |J|) instead of rms */
  int ahc_target_mode; /* CIM_AHC_TARGET_* */
  double alpha, rho, delta, gamma, gamma_n, tau, tau_n, beta, ahc_target, e_max, x_max;
  long refresh;
  const char *method; /* plain model integrator: em | heun */
  /* device */
  double ring_length_m, group_index, pulse_rate_hz, round_trips_per_step;
  const char *feedback; /* digital | optical */
  /* cost model */
  double pump_power_w, digital_mac_j, optical_mac_j, adc_j, dac_j;
  /* physical device (configs/devices): description and derived model */
  int device_on;
  po_cim_device dev;
  po_cim_model model;
} cim_config;

int cim_config_read(const po_backend *b, cim_config *c);
/* Part of cim_config_read: the device description and its mapping. */
int cim_device_apply(const po_backend *b, cim_config *c);

/* Round-trip time of the fibre ring (ring_length_m x group_index / c);
 * fails when N pulses do not fit in one round trip at pulse_rate_hz. */
int cim_ring_round_trip(const cim_config *c, long n, double *t_rt);

/* Books one anneal of R replicas x K steps: device time (replicas are runs
 * of the device one after the other, run_s = K steps), round trips priced at
 * pump power x round-trip time, feedback MACs (digital or optical), and one
 * ADC and one DAC conversion per pulse per round trip. */
void cim_book_ledger(po_backend *be, const cim_config *c, const po_ising *m, int R, long K,
                     double t_rt, double wall_s);

/* The run's model description in the ledger (po_ledger_model_set): mode
 * ("device" or "dimensionless (cim-optimizer compatible)"), device name,
 * whether truncated-Wigner quantum noise and measured feedback ran (as the
 * algorithm applied them), and with a device the derived (D1)-(D5)
 * parameters.  Read by --json and the HDF5 writer through the ledger. */
void cim_describe_model(po_ledger *l, const cim_config *c, int quantum, int measured);

/* The OPO-network algorithms with amplitude feedback (cim_anneal.c):
 * chaotic amplitude control, amplitude-heterogeneity correction, no
 * feedback, chaotic and separated feedback control. */
int cim_cac_anneal(po_backend *b, const po_ising *m, const po_schedule *s, const po_anneal_opts *o,
                   po_samples *out);
int cim_ahc_anneal(po_backend *b, const po_ising *m, const po_schedule *s, const po_anneal_opts *o,
                   po_samples *out);
int cim_plain_anneal(po_backend *b, const po_ising *m, const po_schedule *s,
                     const po_anneal_opts *o, po_samples *out);
int cim_cfc_anneal(po_backend *b, const po_ising *m, const po_schedule *s, const po_anneal_opts *o,
                   po_samples *out);
int cim_sfc_anneal(po_backend *b, const po_ising *m, const po_schedule *s, const po_anneal_opts *o,
                   po_samples *out);
/* --algorithm adiabatic (backends/cim/cim_adiabatic.c). */
int cim_adiabatic_anneal(po_backend *b, const po_ising *m, const po_schedule *s,
                         const po_anneal_opts *o, po_samples *out);

/* --algorithm mfcim (backends/cim/cim_mfcim.c). */
int cim_mfcim_anneal(po_backend *b, const po_ising *m, const po_schedule *s,
                     const po_anneal_opts *o, po_samples *out);

/* --algorithm kpo (backends/cim/cim_kpo.c). */
int cim_kpo_anneal(po_backend *b, const po_ising *m, const po_schedule *s, const po_anneal_opts *o,
                   po_samples *out);

/* Extreme eigenvalues of J by Lanczos (physics/cim_landscape.h):
 * *top_k = lambda_max(K = -J) = -lambda_min(J), *top_j = lambda_max(J). */
int cim_coupling_extremes(const po_ising *m, uint64_t seed, double *top_k, double *top_j);

#endif
