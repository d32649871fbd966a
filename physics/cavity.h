/* Confocal-cavity QED device model: couplings between atomic spin ensembles
 * from their positions in a confocal cavity (pure functions, no I/O).
 *
 * Sources: Vaidya et al., PRX 8, 011002 (2018) (confocal cavity, waist w0,
 * even-family Green's function); Guo et al., PRL 122, 193601 (2019)
 * (sign-changing nonlocal interaction cos(2 r.r'/w0^2)); Marsh et al.,
 * PRX 11, 021048 (2021), arXiv:2009.01227 (ensembles of Gaussian size
 * sigma_A as neurons, ferromagnet-to-spin-glass crossover, associative
 * memory).  Full derivation and choices: docs/cavity.md.
 *
 * Model.  Lengths in units of w0 (u = r/w0).  One pass through the confocal
 * cavity maps the transverse field by the unitary optical Fourier transform
 *     (T psi)(u) = (1/pi) Int d^2u' psi(u') exp(-2i u.u'),   T^2 psi(u) = psi(-u),
 * and Hermite-Gauss modes are its eigenfunctions, T Phi_lm = (-i)^(l+m) Phi_lm.
 * An atom at the cavity midplane couples to the degenerate even family with
 * the standing-wave weight cos^2((l+m) pi/4), i.e. to modes with
 * l+m = 0 mod 4 only, so the Green's function is the four-pass average
 *     G = (1/4)(1 + T + T^2 + T^3)
 *     G(u,u') = (1/4)[delta(u-u') + delta(u+u')] + (1/(2 pi)) cos(2 u.u').
 * Ensemble i has normalised Gaussian density rho_i of width s = sigma_A/w0 at
 * u_i, and the (dimensionless) coupling is J_ij = Int Int rho_i G rho_j:
 *     J_ij = 1/(16 pi s^2) [exp(-|u_i-u_j|^2/(4s^2)) + exp(-|u_i+u_j|^2/(4s^2))]
 *          + 1/(2 pi (1+e^2)) exp(-2 s^2 (|u_i|^2+|u_j|^2)/(1+e^2))
 *                             cos(2 u_i.u_j/(1+e^2)),     e = 2 s^2.
 * The physical interaction is K_ij = J0 J_ij (ferromagnetic for J_ij > 0,
 * red-detuned pump), H = -(1/2) sum_ij K_ij s_i s_j. */
#ifndef PHYSOPT_PHYSICS_CAVITY_H
#define PHYSOPT_PHYSICS_CAVITY_H

#include <stdint.h>

typedef struct po_cavity_geom {
  int n;
  double w0;           /* cavity waist (any length unit, e.g. um) */
  double sigma;        /* ensemble Gaussian width (same unit) */
  const double *x, *y; /* n transverse positions (same unit) */
} po_cavity_geom;

/* n positions drawn uniformly in a disk of radius `spread` (same unit as
 * w0), stream (seed, 0, 0).  spread >= 0. */
int po_cavity_positions(int n, double spread, uint64_t seed, double *x, double *y);

/* J (n x n, row-major, diagonal included = self-interaction), three ways. */
int po_cavity_couplings_closed(const po_cavity_geom *g, double *J);
/* Explicit sum over Hermite-Gauss modes Phi_lm, 0 <= l, m <= n_max, of the
 * even family weighted by cos^2((l+m) pi/4); n_max <= 0 chooses the order at
 * which the Gaussian-smoothed mode overlaps have decayed below 1e-17. */
int po_cavity_couplings_modes(const po_cavity_geom *g, int n_max, double *J);
/* Densities sampled on an M x M grid of spacing sqrt(pi/M) w0 (then one
 * FFT is exactly T), propagated through four passes with FFTW. M even, >= 16. */
int po_cavity_couplings_grid(const po_cavity_geom *g, int M, double *J);

