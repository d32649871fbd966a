#!/usr/bin/env python3
"""Markdown tables of scripts/tuned-comparison.sh (docs/benchmarks.md,
"Tuned solver vs tuned solver"):

  tuned-comparison-table.py WORKDIR FAMILY SOLVER...
  tuned-comparison-table.py --time SOLVER ROUND STEPS -- physopt solve ... --json

The second form (the script's timing stage) runs one solve and prints
"SOLVER ROUND REPLICAS STEPS wall_s device_s cpu_s": the anneal's wall
seconds and device seconds from the JSON summary, and the CPU seconds
(user + system) of the process minus those of the same command with
--steps 1 (process start, reading the instance, set-up), scaled to STEPS.
On this shared machine CPU seconds are the steadier measure of a
one-thread run: they exclude the time spent waiting for a core.

reads WORKDIR/tune/<solver>-<family>-best.ini (tuned values),
WORKDIR/report/<solver>-<family>.json (physopt report --json: its
"tts_optimum", TTS99 at the optimal run length with 95% bootstrap
intervals) and WORKDIR/timing-<family>.txt (wall seconds per replica-step,
best of the rounds) and prints

  1. per solver: tuned values, median over instances of TTS99 at the
     optimal run length in steps, in seconds of one core (steps x the
     measured CPU time per replica-step of a one-thread run, best of the
     rounds; wall time if no CPU time was recorded; the interval is the
     steps interval scaled by the same factor, it does not include timing
     noise), the time per step (wall and CPU) as a ratio to cpu sa's, and
     the device seconds of backends with a device clock (cim);
  2. per instance and solver: optimal run length and TTS99 steps [95% CI].

stdlib only.
"""
import json
import math
import os
import resource
import subprocess
import sys


def fmt(x):
    if x is None or (isinstance(x, float) and math.isinf(x)):
        return "inf"
    if x == 0:
        return "0"
    a = abs(x)
    if 0.01 <= a < 1e5:
        return "%.3g" % x
    return "%.2e" % x


def ci(v, lo, hi):
    return "%s [%s, %s]" % (fmt(v), fmt(lo), fmt(hi))


def tuned_values(path):
    """The non-comment keys of the tuned sections, as 'section.key=value'."""
    out, sec = [], None
    for line in open(path):
        line = line.split(";")[0].strip()
        if not line:
            continue
        if line.startswith("["):
            sec = line.strip("[]")
            continue
        k, v = (s.strip() for s in line.split("=", 1))
        out.append((sec, k, v))
    return out


