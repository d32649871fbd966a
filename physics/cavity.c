/* Confocal-cavity couplings computed three ways (closed form, explicit
 * Hermite-Gauss mode sum, FFT grid propagation); see physics/cavity.h for
 * the equations and docs/cavity.md for the derivation. */
#include "physics/cavity.h"
#include <complex.h>
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"
#include "physopt/rng.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static int check_geom(const po_cavity_geom *g) {
  if (!g || g->n < 1) return po_error(PO_ERR_ARG, "cavity: number of ensembles must be >= 1");
  if (!(g->w0 > 0) || !isfinite(g->w0))
    return po_error(PO_ERR_ARG, "cavity.w0 = %g must be > 0", g->w0);
  if (!(g->sigma > 0) || !(g->sigma < g->w0))
    return po_error(PO_ERR_ARG, "cavity.sigma_A = %g must lie in (0, w0 = %g)", g->sigma, g->w0);
  for (int i = 0; i < g->n; i++)
    if (!isfinite(g->x[i]) || !isfinite(g->y[i]))
      return po_error(PO_ERR_ARG, "cavity: position %d is not finite", i);
  return PO_OK;
}

int po_cavity_positions(int n, double spread, uint64_t seed, double *x, double *y) {
  if (n < 1) return po_error(PO_ERR_ARG, "cavity: number of ensembles %d must be >= 1", n);
  if (!(spread >= 0) || !isfinite(spread))
    return po_error(PO_ERR_ARG, "cavity.spread = %g must be >= 0", spread);
  po_rng r;
  po_rng_init(&r, seed, 0x636176ULL, 0);
  for (int i = 0; i < n; i++) {
    double rad = spread * sqrt(po_rng_uniform(&r)), phi = 2 * M_PI * po_rng_uniform(&r);
    x[i] = rad * cos(phi);
    y[i] = rad * sin(phi);
  }
  return PO_OK;
}

int po_cavity_couplings_closed(const po_cavity_geom *g, double *J) {
  int rc = check_geom(g);
  if (rc) return rc;
  const double s = g->sigma / g->w0, s2 = s * s, e = 2 * s2, d = 1 + e * e;
  const double cloc = 1.0 / (16 * M_PI * s2), cnl = 1.0 / (2 * M_PI * d);
  for (int i = 0; i < g->n; i++) {
    const double xi = g->x[i] / g->w0, yi = g->y[i] / g->w0;
    for (int j = 0; j < g->n; j++) {
      const double xj = g->x[j] / g->w0, yj = g->y[j] / g->w0;
      const double dm = (xi - xj) * (xi - xj) + (yi - yj) * (yi - yj);
      const double dp = (xi + xj) * (xi + xj) + (yi + yj) * (yi + yj);
      const double loc = cloc * (exp(-dm / (4 * s2)) + exp(-dp / (4 * s2)));
      const double r2 = xi * xi + yi * yi + xj * xj + yj * yj;
      const double nl = cnl * exp(-2 * s2 * r2 / d) * cos(2 * (xi * xj + yi * yj) / d);
      J[(long)i * g->n + j] = loc + nl;
    }
  }
  return PO_OK;
}

/* c_k = <psi_k | N(xi0, s^2)>, k = 0..K, for the normalised Hermite
 * functions psi_k(xi) (xi = sqrt(2) x / w0): the Gaussian is a squeezed
 * coherent state, and (1+p) a g = (1-p) a^+ g + sqrt(2) p xi0 g (p = 1/s^2)
 * gives the three-term recurrence below (both of its solutions decay like
 * |(1-p)/(1+p)|^(k/2), so forward evaluation is stable). */
static void gauss_hermite_overlaps(double xi0, double s, int K, double *c) {
  const double s2 = s * s, p = 1 / s2, r = (1 - p) / (1 + p), b = sqrt(2.0) * p * xi0 / (1 + p);
  c[0] = pow(M_PI, -0.25) / sqrt(1 + s2) * exp(-xi0 * xi0 / (2 * (1 + s2)));
  if (K >= 1) c[1] = b * c[0];
  for (int k = 1; k < K; k++)
    c[k + 1] = (r * sqrt((double)k) * c[k - 1] + b * c[k]) / sqrt(k + 1.0);
}

