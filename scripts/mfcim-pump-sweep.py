#!/usr/bin/env python3
"""Pump / nonlinearity sweep of the mfcim model (docs/cim.md, "mfcim: sampling
versus pump").  Runs `physopt solve --backend cim --algorithm mfcim` on the 10
SK instances of each size in $PHYSOPT_DATA/sk (default ../shared/data) with a
constant pump p (mf_pump_ref = absolute: p = 0 is the parametric drive
turned off, p < 0 reversed; 'thr' = at threshold, p = 1 + j(t)) and prints,
per size and setting, the mean over instances of the per-replica probability
of visiting the ground state within the budget and the median number of
round trips for 99 % confidence, R99 = K ln(0.01) / ln(1 - P).

usage: scripts/mfcim-pump-sweep.py [--physopt build/physopt] [--replicas 256]
       [--steps 200] [--sizes 20,30] [--seed 1]
"""
import argparse, json, math, os, statistics, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument("--physopt", default="build/physopt")
ap.add_argument("--replicas", type=int, default=256)
ap.add_argument("--steps", type=int, default=200)
ap.add_argument("--sizes", default="20,30")
ap.add_argument("--seed", type=int, default=1)
a = ap.parse_args()
data = os.environ.get("PHYSOPT_DATA", "../shared/data")
ground = {}
with open(os.path.join(data, "sk", "ground_energies.txt")) as f:
    for line in f:
        if line.startswith("#") or not line.strip():
            continue
        name, e = line.split()[:2]
        ground[name] = float(e)

OFF = ["cim.mf_pump_ref=absolute", "cim.mf_pump_start=0", "cim.mf_pump_end=0"]
THR = ["cim.mf_pump_start=0", "cim.mf_pump_end=0"]


def absolute(p):
    return ["cim.mf_pump_ref=absolute", f"cim.mf_pump_start={p}", f"cim.mf_pump_end={p}"]


settings = [("p=-2", absolute(-2)), ("p=-1", absolute(-1)), ("p=0 (drive off)", OFF),
            ("p=1", absolute(1)), ("p=1+j(t) (threshold)", THR), ("default ramp", [])]
for g2 in ["1e-8", "1e-2", "0.1"]:
    settings += [(f"p=0, g2={g2}", OFF + [f"cim.mf_g2={g2}"]),
                 (f"threshold, g2={g2}", THR + [f"cim.mf_g2={g2}"])]
settings += [("threshold, g2=0.1, cubic closure", THR + ["cim.mf_g2=0.1", "cim.mf_closure=cubic"])]
print(f"# mfcim sweep: {a.replicas} replicas x {a.steps} steps (dt = 0.05), seed {a.seed}")
print("| N | setting | mean P(ground) | median R99 (round trips) | instances solved |")
print("|---|---------|----------------|--------------------------|------------------|")
for n in [int(x) for x in a.sizes.split(",")]:
    names = sorted(k for k in ground if f"_N{n}_" in k)
    for label, sets in settings:
        ps, r99, solved = [], [], 0
        for name in names:
            cmd = [a.physopt, "solve", "--problem", os.path.join(data, "sk", name), "--backend",
                   "cim", "--algorithm", "mfcim", "--replicas", str(a.replicas), "--steps",
                   str(a.steps), "--seed", str(a.seed), "--json",
                   "--target-energy", str(ground[name])]
            for s in sets:
                cmd += ["--set", s]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                ps.append(0.0), r99.append(math.inf)
                continue
            p = json.loads(r.stdout)["success_probability"]
            ps.append(p)
            solved += p > 0
            r99.append(0 if p >= 1 else (a.steps * math.log(0.01) / math.log(1 - p)
                                          if p > 0 else math.inf))
        med = statistics.median(r99)
        print(f"| {n} | {label} | {sum(ps) / len(ps):.3f} | "
              f"{'inf' if math.isinf(med) else f'{med:.0f}'} | {solved}/{len(names)} |")
        sys.stdout.flush()
