/* Data sets for the learning algorithms: the IDX format of MNIST and
 * Fashion-MNIST (http://yann.lecun.com/exdb/mnist/, Xiao, Rasul & Vollgraf,
 * arXiv:1708.07747), plain or gzip-compressed.
 *
 * IDX: a 4-byte big-endian magic 0x0000TTDD (TT = element type: 0x08 ubyte,
 * 0x09 sbyte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64; DD = number
 * of dimensions), DD big-endian uint32 sizes, then the elements big-endian in
 * row-major order.  The reader rejects a bad magic number, zero or absurd
 * dimensions, truncated data and trailing bytes, naming the file. */
#ifndef PHYSOPT_DATASET_H
#define PHYSOPT_DATASET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared in include/physopt/ is exported from libphysopt.so,
 * nothing else is (-fvisibility=hidden; docs/design-notes.md). */
#pragma GCC visibility push(default)

#define PO_IDX_MAX_DIMS 8

typedef struct po_idx {
  int type;  /* element type code (0x08 ...) */
  int ndims; /* 1 .. PO_IDX_MAX_DIMS */
  long dims[PO_IDX_MAX_DIMS];
  size_t count; /* product of dims */
  float *data;  /* count elements converted to float */
} po_idx;

/* Reads a whole IDX file (gzip or plain, detected automatically). */
int po_idx_read(const char *path, po_idx *out);
void po_idx_free(po_idx *x);

/* A labelled image set: x is n x dim (row-major), pixel / 255 in [0, 1]. */
typedef struct po_dataset {
  int n, dim, rows, cols;
  int n_classes;
  float *x;
  uint8_t *y;
  char source[512];
} po_dataset;

/* Loads split "train" or "test" of a data set.  name: "fashion-mnist"
 * (directory $PHYSOPT_FASHION_MNIST or /usr/share/datasets/fashion-mnist,
 * Debian package dataset-fashion-mnist) or a directory holding the four
 * MNIST-layout files {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz].
 * max_samples > 0 keeps only the first max_samples samples. */
int po_dataset_load(const char *name, const char *split, int max_samples, po_dataset **out);
void po_dataset_destroy(po_dataset *d);

/* Whether split "train" or "test" of data set `name` exists (directory and
 * both files can be opened) without reading it: the checks of
 * po_dataset_load that precede parsing. */
int po_dataset_check(const char *name, const char *split);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
