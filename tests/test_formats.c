/* Problem file formats (problems/formats.c): every format has a valid-file
 * test checked against an independent evaluation (brute force over all
 * states, or the matrix that was written), malformed files whose messages
 * name the file and line (text) or file and member (binary), format selection
 * by extension and by problem.format, the QUBO <-> Ising conversion by
 * exhaustive enumeration, and the docs table against the format list. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>
#include "physopt/physopt.h"

static char tmpdir[64];

static int setup(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/po_test_formats_XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  DIR *d = opendir(tmpdir);
  struct dirent *e;
  char p[512];
  while (d && (e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
      unlink(p);
    }
  if (d) closedir(d);
  return rmdir(tmpdir);
}

static const char *write_file(const char *name, const void *data, size_t len) {
  static char path[256];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, len, f), len);
  fclose(f);
  return path;
}

/* xorshift: test data only. */
static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void) {
  rnd_state ^= rnd_state << 13;
  rnd_state ^= rnd_state >> 7;
  rnd_state ^= rnd_state << 17;
  return rnd_state;
}
static int rnd_int(int lo, int hi) {
  return lo + (int)(rnd() % (uint64_t)(hi - lo + 1));
}

/* E(s) from a dense double J (zero diagonal), h and offset: the reference. */
static double ref_energy(int n, const double *J, const double *h, double offset, const int8_t *s) {
  double e = offset;
  for (int i = 0; i < n; i++) {
    if (h) e += h[i] * s[i];
    for (int j = i + 1; j < n; j++) e += J[i * n + j] * s[i] * s[j];
  }
  return e;
}

/* Every state of the model against the reference (integer data: exact). */
static void check_all_states(const po_ising *m, const double *J, const double *h, double offset) {
  const int n = m->n;
  int8_t s[16];
  for (long x = 0; x < (1L << n); x++) {
    for (int i = 0; i < n; i++) s[i] = (x >> i) & 1 ? 1 : -1;
    double want = ref_energy(n, J, h, offset, s), got = po_ising_energy(m, s);
    if (fabs(want - got) > 1e-9 * (1 + fabs(want)))
      fail_msg("state %ld: energy %.17g, expected %.17g", x, got, want);
  }
}

/* A random symmetric integer J (zero diagonal, some zeros) and h. */
static void random_model(int n, double *J, double *h) {
  memset(J, 0, sizeof(double) * n * n);
  for (int i = 0; i < n; i++) {
    if (h) h[i] = rnd_int(-3, 3);
    for (int j = i + 1; j < n; j++) J[i * n + j] = J[j * n + i] = rnd_int(-4, 4);
  }
}

static void test_gset_fields(void **state) {
  (void)state;
  const int n = 6;
  double J[36], h[6];
  random_model(n, J, h);
  char text[2048];
  int len = 0, m = 0, f = 0;
  for (int i = 0; i < n; i++) {
    f += h[i] != 0;
    for (int j = i + 1; j < n; j++) m++;
  }
  len += snprintf(text + len, sizeof text - len, "# with fields\n%d %d %d\n", n, m, f);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      len += snprintf(text + len, sizeof text - len, "%d %d %g\n", j + 1, i + 1, J[i * n + j]);
  for (int i = n - 1; i >= 0; i--)
    if (h[i] != 0) len += snprintf(text + len, sizeof text - len, "%d %g\n", i + 1, h[i]);
  const char *path = write_file("fields.txt", text, (size_t)len);
  po_ising *mod;
  assert_int_equal(po_problem_open(path, NULL, &mod), PO_OK);
  assert_int_equal(mod->binary, 0);
  check_all_states(mod, J, h, 0.0);
  po_ising_destroy(mod);
}

/* qbsolv file of a random QUBO: couplers in either orientation, nodes after
 * couplers; f(x) by the test's own sum equals po_qubo_terms_value and the
 * Ising energy of s = 2x - 1, for all 2^n states; the dense po_qubo_to_ising
 * of the same Q gives the same energies and offset. */
static void test_qubo_exhaustive(void **state) {
  (void)state;
  for (int rep = 0; rep < 20; rep++) {
    const int n = rnd_int(1, 10);
    double Q[100] = {0};
    char text[8192];
    int len = 0, nodes = 0, couplers = 0;
    for (int i = 0; i < n; i++)
      for (int j = i; j < n; j++) {
        Q[i * n + j] = rnd() % 3 ? rnd_int(-9, 9) : 0;
        if (Q[i * n + j] != 0) *(i == j ? &nodes : &couplers) += 1;
      }
    len += snprintf(text + len, sizeof text - len, "c random QUBO %d\np qubo 0 %d %d %d\n", rep, n,
                    nodes, couplers);
    for (int i = 0; i < n; i++)
      for (int j = i + 1; j < n; j++)
        if (Q[i * n + j] != 0)
          len += rnd() % 2
                     ? snprintf(text + len, sizeof text - len, "%d %d %g\n", i, j, Q[i * n + j])
                     : snprintf(text + len, sizeof text - len, "%d %d %g\n", j, i, Q[i * n + j]);
    len += snprintf(text + len, sizeof text - len, "c nodes last\n\n");
    for (int i = 0; i < n; i++)
      if (Q[i * n + i] != 0)
        len += snprintf(text + len, sizeof text - len, "%d %d %g\n", i, i, Q[i * n + i]);
    const char *path = write_file("random.qubo", text, (size_t)len);
    po_ising *m, *md;
    po_qubo_terms t;
    assert_int_equal(po_problem_open(path, NULL, &m), PO_OK);
    assert_int_equal(m->binary, 1);
    assert_int_equal(po_qubo_read_file(path, NULL, &t), PO_OK);
    po_qubo dense = {n, Q, 0.0};
    assert_int_equal(po_qubo_to_ising(&dense, &md), PO_OK);
    assert_true(fabs(md->offset - m->offset) < 1e-12);
    assert_true(md->content_hash == m->content_hash);
    for (long x = 0; x < (1L << n); x++) {
      uint8_t xb[10];
      int8_t s[10];
      double f = 0;
      for (int i = 0; i < n; i++) {
        xb[i] = (x >> i) & 1;
        s[i] = xb[i] ? 1 : -1;
      }
      for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) f += Q[i * n + j] * xb[i] * xb[j];
      assert_true(po_qubo_terms_value(&t, xb) == f);
      assert_true(po_qubo_value(&dense, xb) == f);
      assert_true(fabs(po_ising_energy(m, s) - f) < 1e-9);
      assert_true(fabs(po_ising_energy(md, s) - f) < 1e-9);
    }
    /* and back: Ising -> QUBO keeps every value, offset included */
    po_qubo back;
    assert_int_equal(po_ising_to_qubo(m, &back), PO_OK);
    for (long x = 0; x < (1L << n); x++) {
      uint8_t xb[10];
      int8_t s[10];
      for (int i = 0; i < n; i++) {
        xb[i] = (x >> i) & 1;
        s[i] = xb[i] ? 1 : -1;
      }
      assert_true(fabs(po_qubo_value(&back, xb) - po_ising_energy(m, s)) < 1e-9);
    }
    po_qubo_free(&back);
    po_qubo_terms_free(&t);
    po_ising_destroy(m);
    po_ising_destroy(md);
  }
}

