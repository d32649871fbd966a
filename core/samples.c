/* Sample storage: replicas x n spins and their energies. */
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"
#include "physopt/results.h"

int po_samples_alloc(po_samples *s, int replicas, int n) {
  memset(s, 0, sizeof *s);
  if (replicas < 1 || n < 1)
    return po_error(PO_ERR_ARG, "samples need replicas >= 1 and n >= 1 (got %d, %d)", replicas, n);
  s->spins = malloc((size_t)replicas * (size_t)n);
  s->energy = calloc((size_t)replicas, sizeof *s->energy);
  if (!s->spins || !s->energy) {
    po_samples_free(s);
    return po_error(PO_ERR_NOMEM, "out of memory for %d x %d samples", replicas, n);
  }
  s->replicas = replicas;
  s->n = n;
  return PO_OK;
}

void po_samples_free(po_samples *s) {
  free(s->spins);
  free(s->energy);
  memset(s, 0, sizeof *s);
}
