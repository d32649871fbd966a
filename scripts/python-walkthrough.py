#!/usr/bin/python3
"""The walk-through of docs/python.md: couplings J built with numpy, solved
on the cpu and cim backends, a matplotlib figure from the results
(docs/figures/python-walkthrough.png).  Run from the checkout after make:

    /usr/bin/python3 scripts/python-walkthrough.py [OUT.png]
"""
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import physopt  # noqa: E402

# [1] A +/-1 Sherrington-Kirkpatrick instance, N = 100, from numpy:
#     E(s) = sum_{i<j} J_ij s_i s_j with J symmetric, zero diagonal.
rng = np.random.default_rng(1)
N = 100
J = np.triu(rng.choice([-1.0, 1.0], size=(N, N)), 1)
J = J + J.T

# [2] Solve on the cpu (simulated annealing) and on the simulated coherent
#     Ising machine, each with its defaults (physopt.backends() lists them).
cpu = physopt.solve(J, backend="cpu", replicas=128, seed=1)
cim = physopt.solve(J, backend="cim", replicas=128, seed=1)
for r in (cpu, cim):
    print("%-4s %-4s %6d steps  best E = %g  mean E = %.2f  wall %.2f s  device %.3g s  %.3g J"
          % (r.backend, r.algorithm, r.steps, r.best_energy, r.mean_energy, r.wall_s, r.device_s,
             r.energy_j))

# [3] Success probability against the lowest energy found, as a function
#     of the run length: the library computes it when given target_energy.
target = min(cpu.best_energy, cim.best_energy)
curves = {}
for backend, steps in (("cpu", [50, 100, 200, 500, 1000, 2000]),
                       ("cim", [200, 500, 1000, 2000, 5000])):
    curves[backend] = [(k, physopt.solve(J, backend=backend, replicas=64, steps=k,
                                         target_energy=target).success_probability)
                       for k in steps]
    print(backend, "P(E <= %g):" % target, ", ".join("%d: %.3g" % kp for kp in curves[backend]))

# [4] The figure.
fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
bins = np.arange(min(cpu.energies.min(), cim.energies.min()) - 1,
                 max(cpu.energies.max(), cim.energies.max()) + 3, 2)
a.hist(cpu.energies / N, bins=bins / N, alpha=0.6, label="cpu / %s, %d sweeps" %
       (cpu.algorithm, cpu.steps))
a.hist(cim.energies / N, bins=bins / N, alpha=0.6, label="cim / %s, %d steps" %
       (cim.algorithm, cim.steps))
a.axvline(target / N, color="k", lw=0.8, ls="--")
a.set_xlabel("energy per spin E/N")
a.set_ylabel("replicas (of 128)")
a.set_title("(a) final energies, SK N = %d" % N)
a.legend(fontsize=8)
for backend, pts in curves.items():
    k, p = zip(*pts)
    b.semilogx(k, p, "o-", label=backend)
b.set_xlabel("steps (cpu: sweeps; cim: integration steps)")
b.set_ylabel("P(E <= %g)" % target)
b.set_ylim(-0.02, 1.02)
b.set_title("(b) success probability, 64 replicas")
b.legend(fontsize=8)
fig.tight_layout()
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs", "figures",
                                                         "python-walkthrough.png")
os.makedirs(os.path.dirname(out), exist_ok=True)
fig.savefig(out, dpi=120)
print("figure:", os.path.relpath(out, ROOT))
