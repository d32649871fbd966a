/* The G-set / rudy reader: the shared reference files load with the right
 * sizes and weight sums, the SK files pick up their ground energies, and
 * malformed files fail with PO_ERR_PARSE naming file and line.
 *
 * The shared data directory comes from $PHYSOPT_DATA (tests/run-all.sh sets
 * it to ../shared/data). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "physopt/physopt.h"

static const char *data_dir(void) {
  const char *d = getenv("PHYSOPT_DATA");
  if (!d || !*d) d = "../shared/data";
  struct stat st;
  if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode))
    fail_msg("data directory '%s' not found: set PHYSOPT_DATA to the shared data", d);
  return d;
}

/* An independent parse (fscanf, no validation) for cross-checking energies. */
typedef struct {
  int n;
  long m;
  int *i, *j;
  double *w;
} plain_graph;

static plain_graph plain_read(const char *path) {
  plain_graph g = {0};
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  assert_int_equal(fscanf(f, "%d %ld", &g.n, &g.m), 2);
  g.i = malloc(g.m * sizeof *g.i);
  g.j = malloc(g.m * sizeof *g.j);
  g.w = malloc(g.m * sizeof *g.w);
  for (long k = 0; k < g.m; k++)
    assert_int_equal(fscanf(f, "%d %d %lf", &g.i[k], &g.j[k], &g.w[k]), 3);
  fclose(f);
  return g;
}

static void plain_free(plain_graph *g) {
  free(g->i);
  free(g->j);
  free(g->w);
}

/* Expected values from ../shared/data/README.md (N, M) and, for the weight
 * sums, from
 *   awk 'NR>1 && NF {s += $3} END {print s}' G42.txt
 * (all G-set weights here are +1 except G42, which mixes +1 and -1). */
static const struct {
  const char *name;
  int n;
  long m;
  double weight_sum;
  int pm1;
} gset[] = {
    {"G1.txt", 800, 19176, 19176, 1}, {"G2.txt", 800, 19176, 19176, 1},
    {"G14.txt", 800, 4694, 4694, 1},  {"G22.txt", 2000, 19990, 19990, 1},
    {"G42.txt", 2000, 11779, 121, 1}, {"G70.txt", 10000, 9999, 9999, 1},
};

static void test_gset_files_load(void **state) {
  (void)state;
  const char *dir = data_dir();
  char path[4096];
  po_rng r;
  po_rng_init(&r, 1, 0, 0);
  for (size_t k = 0; k < sizeof gset / sizeof *gset; k++) {
    snprintf(path, sizeof path, "%s/gset/%s", dir, gset[k].name);
    po_ising *m;
    if (po_problem_open(path, NULL, &m) != PO_OK) fail_msg("%s: %s", path, po_last_error());
    assert_int_equal(m->n, gset[k].n);
    assert_int_equal(m->n_edges, gset[k].m);
    assert_true(m->weight_sum == gset[k].weight_sum);
    assert_int_equal(m->pm1, gset[k].pm1);
    assert_true(m->integer_weights);
    assert_int_equal(m->storage, PO_STORAGE_CSR); /* all are below 25% density */
    assert_int_equal(m->row_ptr[m->n], 2 * gset[k].m);
    assert_null(m->h);
    assert_false(m->has_ground); /* best-known cuts are records, not ground states */
    assert_string_equal(m->source, path);
    /* E(all +1) = sum of weights; E(random s) against the independent parse. */
    int8_t *s = malloc(m->n);
    for (int i = 0; i < m->n; i++) s[i] = 1;
    assert_true(po_ising_energy(m, s) == gset[k].weight_sum);
    plain_graph g = plain_read(path);
    assert_int_equal(g.n, gset[k].n);
    assert_int_equal(g.m, gset[k].m);
    for (int rep = 0; rep < 3; rep++) {
      for (int i = 0; i < m->n; i++) s[i] = po_rng_below(&r, 2) ? 1 : -1;
      double e = 0.0, cut = 0.0;
      for (long e2 = 0; e2 < g.m; e2++) {
        int a = g.i[e2] - 1, b = g.j[e2] - 1;
        e += g.w[e2] * s[a] * s[b];
        if (s[a] != s[b]) cut += g.w[e2];
      }
      assert_true(po_ising_energy(m, s) == e);
      assert_true(po_ising_cut(m, e) == cut);
    }
    plain_free(&g);
    free(s);
    po_ising_destroy(m);
  }
}