/* Matrix Market real, integer and pattern files of the same random J. */
static void test_mtx_valid(void **state) {
  (void)state;
  const int n = 7;
  double J[49];
  random_model(n, J, NULL);
  const char *fields[3] = {"real", "integer", "pattern"};
  for (int k = 0; k < 3; k++) {
    char text[4096];
    int len = 0, nnz = 0;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < i; j++) nnz += J[i * n + j] != 0;
    len += snprintf(text + len, sizeof text - len,
                    "%%%%MatrixMarket matrix coordinate %s symmetric\n%% a comment\n%d %d %d\n",
                    fields[k], n, n, nnz + (k < 2));
    if (k < 2) len += snprintf(text + len, sizeof text - len, "3 3 0\n"); /* explicit zero */
    for (int i = 0; i < n; i++)
      for (int j = 0; j < i; j++) {
        if (J[i * n + j] == 0) continue;
        if (k == 2)
          len += snprintf(text + len, sizeof text - len, "%d %d\n", i + 1, j + 1);
        else
          len += snprintf(text + len, sizeof text - len, k ? "%d %d %.0f\n" : "%d %d %.3e\n", i + 1,
                          j + 1, J[i * n + j]);
      }
    const char *path = write_file("a.mtx", text, (size_t)len);
    po_ising *m;
    if (po_problem_open(path, NULL, &m)) fail_msg("%s: %s", fields[k], po_last_error());
    double P[49];
    for (int t = 0; t < n * n; t++) P[t] = k == 2 ? (J[t] != 0) : J[t];
    check_all_states(m, P, NULL, 0.0);
    po_ising_destroy(m);
  }
}

/* ---- .npy / .npz writers (independent of the reader) ------------------- */

typedef struct bytes {
  unsigned char *b;
  size_t n;
} bytes;

static void put(bytes *o, const void *p, size_t len) {
  o->b = realloc(o->b, o->n + len);
  memcpy(o->b + o->n, p, len);
  o->n += len;
}

/* .npy v1 image of n x n (or n when vec, or scalar when n == 0) values. */
static bytes npy_image(const char *descr, int fortran, int n, int vec, const double *v) {
  char hdr[256];
  char shape[64];
  if (n == 0)
    snprintf(shape, sizeof shape, "()");
  else if (vec)
    snprintf(shape, sizeof shape, "(%d,)", n);
  else
    snprintf(shape, sizeof shape, "(%d, %d)", n, n);
  int hl = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr,
                    fortran ? "True" : "False", shape);
  while ((10 + hl + 1) % 64) hdr[hl++] = ' ';
  hdr[hl++] = '\n';
  bytes o = {0};
  unsigned char pre[10] = {
      0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)hl, (unsigned char)(hl >> 8)};
  put(&o, pre, 10);
  put(&o, hdr, (size_t)hl);
  size_t count = n == 0 ? 1 : vec ? (size_t)n : (size_t)n * n;
  int big = descr[0] == '>';
  for (size_t k = 0; k < count; k++) {
    size_t src = k;
    if (fortran && !vec && n) src = (k % n) * n + k / n;
    unsigned char e[8];
    int size = descr[2] - '0';
    if (descr[1] == 'f' && size == 8) memcpy(e, &v[src], 8);
    if (descr[1] == 'f' && size == 4) {
      float f = (float)v[src];
      memcpy(e, &f, 4);
    }
    if (descr[1] == 'i' && size == 4) {
      int32_t x = (int32_t)v[src];
      memcpy(e, &x, 4);
    }
    if (descr[1] == 'i' && size == 1) e[0] = (unsigned char)(int8_t)v[src];
    if (big)
      for (int t = 0; t < size / 2; t++) {
        unsigned char c = e[t];
        e[t] = e[size - 1 - t];
        e[size - 1 - t] = c;
      }
    put(&o, e, (size_t)size);
  }
  return o;
}

static void le16(unsigned char *p, unsigned v) {
  p[0] = v & 255;
  p[1] = (v >> 8) & 255;
}
static void le32(unsigned char *p, uint32_t v) {
  le16(p, v & 0xFFFF);
  le16(p + 2, v >> 16);
}