/* Multimode (near-confocal or non-degenerate) cavity: the Green's function
 * from the mode sum over a finite number of even mode families.
 *
 * Symmetric two-mirror cavity of length L and mirror radius of curvature R
 * (A. E. Siegman, Lasers (1986), ch. 19): g = 1 - L/R, Rayleigh range
 * z_R = sqrt(L (2R - L)) / 2, waist w0 = sqrt(lambda z_R / pi), one-way
 * Gouy phase theta = arccos(g) (pi/2 when confocal, L = R); the mode
 * (q, l, m) resonates at k L = q pi + (n + 1) theta, n = l + m.  The pump
 * addresses the even families n = 0, 2, ..., n_max with q = q0 - n/2, the
 * ones degenerate in a confocal cavity; with L != R family n is detuned
 * from n = 0 by eps_n = (c / L) n (theta - pi/2), so the pump detuning is
 * Delta_n = Delta_0 - eps_n.  Odd families (~c pi / (2L) away) are left
 * out.  An ensemble at height z from the midplane, organised on the
 * standing wave of the n = 0 family, meets family n with the relative
 * longitudinal phase
 *     phi_n(z) = n [atan(z / z_R) + pi/4 - (theta - pi/2) z / L]
 * (Gouy phase of mode n minus that of n = 0, and the family's wavenumber
 * offset), and the transverse mode at z has width w(z) = w0 sqrt(1 +
 * z^2/z_R^2).  The coupling (dimensionless, as the confocal J above) is
 *     J_ij = 2 w0^2 / (w_i w_j) sum_{n even <= n_max} D_n cos phi_n(z_i)
 *            cos phi_n(z_j) sum_{l+m=n} c_l(x_i) c_m(y_i) c_l(x_j) c_m(y_j),
 *     D_n = Re[1/(Delta_n + i kappa)] / Re[1/(Delta_0 + i kappa)],
 * c_l the overlap of the ensemble's Gaussian with the Hermite function of
 * order l at scale w(z) (see physics/cavity.c).  In the confocal limit
 * (L = R, n_max -> infinity) at z = 0 it is the closed form above; at
 * z = z_R every even family couples with weight 1 and the kernel is the
 * even-parity projector (1/2)[delta(u-u') + delta(u+u')] (both tested).
 * Positions, sigma, L, R, lambda in one length unit; Delta_0, kappa in one
 * angular-frequency unit, c in length unit per that time unit. */
typedef struct po_cavity_multimode {
  double length;        /* L */
  double mirror_radius; /* R, L < 2R */
  double wavelength;    /* lambda */
  double delta0;        /* pump detuning from the n = 0 family, != 0 */
  double kappa;         /* cavity field decay rate, >= 0 */
  double c_light;       /* speed of light in length unit / time unit */
  int n_max;            /* largest family order kept (even, >= 0) */
} po_cavity_multimode;

/* w0 and z_R of the geometry (errors name cavity.<key>). */
int po_cavity_multimode_waist(const po_cavity_multimode *mm, double *w0, double *z_r);
/* J (n x n) for ensembles at (x_i, y_i, z_i); g->w0 is ignored (the waist
 * follows from L, R, lambda), g->sigma is the ensemble width. */
int po_cavity_couplings_multimode(const po_cavity_geom *g, const double *z,
                                  const po_cavity_multimode *mm, double *J);

/* Self-interaction of one ensemble (the diagonal J_ii of the Green's
 * function above), with the local delta term given a finite Gaussian width
 * ell (rms per axis, units of w0; ell = 0 is the ideal confocal delta):
 * (1/4) delta(u-u') -> (1/4) N(u-u'; ell^2), so that, with u2 = |u_i|^2,
 *     J_ii = 1/(8 pi (2 s^2 + ell^2)) [1 + exp(-2 u2 / (2 s^2 + ell^2))]
 *          + 1/(2 pi (1+e^2)) exp(-4 s^2 u2 / (1+e^2)) cos(2 u2 / (1+e^2)),
 * e = 2 s^2: own cloud, its mirror image at -u_i, nonlocal term.  ell = 0
 * is the diagonal of po_cavity_couplings_closed. */
double po_cavity_self_term(double u2, double s, double ell);
/* Self-coupling relative to the nonlocal couplings of a geometry:
 * ratio = mean_i J_ii / rms_{i != j} J^nl_ij over a fixed reference sample
 * of 256 ensembles placed uniformly in a disk of radius `spread` (w0 units,
 * po_cavity_positions, seed 1), widths s and ell in w0 units, J^nl the
 * nonlocal (cos) part of the closed form (the local overlap of neighbours
 * would depend on the density of the reference sample).  A connectivity W
 * of well-separated ensembles of this geometry then has
 * W_self = ratio x rms(W_ij). */
int po_cavity_self_ratio(double spread, double s, double ell, double *ratio);
/* Thermal rms width of an atom's position in a harmonic trap,
 * sqrt(k_B T / (m omega^2)), in um; T in nK, trap frequency in Hz
 * (omega = 2 pi f), mass in atomic mass units.  Averaging the couplings
 * over independent Gaussian jitter of the ensemble centres of this width
 * equals the couplings of ensembles of width sqrt(sigma_A^2 + sigma_T^2)
 * (Gaussian convolution; tested by Monte Carlo). */
double po_cavity_thermal_sigma_um(double temperature_nk, double trap_hz, double mass_amu);
/* 87Rb atomic mass in u (NIST: 86.909180 u), the species of the cavity. */
#define PO_RB87_AMU 86.909180

