#!/usr/bin/env python3
"""Markdown tables of scripts/tuned-comparison.sh (docs/benchmarks.md,
"Tuned solver vs tuned solver"):

  tuned-comparison-table.py WORKDIR FAMILY SOLVER...

reads WORKDIR/tune/<solver>-<family>-best.ini (tuned values),
WORKDIR/report/<solver>-<family>.json (physopt report --json: its
"tts_optimum", TTS99 at the optimal run length with 95% bootstrap
intervals) and WORKDIR/timing-<family>.txt (wall seconds per replica-step,
best of the rounds) and prints

  1. per solver: tuned values, median over instances of TTS99 at the
     optimal run length in steps, in wall seconds of one thread (steps x
     the measured time per replica-step; the interval is the steps
     interval scaled by the same factor, it does not include timing
     noise), the time per step as a ratio to cpu sa, and the device
     seconds of backends with a device clock (cim);
  2. per instance and solver: optimal run length and TTS99 steps [95% CI].

stdlib only.
"""
import json
import math
import os
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


def main(argv):
    w, fam, solvers = argv[1], argv[2], argv[3:]
    timing = {}
    tpath = os.path.join(w, "timing-%s.txt" % fam)
    theader = ""
    if os.path.exists(tpath):
        for line in open(tpath):
            if line.startswith("#"):
                theader = line[1:].strip()
                continue
            s, _, r, k, wall, dev = line.split()
            per = float(wall) / (int(r) * int(k))
            timing[s] = min(timing.get(s, per), per)
    sa = timing.get("cpu-sa")
    rows, inst_rows, problems = [], {}, []
    for s in solvers:
        rep = json.load(open(os.path.join(w, "report", "%s-%s.json" % (s, fam))))
        series = rep["tts_optimum"][0]
        med = series["median"]
        best = os.path.join(w, "tune", "%s-%s-best.ini" % (s, fam))
        ranged = set("%s.%s" % (sec, k) for sec, k, v in tuned_values(os.path.join("configs", "tune", "%s-%s.ini" % (s, fam)))
                     if v.split("(")[0] in ("log", "linear", "int", "choice"))
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
        wall = ci(*(None if x is None else x * t for x in (med["opt_tts99_steps"], med["opt_tts99_steps_lo"],
                                                          med["opt_tts99_steps_hi"]))) if t else "-"
        dev = "-"
        if s.startswith("cim-"):
            dev = "%s at %s" % (ci(med["opt_tts99_s"], med["opt_tts99_s_lo"], med["opt_tts99_s_hi"]),
                                med["opt_steps_device"])
        rows.append("| %s %s | %s | %d/%d | %s | %s | %s | %s | %s | %s |" % (
            series["key"]["backend"], series["key"]["algorithm"], ", ".join(tuned), solved,
            len(series["instances"]), med["opt_steps"] if med["opt_tts99_steps"] is not None else "-",
            ci(med["opt_tts99_steps"], med["opt_tts99_steps_lo"], med["opt_tts99_steps_hi"]),
            "%.3g" % t if t else "-", "%.3g" % (t / sa) if t and sa else "-", wall, dev))
        for i in series["instances"]:
            p = os.path.basename(i["problem"])
            if p not in problems:
                problems.append(p)
            cell = "-" if i["opt_tts99_steps"] is None else "%s: %s" % (
                i["opt_steps"], ci(i["opt_tts99_steps"], i["opt_tts99_steps_lo"], i["opt_tts99_steps_hi"]))
            if i["opt_tts99_steps"] is None:
                cell = "inf (max p %.3g)" % max(h / r for h, r in zip(i["hits"], i["replicas"]))
            inst_rows.setdefault(p, {})[s] = cell
    print("| solver | tuned values | instances solved | opt run length (median curve) | median TTS99 steps [95% CI] "
          "| wall s per replica-step | ratio to cpu sa | median TTS99 wall s, 1 thread [CI] | median TTS99 device s [CI] "
          "at opt steps |")
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
