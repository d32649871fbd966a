/* Physical-device descriptions (configs/devices/BACKEND-NAME.ini): the list
 * shown by `physopt backends`, read from the files themselves, and the
 * model label of a run (--json), derived by physics/cim_device.h. */
#ifndef PHYSOPT_CLI_DEVICES_H
#define PHYSOPT_CLI_DEVICES_H

#include "cli/common.h"
#include "physopt/physopt.h"

/* Prints "  devices:" and one line per configs/devices/<backend>-*.ini found
 * (in ./configs/devices, else the installed share/physopt/configs/devices):
 * file path, [backend] device and device_summary.  Prints nothing when none
 * is found.  With j != NULL, an array "devices" of {file, name, summary}. */
void po_cli_list_devices(const char *backend, po_json *j);

/* For --json of an anneal run: "model": {"mode": "dimensionless" |
 * "device", "device", "quantum_noise", "measured_feedback", and with a
 * device the derived parameters of physics/cim_device.h}.  Only for the
 * cim backend; other backends get nothing. */
void po_cli_model_json(po_json *j, const char *backend, const po_params *p);

#endif
