/* Internal helpers shared by the files of problems/ (not installed). */
#ifndef PHYSOPT_PROBLEMS_ISING_INTERNAL_H
#define PHYSOPT_PROBLEMS_ISING_INTERNAL_H

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

#endif
