#include "physopt/physopt.h"

#ifndef PO_GIT_REV
#define PO_GIT_REV "unknown"
#endif

const char *po_version(void) {
  return PO_VERSION;
}
const char *po_git_revision(void) {
  return PO_GIT_REV;
}