int po_cavity_couplings_modes(const po_cavity_geom *g, int n_max, double *J) {
  int rc = check_geom(g);
  if (rc) return rc;
  const double s = sqrt(2.0) * g->sigma / g->w0; /* width in xi units */
  if (n_max <= 0) {
    const double p = 1 / (s * s), r = fabs((1 - p) / (1 + p));
    n_max = (int)ceil(2 * log(1e-17) / log(r)) + 16;
    if (n_max > 20000)
      return po_error(PO_ERR_ARG,
                      "cavity: sigma_A/w0 = %g too small for the mode sum (needs > 20000 modes "
                      "per axis)",
                      g->sigma / g->w0);
  }
  const int n = g->n, K = n_max;
  double *cx = malloc(sizeof(double) * (size_t)n * (K + 1));
  double *cy = malloc(sizeof(double) * (size_t)n * (K + 1));
  if (!cx || !cy) {
    free(cx);
    free(cy);
    return po_error(PO_ERR_NOMEM, "cavity: out of memory for %d modes", K);
  }
  for (int i = 0; i < n; i++) {
    gauss_hermite_overlaps(sqrt(2.0) * g->x[i] / g->w0, s, K, cx + (long)i * (K + 1));
    gauss_hermite_overlaps(sqrt(2.0) * g->y[i] / g->w0, s, K, cy + (long)i * (K + 1));
  }
  /* J_ij = w0^2 sum_lm cos^2((l+m)pi/4) A_l(x_i) A_m(y_i) A_l(x_j) A_m(y_j),
   * A = 2^(1/4) c (1-D overlaps in physical units): the prefactor is 2. */
#pragma omp parallel for schedule(dynamic)
  for (int i = 0; i < n; i++)
    for (int j = 0; j <= i; j++) {
      const double *xa = cx + (long)i * (K + 1), *ya = cy + (long)i * (K + 1);
      const double *xb = cx + (long)j * (K + 1), *yb = cy + (long)j * (K + 1);
      double sum = 0;
      for (int l = 0; l <= K; l++) {
        const double fl = xa[l] * xb[l];
        double inner = 0;
        for (int m = (4 - l % 4) % 4; m <= K; m += 4) inner += ya[m] * yb[m];
        sum += fl * inner;
      }
      J[(long)i * n + j] = J[(long)j * n + i] = 2 * sum;
    }
  free(cx);
  free(cy);
  return PO_OK;
}

/* Wrapped grid index -> integer coordinate in [-M/2, M/2). */
static inline int wrap(int q, int M) {
  return q < M / 2 ? q : q - M;
}

/* rho_i sampled on the wrapped grid (u units, normalised to 1 in the continuum). */
static void sample_density(const po_cavity_geom *g, int i, int M, double d, double *rho) {
  const double s = g->sigma / g->w0, ux = g->x[i] / g->w0, uy = g->y[i] / g->w0;
  const double c = 1 / (2 * M_PI * s * s);
  for (int p = 0; p < M; p++) {
    const double v = wrap(p, M) * d - uy, ey = exp(-v * v / (2 * s * s));
    for (int q = 0; q < M; q++) {
      const double w = wrap(q, M) * d - ux;
      rho[(long)p * M + q] = c * ey * exp(-w * w / (2 * s * s));
    }
  }
}

typedef struct grid_ws {
  int M;
  double d;
  fftw_complex *buf, *acc;
  fftw_plan plan;
} grid_ws;