/* Minimum energy over all states with s_0 = +1 (Z2 symmetry, no fields). */
static double exhaustive_min(const po_ising *m) {
  const int n = m->n;
  int8_t s[32];
  for (int i = 0; i < n; i++) s[i] = 1;
  double e = po_ising_energy(m, s), emin = e;
  for (uint64_t k = 1; k < (1ULL << (n - 1)); k++) {
    int i = 1 + __builtin_ctzll(k);
    e += po_ising_flip_delta(m, s, i);
    s[i] = (int8_t)-s[i];
    if (e < emin) emin = e;
  }
  return emin;
}

static void test_sk_files_ground_energies(void **state) {
  (void)state;
  const char *dir = data_dir();
  char path[4096];
  snprintf(path, sizeof path, "%s/sk/ground_energies.txt", dir);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char line[256], name[128];
  double eg;
  int count = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || sscanf(line, "%127s %lf", name, &eg) != 2) continue;
    int n, idx;
    assert_int_equal(sscanf(name, "SK1_N%d_%d.txt", &n, &idx), 2);
    snprintf(path, sizeof path, "%s/sk/%s", dir, name);
    po_ising *m;
    if (po_problem_open(path, NULL, &m) != PO_OK) fail_msg("%s: %s", path, po_last_error());
    assert_int_equal(m->n, n);
    assert_int_equal(m->n_edges, (long)n * (n - 1) / 2);
    assert_int_equal(m->storage, PO_STORAGE_DENSE);
    assert_true(m->pm1);
    assert_true(m->has_ground);
    assert_true(m->ground_energy == eg);
    /* Cross-check the loader and the energy on the smallest instances. */
    if (n == 10 || (n == 20 && idx < 2)) assert_true(exhaustive_min(m) == eg);
    po_ising_destroy(m);
    count++;
  }
  fclose(f);
  assert_int_equal(count, 100);
}

/* Temporary directory for malformed inputs. */
static char tmpdir[64];

static int make_tmpdir(void **state) {
  (void)state;
  strcpy(tmpdir, "/tmp/physopt-gset-XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state) {
  (void)state;
  DIR *d = opendir(tmpdir);
  if (!d) return -1;
  struct dirent *e;
  char p[512];
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
      unlink(p);
    }
  closedir(d);
  return rmdir(tmpdir);
}

static const char *write_file(const char *name, const char *text, size_t len) {
  static char path[256];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, len, f), len);
  fclose(f);
  return path;
}