/* A zip of named members, deflated (raw deflate) or stored. */
static bytes zip_image(int count, const char *const *names, const bytes *data, int deflated) {
  bytes o = {0}, cd = {0};
  for (int k = 0; k < count; k++) {
    unsigned char *payload = data[k].b;
    size_t plen = data[k].n;
    unsigned char *comp = NULL;
    if (deflated) {
      z_stream z = {0};
      assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
      comp = malloc(deflateBound(&z, data[k].n));
      z.next_in = data[k].b;
      z.avail_in = (uInt)data[k].n;
      z.next_out = comp;
      z.avail_out = (uInt)deflateBound(&z, data[k].n);
      assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
      plen = z.total_out;
      deflateEnd(&z);
      payload = comp;
    }
    uint32_t crc = (uint32_t)crc32(0, data[k].b, (uInt)data[k].n);
    unsigned char lh[30] = {0}, ch[46] = {0};
    size_t nl = strlen(names[k]);
    le32(lh, 0x04034b50);
    le16(lh + 4, 20);
    le16(lh + 8, deflated ? 8 : 0);
    le32(lh + 14, crc);
    le32(lh + 18, (uint32_t)plen);
    le32(lh + 22, (uint32_t)data[k].n);
    le16(lh + 26, (unsigned)nl);
    le32(ch, 0x02014b50);
    le16(ch + 4, 20);
    le16(ch + 6, 20);
    le16(ch + 10, deflated ? 8 : 0);
    le32(ch + 16, crc);
    le32(ch + 20, (uint32_t)plen);
    le32(ch + 24, (uint32_t)data[k].n);
    le16(ch + 28, (unsigned)nl);
    le32(ch + 42, (uint32_t)o.n);
    put(&o, lh, 30);
    put(&o, names[k], nl);
    put(&o, payload, plen);
    put(&cd, ch, 46);
    put(&cd, names[k], nl);
    free(comp);
  }
  unsigned char eocd[22] = {0};
  le32(eocd, 0x06054b50);
  le16(eocd + 8, (unsigned)count);
  le16(eocd + 10, (unsigned)count);
  le32(eocd + 12, (uint32_t)cd.n);
  le32(eocd + 16, (uint32_t)o.n);
  put(&o, cd.b, cd.n);
  put(&o, eocd, 22);
  free(cd.b);
  return o;
}

static void test_npy_valid(void **state) {
  (void)state;
  const int n = 6;
  double J[36];
  random_model(n, J, NULL);
  const struct {
    const char *descr;
    int fortran, storage;
  } cases[] = {
      {"<f8", 0, -1}, {"<f4", 1, PO_STORAGE_CSR}, {"<i4", 0, PO_STORAGE_DENSE}, {"|i1", 1, -1},
      {">f8", 0, -1}, {">i4", 1, PO_STORAGE_CSR}};
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    bytes img = npy_image(cases[k].descr, cases[k].fortran, n, 0, J);
    const char *path = write_file("J.npy", img.b, img.n);
    free(img.b);
    po_load_opts o = {PO_DUP_REJECT, cases[k].storage, NULL};
    po_ising *m;
    if (po_problem_open(path, &o, &m)) fail_msg("%s: %s", cases[k].descr, po_last_error());
    if (cases[k].storage >= 0) assert_int_equal((int)m->storage, cases[k].storage);
    check_all_states(m, J, NULL, 0.0);
    po_ising_destroy(m);
  }
}

static void test_npz_valid(void **state) {
  (void)state;
  const int n = 7;
  double J[49], h[7], offset = -2.5;
  random_model(n, J, h);
  for (int deflated = 0; deflated < 2; deflated++)
    for (int positional = 0; positional < 2; positional++) {
      bytes parts[3] = {npy_image("<f8", 0, n, 0, J), npy_image("<i4", 0, n, 1, h),
                        npy_image("<f8", 0, 0, 0, &offset)};
      const char *named[3] = {"J.npy", "h.npy", "offset.npy"};
      const char *pos[3] = {"arr_0.npy", "arr_1.npy", "offset.npy"};
      bytes z = zip_image(3, positional ? pos : named, parts, deflated);
      const char *path = write_file("model.npz", z.b, z.n);
      po_ising *m;
      if (po_problem_open(path, NULL, &m)) fail_msg("npz: %s", po_last_error());
      check_all_states(m, J, h, offset);
      po_ising_destroy(m);
      /* J alone */
      bytes z1 = zip_image(1, named, parts, deflated);
      path = write_file("j-only.npz", z1.b, z1.n);
      assert_int_equal(po_problem_open(path, NULL, &m), PO_OK);
      check_all_states(m, J, NULL, 0.0);
      po_ising_destroy(m);
      for (int t = 0; t < 3; t++) free(parts[t].b);
      free(z.b);
      free(z1.b);
    }
}

/* problem.format overrides the extension; unknown names list the formats. */
static void test_format_selection(void **state) {
  (void)state;
  const char *text = "p qubo 0 2 1 1\n0 0 -1\n0 1 3\n";
  const char *path = write_file("qubo-as.dat", text, strlen(text));
  po_ising *m;
  assert_int_equal(po_problem_open(path, NULL, &m), PO_ERR_PARSE); /* read as gset */
  assert_non_null(strstr(po_last_error(), ":1: trailing garbage"));
  po_load_opts o = {PO_DUP_REJECT, -1, "qubo"};
  assert_int_equal(po_problem_open(path, &o, &m), PO_OK);
  assert_int_equal(m->binary, 1);
  po_ising_destroy(m);
  o.format = "qbsolv";
  assert_int_equal(po_problem_open(path, &o, &m), PO_ERR_ARG);
  assert_non_null(strstr(po_last_error(), "valid: auto|gset|qubo|mtx|npy|npz|bqm"));
  const po_problem_format *f;
  po_load_opts a = {PO_DUP_REJECT, -1, "auto"};
  const char *names[] = {"x/G1.txt", "a.RUD", "b.qubo", "c.mtx", "d.NPY",
                         "e.npz",    "f",     "g.dat",  "h.json"};
  const char *want[] = {"gset", "gset", "qubo", "mtx", "npy", "npz", "gset", "gset", "bqm"};
  for (int k = 0; k < 9; k++) {
    assert_int_equal(po_problem_format_select(names[k], &a, &f), PO_OK);
    assert_string_equal(f->name, want[k]);
  }
}