static int grid_open(grid_ws *w, int M) {
  if (M < 16 || M % 2 || M > 8192)
    return po_error(PO_ERR_ARG, "cavity: grid size M = %d must be even in [16, 8192]", M);
  w->M = M;
  w->d = sqrt(M_PI / M);
  w->buf = fftw_malloc(sizeof(fftw_complex) * (size_t)M * M);
  w->acc = fftw_malloc(sizeof(fftw_complex) * (size_t)M * M);
  if (!w->buf || !w->acc) {
    fftw_free(w->buf);
    fftw_free(w->acc);
    return po_error(PO_ERR_NOMEM, "cavity: out of memory for a %d x %d grid", M, M);
  }
  /* Planning is not thread-safe in FFTW; callers run one grid at a time. */
  w->plan = fftw_plan_dft_2d(M, M, w->buf, w->buf, FFTW_FORWARD, FFTW_ESTIMATE);
  return PO_OK;
}

static void grid_close(grid_ws *w) {
  fftw_destroy_plan(w->plan);
  fftw_free(w->buf);
  fftw_free(w->acc);
}

/* acc = G psi = (1/4)(psi + T psi + T^2 psi + T^3 psi), with T = DFT / M on
 * the grid of spacing sqrt(pi/M) (dx^2 / pi = 1/M): each pass through the
 * cavity is one FFT. */
static void grid_propagate(grid_ws *w, const double *psi) {
  const long MM = (long)w->M * w->M;
  for (long k = 0; k < MM; k++) w->acc[k] = w->buf[k] = psi[k];
  for (int pass = 1; pass < 4; pass++) {
    fftw_execute(w->plan);
    for (long k = 0; k < MM; k++) {
      w->buf[k] /= w->M;
      w->acc[k] += w->buf[k];
    }
  }
  for (long k = 0; k < MM; k++) w->acc[k] *= 0.25;
}

int po_cavity_couplings_grid(const po_cavity_geom *g, int M, double *J) {
  int rc = check_geom(g);
  if (rc) return rc;
  grid_ws w;
  if ((rc = grid_open(&w, M))) return rc;
  const int n = g->n;
  const long MM = (long)M * M;
  double *rho = malloc(sizeof(double) * MM * n);
  if (!rho) {
    grid_close(&w);
    return po_error(PO_ERR_NOMEM, "cavity: out of memory for %d densities", n);
  }
  for (int i = 0; i < n; i++) sample_density(g, i, M, w.d, rho + i * MM);
  for (int j = 0; j < n; j++) {
    grid_propagate(&w, rho + j * MM);
    for (int i = 0; i < n; i++) {
      const double *ri = rho + i * MM;
      double sum = 0;
      for (long k = 0; k < MM; k++) sum += ri[k] * creal(w.acc[k]);
      J[(long)i * n + j] = sum * w.d * w.d;
    }
  }
  free(rho);
  grid_close(&w);
  return PO_OK;
}

int po_cavity_emission(const po_cavity_geom *g, const double *a, int M, double *field_out,
                       double *d_out) {
  int rc = check_geom(g);
  if (rc) return rc;
  grid_ws w;
  if ((rc = grid_open(&w, M))) return rc;
  const long MM = (long)M * M;
  double *rho = calloc((size_t)MM, sizeof(double)), *tmp = malloc(sizeof(double) * MM);
  if (!rho || !tmp) {
    free(rho);
    free(tmp);
    grid_close(&w);
    return po_error(PO_ERR_NOMEM, "cavity: out of memory for a %d x %d grid", M, M);
  }
  /* G is linear: propagate the amplitude-weighted total density once. */
  for (int j = 0; j < g->n; j++) {
    sample_density(g, j, M, w.d, tmp);
    for (long k = 0; k < MM; k++) rho[k] += a[j] * tmp[k];
  }
  grid_propagate(&w, rho);
  for (int p = 0; p < M; p++)
    for (int q = 0; q < M; q++) /* unwrap to the centred layout */
      field_out[(long)p * M + q] = creal(w.acc[(long)((p + M / 2) % M) * M + (q + M / 2) % M]);
  if (d_out) *d_out = w.d;
  free(rho);
  free(tmp);
  grid_close(&w);
  return PO_OK;
}

