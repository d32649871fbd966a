#!/usr/bin/env python3
"""Writes configs/cim-recipes/CLASS.ini from a finished `physopt tune` of
configs/tune/cim-recipe-CLASS.ini (docs/cim.md, "Scale-aware defaults").

    scripts/cim-recipe-from-tune.py CLASS TUNE-BEST.ini TUNE.log > configs/cim-recipes/CLASS.ini

The recipe keeps the [cim] section of the tune's best configuration (the
fixed keys and the tuned values, unrounded, so that `physopt solve --config`
on a training instance reproduces the trial) and records in its header the
tune file, the command and the tune's final line."""
import sys


def main():
    cls, best, log = sys.argv[1:4]
    lines = open(best).read().splitlines()
    head = [l for l in lines if l.startswith(";")]
    cim, on = [], False
    for l in lines:
        if l.startswith("["):
            on = l.strip() == "[cim]"
            continue
        if on and l.strip() and not l.startswith(";"):
            cim.append(l.strip())
    final = [l for l in open(log).read().splitlines() if l.startswith("tune: ") and " trials (" in l]
    out = [
        "; cim recipe for the instance class '%s' (docs/cim.md, \"Scale-aware defaults\")." % cls,
        "; Used by physopt solve --backend cim --algorithm cac when the run sets no [cim] key",
        "; (cim.recipe = auto, the default), and with --set cim.recipe=auto (or =%s) under" % cls,
        "; the [cim] keys the user sets.",
        "; Produced, from the repository root, by",
        ";   nice physopt tune configs/tune/cim-recipe-%s.ini --out cim-recipe-%s.h5" % (cls, cls),
        ";   scripts/cim-recipe-from-tune.py %s cim-recipe-%s-best.ini LOG > configs/cim-recipes/%s.ini"
        % (cls, cls, cls),
        "; Tune result:",
    ] + ["; " + l for l in final] + ["; Best-configuration header:"] + [";" + l[1:] for l in head]
    out += ["[recipe]", "algorithm = cac",
            "summary = CAC, tuned by physopt tune (tts99_steps) on generated %s instances, "
            "configs/tune/cim-recipe-%s.ini" % (cls, cls), "[cim]"] + cim
    print("\n".join(out))


if __name__ == "__main__":
    main()
