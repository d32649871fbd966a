/* Device files listed from disk and the model label of a run; see devices.h. */
#include "cli/devices.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "physics/cim_device.h"

static int by_name(const struct dirent **a, const struct dirent **b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

/* configs/devices found as --config finds files (po_config_find: as given,
 * $PHYSOPT_CONFIG_PATH, the installed configs); caller frees. */
static char *devices_dir(void) {
  char *dir = NULL;
  return po_config_find("configs/devices", &dir) == PO_OK ? dir : NULL;
}

static void list_one(const char *path, const char *backend, po_json *j) {
  po_params *p = NULL;
  if (po_params_create(&p) || po_params_load_ini(p, path)) {
    po_params_destroy(p);
    return; /* an unreadable file is not a device */
  }
  const char *name = po_params_get(p, backend, "device");
  const char *summary = po_params_get(p, backend, "device_summary");
  if (j) {
    po_json_object(j, NULL);
    po_json_string(j, "file", path);
    po_json_string(j, "name", name);
    po_json_string(j, "summary", summary);
    po_json_close(j);
  } else {
    printf("    %-40s %s\n", path, summary ? summary : (name ? name : ""));
  }
  po_params_destroy(p);
}

void po_cli_list_devices(const char *backend, po_json *j) {
  char *dir = devices_dir();
  struct dirent **ents = NULL;
  int n = dir ? scandir(dir, &ents, NULL, by_name) : -1;
  if (n < 0) {
    free(dir);
    return;
  }
  char prefix[80], path[1024];
  snprintf(prefix, sizeof prefix, "%s-", backend);
  int shown = 0;
  for (int i = 0; i < n; i++) {
    const char *f = ents[i]->d_name;
    const size_t len = strlen(f);
    if (!strncmp(f, prefix, strlen(prefix)) && len > 4 && !strcmp(f + len - 4, ".ini")) {
      if (!shown++) {
        if (j)
          po_json_array(j, "devices");
        else
          printf("  devices (--config FILE):\n");
      }
      snprintf(path, sizeof path, "%s/%s", dir, f);
      list_one(path, backend, j);
    }
    free(ents[i]);
  }
  free(ents);
  free(dir);
  if (j && shown) po_json_close(j);
}

void po_cli_model_json(po_json *j, const char *backend, const po_params *p) {
  const po_backend_ops *ops = po_backend_find(backend);
  if (strcmp(backend, "cim") || !ops || !ops->params) return;
  po_cim_device d;
  double dt, mu, sigma;
  if (po_cim_device_read(p, ops->params, &d) || po_params_double(p, ops->params, "dt", &dt) ||
      po_params_double(p, ops->params, "mu", &mu) ||
      po_params_double(p, ops->params, "sigma", &sigma))
    return;
  const int on = po_cim_device_on(&d);
  po_json_object(j, "model");
  po_json_string(j, "mode", on ? "device" : "dimensionless");
  po_json_string(j, "device", on ? d.name : NULL);
  po_json_bool(j, "quantum_noise", on && d.quantum_noise);
  po_json_bool(j, "measured_feedback", on && d.measured_feedback);
  po_json_number(j, "classical_noise_sigma", sigma);
  po_cim_model m;
  if (on && !po_cim_device_map(&d, dt, mu, &m)) {
    po_json_number(j, "photon_lifetimes_per_round_trip", m.kappa_rt);
    po_json_number(j, "steps_per_round_trip", m.steps_per_round_trip);
    po_json_int(j, "steps_per_measurement", m.steps_per_measurement);
    po_json_number(j, "pump_operating", m.pump_op);
    po_json_number(j, "noise_vacuum", m.noise_vacuum);
    po_json_number(j, "measurement_sigma", m.meas_sigma);
    po_json_number(j, "feedback_gain", m.feedback_gain);
    po_json_number(j, "adc_step", m.adc_step);
    po_json_int(j, "feedback_delay_round_trips", d.feedback_delay);
    po_json_number(j, "n_sat", d.n_sat);
  }
  po_json_close(j);
}