static const struct {
  const char *name, *text;
  int line;
  const char *msg;
} malformed[] = {
    {"empty.txt", "", 1, "no header"},
    {"comments-only.txt", "# nothing\n# here\n", 2, "no header"},
    {"header-one-field.txt", "10\n", 1, "header must be 'N M'"},
    {"header-four-fields.txt", "10 5 7 1\n1 2 1\n", 1, "trailing garbage '1' after header 'N M F'"},
    {"header-zero-n.txt", "0 3\n", 1, "N = '0' must be an integer in [1, "},
    {"header-text.txt", "ten 3\n", 1, "N = 'ten'"},
    {"header-negative-m.txt", "4 -2\n", 1, "M = '-2' must be a positive integer"},
    {"header-real.txt", "4 2.0\n", 1, "M = '2.0'"},
    {"header-too-many-edges.txt", "3 4\n", 1, "exceeds the N(N-1)/2 = 3"},
    {"blank-before-header.txt", "\n3 1\n1 2 1\n", 1, "blank line before the header"},
    {"index-high.txt", "3 1\n1 4 1\n", 2, "spin index 4 out of range [1, 3]"},
    {"index-zero.txt", "3 2\n1 2 1\n0 3 1\n", 3, "spin index 0 out of range [1, 3]"},
    {"index-negative.txt", "3 1\n-1 2 1\n", 2, "spin index -1 out of range"},
    {"index-real.txt", "3 1\n1.0 2 1\n", 2, "spin index '1.0' is not an integer"},
    {"index-overflow.txt", "3 1\n1 99999999999999999999 1\n", 2,
     "spin index '99999999999999999999' out of range [1, 3]"},
    {"header-overflow.txt", "99999999999999999999 1\n", 1, "N = '99999999999999999999'"},
    {"self-loop.txt", "3 2\n1 2 1\n2 2 1\n", 3, "self-loop (2, 2)"},
    {"weight-text.txt", "3 1\n1 2 abc\n", 2, "weight 'abc' is not a finite number"},
    {"weight-partial.txt", "3 1\n1 2 1.5x\n", 2, "weight '1.5x'"},
    {"weight-nan.txt", "3 1\n1 2 nan\n", 2, "weight 'nan'"},
    {"weight-inf.txt", "3 1\n1 2 -inf\n", 2, "weight '-inf'"},
    {"weight-overflow.txt", "3 1\n1 2 1e999\n", 2, "weight '1e999'"},
    {"missing-weight.txt", "3 1\n1 2\n", 2, "expected 'i j w', got 2 fields"},
    {"trailing-garbage.txt", "3 2\n1 2 1\n2 3 1 extra\n", 3, "trailing garbage 'extra'"},
    {"too-few.txt", "3 3\n1 2 1\n2 3 1\n", 3, "file ends after 2 of M = 3 edges"},
    {"too-many.txt", "3 1\n1 2 1\n2 3 1\n", 3, "more than M = 1 edge lines"},
    {"blank-inside.txt", "3 2\n1 2 1\n\n2 3 1\n", 3, "blank line after 1 of 2 edges"},
    {"duplicate.txt", "3 2\n1 2 1\n2 1 1\n", 3, "duplicate edge (2, 1), first given at line 2"},
    {"duplicate-comments.txt", "# c\n4 3\n# x\n1 2 1\n3 4 1\n\t# y\n1 2 -1\n", 7,
     "first given at line 4"},
};

