#!/usr/bin/env python3
"""Training instances of the cim recipes (docs/cim.md, "Scale-aware defaults").

Writes each generator spec (problems/generators.c: sk:, er:, rrg:, wishart:)
as a G-set file (the couplings exactly as po_problem_open builds them, read
back through libphysopt with ctypes) into DIR, finds a reference ground energy
and writes DIR/ground_energies.txt, which po_problem_open reads as the
instances' known ground energies.  `physopt tune` needs them for its
tts99_steps objective.  The reference is the planted ground energy where the
generator knows it (wishart: exact, E of the planted state computed by the
library); otherwise the cpu backend's simulated annealing (two seeds,
REPLICAS x SWEEPS each; the lower energy is kept and the script says whether
both seeds agree).  SA also runs on planted instances, as a check: it must not
go below the planted energy, and the script says whether it reached it.

    scripts/cim-recipe-instances.py DIR SPEC... [--replicas 64 --sweeps 30000]

SA references are not proofs: a tune's "success" is reaching them.  The library is found as by the Python package ($PHYSOPT_LIB, else
build/libphysopt.so)."""
import argparse
import ctypes
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def planted_energy(physopt, spec):
    """The generator's known ground energy of SPEC (planted instances), or None."""
    out = subprocess.run([physopt, "solve", "--problem", spec, "--backend", "cpu", "--replicas", "1",
                          "--steps", "1", "--threads", "1", "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out).get("target_energy")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("specs", nargs="+")
    ap.add_argument("--replicas", type=int, default=64)
    ap.add_argument("--sweeps", type=int, default=30000)
    ap.add_argument("--physopt", default=os.path.join(ROOT, "build", "physopt"))
    a = ap.parse_args()
    lib = ctypes.CDLL(os.environ.get("PHYSOPT_LIB", os.path.join(ROOT, "build", "libphysopt.so")))
    lib.po_problem_open.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.po_ising_coupling.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.po_ising_coupling.restype = ctypes.c_float
    lib.po_ising_destroy.argtypes = [ctypes.c_void_p]
    lib.po_last_error.restype = ctypes.c_char_p
    os.makedirs(a.dir, exist_ok=True)
    lines = ["# reference energies: the planted ground energy where the generator plants one "
             "(wishart), else best of cpu SA, 2 seeds x %d replicas x %d sweeps "
             "(scripts/cim-recipe-instances.py)" % (a.replicas, a.sweeps)]
    for spec in a.specs:
        m = ctypes.c_void_p()
        if lib.po_problem_open(spec.encode(), None, ctypes.byref(m)):
            sys.exit("%s: %s" % (spec, lib.po_last_error().decode()))
        n = ctypes.cast(m, ctypes.POINTER(ctypes.c_int))[0]  # po_ising.n is the first field
        edges = []
        for i in range(n):
            for j in range(i + 1, n):
                w = lib.po_ising_coupling(m, i, j)
                if w != 0.0:
                    edges.append("%d %d %s" % (i + 1, j + 1, repr(float(w)).rstrip("0").rstrip(".")))
        lib.po_ising_destroy(m)
        name = spec.replace(":", "_") + ".txt"
        path = os.path.join(a.dir, name)
        with open(path, "w") as f:
            f.write("# %s (physopt generator spec, written by scripts/cim-recipe-instances.py)\n" % spec)
            f.write("%d %d\n" % (n, len(edges)))
            f.write("\n".join(edges) + "\n")
        best = []
        for seed in (1, 2):
            out = subprocess.run([a.physopt, "solve", "--problem", path, "--backend", "cpu",
                                  "--replicas", str(a.replicas), "--steps", str(a.sweeps),
                                  "--threads", "1", "--seed", str(seed), "--json"],
                                 check=True, capture_output=True, text=True).stdout
            best.append(json.loads(out)["best_energy"])
        e = min(best)
        planted = planted_energy(a.physopt, spec)
        note = ""
        if planted is not None:
            # float32 couplings: SA's energy of the planted state may differ in the last digits
            if e < planted - 1e-6 * abs(planted):
                sys.exit("%s: SA found %r below the planted ground energy %r" % (spec, e, planted))
            note = ", planted %.17g (%s by SA)" % (
                planted, "reached" if e <= planted + 1e-6 * abs(planted) else "not reached")
            e = planted
        lines.append("%s %.17g" % (name, e))
        print("%s: N = %d, %d edges, SA best %s (seeds 1, 2: %s)%s%s" %
              (spec, n, len(edges), min(best), best,
               "" if best[0] == best[1] else "  SEEDS DISAGREE", note), flush=True)
    with open(os.path.join(a.dir, "ground_energies.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
