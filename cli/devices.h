/* Physical-device descriptions (configs/devices/BACKEND-NAME.ini): the list
 * shown by `physopt backends`, read from the files themselves, and the
 * model description of a run (--json), as the backend recorded it. */
#ifndef PHYSOPT_CLI_DEVICES_H
#define PHYSOPT_CLI_DEVICES_H

#include "cli/common.h"
#include "physopt/physopt.h"

/* Prints "  devices:" and one line per configs/devices/<backend>-*.ini found
 * (in ./configs/devices, else the installed share/physopt/configs/devices):
 * file path, [backend] device and device_summary.  Prints nothing when none
 * is found.  With j != NULL, an array "devices" of {file, name, summary}. */
void po_cli_list_devices(const char *backend, po_json *j);

/* Prints "  recipes ..." and, per instance class with a recipe file
 * (configs/<backend>-recipes/<class>.ini, found as --config files are), its
 * file, selection rule, algorithm and summary.  Nothing when none is found.
 * With j != NULL, an array "recipes" of {class, rule, file, algorithm,
 * summary}. */
void po_cli_list_recipes(const char *backend, po_json *j);

/* For --json of an anneal run: "model": {...}, the model description the
 * backend left in the ledger (po_ledger_model_set; cim: "mode" = "device" |
 * "dimensionless (cim-optimizer compatible)", "device", "quantum_noise",
 * "measured_feedback", and with a device the derived parameters of
 * physics/cim_device.h).  Nothing when the backend gave none. */
void po_cli_model_json(po_json *j, const po_ledger *l);

#endif