static void test_malformed_files(void **state) {
  (void)state;
  for (size_t k = 0; k < sizeof malformed / sizeof *malformed; k++) {
    const char *path = write_file(malformed[k].name, malformed[k].text, strlen(malformed[k].text));
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s:%d: ", path, malformed[k].line);
    po_ising *m = (po_ising *)1;
    int rc = po_problem_open(path, NULL, &m);
    const char *msg = po_last_error();
    if (rc != PO_ERR_PARSE || m != NULL || strncmp(msg, prefix, strlen(prefix)) != 0 ||
        !strstr(msg, malformed[k].msg))
      fail_msg("%s: rc %d, message '%s'; expected prefix '%s' and '%s'", malformed[k].name, rc, msg,
               prefix, malformed[k].msg);
  }
  /* A NUL byte inside a line. */
  const char nul[] = "3 1\n1 2\0 1\n";
  const char *path = write_file("nul.txt", nul, sizeof nul - 1);
  po_ising *m;
  assert_int_equal(po_ising_read_file(path, NULL, &m), PO_ERR_PARSE);
  assert_non_null(strstr(po_last_error(), ":2: NUL byte"));
  /* A file that cannot be opened. */
  char missing[300];
  snprintf(missing, sizeof missing, "%s/does-not-exist.txt", tmpdir);
  assert_int_equal(po_ising_read_file(missing, NULL, &m), PO_ERR_IO);
  assert_non_null(strstr(po_last_error(), missing));
  assert_int_equal(po_ising_read_file(tmpdir, NULL, &m), PO_ERR_IO); /* a directory */
  /* A 1 MB line of garbage: refused at the line bound, with its line. */
  size_t big = 1 << 20;
  char *text = malloc(big + 16);
  memcpy(text, "3 1\n1 2 1 ", 10);
  memset(text + 10, 'x', big);
  memcpy(text + 10 + big, "\n", 2);
  path = write_file("long-line.txt", text, strlen(text));
  assert_int_equal(po_ising_read_file(path, NULL, &m), PO_ERR_PARSE);
  assert_non_null(strstr(po_last_error(), ":2: line longer than 65536 bytes"));
  assert_true(strlen(po_last_error()) < 400);
  /* Issue 12 item 4: a 10 MB comment line used to read as "(empty file)". */
  memset(text, 'x', big);
  text[0] = '#';
  text[big] = '\0';
  path = write_file("long-comment.txt", text, strlen(text));
  free(text);
  assert_int_equal(po_ising_read_file(path, NULL, &m), PO_ERR_PARSE);
  assert_non_null(strstr(po_last_error(), ":1: line longer than 65536 bytes"));
  /* Lines up to the bound are read. */
  size_t ok = 65536;
  text = malloc(ok + 32);
  memset(text, ' ', ok + 32);
  text[0] = '#';
  memcpy(text + ok, "\n3 1\n1 2 1\n", 12);
  path = write_file("long-ok.txt", text, ok + 11);
  free(text);
  if (po_ising_read_file(path, NULL, &m) != PO_OK) fail_msg("%s", po_last_error());
  po_ising_destroy(m);
}

/* Issue 12 item 4: endless inputs fail fast with file and line (they used
 * to grow past 1.8 GB, or loop for ever). */
static void test_endless_inputs(void **state) {
  (void)state;
  po_ising *m;
  assert_int_equal(po_problem_open("/dev/zero", NULL, &m), PO_ERR_PARSE);
  assert_non_null(strstr(po_last_error(), "/dev/zero:1: NUL byte"));
  /* A stream of comment lines without end (yes '#'): bounded by count. */
  FILE *p = popen("yes '#'", "r");
  assert_non_null(p);
  char fdpath[64];
  snprintf(fdpath, sizeof fdpath, "/dev/fd/%d", fileno(p));
  assert_int_equal(po_ising_read_file(fdpath, NULL, &m), PO_ERR_PARSE);
  assert_non_null(strstr(po_last_error(), ":1048577: more than 1048576 comment or blank lines"));
  pclose(p);
}

/* Issue 12 item 3: weights that do not fit the float couplings, and sums
 * that overflow, are refused with file and line (1e39 used to give a best
 * energy of -inf, 1e-50 silently became 0, two 3e38 summed gave null). */
