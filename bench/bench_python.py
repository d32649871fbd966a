#!/usr/bin/python3
"""Calling overhead of the Python binding: physopt.solve(G22) against
`physopt solve --problem G22` with the same arguments (cpu backend, its
defaults: 128 replicas x 5000 sweeps), both timed end to end (the CLI as a
process, reading G22 included; Python from the call to the Result, reading
G22 included).  Runs alternate, REPEATS each; reports the medians and
their ratio (the baseline is the CLI of the same run).  Same seed, so both
must find the same best energy (checked).

Usage: bench/bench_python.py [REPEATS]   (make bench; BUILD, PHYSOPT_DATA)"""
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("BUILD", "build")
os.environ.setdefault("PHYSOPT_LIB", os.path.join(ROOT, BUILD, "libphysopt.so"))
sys.path.insert(0, os.path.join(ROOT, "python"))
import physopt  # noqa: E402

data = os.environ.get("PHYSOPT_DATA", os.path.join(ROOT, "..", "shared", "data"))
g22 = os.path.join(data, "gset", "G22.txt")
if not os.path.exists(g22):
    print("bench_python: %s not found (PHYSOPT_DATA); skipped" % g22)
    sys.exit(0)
repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
cli = os.path.join(ROOT, BUILD, "physopt")
cli_wall, py_wall, cli_led, py_led = [], [], [], []
for k in range(repeats):
    t0 = time.perf_counter()
    out = subprocess.run([cli, "solve", "--problem", g22, "--quiet", "--json"], check=True,
                         capture_output=True, text=True).stdout
    cli_wall.append(time.perf_counter() - t0)
    j = json.loads(out)
    cli_led.append(j["wall_s"])
    t0 = time.perf_counter()
    r = physopt.solve(g22)
    py_wall.append(time.perf_counter() - t0)
    py_led.append(r.wall_s)
    if r.best_energy != j["best_energy"]:
        sys.exit("bench_python: different best energies %r (python) and %r (CLI)" %
                 (r.best_energy, j["best_energy"]))
mc, mp = statistics.median(cli_wall), statistics.median(py_wall)
print("G22, cpu/%s, %d replicas x %d sweeps, %d threads, %d repeats (medians)" %
      (r.algorithm, r.replicas, r.steps, r.threads, repeats))
print("  CLI process wall     %8.3f s   (anneal %.3f s)" % (mc, statistics.median(cli_led)))
print("  physopt.solve wall   %8.3f s   (anneal %.3f s)" % (mp, statistics.median(py_led)))
print("  ratio python / CLI   %8.3f" % (mp / mc))
