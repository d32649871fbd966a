/* Ising problems: couplings stored dense (float, row-major) or sparse (CSR).
 *
 * Energy convention (DESIGN.md, ../shared/data/README.md), s_i = +/-1:
 *
 *     E(s) = sum_{i<j} J_ij s_i s_j + sum_i h_i s_i + offset
 *
 * Positive J_ij is antiferromagnetic.  For a MaxCut graph with weights w_ij
 * (J = w, no fields, no offset) cut(s) = (sum_{i<j} w_ij - E(s)) / 2.
 *
 * Devices that minimise H = -(1/2) sum_ij K_ij s_i s_j (the CIM convention)
 * use K = -J.  The local field used by every kernel is
 *     f_i(s) = sum_j J_ij s_j + h_i,   and flipping s_i changes E by -2 s_i f_i. */
#ifndef PHYSOPT_PROBLEM_H
#define PHYSOPT_PROBLEM_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared in include/physopt/ is exported from libphysopt.so,
 * nothing else is (-fvisibility=hidden; docs/design-notes.md). */
#pragma GCC visibility push(default)

typedef enum { PO_STORAGE_DENSE = 0, PO_STORAGE_CSR = 1 } po_storage;

typedef struct po_ising {
  int n;
  po_storage storage;
  /* PO_STORAGE_DENSE: n*n, symmetric, zero diagonal. */
  float *dense;
  /* PO_STORAGE_CSR: both (i,j) and (j,i) stored, columns sorted per row. */
  int64_t *row_ptr; /* n + 1 */
  int32_t *col;     /* row_ptr[n] */
  float *val;       /* row_ptr[n] */
  float *h;         /* n fields, or NULL when all are zero */
  double offset;    /* constant added to E (QUBO conversions) */

  long n_edges;        /* undirected pairs i<j with nonzero J_ij */
  double weight_sum;   /* sum over those pairs of J_ij (MaxCut: total weight) */
  int integer_weights; /* every J_ij and h_i is an integer */
  int pm1;             /* every nonzero |J_ij| == 1 and h == NULL */

  /* Known ground state (planted instances) or known ground energy (files
   * with a published value); has_ground = 0 when unknown. */
  int has_ground;
  double ground_energy;
  int8_t *ground_state; /* n spins, or NULL */

  /* 1 when read from a QUBO file (x_i = (1 + s_i)/2, and E(s) = f(x) with the
   * offset): outputs report x and the QUBO objective (po_qubo_read_file). */
  int binary;

  char source[512];      /* file path or generator spec */
  uint64_t content_hash; /* FNV-1a over n, couplings and fields */
} po_ising;

/* Duplicate-edge policy of the edge-list readers. */
typedef enum { PO_DUP_REJECT = 0, PO_DUP_SUM = 1 } po_dup_policy;

typedef struct po_load_opts {
  po_dup_policy duplicates; /* default PO_DUP_REJECT */
  int storage;              /* -1 = auto (CSR below 25% density), else po_storage */
  const char *format;       /* file format name (po_problem_formats); NULL or "auto":
                               chosen from the file name's extension */
} po_load_opts;

/* The problem file formats, listed ONCE: X(name, extensions, reader, binary,
 * summary).  problems/formats.c expands it into the format table, the CLI
 * into problem.format's choices and help; docs/problems.md's table is checked
 * against it (tests/test_formats.c).  `reader` names the library function. */
#define PO_PROBLEM_FORMATS(X)                                                                      \
  X(gset, "txt|rud|gset", po_ising_read_file, 0,                                                   \
    "G-set/rudy edge list: 'N M [F]', M lines 'i j w' (1-based), F lines 'i h'")                   \
  X(qubo, "qubo", po__read_qubo, 1,                                                                \
    "qbsolv QUBO: 'p qubo 0 MAXNODES NNODES NCOUPLERS', lines 'i j Q_ij' (0-based)")               \
  X(mtx, "mtx", po__read_mtx, 0,                                                                   \
    "Matrix Market coordinate symmetric, real, integer or pattern: J, zero diagonal")              \
  X(npy, "npy", po__read_npy, 0, "NumPy .npy: dense symmetric J (N x N), zero diagonal")           \
  X(npz, "npz", po__read_npz, 0,                                                                   \
    "NumPy .npz (np.savez): J.npy, optional h.npy (N) and offset.npy (scalar)")                    \
  X(bqm, "json", po__read_bqm, 0,                                                                  \
    "dimod BQM JSON (bqm.to_serializable(), use_bytes=False): SPIN or BINARY")

/* Problem file formats: the table (problems/formats.c) from which format
 * selection, the CLI help and docs/problems.md derive.  Every reader reports
 * "PATH:LINE: what is wrong" (text formats) or "PATH: what is wrong" /
 * "PATH:MEMBER: ..." (binary formats) as PO_ERR_PARSE. */
