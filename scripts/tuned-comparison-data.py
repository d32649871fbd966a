#!/usr/bin/env python3
"""Training instances for scripts/tuned-comparison.sh (docs/benchmarks.md,
"Tuned solver vs tuned solver"): solvers are tuned on these, never on the
instances the table reports.

  tuned-comparison-data.py DIR [--sk N:COUNT[:REPORT]]... [--gset N:M:COUNT]

writes, in the instance format of ../shared/data (first line "N M", then
"i j w" with 1-based i < j):
  DIR/sk<N>/train_<k>.txt     +/-1 Sherrington-Kirkpatrick, fully connected
                              (the class of ../shared/data/sk, Hamerly et
                              al. 2019), k = 0 .. COUNT-1
  DIR/sk<N>/report_<k>.txt    the same class, k = 0 .. REPORT-1, other
                              seeds: report instances for sizes that
                              ../shared/data/sk does not hold (N > 100)
  DIR/gset<N>/rnd_<k>.txt     random graphs with exactly M edges of weight
                              +1 (the class of G1-G5: rudy -rnd_graph 800 6,
                              N = 800, M = 19176)

Python's own generator (random.Random, Mersenne Twister) with fixed seeds,
so the files are the same on every machine; stdlib only.  Ground energies
are not computed here: the shell script finds them with long physopt runs
and writes DIR/*/ground_energies.txt.
"""
import os
import random
import sys


def write(path, n, edges):
    with open(path, "w") as f:
        f.write("%d %d\n" % (n, len(edges)))
        for i, j, w in edges:
            f.write("%d %d %d\n" % (i, j, w))


def sk(n, seed):
    r = random.Random(seed)
    return [(i, j, 1 if r.random() < 0.5 else -1) for i in range(1, n + 1) for j in range(i + 1, n + 1)]


def rnd_graph(n, m, seed):
    r = random.Random(seed)
    seen = set()
    while len(seen) < m:
        i, j = r.randrange(1, n + 1), r.randrange(1, n + 1)
        if i != j:
            seen.add((min(i, j), max(i, j)))
    return [(i, j, 1) for i, j in sorted(seen)]


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    out, sk_specs, gset_spec = argv[1], [], None
    args = argv[2:]
    while args:
        if args[0] == "--sk" and len(args) > 1:
            sk_specs, args = sk_specs + [args[1]], args[2:]
        elif args[0] == "--gset" and len(args) > 1:
            gset_spec, args = args[1], args[2:]
        else:
            sys.exit("unknown argument %r\n%s" % (args[0], __doc__))
    for sk_spec in sk_specs:
        f = [int(v) for v in sk_spec.split(":")]
        n, count, report = f[0], f[1], f[2] if len(f) > 2 else 0
        d = os.path.join(out, "sk%d" % n)
        os.makedirs(d, exist_ok=True)
        for k in range(count):
            write(os.path.join(d, "train_%d.txt" % k), n, sk(n, 1000 * n + k))
        for k in range(report):
            write(os.path.join(d, "report_%d.txt" % k), n, sk(n, 1000 * n + 500 + k))
    if gset_spec:
        n, m, count = (int(v) for v in gset_spec.split(":"))
        d = os.path.join(out, "gset%d" % n)
        os.makedirs(d, exist_ok=True)
        for k in range(count):
            write(os.path.join(d, "rnd_%d.txt" % k), n, rnd_graph(n, m, 7000 + k))


if __name__ == "__main__":
    main(sys.argv)