typedef struct bad_file {
  const char *name, *text;
  const char *where; /* ":LINE: " or ":MEMBER: " or ": " */
  const char *msg;
} bad_file;

static const bad_file bad_text[] = {
    /* gset with fields */
    {"f-count.txt", "3 1 4\n1 2 1\n", ":1: ", "F = '4' must be an integer in [0, N = 3]"},
    {"f-short.txt", "3 1 2\n1 2 1\n2 0.5\n", ":3: ", "file ends after 1 of F = 2 field lines"},
    {"f-twice.txt", "3 1 2\n1 2 1\n2 0.5\n2 1\n",
     ":4: ", "field of spin 2 given twice, first at line 3"},
    {"f-index.txt", "3 1 1\n1 2 1\n4 0.5\n", ":3: ", "spin index '4' must be an integer in [1, 3]"},
    {"f-value.txt", "3 1 1\n1 2 1\n2 nan\n", ":3: ", "field 'nan' is not a finite number"},
    {"f-fields.txt", "3 1 1\n1 2 1\n2 3 1\n", ":3: ", "expected a field line 'i h'"},
    {"f-extra.txt", "3 1 1\n1 2 1\n2 1\n3 1\n",
     ":4: ", "more than M = 1 edge and F = 1 field lines"},
    {"f-blank.txt", "3 1 2\n1 2 1\n1 1\n\n2 1\n",
     ":4: ", "blank line after 1 of F = 2 field lines"},
    /* qbsolv */
    {"q-empty.qubo", "c nothing\n", ":1: ", "no program line"},
    {"q-first.qubo", "0 0 1\n", ":1: ", "expected the program line"},
    {"q-header.qubo", "p qubo 0 3 x 1\n", ":1: ", "NNODES = 'x'"},
    {"q-nodes.qubo", "p qubo 0 2 3 0\n", ":1: ", "NNODES = 3 exceeds MAXNODES = 2"},
    {"q-index.qubo", "p qubo 0 2 1 0\n2 2 1\n", ":2: ", "index '2' must be an integer in [0, 1]"},
    {"q-value.qubo", "p qubo 0 2 1 0\n1 1 1e999\n", ":2: ", "value '1e999' is not a finite"},
    {"q-fields.qubo", "p qubo 0 2 1 0\n1 1\n", ":2: ", "expected 'i j Q_ij', got 2 fields"},
    {"q-morenodes.qubo", "p qubo 0 2 1 0\n0 0 1\n1 1 1\n", ":3: ", "more than NNODES = 1"},
    {"q-morecpl.qubo", "p qubo 0 3 0 1\n0 1 1\n1 2 1\n", ":3: ", "more than NCOUPLERS = 1"},
    {"q-short.qubo", "p qubo 0 3 1 2\n0 0 1\n0 1 1\n",
     ":3: ", "file ends after 1 of NNODES = 1 node and 1 of NCOUPLERS = 2"},
    {"q-dupnode.qubo", "p qubo 0 3 2 0\nc x\n1 1 1\n1 1 2\n",
     ":4: ", "node 1 given twice, first at line 3"},
    {"q-duppair.qubo", "p qubo 0 3 0 2\n0 2 1\n2 0 1\n",
     ":3: ", "pair (0, 2) given twice, first at line 2"},
    {"q-second-p.qubo", "p qubo 0 3 0 0\np qubo 0 3 0 0\n", ":2: ", "second program line"},
    /* Matrix Market */
    {"m-banner.mtx", "3 3 1\n2 1 1\n", ":1: ", "expected the banner"},
    {"m-array.mtx", "%%MatrixMarket matrix array real symmetric\n",
     ":1: ", "format 'array' is not supported"},
    {"m-complex.mtx", "%%MatrixMarket matrix coordinate complex symmetric\n",
     ":1: ", "field 'complex'"},
    {"m-general.mtx", "%%MatrixMarket matrix coordinate real general\n",
     ":1: ", "symmetry 'general'"},
    {"m-size.mtx", "%%MatrixMarket matrix coordinate real symmetric\n%c\n3 4 1\n",
     ":3: ", "J must be square, got 3 x 4"},
    {"m-nosize.mtx", "%%MatrixMarket matrix coordinate real symmetric\n% only\n",
     ":2: ", "file ends before the size line"},
    {"m-index.mtx", "%%MatrixMarket matrix coordinate real symmetric\n3 3 1\n4 1 1\n",
     ":3: ", "index '4' must be an integer in [1, 3]"},
    {"m-diag.mtx", "%%MatrixMarket matrix coordinate real symmetric\n3 3 1\n2 2 1\n",
     ":3: ", "diagonal entry (2, 2) = 1"},
    {"m-value.mtx", "%%MatrixMarket matrix coordinate integer symmetric\n3 3 1\n2 1 x\n",
     ":3: ", "value 'x'"},
    {"m-pattern.mtx", "%%MatrixMarket matrix coordinate pattern symmetric\n3 3 1\n2 1 1\n",
     ":3: ", "expected 'i j' (pattern), got 3 fields"},
    {"m-short.mtx", "%%MatrixMarket matrix coordinate real symmetric\n3 3 2\n2 1 1\n",
     ":3: ", "file ends after 1 of NNZ = 2 entries"},
    {"m-more.mtx", "%%MatrixMarket matrix coordinate real symmetric\n3 3 1\n2 1 1\n3 1 1\n",
     ":4: ", "more than NNZ = 1"},
    {"m-dup.mtx", "%%MatrixMarket matrix coordinate real symmetric\n3 3 2\n2 1 1\n1 2 1\n",
     ":4: ", "entry (1, 2) given twice (either triangle), first at line 3"},
};

