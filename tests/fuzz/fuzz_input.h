/* Shared by the libFuzzer targets: the readers take paths, so each input is
 * written to one temporary file per process (removed at exit). */
#ifndef PHYSOPT_FUZZ_INPUT_H
#define PHYSOPT_FUZZ_INPUT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "physopt/error.h"

static char po_fuzz_path[64];

static void po_fuzz_cleanup(void) {
  if (po_fuzz_path[0]) unlink(po_fuzz_path);
}

/* The path of a file holding exactly data[0..size). */
static const char *po_fuzz_file(const uint8_t *data, size_t size) {
  if (!po_fuzz_path[0]) {
    snprintf(po_fuzz_path, sizeof po_fuzz_path, "/tmp/physopt-fuzz-XXXXXX");
    int fd = mkstemp(po_fuzz_path);
    if (fd < 0) abort();
    close(fd);
    atexit(po_fuzz_cleanup);
  }
  FILE *f = fopen(po_fuzz_path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) abort();
  return po_fuzz_path;
}

/* Every failure must come with a message (the library's contract). */
static void po_fuzz_check_status(int rc) {
  if (rc != PO_OK && !po_last_error()[0]) abort();
}

#endif
