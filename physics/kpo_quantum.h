/* Exact quantum evolution of a few Kerr parametric oscillators under a pump
 * ramp: the check of H. Goto, Sci. Rep. 6, 21686 (2016) ("[G16]") that the
 * vacuum evolves adiabatically into the network's Ising ground state.
 *
 *   H/hbar = sum_i [K/2 a_i^+2 a_i^2 - p(t)/2 (a_i^+2 + a_i^2) + Delta a_i^+ a_i]
 *            + xi0 sum_{i != j} J_ij a_i^+ a_j          (J = -J^G, physopt's sign)
 *
 * in the product Fock basis truncated at `cutoff` photons per oscillator
 * (dimension (cutoff + 1)^n), p(t) linear from p0 to p1 over T,
 * i d psi/dt = H psi integrated by classical RK4 with step dt (stable for
 * dt E_max < 2.8; E_max ~ n (K/2 c^2 + (Delta + p) c) for cutoff c).  The
 * initial state is the vacuum, the ground state of H(0) when Delta I + xi0 J
 * is positive definite.  For an adiabatic ramp the final state is the
 * even-parity ground state of H(p1), a superposition of the two coherent
 * states |s alpha> and |-s alpha> of the Ising ground state s (and its
 * global flip), so C_ij = Re<a_i^+ a_j> / sqrt(<n_i><n_j>) -> s_i s_j. */
#ifndef PHYSOPT_PHYSICS_KPO_QUANTUM_H
#define PHYSOPT_PHYSICS_KPO_QUANTUM_H

typedef struct po_kpo_quantum {
  int n;           /* oscillators (2 ... 4) */
  const double *J; /* n x n, symmetric, zero diagonal, physopt convention */
  double kerr, delta, xi0, p0, p1, T, dt;
  int cutoff; /* photons per oscillator */
} po_kpo_quantum;

/* Runs the ramp; corr (n x n) gets C_ij, photons (n) <n_i>, *norm the final
 * <psi|psi> (1 up to RK4's error), *trunc the largest occupation of the
 * top Fock level of any oscillator (truncation check).  Returns PO_OK or an
 * error (argument ranges, memory). */
int po_kpo_quantum_ramp(const po_kpo_quantum *q, double *corr, double *photons, double *norm,
                        double *trunc);

#endif
