#!/bin/sh
# Stability of the cim recipes under re-tuning (docs/cim.md, "Scale-aware
# defaults", issue #15 item 2): the tune of each class
# (configs/tune/cim-recipe-CLASS.ini, shipped with tune seed 2026) is run
# again with other tune seeds, on the same training instances, and every
# resulting configuration is evaluated on the held-out instances of
# docs/cim.md's table, as the shipped recipe was (32 replicas x 10^4
# steps, one thread):
#   sk            SK1_N100_0..9 of ../shared/data/sk and the Wishart planted
#                 wishart:100:100:301, :302, wishart:150:150:303, :304, seed 2024: success per instance
#   dense-maxcut  er:300:0.5:1001..1004, seed 1, targets from cpu SA: success per instance
#   sparse-maxcut G1, G2 (best-known cuts), seed 1: success per instance
# The shipped recipe (seed 2026) is evaluated the same way, from its file.
#
#   scripts/cim-recipe-stability.sh [SEED ...]     (from the repository root; default 2027 2028)
#
# Output: W/CLASS-SEED.h5, -best.ini, .log and W/results.txt, one line per
# (class, seed) with the held-out successes; CLASSES, BUILD, PHYSOPT_DATA,
# W override the defaults.  A finished tune is reused (its log has the summary line).
set -e
BIN=${BUILD:-build}/physopt
DATA=${PHYSOPT_DATA:-../shared/data}
W=${W:-recipe-stability}
CLASSES=${CLASSES:-sk dense-maxcut sparse-maxcut}
SEEDS=${*:-2027 2028}
mkdir -p "$W"

success() { # CONFIG-ARGS... -- SOLVE-ARGS...: success probability from --json
  "$BIN" solve "$@" --replicas 32 --steps 10000 --threads 1 --json --quiet |
    sed -n 's/.*"success_probability": *\([0-9.e+-]*\).*/\1/p'
}
held_out() { # CLASS CONFIG-OPTION...: the held-out successes, space separated
  cls=$1
  shift
  case $cls in
  sk)
    for i in 0 1 2 3 4 5 6 7 8 9; do
      e=$(awk -v f="SK1_N100_$i.txt" '$1 == f { print $2 }' "$DATA/sk/ground_energies.txt")
      success "$@" --problem "$DATA/sk/SK1_N100_$i.txt" --seed 2024 --target-energy "$e"
    done
    # held-out Wishart planted instances (target: the planted ground energy)
    for w in wishart:100:100:301 wishart:100:100:302 wishart:150:150:303 wishart:150:150:304; do
      success "$@" --problem "$w" --seed 2024
    done ;;
  dense-maxcut)
    for se in 1001:-2027 1002:-1998 1003:-2016 1004:-2014; do
      success "$@" --problem "er:300:0.5:${se%%:*}" --seed 1 --target-energy "${se#*:}"
    done ;;
  sparse-maxcut)
    for gc in G1:11624 G2:11620; do
      success "$@" --problem "$DATA/gset/${gc%%:*}.txt" --seed 1 --target-cut "${gc#*:}"
    done ;;
  esac | tr '\n' ' '
}

for cls in $CLASSES; do
  echo "$cls 2026 (shipped) $(held_out "$cls" --backend cim --algorithm cac --set cim.recipe="$cls")" >> "$W/results.txt"
  for seed in $SEEDS; do
    base=$W/$cls-$seed
    # reused only when finished: the best file is also written after each rung
    if ! grep -q '^tune: .* trials (' "$base.log" 2>/dev/null &&
      ! nice "$BIN" tune "configs/tune/cim-recipe-$cls.ini" --set tune.seed="$seed" \
        --out "$base.h5" --best "$base-best.ini" --quiet > "$base.log" 2>&1; then
      # a failed run ends a tune (physopt tune treats it as an error, not
      # as a bad configuration): record why and go on
      echo "$cls $seed tune failed: $(grep -m1 'failed:' "$base.log" | cut -c1-300)" >> "$W/results.txt"
      continue
    fi
    echo "$cls $seed $(held_out "$cls" --config "$base-best.ini") | $(grep "^tune: " "$base.log" | cut -c1-100)" \
      >> "$W/results.txt"
  done
done
cat "$W/results.txt"
