#!/usr/bin/python3
"""How far does the cavity-mediated force push an ensemble in its tweezer?

docs/cavity.md, "Atomic motion": an order-of-magnitude check of whether
transverse (w0-scale) motion of the ensembles can change the couplings.
The energy of a spin state s is E = -(1/2) sum_ij W_ij s_i s_j in units of
h j0 per atom (the model's coupling scale, cavity.j0_hz), with W the closed-
form confocal couplings (physics/cavity.h, written again here with numpy as
an independent evaluation) normalised like the native rule (rms of the
off-diagonal entries 1/sqrt(N)). The force on ensemble i per atom is
-dE/du_i (u = r / w0), taken by central differences; a tweezer of frequency
f holds each atom with stiffness m (2 pi f)^2, so the displacement is
delta / w0 = F lambda with lambda = h j0 / (m (2 pi f)^2 w0^2).

    /usr/bin/python3 scripts/cavity-motion-estimate.py
"""
import numpy as np

HBAR = 1.054571817e-34  # J s (CODATA 2018)
AMU = 1.66053906660e-27  # kg
M_RB87 = 86.909180 * AMU  # kg, 87Rb (physics/cavity.c uses the same mass)
N, SIGMA = 16, 0.1  # ensembles; sigma_A / w0 (the cavity.sigma_a default)
J0_HZ, W0_M = 1e4, 35e-6  # cavity.j0_hz, cavity.w0_um defaults


def couplings(u):
    s2 = SIGMA * SIGMA
    e = 2 * s2
    d = 1 + e * e
    x, y = u[:, 0][:, None], u[:, 1][:, None]
    xj, yj = u[:, 0][None, :], u[:, 1][None, :]
    dm = (x - xj) ** 2 + (y - yj) ** 2
    dp = (x + xj) ** 2 + (y + yj) ** 2
    loc = (np.exp(-dm / (4 * s2)) + np.exp(-dp / (4 * s2))) / (16 * np.pi * s2)
    r2 = x * x + y * y + xj * xj + yj * yj
    return loc + np.exp(-2 * s2 * r2 / d) * np.cos(2 * (x * xj + y * yj) / d) / (2 * np.pi * d)


def energy(u, s, scale):
    W = couplings(u) * scale * (1 - np.eye(N))
    return -0.5 * s @ W @ s


def forces(spread, geometries, rng):
    out = []
    for _ in range(geometries):
        r = spread * np.sqrt(rng.random(N))
        th = 2 * np.pi * rng.random(N)
        u = np.stack([r * np.cos(th), r * np.sin(th)], 1)
        off = couplings(u)[~np.eye(N, dtype=bool)]
        scale = 1 / np.sqrt(N) / np.sqrt(np.mean(off ** 2))
        s = rng.choice([-1.0, 1.0], N)
        h = 1e-6
        for i in range(N):
            g = np.zeros(2)
            for a in range(2):
                up, um = u.copy(), u.copy()
                up[i, a] += h
                um[i, a] -= h
                g[a] = (energy(up, s, scale) - energy(um, s, scale)) / (2 * h)
            out.append(np.linalg.norm(g))
    return np.array(out)


def main():
    rng = np.random.default_rng(1)
    print("spread/w0  rms F  median F   (F per atom in units of h j0 / w0; random states)")
    rms = []
    for spread in (1.5, 2.0, 3.0):
        f = forces(spread, 50, rng)
        rms.append(np.sqrt(np.mean(f ** 2)))
        print("%9.1f  %5.2f  %8.2f" % (spread, rms[-1], np.median(f)))
    F = max(rms)
    print("\ntrap f   lambda     delta/w0 (rms F)  delta (um)  phase shift 2 |u_j| delta/w0 at |u_j| = 1.4")
    for f in (1000.0, 300.0, 100.0):
        lam = HBAR * 2 * np.pi * J0_HZ / (M_RB87 * (2 * np.pi * f) ** 2 * W0_M ** 2)
        d = F * lam
        print("%6.0f Hz  %.2e  %.4f            %.3f       %.3f rad" % (f, lam, d, d * W0_M * 1e6, 2 * 1.4 * d))


if __name__ == "__main__":
    main()
