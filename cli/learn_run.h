/* The learning-run configuration moved into the library
 * (physopt/learn_run.h) so that the commands, the sweep and the Python
 * binding share one definition; this header stays for the commands that
 * include it. */
#ifndef PHYSOPT_CLI_LEARN_RUN_H
#define PHYSOPT_CLI_LEARN_RUN_H
#include "physopt/learn_run.h"
#endif
