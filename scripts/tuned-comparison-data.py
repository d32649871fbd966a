#!/usr/bin/env python3
"""Training instances for scripts/tuned-comparison.sh (docs/benchmarks.md,
"Tuned solver vs tuned solver"): solvers are tuned on these, never on the
instances the table reports.

  tuned-comparison-data.py DIR [--sk N:COUNT[:REPORT]]... [--gset N:M:COUNT]
                              [--maxcut N:P:COUNT[:REPORT]]...

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
  DIR/maxcut<N>/train_<k>.txt Erdos-Renyi G(N, P) graphs, every pair an edge
                              with probability P, weight +1 (dense MaxCut:
                              P = 0.5 is Hamerly et al. 2019's "50% edge
                              density MAX-CUT"), k = 0 .. COUNT-1
  DIR/maxcut<N>/report_<k>.txt the same class, k = 0 .. REPORT-1, other seeds

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


def er_graph(n, p, seed):
    r = random.Random(seed)
    return [(i, j, 1) for i in range(1, n + 1) for j in range(i + 1, n + 1) if r.random() < p]


def split(d, count, report, make):
    """d/train_<k>.txt for k < count and d/report_<k>.txt for k < report;
    make(k, is_report) gives (n, edges)."""
    os.makedirs(d, exist_ok=True)
    for k in range(count):
        write(os.path.join(d, "train_%d.txt" % k), *make(k, False))
    for k in range(report):
        write(os.path.join(d, "report_%d.txt" % k), *make(k, True))


def counts(f):
    return int(f[0]), int(f[1]) if len(f) > 1 else 0


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
    out, sk_specs, er_specs, gset_spec = argv[1], [], [], None
    args = argv[2:]
    while args:
        if args[0] == "--sk" and len(args) > 1:
            sk_specs, args = sk_specs + [args[1]], args[2:]
        elif args[0] == "--maxcut" and len(args) > 1:
            er_specs, args = er_specs + [args[1]], args[2:]
        elif args[0] == "--gset" and len(args) > 1:
            gset_spec, args = args[1], args[2:]
        else:
            sys.exit("unknown argument %r\n%s" % (args[0], __doc__))
    for sk_spec in sk_specs:
        f = sk_spec.split(":")
        n = int(f[0])
        split(os.path.join(out, "sk%d" % n), *counts(f[1:]),
              lambda k, rep, n=n: (n, sk(n, 1000 * n + (500 if rep else 0) + k)))
    for er_spec in er_specs:
        # seeds 5000000 + 1000 N + k (train), + 500 + k (report): apart from
        # the SK seeds 1000 N + k and the G-set ones 7000 + k
        f = er_spec.split(":")
        n, p = int(f[0]), float(f[1])
        split(os.path.join(out, "maxcut%d" % n), *counts(f[2:]),
              lambda k, rep, n=n, p=p: (n, er_graph(n, p, 5000000 + 1000 * n + (500 if rep else 0) + k)))
    if gset_spec:
        n, m, count = (int(v) for v in gset_spec.split(":"))
        d = os.path.join(out, "gset%d" % n)
        os.makedirs(d, exist_ok=True)
        for k in range(count):
            write(os.path.join(d, "rnd_%d.txt" % k), n, rnd_graph(n, m, 7000 + k))


if __name__ == "__main__":
    main(sys.argv)
