/* Helpers shared by the cmocka tests (linked into every test binary). */
#ifndef PHYSOPT_TESTUTIL_H
#define PHYSOPT_TESTUTIL_H

#include <stdio.h>
#include "physopt/physopt.h"

/* The shared reference instances: $PHYSOPT_DATA, else ../shared/data. */
const char *po_test_data_dir(void);
/* Opens data_dir/rel for reading; fails the running test on error. */
FILE *po_test_open_data(const char *rel);
/* Loads data_dir/rel (a G-set / SK file); fails the running test on error. */
po_ising *po_test_load(const char *rel);
/* Opens backend `name` with an optional INI file and NULL-terminated
 * "section.key=value" overrides; fails the running test on error. */
po_backend *po_test_open_backend(const char *name, const char *ini, const char *const *sets);
/* po_backend_ising_anneal with the backend's default schedule, `alg` (NULL:
 * the backend's default), R replicas x K steps, seed, run id 3, threads. */
int po_test_anneal(po_backend *b, const po_ising *m, const char *alg, int R, long K, uint64_t seed,
                   int threads, po_samples *out);

/* Runs argv[0] with argv (fork + execv); stdout goes to out_path (NULL:
 * /dev/null), stderr to err_path (NULL: /dev/null).  Returns the exit
 * status, or -1 when the process did not exit normally. */
int po_test_exec(char *const argv[], const char *out_path, const char *err_path);
/* Whether `physopt` at bin was built with MPI and /usr/bin/mpirun exists
 * (scratch: a writable file path for the help text). */
int po_test_has_mpi(const char *bin, const char *scratch);
/* mpirun --allow-run-as-root --oversubscribe -np NP args... (args
 * NULL-terminated, at most 58); output as po_test_exec. */
int po_test_mpirun(int np, char *const args[], const char *out_path, const char *err_path);

/* $BUILD/physopt (default build/physopt) as an absolute path, resolved
 * against the working directory of the first call: call it before a test
 * changes directory (relative data paths in sweep files keep run ids and
 * seeds the same on every execution). */
const char *po_test_physopt_bin(void);

/* Asserts that the n draws x are N(0, 1): mean, E z^2, E z^3, E z^4 and
 * P(|z| > 3) each within 5 standard errors (Var z = 1, Var z^2 = 2,
 * Var z^3 = 15, Var z^4 = 96), and none non-finite; prints them. */
void po_test_assert_normal_moments(const float *x, long n);

/* The set-up of a test that runs the CLI: po_test_physopt_bin() into bin
 * (-1, with a message, when it is not built) and a new scratch directory
 * /tmp/physopt-TAG-XXXXXX into dir.  0 or -1. */
int po_test_cli_workdir(const char *tag, char *bin, size_t bin_size, char *dir, size_t dir_size);

/* Removes a scratch directory made by po_test_cli_workdir (and nothing
 * else: the name must start with /tmp/physopt-).  0 or -1. */
int po_test_remove_workdir(const char *dir);
/* Writes text to path (replacing it), asserting every step. */
void po_test_write_text(const char *path, const char *text);

/* Runs the physopt binary under test ($BUILD/physopt, default
 * build/physopt) with the NULL-terminated args; output as po_test_exec. */
int po_test_physopt(char *const args[], const char *out_path, const char *err_path);
/* The number after the next `"name": ` in *from (NaN for null); advances
 * *from past it; fails the running test when there is none. */
double po_test_json_next(const char **from, const char *name);

/* Ground energy of a field-free model with n <= 24 by Gray-code enumeration
 * of all 2^(n-1) states with s_0 = +1 (E is invariant under a global flip);
 * fails the running test otherwise. */
double po_test_enumerate_ground(const po_ising *m);

#endif
