/* The recall configuration moved into the library (physopt/recall_run.h)
 * so that the command, the sweep and the Python binding share one
 * definition; this header stays for the commands that include it. */
#ifndef PHYSOPT_CLI_RECALL_RUN_H
#define PHYSOPT_CLI_RECALL_RUN_H
#include "physopt/recall_run.h"
#endif
