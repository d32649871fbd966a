#!/usr/bin/env python3
"""Single-bit-flip robustness check of `physopt report` on an HDF5 results file.

Usage: scripts/h5-bitflip-fuzz.py FILE.h5 [N [SEED]] [--physopt build/physopt]

Makes N copies of FILE.h5, each with one random bit flipped (bit chosen from
a random.Random(SEED) stream), runs `physopt report --json COPY` on each
(10 s time limit) and counts the outcomes:
  ok     exit 0 (the flip hit data the report does not check, e.g. a spin)
  error  exit 2-7 with a one-line "physopt: error:" message
  crash  killed by a signal (SIGSEGV inside libhdf5 and the like)
  hang   no exit within 10 s
Prints the counts and, for crashes and hangs, the byte offset and bit, so a
case can be reproduced.  Exit status 1 when any crash or hang occurred.
docs/hdf5-layout.md ("Corrupted files") has the measured figures."""
import os
import random
import subprocess
import sys
import tempfile


def main():
    args = [a for a in sys.argv[1:]]
    physopt = "build/physopt"
    if "--physopt" in args:
        i = args.index("--physopt")
        physopt = args[i + 1]
        del args[i:i + 2]
    if not args:
        sys.exit(__doc__)
    path = args[0]
    n = int(args[1]) if len(args) > 1 else 1000
    seed = int(args[2]) if len(args) > 2 else 1
    data = open(path, "rb").read()
    rng = random.Random(seed)
    counts = {"ok": 0, "error": 0, "crash": 0, "hang": 0}
    bad = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "flipped.h5")
        for _ in range(n):
            off = rng.randrange(len(data))
            bit = rng.randrange(8)
            b = bytearray(data)
            b[off] ^= 1 << bit
            with open(copy, "wb") as f:
                f.write(b)
            try:
                p = subprocess.run([physopt, "report", "--json", copy], capture_output=True,
                                   timeout=10)
            except subprocess.TimeoutExpired:
                counts["hang"] += 1
                bad.append(("hang", off, bit, ""))
                continue
            if p.returncode == 0:
                counts["ok"] += 1
            elif p.returncode < 0 or p.returncode >= 128:
                counts["crash"] += 1
                bad.append(("crash", off, bit, p.stderr.decode(errors="replace")[-200:]))
            elif p.stderr.startswith(b"physopt: error:"):
                counts["error"] += 1
            else:
                counts["crash"] += 1  # an exit without our message: count it as a failure
                bad.append(("no message", off, bit, p.stderr.decode(errors="replace")[-200:]))
    print(f"{path}: {n} single-bit flips (seed {seed}): " +
          ", ".join(f"{k} {v}" for k, v in counts.items()))
    for kind, off, bit, msg in bad:
        print(f"  {kind}: byte {off} bit {bit} {msg.strip()}")
    sys.exit(1 if counts["crash"] or counts["hang"] else 0)


if __name__ == "__main__":
    main()
