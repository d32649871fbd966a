/* Internal helpers shared by the files of problems/ (not installed). */
#ifndef PHYSOPT_PROBLEMS_ISING_INTERNAL_H
#define PHYSOPT_PROBLEMS_ISING_INTERNAL_H

#include <stdint.h>
#include "physopt/problem.h"

/* Largest spin count any constructor accepts (CSR row_ptr is n + 1 int64). */
#define PO_ISING_MAX_N 100000000

/* Allocates an empty model of n spins with the given storage; dense storage
 * gets a zeroed n*n matrix, CSR storage gets nothing (caller fills it). */
int po__ising_alloc(int n, po_storage storage, po_ising **out);

/* Recomputes n_edges, weight_sum, integer_weights, pm1 and content_hash from
 * the stored couplings and fields, and drops h when it is all zero. */
void po__ising_finalize(po_ising *m);

/* NULL when w fits the float storage of couplings (|w| <= FLT_MAX and
 * either 0 or >= FLT_MIN, so it neither overflows nor silently becomes 0),
 * else the reason. */
const char *po__ising_weight_check(double w);

/* po_ising_from_edges with the positions of an offending duplicate pair
 * returned in dup[0] < dup[1] (edge indices) when the call fails with
 * PO_ERR_ARG because of PO_DUP_REJECT; dup[0] = -2 and dup[1] = the edge
 * when a weight, or a local field sum it completes, does not fit float;
 * dup[0] = -1 otherwise. */
int po__ising_build(int n, long m, const int32_t *ei, const int32_t *ej, const double *w,
                    const double *h, const po_load_opts *opts, po_ising **out, long dup[2]);

/* Copies source, offset and the known ground state/energy from src to dst. */
int po__ising_copy_meta(po_ising *dst, const po_ising *src);

/* Makes room for entry n in the parallel arrays (i, j, w, line) of an edge
 * list that the text readers grow while parsing (capacity doubles, from
 * 256); 0, or -1 when out of memory, the arrays staying valid for free(). */
int po__edges_reserve(int32_t **i, int32_t **j, double **w, long **line, long *cap, long n);

/* Text-file helpers (problems/gset.c).  po__parse_ll: strict decimal
 * integer, 0 or -1 (not an integer) or -2 (overflow); po__parse_real: a finite
 * number, the whole token consumed (0 or -1); po__split: whitespace tokens in
 * place, returns the count (may exceed max; only max are stored). */
int po__parse_ll(const char *s, long long *v);
int po__parse_real(const char *s, double *v);
int po__split(char *line, char **tok, int max);

/* Calls fn(ctx, line_number, line) for every line of a text file (the line
 * without its newline); stops at the first non-zero status.  A NUL byte is a
 * "PATH:LINE:" parse error, an unopenable file PO_ERR_IO.  *last_line is the
 * number of lines read. */
typedef int (*po__line_fn)(void *ctx, long ln, char *line);
int po__read_lines(const char *path, po__line_fn fn, void *ctx, long *last_line);

/* Readers of the format table (problems/formats.c). */
int po__read_qubo(const char *path, const po_load_opts *opts, po_ising **out);
int po__read_mtx(const char *path, const po_load_opts *opts, po_ising **out);
int po__read_npy(const char *path, const po_load_opts *opts, po_ising **out);
int po__read_npz(const char *path, const po_load_opts *opts, po_ising **out);
int po__read_bqm(const char *path, const po_load_opts *opts, po_ising **out);
/* The QUBO terms of a BINARY dimod BQM file (po_qubo_read_file). */
int po__bqm_read_terms(const char *path, const po_load_opts *opts, po_qubo_terms *out);

#endif