def cpu_of(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return out, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def time_one(argv):
    solver, rnd, steps, cmd = argv[2], argv[3], int(argv[4]), argv[6:]
    out, cpu = cpu_of(cmd)
    # the same command with one step: process start, reading the instance
    # and set-up (0.05-0.08 s here, as much as a short anneal), subtracted
    one = list(cmd)
    one[one.index("--steps") + 1] = "1"
    _, cpu1 = cpu_of(one)
    d = json.loads(out)
    print(solver, rnd, d["replicas"], steps, repr(d["wall_s"]), repr(d["device_s"]),
          "%.6f" % ((cpu - cpu1) * steps / (steps - 1)))


def main(argv):
    if len(argv) > 5 and argv[1] == "--time" and argv[5] == "--":
        return time_one(argv)
    w, fam, solvers = argv[1], argv[2], argv[3:]
    timing = {}
    tpath = os.path.join(w, "timing-%s.txt" % fam)
    theader = ""
    if os.path.exists(tpath):
        for line in open(tpath):
            if line.startswith("#"):
                theader = line[1:].strip()
                continue
            f = line.split()
            s, r, k, wall = f[0], int(f[2]), int(f[3]), float(f[4])
            per = (wall / (r * k), float(f[6]) / (r * k) if len(f) > 6 else None)
            old = timing.get(s, (math.inf, math.inf))
            timing[s] = (min(old[0], per[0]), min(old[1], per[1]) if per[1] is not None else None)
    sa = timing.get("cpu-sa")
    rows, inst_rows, problems = [], {}, []
    for s in solvers:
        rep = json.load(open(os.path.join(w, "report", "%s-%s.json" % (s, fam))))
        series = rep["tts_optimum"][0]
        med = series["median"]
        best = os.path.join(w, "tune", "%s-%s-best.ini" % (s, fam))
        ranged = set("%s.%s" % (sec, k) for sec, k, v in tuned_values(os.path.join("configs", "tune", "%s-%s.ini" % (s, fam)))
                     if v.split("(")[0].strip() in ("log", "linear", "int", "logint", "choice"))
        tuned = []
        for sec, k, v in tuned_values(best):
            if "%s.%s" % (sec, k) not in ranged:
                continue
            try:
                v = "%.3g" % float(v)
            except ValueError:
                pass
            tuned.append("%s=%s" % (k, v))
        solved = sum(1 for i in series["instances"] if i["opt_tts99_steps"] is not None)
        t = timing.get(s)
        # seconds of one core: the CPU time per replica-step when measured
        # (the wall time of a loaded machine includes waiting for a core)
        per = (t[1] or t[0]) if t else None
        wall = ci(*(None if x is None else x * per for x in (med["opt_tts99_steps"], med["opt_tts99_steps_lo"],
                                                             med["opt_tts99_steps_hi"]))) if t else "-"
        ratio = "-"
        if t and sa:
            ratio = "%.3g / %s" % (t[0] / sa[0], "%.3g" % (t[1] / sa[1]) if t[1] and sa[1] else "-")
        dev = "-"
        if s.startswith("cim-"):
            dev = ci(med["opt_tts99_s"], med["opt_tts99_s_lo"], med["opt_tts99_s_hi"])
            if med["opt_steps_device"] is not None:
                dev += " at %s" % med["opt_steps_device"]
        rows.append("| %s %s | %s | %d/%d | %s | %s | %s | %s | %s | %s |" % (
            series["key"]["backend"], series["key"]["algorithm"], ", ".join(tuned), solved,
            len(series["instances"]), med["opt_steps"] if med["opt_tts99_steps"] is not None else "-",
            ci(med["opt_tts99_steps"], med["opt_tts99_steps_lo"], med["opt_tts99_steps_hi"]),
            "%.3g / %s" % (t[0], "%.3g" % t[1] if t[1] else "-") if t else "-", ratio, wall, dev))
        for i in series["instances"]:
            p = os.path.basename(i["problem"])
            if p not in problems:
                problems.append(p)
            cell = "-" if i["opt_tts99_steps"] is None else "%s: %s" % (
                i["opt_steps"], ci(i["opt_tts99_steps"], i["opt_tts99_steps_lo"], i["opt_tts99_steps_hi"]))
            if i["opt_tts99_steps"] is None:
                runs = [r for r in rep["runs"] if r["problem"] == i["problem"]]
                if runs and runs[0].get("best_cut") is not None and not fam.startswith("sk"):
                    cell = "inf (0 hits; best cut %d)" % max(r["best_cut"] for r in runs)
                else:
                    cell = "inf (0 hits; best E %g)" % min(r["best_energy"] for r in runs)
            inst_rows.setdefault(p, {})[s] = cell
    print("| solver | tuned values | instances solved | opt run length (median curve) | median TTS99 steps [95% CI] "
          "| s per replica-step (wall / CPU) | time per step / cpu sa's (wall / CPU) | median TTS99 s of one core [CI] "
          "| median TTS99 device s [CI] at opt steps |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(r)
    print()
    if theader:
        print("Timing: %s." % theader)
        print()
    print("| instance | " + " | ".join(solvers) + " |")
    print("|---|" + "---|" * len(solvers))
    for p in problems:
        print("| %s | %s |" % (p, " | ".join(inst_rows[p].get(s, "") for s in solvers)))


if __name__ == "__main__":
    main(sys.argv)