int po_cavity_readin(const po_cavity_geom *g, const double *field, int M, double *out) {
  int rc = check_geom(g);
  if (rc) return rc;
  if (M < 16 || M % 2)
    return po_error(PO_ERR_ARG, "cavity: grid size M = %d must be even >= 16", M);
  const long MM = (long)M * M;
  const double d = sqrt(M_PI / M);
  double *rho = malloc(sizeof(double) * MM);
  if (!rho) return po_error(PO_ERR_NOMEM, "cavity: out of memory");
  for (int i = 0; i < g->n; i++) {
    sample_density(g, i, M, d, rho);
    double sum = 0;
    for (int p = 0; p < M; p++)
      for (int q = 0; q < M; q++)
        sum += rho[(long)((p + M / 2) % M) * M + (q + M / 2) % M] * field[(long)p * M + q];
    out[i] = sum * d * d;
  }
  free(rho);
  return PO_OK;
}

double po_cavity_frustration(int n, const double *K) {
  long tot = 0, fr = 0;
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      for (int k = j + 1; k < n; k++) {
        tot++;
        if (K[(long)i * n + j] * K[(long)j * n + k] * K[(long)k * n + i] < 0) fr++;
      }
  return tot ? (double)fr / tot : 0.0;
}

void po_cavity_spin_rhs(int n, const double *Wd, double g, double omega_z, double damping,
                        const double *state, double *out) {
  for (int i = 0; i < n; i++) {
    const double *w = Wd + (long)i * n;
    double h = 0;
    for (int j = 0; j < n; j++) h += w[j] * state[3 * j];
    const double x = state[3 * i], y = state[3 * i + 1], z = state[3 * i + 2];
    const double bx = g * h, by = 0, bz = -omega_z;
    const double nb = x * bx + y * by + z * bz, r2 = x * x + y * y + z * z;
    /* -Gamma n x (n x B) = Gamma (|n|^2 B - (n.B) n): equal to the form in
     * the header on the unit sphere, and it conserves |n| exactly, so the
     * norm of a spin opposed to its field does not drift numerically. */
    out[3 * i] = (y * bz - z * by) + damping * (r2 * bx - nb * x);
    out[3 * i + 1] = (z * bx - x * bz) + damping * (r2 * by - nb * y);
    out[3 * i + 2] = (x * by - y * bx) + damping * (r2 * bz - nb * z);
  }
}

double po_cavity_spin_energy(int n, const double *Wd, double g, double omega_z,
                             const double *state) {
  double e = 0;
  for (int i = 0; i < n; i++) {
    double h = 0;
    for (int j = 0; j < n; j++) h += Wd[(long)i * n + j] * state[3 * j];
    e += omega_z * state[3 * i + 2] - 0.5 * g * h * state[3 * i];
  }
  return e;
}

/* ---- multimode cavity (physics/cavity.h) -------------------------------- */

int po_cavity_multimode_waist(const po_cavity_multimode *mm, double *w0, double *z_r) {
  const double L = mm->length, R = mm->mirror_radius;
  if (!(L > 0) || !isfinite(L)) return po_error(PO_ERR_ARG, "cavity.length = %g must be > 0", L);
  if (!(R > L / 2) || !isfinite(R))
    return po_error(
        PO_ERR_ARG,
        "cavity.mirror_radius = %g must exceed length/2 = %g (stable cavity, 0 < L < 2R)", R,
        L / 2);
  if (!(mm->wavelength > 0))
    return po_error(PO_ERR_ARG, "cavity.wavelength = %g must be > 0", mm->wavelength);
  *z_r = 0.5 * sqrt(L * (2 * R - L));
  *w0 = sqrt(mm->wavelength * *z_r / M_PI);
  return PO_OK;
}

