#!/bin/sh
# Plots the OPO amplitudes x_i(t) recorded by
#   physopt solve --backend cim ... --out RUN.h5 --save-trajectories
# as a PNG (gnuplot), one line per spin (at most MAX lines, default 100).
# Usage: scripts/cim-plot-trajectory.sh RUN.h5 OUT.png [MAX]
# Needs python3-h5py and gnuplot (Debian packages).
set -eu
in=${1:?usage: $0 RUN.h5 OUT.png [MAX]}
out=${2:?usage: $0 RUN.h5 OUT.png [MAX]}
max=${3:-100}
# Debian's python3-h5py lives with /usr/bin/python3 (a pyenv python may not have it)
py=${PYTHON:-python3}
"$py" -c "import h5py" 2>/dev/null || py=/usr/bin/python3
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
m=$("$py" - "$in" "$tmp" "$max" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
if "trajectory" not in f:
    sys.exit("%s has no /trajectory (run with --save-trajectories)" % sys.argv[1])
g = f["trajectory"]
t, x = g["t"][:], g["x"][:]
m = min(int(sys.argv[3]), x.shape[1])
with open(sys.argv[2], "w") as o:
    o.write("# replica %d, %s\n" % (g.attrs["replica"], g.attrs["quantity"].decode()
            if isinstance(g.attrs["quantity"], bytes) else g.attrs["quantity"]))
    for k in range(len(t)):
        o.write("%.6g %s\n" % (t[k], " ".join("%.5g" % v for v in x[k, :m])))
print(m)
PY
)
gnuplot <<GP
set terminal pngcairo size 900,500
set output '$out'
set xlabel 'time (photon lifetimes)'
set ylabel 'amplitude x_i'
set title 'OPO amplitudes, $(basename "$in")'
unset key
plot for [i=2:$((m + 1))] '$tmp' using 1:i with lines lw 1
GP
echo "wrote $out"
