#!/bin/sh
# Success probability of the simulated Hamerly et al. 2019 machine on the SK
# instances of ../shared/data/sk (N = 10 ... 100, 10 instances each), median
# per N and the fit median ~ exp(-alpha N) (least squares on ln median over
# the N whose ten instances are done and whose median is > 0).
# Model: plain measurement-feedback CIM (pump ramp -1 -> p_op), device file
# configs/devices/cim-hamerly2019.ini (quantum noise and measured feedback
# on), 23026 steps = 1000 round trips by (D1) (run length assumed, not taken
# from the paper), 32 replicas, seed 1.  docs/cim.md, "Physical devices".
# Usage: scripts/cim-hamerly2019.sh [REPLICAS [STEPS]]   (from the repository root)
set -e
R=${1:-32}
K=${2:-23026}
BIN=${BUILD:-build}/physopt
DATA=${PHYSOPT_DATA:-../shared/data}
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
# SIZES and INSTANCES reduce the run (make bench: N = 10 ... 50, 5
# instances, 16 replicas; the full run is the default).
SIZES=${SIZES:-10 20 30 40 50 60 70 80 90 100}
INSTANCES=${INSTANCES:-0 1 2 3 4 5 6 7 8 9}
for N in $SIZES; do
  for k in $INSTANCES; do
    sp=$("$BIN" solve --backend cim --algorithm plain --problem "$DATA/sk/SK1_N${N}_${k}.txt" \
      --config configs/devices/cim-hamerly2019.ini --replicas "$R" --steps "$K" --seed 1 \
      --threads 1 --json | sed -n 's/.*"success_probability": \([^,]*\),.*/\1/p')
    echo "$N $k $sp" >> "$OUT"
  done
done
sort -k1,1n -k3,3g "$OUT" | awk '
  { v[$1, c[$1]++] = $3 }
  END {
    print "N  median  (success per replica over the instances)"
    for (N = 10; N <= 100; N += 10) {
      n = c[N]; if (!n) continue
      med = n % 2 ? v[N, int(n / 2)] : 0.5 * (v[N, n / 2 - 1] + v[N, n / 2])
      printf "%3d  %.4g\n", N, med
      if (med > 0) { m++; X[m] = N; Y[m] = log(med); sx += N; sy += log(med); sxx += N * N; sxy += N * log(med) }
    }
    if (m >= 2) {
      b = (m * sxy - sx * sy) / (m * sxx - sx * sx)
      a = (sy - b * sx) / m
      for (i = 1; i <= m; i++) rss += (Y[i] - a - b * X[i]) ^ 2
      se = m > 2 ? sqrt(rss / (m - 2) / (sxx - sx * sx / m)) : 0
      printf "simulated alpha = %.4f +- %.4f per spin (1 s.e.; median ~ exp(-alpha N), %d sizes)\n", -b, se, m
    }
    print "paper (Hamerly et al. 2019, Sci. Adv. 5, eaau0823, alpha_CIM on SK): paper value not available here (searches: docs/cim.md)"
  }'