static void expect_parse_error(const char *path, const char *where, const char *msg) {
  char prefix[400];
  snprintf(prefix, sizeof prefix, "%s%s", path, where);
  po_ising *m = (po_ising *)1;
  int rc = po_problem_open(path, NULL, &m);
  const char *got = po_last_error();
  if (rc != PO_ERR_PARSE || m != NULL || strncmp(got, prefix, strlen(prefix)) != 0 ||
      !strstr(got, msg))
    fail_msg("%s: rc %d, message '%s'; expected prefix '%s' and '%s'", path, rc, got, prefix, msg);
}

static void test_malformed_text(void **state) {
  (void)state;
  for (size_t k = 0; k < sizeof bad_text / sizeof *bad_text; k++) {
    const char *path = write_file(bad_text[k].name, bad_text[k].text, strlen(bad_text[k].text));
    expect_parse_error(path, bad_text[k].where, bad_text[k].msg);
  }
  const char nul[] = "p qubo 0 2 0 0\n\0\n";
  expect_parse_error(write_file("nul.qubo", nul, sizeof nul - 1), ":2: ", "NUL byte");
}

static void test_malformed_binary(void **state) {
  (void)state;
  const int n = 4;
  double J[16], h[4] = {1, 2, 3, 4};
  random_model(n, J, NULL);
  char name[300];
  /* .npy */
  expect_parse_error(write_file("text.npy", "hello", 5), ": ", "no \\x93NUMPY magic");
  bytes g = npy_image("<f8", 0, n, 0, J);
  expect_parse_error(write_file("trunc.npy", g.b, g.n - 8), ": ", "data truncated");
  g.b[6] = 9;
  expect_parse_error(write_file("version.npy", g.b, g.n), ": ", "version 9.0");
  free(g.b);
  double asym[16];
  memcpy(asym, J, sizeof asym);
  asym[1] += 0.5;
  g = npy_image("<f8", 0, n, 0, asym);
  expect_parse_error(write_file("asym.npy", g.b, g.n), ": ", "J is not symmetric: J[0][1]");
  free(g.b);
  asym[1] = J[1];
  asym[5] = 2;
  g = npy_image("<f8", 0, n, 0, asym);
  expect_parse_error(write_file("diag.npy", g.b, g.n), ": ",
                     "J[1][1] = 2: the diagonal must be zero");
  free(g.b);
  g = npy_image("<f8", 0, n, 1, h);
  expect_parse_error(write_file("vector.npy", g.b, g.n), ": ", "square N x N");
  free(g.b);
  g = npy_image("<c8", 0, n, 0, J);
  expect_parse_error(write_file("complex.npy", g.b, g.n), ": ", "dtype '<c8'");
  free(g.b);
  /* .npz */
  expect_parse_error(write_file("text.npz", "not a zip archive at all, clearly", 33), ": ",
                     "no end-of-central-directory record");
  bytes parts[2] = {npy_image("<f8", 0, n, 0, J), npy_image("<f8", 0, 3, 1, h)};
  const char *names[2] = {"J.npy", "h.npy"};
  bytes z = zip_image(2, names, parts, 1);
  const char *p = write_file("short-h.npz", z.b, z.n);
  snprintf(name, sizeof name, ":h.npy: ");
  expect_parse_error(p, name, "h must be a vector of N = 4 fields");
  free(z.b);
  const char *wrong[2] = {"j.npy", "h.npy"};
  z = zip_image(2, wrong, parts, 0);
  expect_parse_error(write_file("name.npz", z.b, z.n), ":j.npy: ", "unexpected member");
  free(z.b);
  z = zip_image(1, names + 1, parts + 1, 0);
  expect_parse_error(write_file("no-j.npz", z.b, z.n), ": ", "no J.npy member");
  free(z.b);
  z = zip_image(1, names, parts, 1);
  z.b[40] ^= 0x55; /* inside the deflated data */
  expect_parse_error(write_file("corrupt.npz", z.b, z.n), ":J.npy: ", "");
  free(z.b);
  for (int t = 0; t < 2; t++) free(parts[t].b);
}

/* ---- dimod BQM JSON --------------------------------------------------------- */

/* A dimod bqm_schema 3.0.0 document (use_bytes false), as
 * json.dumps(bqm.to_serializable(), indent=1) lays it out: the members one
 * per line, the arrays on one line each. */
static int bqm_text(char *t, size_t cap, int n, const char *vartype, double offset, const double *a,
                    long m, const int *hd, const int *tl, const double *b) {
  int len = snprintf(t, cap,
                     "{\n \"type\": \"BinaryQuadraticModel\",\n \"version\": {\"bqm_schema\": "
                     "\"3.0.0\"},\n \"use_bytes\": false,\n \"index_type\": \"int32\",\n "
                     "\"bias_type\": \"float64\",\n \"num_variables\": %d,\n "
                     "\"num_interactions\": %ld,\n \"variable_labels\": [",
                     n, m);
  for (int i = 0; i < n; i++) len += snprintf(t + len, cap - len, "%s\"v%d\"", i ? ", " : "", i);
  len += snprintf(t + len, cap - len,
                  "],\n \"variable_type\": \"%s\",\n \"offset\": %.17g,\n \"info\": {},\n "
                  "\"linear_biases\": [",
                  vartype, offset);
  for (int i = 0; i < n; i++) len += snprintf(t + len, cap - len, "%s%.17g", i ? ", " : "", a[i]);
  const char *names[3] = {"quadratic_biases", "quadratic_head", "quadratic_tail"};
  for (int f = 0; f < 3; f++) {
    len += snprintf(t + len, cap - len, "],\n \"%s\": [", names[f]);
    for (long k = 0; k < m; k++)
      len += f == 0 ? snprintf(t + len, cap - len, "%s%.17g", k ? ", " : "", b[k])
                    : snprintf(t + len, cap - len, "%s%d", k ? ", " : "", f == 1 ? hd[k] : tl[k]);
  }
  len += snprintf(t + len, cap - len, "]\n}\n");
  return len;
}