typedef struct po_problem_format {
  const char *name;       /* "gset", "qubo", "mtx", "npy", "npz", "bqm" */
  const char *extensions; /* "txt|rud|gset": selects the format (case-insensitive) */
  const char *summary;    /* one line for help texts and docs */
  int binary;             /* 1: a QUBO over x in {0,1} (model->binary is set); bqm sets
                             model->binary itself (BINARY files) */
  int (*read)(const char *path, const po_load_opts *opts, po_ising **out);
} po_problem_format;

/* The table and its length. */
const po_problem_format *po_problem_formats(size_t *count);
/* By name ("gset" ...); NULL when unknown. */
const po_problem_format *po_problem_format_find(const char *name);
/* The format of a file: opts->format when set (an unknown name is PO_ERR_ARG
 * listing the valid ones), else by extension, else gset. */
int po_problem_format_select(const char *path, const po_load_opts *opts,
                             const po_problem_format **fmt);
/* "gset|qubo|mtx|npy|npz|bqm" into buf (for messages and help). */
void po_problem_format_names(char *buf, size_t size);

/* Builds a model from an undirected edge list (0-based i != j).
 * Duplicate pairs ((i,j) twice, or (i,j) and (j,i)) follow opts->duplicates. */
int po_ising_from_edges(int n, long m, const int32_t *ei, const int32_t *ej, const double *w,
                        const double *h, const po_load_opts *opts, po_ising **out);

/* Reads a G-set / rudy edge-list file ("N M" then M lines "i j w", 1-based,
 * i != j, integer or real weights; '#' starts a comment line).  Errors name the
 * file and line: bad header, index out of range, self-loop, non-numeric
 * weight, wrong edge count, trailing garbage, duplicate edge. */
int po_ising_read_file(const char *path, const po_load_opts *opts, po_ising **out);

/* Reads a problem file in the format po_problem_format_select picks. */
int po_problem_read(const char *path, const po_load_opts *opts, po_ising **out);

/* Opens a problem by name: a file path (any format above), or a generator spec
 *   sk:N:SEED[:gauss|:pm]     Sherrington-Kirkpatrick, J_ij ~ N(0,1/N) (default) or +/-1
 *   wishart:N:M:SEED          Wishart planted ensemble (Hamze et al. 2020),
 *                             M columns (alpha = M/N); ground state known.
 *   er:N:P:SEED               Erdos-Renyi MaxCut graph G(N, P), unit weights
 *   rrg:N:D:SEED              random D-regular MaxCut graph, unit weights
 * er and rrg follow opts->storage (auto: CSR below 25% density, as files). */
int po_problem_open(const char *spec, const po_load_opts *opts, po_ising **out);
/* Checks a spec without building the model: a generator spec must parse
 * (same rules and messages as po_problem_open), a file must open for reading.
 * Lets a sweep reject every bad run before the first one starts. */
int po_problem_check(const char *spec);

/* Generators.  SK: J_ij (i<j) ~ N(0, 1/N) if gaussian, else +/-1 equiprobable. */
int po_ising_generate_sk(int n, uint64_t seed, int gaussian, po_ising **out);
/* Wishart planted ensemble: W = n x m Gaussian matrix whose columns are
 * orthogonal to the planted state t (all +1 before the gauge transform),
 * J = -(1/n) W W^T with zero diagonal in the paper's convention
 * H = -sum J s s, i.e. J_ij = +(1/n) (W W^T)_ij here; E(t) is the ground energy. */
int po_ising_generate_wishart(int n, int m, uint64_t seed, po_ising **out);
/* MaxCut graphs with unit weights (J_ij = w_ij = 1 on every edge, so
 * po_ising_cut is the cut, as for a G-set file).  Erdos-Renyi G(n, p): each
 * pair an edge with probability p in (0, 1].  Random d-regular graph
 * (Steger-Wormald pairing), n d even.  opts: storage (NULL = auto). */
int po_ising_generate_er(int n, double p, uint64_t seed, const po_load_opts *opts, po_ising **out);
int po_ising_generate_rrg(int n, int d, uint64_t seed, const po_load_opts *opts, po_ising **out);

void po_ising_destroy(po_ising *m);

/* Copies with the other storage. */
int po_ising_to_dense(const po_ising *m, po_ising **out);
int po_ising_to_csr(const po_ising *m, po_ising **out);

/* J_ij for any storage (O(1) dense, O(log deg) CSR). */
float po_ising_coupling(const po_ising *m, int i, int j);

