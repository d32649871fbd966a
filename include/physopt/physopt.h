/* physopt: simulated physical optimizers behind one backend interface. */
#ifndef PHYSOPT_PHYSOPT_H
#define PHYSOPT_PHYSOPT_H

#include "physopt/error.h"
#include "physopt/rng.h"
#include "physopt/params.h"
#include "physopt/problem.h"
#include "physopt/schedule.h"
#include "physopt/ledger.h"
#include "physopt/results.h"
#include "physopt/backend.h"

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared in include/physopt/ is exported from libphysopt.so,
 * nothing else is (-fvisibility=hidden; docs/design-notes.md). */
#pragma GCC visibility push(default)

/* "0.1.0" */
const char *po_version(void);
/* git revision the library was built from ("unknown" outside a checkout). */
const char *po_git_revision(void);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