/* Random SPIN and BINARY models written per the schema: the model's energy
 * equals the file's own energy function on every state (exhaustive), so
 * does the ground energy; BINARY also matches the QUBO terms returned by
 * po_qubo_read_file and the dense QUBO -> Ising conversion of problems/qubo.c. */
static void test_bqm_exhaustive(void **state) {
  (void)state;
  for (int rep = 0; rep < 20; rep++) {
    const int n = rnd_int(1, 10), binary = rep % 2;
    double a[10], b[45], Q[100] = {0};
    int hd[45], tl[45];
    long m = 0;
    for (int i = 0; i < n; i++) a[i] = rnd() % 3 ? rnd_int(-9, 9) * 0.5 : 0;
    for (int i = 0; i < n; i++)
      for (int j = i + 1; j < n; j++)
        if (rnd() % 2) {
          int flip = rnd() % 2; /* either orientation */
          hd[m] = flip ? j : i;
          tl[m] = flip ? i : j;
          b[m++] = rnd_int(-9, 9) * 0.25;
        }
    const double offset = rnd_int(-20, 20) * 0.125;
    char text[16384];
    int len = bqm_text(text, sizeof text, n, binary ? "BINARY" : "SPIN", offset, a, m, hd, tl, b);
    const char *path =
        write_file(binary ? "random-binary.json" : "random-spin.json", text, (size_t)len);
    po_ising *model;
    assert_int_equal(po_problem_open(path, NULL, &model), PO_OK);
    assert_int_equal(model->n, n);
    assert_int_equal(model->binary, binary);
    po_qubo_terms t = {0};
    if (binary)
      assert_int_equal(po_qubo_read_file(path, NULL, &t), PO_OK);
    else
      assert_int_equal(po_qubo_read_file(path, NULL, &t), PO_ERR_ARG);
    double ground_file = INFINITY, ground_model = INFINITY;
    for (long x = 0; x < (1L << n); x++) {
      int8_t s[10];
      uint8_t xb[10];
      double v[10], e = offset;
      for (int i = 0; i < n; i++) {
        xb[i] = (x >> i) & 1;
        s[i] = xb[i] ? 1 : -1;
        v[i] = binary ? xb[i] : s[i];
        e += a[i] * v[i];
      }
      for (long k = 0; k < m; k++) e += b[k] * v[hd[k]] * v[tl[k]];
      double got = po_ising_energy(model, s);
      if (fabs(got - e) > 1e-9) fail_msg("rep %d state %ld: E = %.17g, file %.17g", rep, x, got, e);
      if (binary) assert_true(po_qubo_terms_value(&t, xb) == e);
      ground_file = fmin(ground_file, e);
      ground_model = fmin(ground_model, got);
    }
    assert_true(fabs(ground_file - ground_model) < 1e-9);
    if (binary) {
      for (int i = 0; i < n; i++) Q[i * n + i] = a[i];
      for (long k = 0; k < m; k++) {
        int i = hd[k] < tl[k] ? hd[k] : tl[k], j = hd[k] < tl[k] ? tl[k] : hd[k];
        Q[i * n + j] += b[k];
      }
      po_qubo dense = {n, Q, offset};
      po_ising *md;
      assert_int_equal(po_qubo_to_ising(&dense, &md), PO_OK);
      assert_true(md->content_hash == model->content_hash);
      assert_true(fabs(md->offset - model->offset) < 1e-12);
      po_ising_destroy(md);
      po_qubo_terms_free(&t);
    }
    po_ising_destroy(model);
  }
}

/* The hand-written example of docs/problems.md: SPIN ground energy -2 at
 * (a, b, c) = (+1, +1, -1); the same biases as BINARY: minimum 0 at x = 110
 * (by hand: f(x) = -x_a + 0.5 x_b - x_a x_b + 2 x_b x_c + 1.5). */
static void test_bqm_example(void **state) {
  (void)state;
  const char *doc =
      "{\"type\": \"BinaryQuadraticModel\", \"version\": {\"bqm_schema\": \"3.0.0\"},\n"
      " \"use_bytes\": false, \"index_type\": \"int32\", \"bias_type\": \"float64\",\n"
      " \"num_variables\": 3, \"num_interactions\": 2,\n"
      " \"variable_labels\": [\"a\", \"b\", [\"c\", 1]], \"variable_type\": \"%s\",\n"
      " \"offset\": 1.5, \"info\": {}, \"linear_biases\": [-1.0, 0.5, 0.0],\n"
      " \"quadratic_biases\": [-1.0, 2.0], \"quadratic_head\": [0, 1], \"quadratic_tail\": [1, "
      "2]}\n";
  for (int binary = 0; binary < 2; binary++) {
    char text[1024];
    int len = snprintf(text, sizeof text, doc, binary ? "BINARY" : "SPIN");
    po_ising *m;
    assert_int_equal(po_problem_open(write_file("example.json", text, (size_t)len), NULL, &m),
                     PO_OK);
    double best = INFINITY;
    int arg = -1;
    for (int x = 0; x < 8; x++) {
      int8_t s[3] = {x & 1 ? 1 : -1, x & 2 ? 1 : -1, x & 4 ? 1 : -1};
      double e = po_ising_energy(m, s);
      if (e < best) best = e, arg = x;
    }
    assert_true(best == (binary ? 0.0 : -2.0));
    assert_int_equal(arg, 3); /* a = b = +1 (x = 1), c = -1 (x = 0) */
    po_ising_destroy(m);
  }
}