int po_cavity_couplings_multimode(const po_cavity_geom *g, const double *z,
                                  const po_cavity_multimode *mm, double *J) {
  double w0, zr;
  int rc = po_cavity_multimode_waist(mm, &w0, &zr);
  if (rc) return rc;
  if (!g || g->n < 1) return po_error(PO_ERR_ARG, "cavity: number of ensembles must be >= 1");
  if (mm->n_max < 0 || mm->n_max > 4000)
    return po_error(PO_ERR_ARG, "cavity.n_max = %d is outside the accepted range [0, 4000]",
                    mm->n_max);
  if (!(mm->delta0 != 0) || !isfinite(mm->delta0) || !(mm->kappa >= 0) || !(mm->c_light > 0))
    return po_error(PO_ERR_ARG,
                    "cavity: delta0 = %g must be non-zero, kappa = %g >= 0, c_light = %g > 0",
                    mm->delta0, mm->kappa, mm->c_light);
  if (!(g->sigma > 0) || !(g->sigma < w0))
    return po_error(PO_ERR_ARG, "cavity.sigma_A = %g must lie in (0, w0 = %g)", g->sigma, w0);
  const int n = g->n, K = mm->n_max - mm->n_max % 2, F = K / 2 + 1;
  const double theta = acos(1 - mm->length / mm->mirror_radius);
  double *cx = malloc(sizeof(double) * (size_t)n * (K + 1));
  double *cy = malloc(sizeof(double) * (size_t)n * (K + 1));
  double *lw = malloc(sizeof(double) * (size_t)n * F); /* cos phi_n(z_i) */
  double *scale = malloc(sizeof(double) * n);          /* w0 / w(z_i) */
  double *D = malloc(sizeof(double) * F);
  if (!cx || !cy || !lw || !scale || !D) {
    free(cx), free(cy), free(lw), free(scale), free(D);
    return po_error(PO_ERR_NOMEM, "cavity: out of memory for %d mode families", F);
  }
  const double re0 = mm->delta0 / (mm->delta0 * mm->delta0 + mm->kappa * mm->kappa);
  for (int f = 0; f < F; f++) {
    const double dn = mm->delta0 - mm->c_light / mm->length * (2 * f) * (theta - M_PI / 2);
    D[f] = dn / (dn * dn + mm->kappa * mm->kappa) / re0;
  }
  for (int i = 0; i < n; i++) {
    if (!isfinite(g->x[i]) || !isfinite(g->y[i]) || !isfinite(z[i])) {
      free(cx), free(cy), free(lw), free(scale), free(D);
      return po_error(PO_ERR_ARG, "cavity: position %d is not finite", i);
    }
    const double wz = w0 * sqrt(1 + z[i] * z[i] / (zr * zr)), s = sqrt(2.0) * g->sigma / wz;
    scale[i] = w0 / wz;
    gauss_hermite_overlaps(sqrt(2.0) * g->x[i] / wz, s, K, cx + (long)i * (K + 1));
    gauss_hermite_overlaps(sqrt(2.0) * g->y[i] / wz, s, K, cy + (long)i * (K + 1));
    const double gouy = atan(z[i] / zr) + M_PI / 4 - (theta - M_PI / 2) * z[i] / mm->length;
    for (int f = 0; f < F; f++) lw[(long)i * F + f] = cos(2 * f * gouy);
  }
#pragma omp parallel for schedule(dynamic)
  for (int i = 0; i < n; i++)
    for (int j = 0; j <= i; j++) {
      const double *xa = cx + (long)i * (K + 1), *ya = cy + (long)i * (K + 1);
      const double *xb = cx + (long)j * (K + 1), *yb = cy + (long)j * (K + 1);
      double sum = 0;
      for (int f = 0; f < F; f++) {
        const int nn = 2 * f;
        double fam = 0;
        for (int l = 0; l <= nn; l++) fam += xa[l] * xb[l] * ya[nn - l] * yb[nn - l];
        sum += D[f] * lw[(long)i * F + f] * lw[(long)j * F + f] * fam;
      }
      J[(long)i * n + j] = J[(long)j * n + i] = 2 * scale[i] * scale[j] * sum;
    }
  free(cx), free(cy), free(lw), free(scale), free(D);
  return PO_OK;
}

