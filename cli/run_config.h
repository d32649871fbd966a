/* The run configuration moved into the library (physopt/run.h) so that the
 * CLI and the Python binding share one definition; this header stays for
 * the commands that include it. */
#ifndef PHYSOPT_CLI_RUN_CONFIG_H
#define PHYSOPT_CLI_RUN_CONFIG_H
#include "physopt/run.h"
#endif