static void test_weights_outside_float(void **state) {
  (void)state;
  static const struct {
    const char *text;
    int line, dup_sum;
    const char *msg;
  } cases[] = {
      {"3 1\n1 2 1e39\n", 2, 0, "weight '1e39': weight overflows float storage"},
      {"3 1\n1 2 -3.5e38\n", 2, 0, "overflows float storage"},
      {"3 1\n1 2 1e-50\n", 2, 0, "weight '1e-50': weight underflows float storage"},
      {"3 1\n1 2 1e-39\n", 2, 0, "underflows float storage"},
      {"3 2\n1 2 3e38\n1 3 3e38\n", 3, 0, "spin 0 (0-based) add up to more than the float"},
      {"3 2\n1 2 3e38\n2 1 3e38\n", 2, 1, "add up to more than the float range"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    const char *path = write_file("float-range.txt", cases[k].text, strlen(cases[k].text));
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s:%d: ", path, cases[k].line);
    po_load_opts opts = {cases[k].dup_sum ? PO_DUP_SUM : PO_DUP_REJECT, -1, NULL};
    po_ising *m = (po_ising *)1;
    int rc = po_problem_open(path, &opts, &m);
    const char *msg = po_last_error();
    if (rc != PO_ERR_PARSE || m != NULL || strncmp(msg, prefix, strlen(prefix)) ||
        !strstr(msg, cases[k].msg))
      fail_msg("case %zu: rc %d, message '%s'; expected prefix '%s' and '%s'", k, rc, msg, prefix,
               cases[k].msg);
  }
  /* The extremes that do fit are kept exactly. */
  const char *text = "3 2\n1 2 3.4e38\n2 3 1.2e-38\n";
  const char *path = write_file("float-edge.txt", text, strlen(text));
  po_ising *m;
  if (po_problem_open(path, NULL, &m) != PO_OK) fail_msg("%s", po_last_error());
  assert_true(po_ising_coupling(m, 0, 1) == 3.4e38f);
  assert_true(po_ising_coupling(m, 1, 2) == 1.2e-38f);
  po_ising_destroy(m);
}

static void test_valid_variants(void **state) {
  (void)state;
  /* Comments, CRLF line ends, tabs, i > j, real weights, trailing blank lines. */
  const char *text = "# a comment\r\n4 3\r\n3\t1  0.5\r\n# mid\r\n2 4 -2e0\r\n4 3 1\r\n\r\n  \n";
  const char *path = write_file("valid.txt", text, strlen(text));
  po_ising *m;
  if (po_ising_read_file(path, NULL, &m) != PO_OK) fail_msg("%s", po_last_error());
  assert_int_equal(m->n, 4);
  assert_int_equal(m->n_edges, 3);
  assert_true(po_ising_coupling(m, 0, 2) == 0.5f);
  assert_true(po_ising_coupling(m, 3, 1) == -2.0f);
  assert_true(po_ising_coupling(m, 2, 3) == 1.0f);
  assert_true(m->weight_sum == -0.5);
  assert_false(m->integer_weights);
  assert_false(m->pm1);
  po_ising_destroy(m);

  /* No newline at the end of the file; a zero weight is accepted but not stored. */
  const char *nonl = "3 2\n1 2 0\n2 3 -1.5";
  path = write_file("nonl.txt", nonl, strlen(nonl));
  assert_int_equal(po_ising_read_file(path, NULL, &m), PO_OK);
  assert_int_equal(m->n_edges, 1);
  assert_true(po_ising_coupling(m, 1, 2) == -1.5f && po_ising_coupling(m, 0, 1) == 0.0f);
  po_ising_destroy(m);

  /* Duplicates are summed under PO_DUP_SUM (then M may exceed the pairs). */
  const char *dup = "2 3\n1 2 1\n2 1 2\n1 2 0.5\n";
  path = write_file("dup.txt", dup, strlen(dup));
  po_load_opts sum = {PO_DUP_SUM, PO_STORAGE_DENSE, NULL};
  assert_int_equal(po_ising_read_file(path, &sum, &m), PO_OK);
  assert_int_equal(m->storage, PO_STORAGE_DENSE);
  assert_true(po_ising_coupling(m, 0, 1) == 3.5f);
  assert_int_equal(m->n_edges, 1);
  po_ising_destroy(m);
  assert_int_equal(po_ising_read_file(path, NULL, &m), PO_ERR_PARSE); /* M > pairs */
}

static void test_ground_energy_sidecar(void **state) {
  (void)state;
  const char *g = "3 2\n1 2 1\n2 3 1\n";
  write_file("a.txt", g, strlen(g));
  write_file("b.txt", g, strlen(g));
  char path[300];
  snprintf(path, sizeof path, "%s", write_file("c.txt", g, strlen(g)));
  const char *side = "# instance energy\na.txt -2\nb.txt oops\n";
  write_file("ground_energies.txt", side, strlen(side));
  char p[300];
  po_ising *m;
  snprintf(p, sizeof p, "%s/a.txt", tmpdir);
  assert_int_equal(po_problem_open(p, NULL, &m), PO_OK);
  assert_true(m->has_ground && m->ground_energy == -2.0);
  po_ising_destroy(m);
  /* Not listed: nothing known. */
  assert_int_equal(po_problem_open(path, NULL, &m), PO_OK);
  assert_false(m->has_ground);
  po_ising_destroy(m);
  /* Listed with a malformed value: error naming the sidecar and line. */
  snprintf(p, sizeof p, "%s/b.txt", tmpdir);
  assert_int_equal(po_problem_open(p, NULL, &m), PO_ERR_PARSE);
  assert_non_null(strstr(po_last_error(), "ground_energies.txt:3: "));
  assert_null(m);
  /* po_ising_read_file alone does not consult the sidecar. */
  snprintf(p, sizeof p, "%s/a.txt", tmpdir);
  assert_int_equal(po_ising_read_file(p, NULL, &m), PO_OK);
  assert_false(m->has_ground);
  po_ising_destroy(m);
}

/* Random byte mutations of a valid file: every outcome is a clean load or a
 * PO_ERR_PARSE whose message starts with "PATH:LINE: " (no crash, no leak
 * under SANITIZE=1). */
static void test_mutated_files(void **state) {
  (void)state;
  const char *base = "# g\n5 6\n1 2 1\n2 3 -1\n3 4 2.5\n4 5 1\n5 1 1\n1 3 -2\n";
  const size_t len = strlen(base);
  const char alphabet[] = " \t\n#-+.0123456789ex\0";
  char buf[128], path[300], prefix[320];
  snprintf(path, sizeof path, "%s/mutant.txt", tmpdir);
  po_rng r;
  po_rng_init(&r, 2024, 0, 0);
  int ok = 0, bad = 0;
  for (int rep = 0; rep < 3000; rep++) {
    memcpy(buf, base, len);
    size_t n = len;
    int edits = 1 + (int)po_rng_below(&r, 3);
    for (int e = 0; e < edits; e++) {
      size_t at = po_rng_below(&r, n);
      char c = alphabet[po_rng_below(&r, sizeof alphabet - 1)];
      switch (po_rng_below(&r, 3)) {
      case 0:
        buf[at] = c;
        break; /* replace */
      case 1:  /* delete */
        memmove(buf + at, buf + at + 1, n - at - 1);
        n--;
        break;
      default: /* insert */
        if (n + 1 < sizeof buf) {
          memmove(buf + at + 1, buf + at, n - at);
          buf[at] = c;
          n++;
        }
      }
    }
    write_file("mutant.txt", buf, n);
    po_ising *m = NULL;
    int rc = po_ising_read_file(path, NULL, &m);
    if (rc == PO_OK) {
      assert_non_null(m);
      assert_true(m->n >= 1 && m->n_edges >= 0);
      po_ising_destroy(m);
      ok++;
    } else {
      assert_int_equal(rc, PO_ERR_PARSE);
      assert_null(m);
      snprintf(prefix, sizeof prefix, "%s:", path);
      const char *msg = po_last_error();
      assert_true(strncmp(msg, prefix, strlen(prefix)) == 0);
      char *end;
      long line = strtol(msg + strlen(prefix), &end, 10);
      assert_true(line >= 1 && line <= 64 && strncmp(end, ": ", 2) == 0);
      bad++;
    }
  }
  assert_true(ok > 100 && bad > 1000); /* both outcomes exercised */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gset_files_load),       cmocka_unit_test(test_sk_files_ground_energies),
      cmocka_unit_test(test_malformed_files),       cmocka_unit_test(test_endless_inputs),
      cmocka_unit_test(test_weights_outside_float), cmocka_unit_test(test_valid_variants),
      cmocka_unit_test(test_ground_energy_sidecar), cmocka_unit_test(test_mutated_files),
  };
  return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
