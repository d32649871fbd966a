/* A coherent Ising machine described by its hardware (configs/devices/cim-NAME.ini)
 * and the mapping from that description to the dimensionless OPO-network
 * model of physics/opo.h.  Pure functions; docs/cim.md ("Physical devices")
 * has the derivations.
 *
 * Model units (physics/opo.h): time in photon lifetimes 1/kappa, kappa the
 * amplitude decay rate of the signal field; in-phase amplitude x and
 * quadrature y normalised so that a single OPO saturates at
 * x^2 = (p - 1)/mu.  In photon units X = sqrt(mu n_sat) x, with X = Re a
 * (vacuum variance 1/4), so a pulse at p = 2 holds n_sat photons.
 *
 * Mapping (derivations in docs/cim.md):
 *   (D1) kappa t_rt = -ln(1 - L)/2         L: round-trip power loss (all
 *        ports: out-coupling, measurement tap, propagation, insertion);
 *        the amplitude falls as sqrt(1 - L) = exp(-kappa t_rt) per round trip.
 *        steps per round trip = kappa t_rt / dt.
 *   (D2) p_op = sqrt(P_pump / P_th)        pump amplitude in threshold units
 *        (the OPO gain term is linear in the pump field, P ~ field^2).
 *   (D3) diffusion of x and y (truncated Wigner, Ito):
 *        sqrt((x^2 + y^2 + 1/(2 mu)) / n_sat); the 1/(2 mu) part is the
 *        vacuum entering through the loss, the x^2 + y^2 part the pump
 *        fluctuations / two-photon-loss noise of the saturation term
 *        (Wang, Marandi, Wen, Byer, Yamamoto, PRA 88, 063853 (2013), c-number
 *        Wigner equations of the DOPO network with c = sqrt(mu) x).
 *   (D4) homodyne estimate of x from the tapped fraction R with efficiency
 *        eta: x_hat = x + sqrt((1 - R eta)/(R eta)) / (2 sqrt(mu n_sat)) N(0,1)
 *        per measurement (one per round trip); the digital multiplier that
 *        realises the model's coupling eps on raw homodyne readings is
 *        eps / sqrt(R eta) (feedback gain).
 *   (D5) ADC / DAC: b-bit uniform quantisers over +-full scale (b = 0: off). */
#ifndef PHYSOPT_PHYSICS_CIM_DEVICE_H
#define PHYSOPT_PHYSICS_CIM_DEVICE_H

#include "physopt/params.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct po_cim_device {
  const char *name;        /* "" = no device: the dimensionless model */
  double round_trip_loss;  /* L: fraction of signal power lost per round trip */
  double n_sat;            /* saturation photon number (photons at p = 2) */
  double pump_threshold_w; /* average pump power at oscillation threshold, W */
  double pump_power_w;     /* average pump power at the operating point, W */
  double tap_ratio;        /* R: power fraction tapped to the homodyne detector */
  double homodyne_eff;     /* eta: homodyne detection efficiency */
  long adc_bits, dac_bits; /* feedback converter resolution, 0 = ideal */
  double adc_full_scale;   /* ADC range +- this, in model units of x */
  long feedback_delay;     /* round trips between measurement and injection */
  double detector_power_w; /* electrical power of the homodyne detectors, W */
  double fpga_power_w;     /* electrical power of the feedback FPGA and converters, W */
  int quantum_noise;       /* truncated-Wigner vacuum noise on */
  int measured_feedback;   /* feedback from homodyne measurement on */
} po_cim_device;

/* Dimensionless model parameters derived from a device (D1)-(D5). */
typedef struct po_cim_model {
  double kappa_rt;             /* photon lifetimes per round trip (D1) */
  double steps_per_round_trip; /* kappa_rt / dt */
  long steps_per_measurement;  /* max(1, round(kappa_rt / dt)): feedback update period */
  double pump_op;              /* p at the operating pump power (D2) */
  double noise_vacuum;         /* sqrt(1/(2 mu n_sat)): diffusion at x = y = 0 (D3) */
  double meas_sigma;           /* std of the homodyne estimate of x (D4) */
  double feedback_gain;        /* 1/sqrt(R eta) (D4) */
  double adc_step;             /* quantisation step of x_hat, 0 = none (D5) */
} po_cim_model;

/* Reads the device keys (device, device_*, quantum_noise, measured_feedback)
 * of a [cim]-style section; values are validated against the spec ranges. */
int po_cim_device_read(const po_params *p, const po_param_section *sec, po_cim_device *d);

/* 1 when a device is described (d->name non-empty). */
int po_cim_device_on(const po_cim_device *d);

/* (D1)-(D5) for integration step dt and saturation coefficient mu; checks
 * the consistency of the description (the tap cannot exceed the total
 * loss, the pump threshold must be positive) and names the parameter. */
int po_cim_device_map(const po_cim_device *d, double dt, double mu, po_cim_model *m);

/* b-bit uniform quantiser over [-fs, fs]: round to the nearest of 2^b
 * levels, clamp to the range.  step = 2 fs / 2^b; step 0 = identity. */
static inline float po_cim_quantize(float v, float step, float fs) {
  if (step <= 0.0f) return v;
  float q = step * __builtin_nearbyintf(v / step);
  return q > fs ? fs : (q < -fs ? -fs : q);
}

/* Stationary variances of a single OPO below threshold (p < 1) from the
 * linearised (D3): Var x = 1/(4 mu n_sat (1 - p)), Var y = 1/(4 mu n_sat (1 + p))
 * (photon units: 1/(4(1 -+ p)), the vacuum 1/4 at p = 0). */
double po_cim_var_inphase(double p, double mu, double n_sat);
double po_cim_var_quadrature(double p, double mu, double n_sat);

#ifdef __cplusplus
}
#endif
#endif