/* ---- self-interaction, thermal width, pump protocol (physics/cavity.h) -- */

double po_cavity_self_term(double u2, double s, double ell) {
  const double v = 2 * s * s + ell * ell, e = 2 * s * s, d = 1 + e * e;
  const double local = (1 + exp(-2 * u2 / v)) / (8 * M_PI * v);
  return local + exp(-2 * e * u2 / d) * cos(2 * u2 / d) / (2 * M_PI * d);
}

/* The nonlocal part of the closed form (physics/cavity.h), u in w0 units. */
static double nonlocal_term(double xi, double yi, double xj, double yj, double s) {
  const double e = 2 * s * s, d = 1 + e * e;
  const double r2 = xi * xi + yi * yi + xj * xj + yj * yj;
  return exp(-e * r2 / d) * cos(2 * (xi * xj + yi * yj) / d) / (2 * M_PI * d);
}

int po_cavity_self_ratio(double spread, double s, double ell, double *ratio) {
  enum { NREF = 256 };
  if (!(s > 0) || !(s < 1))
    return po_error(PO_ERR_ARG, "cavity.sigma_a = %g must lie in (0, 1) w0", s);
  if (!(ell >= 0) || !isfinite(ell))
    return po_error(PO_ERR_ARG, "cavity: local width %g must be >= 0", ell);
  double x[NREF], y[NREF];
  int rc = po_cavity_positions(NREF, spread, 1, x, y);
  if (rc) return rc;
  /* The reference is the nonlocal coupling: the local overlap of nearby
   * ensembles depends on how densely the reference sample is packed, the
   * nonlocal kernel does not. */
  double self = 0, ss = 0;
  for (int i = 0; i < NREF; i++) {
    self += po_cavity_self_term(x[i] * x[i] + y[i] * y[i], s, ell) / NREF;
    for (int j = 0; j < NREF; j++) {
      const double v = j == i ? 0.0 : nonlocal_term(x[i], y[i], x[j], y[j], s);
      ss += v * v;
    }
  }
  *ratio = self / sqrt(ss / ((double)NREF * (NREF - 1)));
  return PO_OK;
}

double po_cavity_thermal_sigma_um(double temperature_nk, double trap_hz, double mass_amu) {
  const double kb = 1.380649e-23, amu = 1.66053906660e-27; /* CODATA 2018 */
  const double w = 2 * M_PI * trap_hz;
  return 1e6 * sqrt(kb * temperature_nk * 1e-9 / (mass_amu * amu * w * w));
}

int po_cavity_pump_derive(const po_cavity_pump_in *in, po_cavity_pump_out *out) {
  if (!in || !out) return po_error(PO_ERR_ARG, "cavity pump: NULL argument");
  if (!(in->delta_c < 0) || !(in->kappa >= 0) || !(in->omega_z > 0) || !(in->n_atoms >= 1) ||
      !(in->overlap > 0 && in->overlap <= 1) || !(in->delta_a != 0) || !(in->g0 > 0) ||
      !(in->omega_p >= 0))
    return po_error(PO_ERR_ARG,
                    "cavity pump: need Delta_C < 0 (red), kappa >= 0, omega_z > 0, N >= 1, "
                    "overlap in (0, 1], Delta_A != 0, g0 > 0, Omega >= 0");
  const double dc2 = in->delta_c * in->delta_c + in->kappa * in->kappa;
  const double per_omega = in->overlap * sqrt(in->n_atoms) * in->g0 / (2 * fabs(in->delta_a));
  out->lambda = per_omega * in->omega_p;
  out->lambda_c = 0.5 * sqrt(in->omega_z * dc2 / fabs(in->delta_c));
  out->omega_c = out->lambda_c / per_omega;
  out->power_ratio = (out->lambda / out->lambda_c) * (out->lambda / out->lambda_c);
  out->tau = 2 * in->kappa / dc2;
  const double G = 4 * out->lambda * out->lambda * fabs(in->delta_c) / dc2;
  out->alpha = G * out->tau;
  return PO_OK;
}
