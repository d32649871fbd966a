/* Few-KPO Schroedinger evolution; model and observables in
 * physics/kpo_quantum.h. */
#include "physics/kpo_quantum.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "physopt/error.h"

typedef struct fock {
  int n, d; /* oscillators, levels per oscillator (cutoff + 1) */
  long dim;
  long pw[8]; /* d^i */
} fock;

static int level(const fock *f, long idx, int i) {
  return (int)((idx / f->pw[i]) % f->d);
}

/* out = H(p) psi. */
static void apply_h(const fock *f, const po_kpo_quantum *q, double p, const double complex *psi,
                    double complex *out) {
  memset(out, 0, (size_t)f->dim * sizeof *out);
  for (long k = 0; k < f->dim; k++) {
    const double complex a = psi[k];
    if (a == 0) continue;
    double diag = 0.0;
    for (int i = 0; i < f->n; i++) {
      const int m = level(f, k, i);
      diag += 0.5 * q->kerr * m * (m - 1) + q->delta * m;
      if (m >= 2) out[k - 2 * f->pw[i]] += -0.5 * p * sqrt((double)m * (m - 1)) * a;
      if (m + 2 < f->d) out[k + 2 * f->pw[i]] += -0.5 * p * sqrt((double)(m + 1) * (m + 2)) * a;
      for (int j = 0; j < f->n; j++) { /* xi0 J_ij a_i^+ a_j */
        const int mj = level(f, k, j);
        if (j == i || q->J[i * f->n + j] == 0.0 || mj == 0 || m + 1 >= f->d) continue;
        out[k + f->pw[i] - f->pw[j]] +=
            q->xi0 * q->J[i * f->n + j] * sqrt((double)(m + 1) * mj) * a;
      }
    }
    out[k] += diag * a;
  }
}

int po_kpo_quantum_ramp(const po_kpo_quantum *q, double *corr, double *photons, double *norm,
                        double *trunc) {
  if (!q || q->n < 1 || q->n > 4 || q->cutoff < 2 || q->cutoff > 30 || !(q->dt > 0) || !(q->T > 0))
    return po_error(PO_ERR_ARG, "kpo quantum: need 1 <= n <= 4, 2 <= cutoff <= 30, dt, T > 0");
  fock f = {q->n, q->cutoff + 1, 1, {0}};
  for (int i = 0; i < q->n; i++) f.pw[i] = f.dim, f.dim *= f.d;
  const size_t bytes = (size_t)f.dim * sizeof(double complex);
  double complex *psi = calloc(1, bytes), *k1 = malloc(bytes), *k2 = malloc(bytes),
                 *k3 = malloc(bytes), *k4 = malloc(bytes), *tmp = malloc(bytes);
  if (!psi || !k1 || !k2 || !k3 || !k4 || !tmp) {
    free(psi), free(k1), free(k2), free(k3), free(k4), free(tmp);
    return po_error(PO_ERR_NOMEM, "kpo quantum: out of memory for dimension %ld", f.dim);
  }
  psi[0] = 1.0; /* vacuum */
  const long steps = lround(q->T / q->dt);
  const double h = q->T / (double)steps;
  for (long s = 0; s < steps; s++) {
    const double t = s * h;
    const double pa = q->p0 + (q->p1 - q->p0) * t / q->T;
    const double pm = q->p0 + (q->p1 - q->p0) * (t + 0.5 * h) / q->T;
    const double pb = q->p0 + (q->p1 - q->p0) * (t + h) / q->T;
    apply_h(&f, q, pa, psi, k1); /* k = -i H psi */
    for (long k = 0; k < f.dim; k++) k1[k] *= -I, tmp[k] = psi[k] + 0.5 * h * k1[k];
    apply_h(&f, q, pm, tmp, k2);
    for (long k = 0; k < f.dim; k++) k2[k] *= -I, tmp[k] = psi[k] + 0.5 * h * k2[k];
    apply_h(&f, q, pm, tmp, k3);
    for (long k = 0; k < f.dim; k++) k3[k] *= -I, tmp[k] = psi[k] + h * k3[k];
    apply_h(&f, q, pb, tmp, k4);
    for (long k = 0; k < f.dim; k++)
      psi[k] += h / 6.0 * (k1[k] + 2.0 * k2[k] + 2.0 * k3[k] - I * k4[k]); /* k4 = H tmp */
  }
  /* observables */
  double nrm = 0.0, top = 0.0;
  double nocc[4] = {0}, topocc[4] = {0};
  for (long k = 0; k < f.dim; k++) {
    const double w = creal(psi[k] * conj(psi[k]));
    nrm += w;
    for (int i = 0; i < q->n; i++) {
      const int m = level(&f, k, i);
      nocc[i] += m * w;
      if (m == q->cutoff) topocc[i] += w;
    }
  }
  for (int i = 0; i < q->n; i++) {
    photons[i] = nocc[i] / nrm;
    top = fmax(top, topocc[i] / nrm);
  }
  for (int i = 0; i < q->n; i++)
    for (int j = 0; j < q->n; j++) {
      double complex acc = 0.0; /* <a_i^+ a_j> */
      for (long k = 0; k < f.dim; k++) {
        const int mi = level(&f, k, i), mj = level(&f, k, j);
        if (i == j) {
          acc += mi * psi[k] * conj(psi[k]);
        } else if (mj > 0 && mi + 1 < f.d) {
          const long t = k + f.pw[i] - f.pw[j];
          acc += conj(psi[t]) * sqrt((double)(mi + 1) * mj) * psi[k];
        }
      }
      corr[i * q->n + j] = creal(acc) / nrm / sqrt(photons[i] * photons[j]);
    }
  *norm = nrm;
  *trunc = top;
  free(psi), free(k1), free(k2), free(k3), free(k4), free(tmp);
  return PO_OK;
}