/* Transverse-pump protocol from the physical parameters (open Dicke model
 * with the cavity adiabatically eliminated; Dimer et al., PRA 75, 013804
 * (2007); Ritsch et al., RMP 85, 553 (2013)).  All rates are angular
 * frequencies in one unit (e.g. 2 pi x MHz).  Per ensemble of N atoms the
 * collective pump-cavity coupling is lambda = overlap sqrt(N) g0 Omega /
 * (2 Delta_A); eliminating the cavity field (detuning Delta_C < 0, red;
 * decay kappa) leaves the energy (N/2)[omega_z z - (G/2) x^2] with
 *     G = 4 lambda^2 |Delta_C| / (Delta_C^2 + kappa^2),
 * i.e. the semiclassical model's g W_self.  Threshold G = omega_z:
 * lambda_c = (1/2) sqrt(omega_z (Delta_C^2 + kappa^2) / |Delta_C|), the
 * Dicke threshold, and g/g_c = G/omega_z = (Omega/Omega_c)^2 = P/P_th, so the
 * backend's pump schedule is the pump power in units of the threshold
 * power.  To first order in the retardation of the cavity field,
 * a(t) ~ a_ss(t - tau) with tau = 2 kappa / (Delta_C^2 + kappa^2), which adds
 * a friction -G tau dx/dt to the field on x: a Gilbert damping
 * alpha = G tau (alpha_c = omega_z tau at threshold). */
typedef struct po_cavity_pump_in {
  double g0;      /* single-atom vacuum Rabi coupling (TEM00, antinode) */
  double omega_p; /* transverse pump Rabi frequency */
  double delta_a; /* pump-atom detuning */
  double delta_c; /* pump-cavity detuning, < 0 (red) */
  double kappa;   /* cavity field decay rate */
  double omega_z; /* spin splitting (2 omega_recoil for momentum spins) */
  double n_atoms; /* atoms per ensemble */
  double overlap; /* atom-mode overlap factor in (0, 1] */
} po_cavity_pump_in;
typedef struct po_cavity_pump_out {
  double lambda, lambda_c; /* collective coupling and its threshold */
  double omega_c;          /* threshold pump Rabi frequency */
  double power_ratio;      /* P / P_th = (Omega/Omega_c)^2 = g/g_c */
  double tau;              /* retardation time 2 kappa / (Delta_C^2 + kappa^2) */
  double alpha;            /* Gilbert damping G tau at this pump */
} po_cavity_pump_out;
int po_cavity_pump_derive(const po_cavity_pump_in *in, po_cavity_pump_out *out);

/* Read-out: the cavity field emitted by ensembles with amplitudes a_j
 * (e.g. spins s_j), E(u) = sum_j a_j (G rho_j)(u), on the M x M grid above
 * (row-major, centred: index (p, q) is u = ((q - M/2) d, (p - M/2) d),
 * d = sqrt(pi/M)); field_out has M*M entries.  *d_out receives d. */
int po_cavity_emission(const po_cavity_geom *g, const double *a, int M, double *field_out,
                       double *d_out);
/* Read-in: overlap of a light pattern E (same grid) with each ensemble,
 * out_i = Int rho_i E d^2u. */
int po_cavity_readin(const po_cavity_geom *g, const double *field, int M, double *out);

/* Fraction of frustrated triangles, K_ij K_jk K_ki < 0 over i<j<k
 * (0 for a ferromagnet, 1/2 for independent random signs). */
double po_cavity_frustration(int n, const double *K);

#endif

/* Semiclassical driven-dissipative collective-spin dynamics with the cavity
 * adiabatically eliminated (docs/cavity.md).  Ensemble i is a classical
 * collective spin of N_atoms/2, unit Bloch vector n_i = (x_i, y_i, z_i);
 * with the cavity field eliminated the mean-field energy is
 *     E = omega_z sum_i z_i - (g/2) sum_ij W_ij x_i x_j,
 * g the cavity-mediated coupling set by the transverse pump (g ~ Omega^2 ~
 * pump power; the schedule ramps it).  The local field is
 *     B_i = -dE/dn_i = (g h_i, 0, -omega_z),   h_i = sum_j W_ij x_j,
 * and the spins obey the Landau-Lifshitz-Gilbert form
 *     dn_i/dt = n_i x B_i + Gamma [B_i - (n_i . B_i) n_i],
 * precession plus relaxation toward the local field at rate Gamma (the
 * cavity-loss-induced dissipation; Gamma >> 1 is the strong-dissipation
 * limit, where the flow is the gradient descent of E on the spheres).
 * The diagonal W_ii is the self-interaction of an ensemble (the local part
 * of G): it makes each ensemble bistable above the threshold g W_ii = omega_z.
 * state and out: 3n doubles (x, y, z per ensemble), Wd dense n x n. */
void po_cavity_spin_rhs(int n, const double *Wd, double g, double omega_z, double damping,
                        const double *state, double *out);
/* Energy E of the above for a state (3n doubles). */
double po_cavity_spin_energy(int n, const double *Wd, double g, double omega_z,
                             const double *state);