static void test_bqm_malformed(void **state) {
  (void)state;
  char good[4096];
  const double a[3] = {1, -1, 0.5}, b[2] = {2, -3};
  const int hd[2] = {0, 1}, tl[2] = {1, 2};
  bqm_text(good, sizeof good, 3, "SPIN", 0.25, a, 2, hd, tl, b);
  po_ising *m;
  assert_int_equal(po_problem_open(write_file("good.json", good, strlen(good)), NULL, &m), PO_OK);
  po_ising_destroy(m);
  /* Each case replaces one substring of the valid document (lines: 1 "{",
   * 2 type, 3 version, 4 use_bytes, 5 index_type, 6 bias_type,
   * 7 num_variables, 8 num_interactions, 9 labels, 10 variable_type,
   * 11 offset, 12 info, 13 linear, 14 quadratic_biases, 15 head, 16 tail). */
  static const struct {
    const char *name, *from, *to, *where, *msg;
  } cases[] = {
      {"comma.json", "\"use_bytes\": false,", "\"use_bytes\": false,,",
       ":4:21: ", "object key (a string) expected"},
      {"trailing.json", "2]\n}", "2],\n}", ":17:1: ", "trailing comma"},
      {"nan.json", "\"offset\": 0.25", "\"offset\": NaN", ":11:12: ", "NaN and Infinity"},
      {"eof.json", "2]\n}\n", "2]\n", ":17:1: ", "',' or '}' expected"},
      {"dupkey.json", "\"info\": {},", "\"info\": {}, \"offset\": 1,",
       ":12:14: ", "duplicate key \"offset\" (first at 11:12)"},
      {"type.json", "\"BinaryQuadraticModel\"", "\"DiscreteQuadraticModel\"",
       ":2:10: ", "not a dimod BinaryQuadraticModel"},
      {"schema.json", "\"3.0.0\"", "\"1.0.0\"", ":3:28: ", "bqm_schema \"1.0.0\" is not supported"},
      {"bytes.json", "\"use_bytes\": false", "\"use_bytes\": true",
       ":4:15: ", "use_bytes = true (byte-encoded arrays) is not supported"},
      {"vartype.json", "\"SPIN\"", "\"INTEGER\"", ":10:19: ", "expected \"SPIN\" or \"BINARY\""},
      {"numtype.json", "\"num_variables\": 3", "\"num_variables\": \"3\"",
       ":7:19: ", "\"num_variables\" must be a number, not a string"},
      {"numvar.json", "\"num_variables\": 3", "\"num_variables\": 2.5",
       ":7:19: ", "\"num_variables\" must be an integer in [1, 100000000]"},
      {"linear.json", "[1, -1, 0.5]", "[1, -1]",
       ":13:19: ", "\"linear_biases\" has 2 elements, num_variables = 3"},
      {"labels.json", "\"v0\", \"v1\", \"v2\"", "\"v0\", \"v1\"",
       ":9:21: ", "\"variable_labels\" has 2 elements, num_variables = 3"},
      {"head.json", "\"quadratic_head\": [0, 1]", "\"quadratic_head\": [0]",
       ":15:20: ", "\"quadratic_head\" has 1 elements, num_interactions = 2"},
      {"range.json", "\"quadratic_tail\": [1, 2]", "\"quadratic_tail\": [1, 3]",
       ":16:24: ", "quadratic_tail[1] must be a variable index in [0, 2]"},
      {"negative.json", "\"quadratic_head\": [0, 1]", "\"quadratic_head\": [-1, 1]",
       ":15:21: ", "quadratic_head[0] must be a variable index in [0, 2]"},
      {"loop.json", "\"quadratic_tail\": [1, 2]", "\"quadratic_tail\": [1, 1]",
       ":15:24: ", "interaction 1 joins variable 1 to itself"},
      {"dup.json", "\"quadratic_head\": [0, 1],\n \"quadratic_tail\": [1, 2]",
       "\"quadratic_head\": [0, 1],\n \"quadratic_tail\": [1, 0]", ":15:24: ",
       "pair (0, 1) given twice, quadratic_head[0] and [1] (first at 15:21; duplicates policy: "
       "reject)"},
      {"bias.json", "\"quadratic_biases\": [2, -3]", "\"quadratic_biases\": [2, \"x\"]",
       ":14:26: ", "quadratic_biases[1] must be a finite number"},
      {"missing.json", "\"offset\": 0.25,", "", ":1:1: ", "missing member \"offset\""},
      {"top.json", "{\n", "[\n", ":2:8: ", "',' or ']' expected"},
      {"ctrl.json", "\"v0\"", "\"v\t0\"", ":9:24: ", "control character in a string"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    char text[4096];
    const char *hit = strstr(good, cases[c].from);
    assert_non_null(hit);
    int len = snprintf(text, sizeof text, "%.*s%s%s", (int)(hit - good), good, cases[c].to,
                       hit + strlen(cases[c].from));
    expect_parse_error(write_file(cases[c].name, text, (size_t)len), cases[c].where, cases[c].msg);
  }
  const char arr[] = "[1, 2]\n";
  expect_parse_error(write_file("array.json", arr, sizeof arr - 1), ":1:1: ",
                     "the top level must be an object (dimod BQM serialisation), not an array");
  const char nul[] = "{\n\0}";
  expect_parse_error(write_file("nul.json", nul, sizeof nul - 1), ":2:1: ", "NUL byte");
  /* duplicates = sum adds the two interactions, as dimod does */
  char text[4096];
  const char *hit = strstr(good, "\"quadratic_tail\": [1, 2]");
  snprintf(text, sizeof text, "%.*s\"quadratic_tail\": [1, 0]%s", (int)(hit - good), good,
           hit + strlen("\"quadratic_tail\": [1, 2]"));
  po_load_opts sum = {PO_DUP_SUM, -1, NULL};
  assert_int_equal(po_problem_open(write_file("sum.json", text, strlen(text)), &sum, &m), PO_OK);
  int8_t s[3] = {1, 1, 1};
  assert_true(fabs(po_ising_energy(m, s) - (0.25 + 1 - 1 + 0.5 + 2 - 3)) < 1e-12);
  po_ising_destroy(m);
  /* Random byte mutations: each loads or fails with a parse error naming the
   * file (ASan/UBSan run this too). */
  for (int trial = 0; trial < 400; trial++) {
    size_t glen = strlen(good), cut = trial % 10 == 0 ? rnd() % glen : glen;
    memcpy(text, good, glen);
    for (int k = rnd_int(1, 3); k > 0; k--) text[rnd() % glen] = (char)rnd();
    const char *path = write_file("mut.json", text, cut);
    int rc = po_problem_open(path, NULL, &m);
    if (rc == PO_OK)
      po_ising_destroy(m);
    else if (rc != PO_ERR_PARSE || strncmp(po_last_error(), path, strlen(path)) != 0)
      fail_msg("mut.json trial %d: rc %d '%s'", trial, rc, po_last_error());
  }
  /* --set problem.format=bqm reads any extension */
  po_load_opts as = {PO_DUP_REJECT, -1, "bqm"};
  assert_int_equal(po_problem_open(write_file("model.bqm", good, strlen(good)), &as, &m), PO_OK);
  po_ising_destroy(m);
}

/* Random byte mutations of valid .npz/.npy/.qubo/.mtx files: each loads or
 * fails with a parse error naming the file (ASan/UBSan run this too). */
static void test_mutations(void **state) {
  (void)state;
  const int n = 5;
  double J[25], h[5];
  random_model(n, J, h);
  bytes parts[2] = {npy_image("<f8", 0, n, 0, J), npy_image("<f8", 0, n, 1, h)};
  const char *names[2] = {"J.npy", "h.npy"};
  bytes imgs[4] = {zip_image(2, names, parts, 1), zip_image(2, names, parts, 0), parts[0], {0}};
  const char *q = "p qubo 0 3 2 2\n0 0 1\n1 1 -2\n0 1 3\n1 2 -1\n";
  put(&imgs[3], q, strlen(q));
  const char *files[4] = {"mut.npz", "mut2.npz", "mut.npy", "mut.qubo"};
  for (int f = 0; f < 4; f++)
    for (int trial = 0; trial < 400; trial++) {
      unsigned char *b = malloc(imgs[f].n);
      memcpy(b, imgs[f].b, imgs[f].n);
      for (int k = rnd_int(1, 3); k > 0; k--) b[rnd() % imgs[f].n] = (unsigned char)rnd();
      size_t len = trial % 10 == 0 ? rnd() % imgs[f].n : imgs[f].n;
      const char *path = write_file(files[f], b, len);
      po_ising *m = NULL;
      int rc = po_problem_open(path, NULL, &m);
      if (rc == PO_OK)
        po_ising_destroy(m);
      else if (rc != PO_ERR_PARSE || strncmp(po_last_error(), path, strlen(path)) != 0)
        fail_msg("%s trial %d: rc %d '%s'", files[f], trial, rc, po_last_error());
      free(b);
    }
  for (int f = 0; f < 4; f++) free(imgs[f].b);
  free(parts[1].b);
}

/* docs/problems.md carries one table row per format, from the list:
 * "| `name` | .ext, .ext2 | summary |". */
static void test_docs_table(void **state) {
  (void)state;
  FILE *f = fopen("docs/problems.md", "r");
  assert_non_null(f);
  static char doc[1 << 17];
  size_t len = fread(doc, 1, sizeof doc - 1, f);
  doc[len] = '\0';
  fclose(f);
  size_t count;
  const po_problem_format *t = po_problem_formats(&count);
  assert_int_equal(count, 6);
  for (size_t k = 0; k < count; k++) {
    char row[512], ext[64];
    size_t e = 0;
    for (const char *c = t[k].extensions; *c && e < sizeof ext - 4; c++) {
      if (c == t[k].extensions) ext[e++] = '.';
      if (*c == '|') {
        memcpy(ext + e, ", .", 3);
        e += 3;
      } else {
        ext[e++] = *c;
      }
    }
    ext[e] = '\0';
    snprintf(row, sizeof row, "| `%s` | %s | %s |", t[k].name, ext, t[k].summary);
    if (!strstr(doc, row)) fail_msg("docs/problems.md lacks the row\n%s", row);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gset_fields),      cmocka_unit_test(test_qubo_exhaustive),
      cmocka_unit_test(test_mtx_valid),        cmocka_unit_test(test_npy_valid),
      cmocka_unit_test(test_npz_valid),        cmocka_unit_test(test_format_selection),
      cmocka_unit_test(test_bqm_exhaustive),   cmocka_unit_test(test_bqm_example),
      cmocka_unit_test(test_bqm_malformed),    cmocka_unit_test(test_malformed_text),
      cmocka_unit_test(test_malformed_binary), cmocka_unit_test(test_mutations),
      cmocka_unit_test(test_docs_table),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