double po_ising_energy(const po_ising *m, const int8_t *s);
/* f_i = sum_j J_ij s_j + h_i for all i. */
void po_ising_local_fields(const po_ising *m, const int8_t *s, double *f);
/* E(s with s_i flipped) - E(s). */
double po_ising_flip_delta(const po_ising *m, const int8_t *s, int i);
/* (weight_sum - (E(s) - offset)) / 2; meaningful for field-free MaxCut models. */
double po_ising_cut(const po_ising *m, const double energy);
/* Energy whose cut is `cut` (inverse of po_ising_cut). */
double po_ising_energy_of_cut(const po_ising *m, double cut);
/* max_i sum_j |J_ij| + |h_i| and min nonzero |J_ij| (schedule defaults). */
void po_ising_coupling_scales(const po_ising *m, double *max_row_abs, double *min_nonzero);

/* Instance statistics (problems/stats.c), the input of po_problem_classify. */
typedef struct po_ising_stats {
  int n;
  long n_edges;             /* pairs i<j with J_ij != 0 */
  double density;           /* n_edges / (n (n - 1) / 2) */
  double mean_degree;       /* 2 n_edges / n */
  double weight_rms;        /* sqrt(mean over the edges of J_ij^2) */
  double coupling_norm;     /* sqrt(sum_ij J_ij^2 / n) = weight_rms sqrt(mean_degree): the cim
                               backend's rms norm (cim.eps_norm = rms) */
  double negative_fraction; /* share of the edges with J_ij < 0 */
  int unit_weights;         /* every nonzero |J_ij| == 1 */
  int has_fields;
} po_ising_stats;
void po_ising_stats_get(const po_ising *m, po_ising_stats *s);

/* Instance classes of the cim recipes (docs/cim.md, "Scale-aware defaults"),
 * listed once: X(enum, name, rule). */
#define PO_PROBLEM_CLASSES(X)                                                                      \
  X(PO_CLASS_SK, "sk", "density >= 0.9 and 25-75% negative couplings (SK, Wishart)")               \
  X(PO_CLASS_DENSE_MAXCUT, "dense-maxcut", "density >= 0.25, not sk")                              \
  X(PO_CLASS_SPARSE_MAXCUT, "sparse-maxcut", "density < 0.25 (G-set, random regular)")
#define PO_CLASS_ENUM_(e, name, rule) e,
typedef enum { PO_PROBLEM_CLASSES(PO_CLASS_ENUM_) PO_CLASS_COUNT } po_problem_class;
#undef PO_CLASS_ENUM_
/* Thresholds of the rules above. */
#define PO_CLASS_SK_MIN_DENSITY    0.9
#define PO_CLASS_SK_MIN_NEGATIVE   0.25
#define PO_CLASS_DENSE_MIN_DENSITY 0.25
po_problem_class po_problem_classify(const po_ising_stats *s);
/* "sk", "dense-maxcut", "sparse-maxcut"; NULL for an invalid class. */
const char *po_problem_class_name(po_problem_class c);
/* The one-line rule of a class (for listings). */
const char *po_problem_class_rule(po_problem_class c);
/* By name; -1 when unknown. */
int po_problem_class_find(const char *name);

/* QUBO: f(x) = sum_{i<=j} Q_ij x_i x_j + offset, x_i in {0,1}; Q dense n*n,
 * only the upper triangle (incl. diagonal) is read. */
typedef struct po_qubo {
  int n;
  double *Q;
  double offset;
} po_qubo;

/* x_i = (1 + s_i)/2: equal objective values for corresponding states. */
int po_qubo_to_ising(const po_qubo *q, po_ising **out);
int po_ising_to_qubo(const po_ising *m, po_qubo *out); /* fills out->Q (malloc) */
double po_qubo_value(const po_qubo *q, const uint8_t *x);
void po_qubo_free(po_qubo *q);

/* Sparse QUBO as read from a file: f(x) = sum_k q_k x_{i_k} x_{j_k} + offset,
 * i_k <= j_k (0-based). */
typedef struct po_qubo_terms {
  int n;
  long m;
  int32_t *i, *j;
  double *q;
  double offset;
} po_qubo_terms;

/* Reads a qbsolv "p qubo" file (problems/qubo_file.c, docs/problems.md), or
 * the terms of a BINARY dimod BQM JSON file when the format (opts->format or
 * the extension) is bqm: its linear biases as (i, i) terms, then its
 * interactions, and its offset. */
int po_qubo_read_file(const char *path, const po_load_opts *opts, po_qubo_terms *out);
/* Exact objective f(x) in double (x_i in {0,1}). */
double po_qubo_terms_value(const po_qubo_terms *q, const uint8_t *x);
/* Ising model with E(s) = f((1 + s)/2) for every s (same substitution as
 * po_qubo_to_ising); model->binary = 1. */
int po_qubo_terms_to_ising(const po_qubo_terms *q, const po_load_opts *opts, po_ising **out);
void po_qubo_terms_free(po_qubo_terms *q);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
