/* Device description -> dimensionless OPO-network parameters; equations
 * (D1)-(D5) in cim_device.h, derivations in docs/cim.md. */
#include "physics/cim_device.h"

#include <math.h>
#include <string.h>
#include "physopt/error.h"

int po_cim_device_read(const po_params *p, const po_param_section *sec, po_cim_device *d) {
  memset(d, 0, sizeof *d);
  struct {
    const char *key;
    double *dst;
  } dbl[] = {{"device_round_trip_loss", &d->round_trip_loss},
             {"device_n_sat", &d->n_sat},
             {"device_pump_threshold_w", &d->pump_threshold_w},
             {"device_pump_power_w", &d->pump_power_w},
             {"device_tap_ratio", &d->tap_ratio},
             {"device_homodyne_eff", &d->homodyne_eff},
             {"device_adc_full_scale", &d->adc_full_scale},
             {"device_detector_power_w", &d->detector_power_w},
             {"device_fpga_power_w", &d->fpga_power_w}};
  struct {
    const char *key;
    long *dst;
  } lng[] = {{"device_adc_bits", &d->adc_bits},
             {"device_dac_bits", &d->dac_bits},
             {"device_feedback_delay", &d->feedback_delay}};
  int rc;
  if ((rc = po_params_string(p, sec, "device", &d->name))) return rc;
  if (!d->name) d->name = "";
  for (size_t i = 0; i < sizeof dbl / sizeof dbl[0]; i++)
    if ((rc = po_params_double(p, sec, dbl[i].key, dbl[i].dst))) return rc;
  for (size_t i = 0; i < sizeof lng / sizeof lng[0]; i++)
    if ((rc = po_params_int(p, sec, lng[i].key, lng[i].dst))) return rc;
  if ((rc = po_params_bool(p, sec, "quantum_noise", &d->quantum_noise))) return rc;
  return po_params_bool(p, sec, "measured_feedback", &d->measured_feedback);
}

int po_cim_device_on(const po_cim_device *d) {
  return d->name && *d->name;
}

int po_cim_device_map(const po_cim_device *d, double dt, double mu, po_cim_model *m) {
  memset(m, 0, sizeof *m);
  if (!(d->round_trip_loss > 0.0 && d->round_trip_loss < 1.0))
    return po_error(PO_ERR_ARG, "cim.device_round_trip_loss = %g must be in (0, 1)",
                    d->round_trip_loss);
  if (d->tap_ratio > d->round_trip_loss)
    return po_error(PO_ERR_ARG,
                    "cim.device_tap_ratio = %g exceeds cim.device_round_trip_loss = %g (the tap "
                    "is one of the round-trip losses)",
                    d->tap_ratio, d->round_trip_loss);
  if (!(d->pump_threshold_w > 0.0))
    return po_error(PO_ERR_ARG, "cim.device_pump_threshold_w = %g must be > 0 W",
                    d->pump_threshold_w);
  if (!(mu > 0.0) || !(dt > 0.0) || !(d->n_sat > 0.0))
    return po_error(PO_ERR_ARG,
                    "device mapping needs cim.mu = %g > 0, cim.dt = %g > 0 and "
                    "cim.device_n_sat = %g > 0",
                    mu, dt, d->n_sat);
  m->kappa_rt = -0.5 * log1p(-d->round_trip_loss); /* (D1) */
  m->steps_per_round_trip = m->kappa_rt / dt;
  m->steps_per_measurement = lround(m->steps_per_round_trip);
  if (m->steps_per_measurement < 1) m->steps_per_measurement = 1;
  m->pump_op = sqrt(d->pump_power_w / d->pump_threshold_w); /* (D2) */
  m->noise_vacuum = sqrt(1.0 / (2.0 * mu * d->n_sat));      /* (D3) */
  const double re = d->tap_ratio * d->homodyne_eff;
  m->meas_sigma = re > 0 ? sqrt((1.0 - re) / re) / (2.0 * sqrt(mu * d->n_sat)) : INFINITY;
  m->feedback_gain = re > 0 ? 1.0 / sqrt(re) : INFINITY; /* (D4) */
  m->adc_step = d->adc_bits > 0 ? 2.0 * d->adc_full_scale / ldexp(1.0, (int)d->adc_bits) : 0.0;
  if (d->measured_feedback && !(re > 0))
    return po_error(PO_ERR_ARG,
                    "measured feedback needs cim.device_tap_ratio x cim.device_homodyne_eff > 0 "
                    "(now %g x %g)",
                    d->tap_ratio, d->homodyne_eff);
  return PO_OK;
}

double po_cim_var_inphase(double p, double mu, double n_sat) {
  return 1.0 / (4.0 * mu * n_sat * (1.0 - p));
}

double po_cim_var_quadrature(double p, double mu, double n_sat) {
  return 1.0 / (4.0 * mu * n_sat * (1.0 + p));
}
