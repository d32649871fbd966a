#!/bin/sh
# "Tuned solver vs tuned solver" (docs/benchmarks.md; issue #15 item 4):
# every solver tuned with the same trial budget on training instances that
# are not reported, then TTS99 at the optimal run length on the report
# instances, in steps, in wall seconds (time per replica-step measured
# here, as a ratio to cpu sa) and in device seconds where the backend has
# its own (cim: fibre round trips).
#
#   scripts/tuned-comparison.sh [STAGE ...]        (from the repository root)
#
# Stages (default: all, in this order; each reuses what exists, so a killed
# run continues where it stopped):
#   data    training instances (scripts/tuned-comparison-data.py) and their
#           ground energies from long reference runs
#   tune    physopt tune configs/tune/<solver>-<family>.ini
#   report  physopt sweep of the tuned configuration over run lengths on the
#           report instances, physopt report --json
#   timing  wall seconds per replica-step of each tuned solver, the solvers
#           alternated, best of TIMING_ROUNDS
#   table   the markdown tables (W/table-<family>.md)
#
# Families: sk100 (report: ../shared/data/sk SK1_N100_k), gset (G1, G2, G14),
# sk200 and sk400 (report: generated +/-1 SK, N = 200 or 400, long-run
# ground energies), maxcut100, maxcut300 and maxcut500 (report: generated
# Erdos-Renyi MaxCut, N = 100, 300 or 500, edge density 0.5, unit weights,
# long-run ground energies); any skN (N > 100) or maxcutN works if
# configs/tune/<solver>-<family>.ini exist.
# Reduced runs: SOLVERS, FAMILIES, SK_REPORT (instance indices k of
# SK1_N100_k), GEN_REPORT (indices k of report_k of the generated
# families), SK_STEPS (run lengths at N <= 200), LONG_STEPS (N > 200),
# PT_SK_STEPS (cpu pt outside G-set), GSET_REPORT (FILE:BEST_CUT ...),
# GSET_STEPS, REPEATS, GSET_REPEATS, TIMING_ROUNDS, BUILD, PHYSOPT_DATA; e.g.
# VARIANT=runlength: tune configs/tune/<solver>-<family>-runlength.ini (the
# run length tuned too: fidelity = replicas) and name every output
# <solver>-<family>-runlength (table-<family>-runlength.md); the report runs
# 64 replicas per cell like the other variant.
#   SOLVERS="cpu-sa cim-cac" FAMILIES=sk100 SK_REPORT="4 5" SK_STEPS="100, 1000" \
#     scripts/tuned-comparison.sh
set -e
BIN=${BUILD:-build}/physopt
DATA=${PHYSOPT_DATA:-../shared/data}
# fixed: the tune files name their training instances under tc-work/train
W=tc-work
NICE=${NICE:-nice}
PY=${PYTHON:-python3}
SOLVERS=${SOLVERS:-cpu-sa cpu-pt cim-cac cim-ahc cim-cfc cpu-bsb cpu-dsb}
FAMILIES=${FAMILIES:-sk100 gset sk200 sk400 maxcut100 maxcut300 maxcut500}
# Combinations left out by default (cost: parallel tempering's 16 chains on
# N = 800 with the general kernel take ~30 s per 64 x 1000 sweeps here, see
# docs/benchmarks.md); SKIP=none runs every combination (an empty SKIP means
# the default).
SKIP=${SKIP:-cpu-pt:gset}
SK_REPORT=${SK_REPORT:-0 1 2 3 4 5 6 7 8 9}
GEN_REPORT=${GEN_REPORT:-0 1 2 3 4 5}
SK_STEPS=${SK_STEPS:-10, 30, 100, 300, 1000, 3000, 10000}
LONG_STEPS=${LONG_STEPS:-30, 100, 300, 1000, 3000, 10000, 30000}
PT_SK_STEPS=${PT_SK_STEPS:-10, 30, 100, 300, 1000, 3000}
GSET_REPORT=${GSET_REPORT:-G1:11624 G2:11620 G14:3064}
GSET_STEPS=${GSET_STEPS:-1000, 3000, 10000, 30000}
REPEATS=${REPEATS:-2}
GSET_REPEATS=${GSET_REPEATS:-2}
TIMING_ROUNDS=${TIMING_ROUNDS:-5}
STAGES=${*:-data tune report timing table}

# file names of a family's tune, report, timing and table
tag() { echo "$1${VARIANT:+-$VARIANT}"; }
want() { case " $FAMILIES " in *" $1 "*) return 0 ;; esac; return 1; }
skipped() { case " $SKIP " in *" $1:$2 "*) return 0 ;; esac; return 1; }
# generated report instances beside the training ones (SK N > 100, dense MaxCut)
generated() { case $1 in sk100) return 1 ;; sk[0-9]* | maxcut[0-9]*) return 0 ;; esac; return 1; }
size() { case $1 in sk[0-9]*) echo "${1#sk}" ;; maxcut[0-9]*) echo "${1#maxcut}" ;; esac; }
backend() { echo "${1%%-*}"; }
algorithm() { echo "${1#*-}"; }
best_energy() { # FILE BACKEND ALG REPLICAS STEPS SEED [solve options]
  f=$1 b=$2 a=$3 r=$4 k=$5 s=$6
  shift 6
  $NICE "$BIN" solve --problem "$f" --backend "$b" --algorithm "$a" --replicas "$r" --steps "$k" \
    --threads 1 --seed "$s" --quiet --json "$@" |
    $PY -c 'import json, sys; print(json.load(sys.stdin)["best_energy"])'
}
emin() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 < b + 0) ? a : b }'; }

# DIR NAME...: DIR/ground_energies.txt for the generated instances
# DIR/NAME.txt (SK, dense MaxCut), unless it exists: the lower of the best
# energies of two solvers.
long_ground() {
  d=$1
  shift
  [ -f "$d/ground_energies.txt" ] && return 0
  echo "# instance ground_energy: min of cpu sa 256 x 20000 (seed 1) and cpu pt 16 x 3000 (seed 2)" > "$d/ge.tmp"
  for f in "$@"; do
    a=$(best_energy "$d/$f.txt" cpu sa 256 20000 1)
    b=$(best_energy "$d/$f.txt" cpu pt 16 3000 2)
    echo "data: $d/$f: sa $a, pt $b" >&2
    echo "$f.txt $(emin "$a" "$b")" >> "$d/ge.tmp"
  done
  mv "$d/ge.tmp" "$d/ground_energies.txt"
}

stage_data() {
  mkdir -p "$W/train"
  gen=
  for fam in $FAMILIES; do
    n=$(size "$fam")
    case $fam in
    gset) gen="$gen --gset 800:19176:2" ;;
    sk100) gen="$gen --sk 100:4" ;;
    sk*) gen="$gen --sk $n:4:6" ;;
    maxcut*) gen="$gen --maxcut $n:0.5:4:6" ;;
    esac
  done
  # shellcheck disable=SC2086
  $PY scripts/tuned-comparison-data.py "$W/train" $gen
  want sk100 && long_ground "$W/train/sk100" train_0 train_1 train_2 train_3
  for fam in $FAMILIES; do
    generated "$fam" && long_ground "$W/train/$fam" train_0 train_1 train_2 train_3 \
      report_0 report_1 report_2 report_3 report_4 report_5
  done
  d=$W/train/gset800
  if want gset && [ ! -f "$d/ground_energies.txt" ]; then
    echo "# instance ground_energy: best (lowest E, i.e. largest cut) of cpu sa 128 x 20000 sweeps (seed 1) and cim cac 64 x 20000 steps with configs/cim-gset.ini (seed 2)" > "$d/ge.tmp"
    for k in 0 1; do
      a=$(best_energy "$d/rnd_$k.txt" cpu sa 128 20000 1)
      b=$(best_energy "$d/rnd_$k.txt" cim cac 64 20000 2 --config configs/cim-gset.ini)
      echo "data: gset800 rnd_$k: sa $a, cac $b" >&2
      echo "rnd_$k.txt $(emin "$a" "$b")" >> "$d/ge.tmp"
    done
    mv "$d/ge.tmp" "$d/ground_energies.txt"
  fi
}

stage_tune() {
  mkdir -p "$W/tune"
  for fam in $FAMILIES; do
    for s in $SOLVERS; do
      skipped "$s" "$fam" && continue
      echo "tune: $s $fam" >&2
      t0=$(date +%s)
      t=$(tag "$fam")
      $NICE "$BIN" tune "configs/tune/$s-$t.ini" --out "$W/tune/$s-$t.h5" \
        --best "$W/tune/$s-$t-best.ini" --threads 1 --quiet
      echo "tune: $s $fam done in $(($(date +%s) - t0)) s" >&2
    done
  done
}

stage_report() {
  mkdir -p "$W/report"
  for fam in $FAMILIES; do
    if [ "$fam" = sk100 ]; then
      spec=
      for k in $SK_REPORT; do spec="${spec:+$spec, }$DATA/sk/SK1_N100_$k.txt"; done
      printf '[sweep]\nseed = 5\nrepeats = %s\n' "$REPEATS" > "$W/report/base-$fam.ini"
    elif generated "$fam"; then
      # generated report instances, written by stage data beside the
      # training ones (ground energies in the same ground_energies.txt)
      spec=
      for k in $GEN_REPORT; do spec="${spec:+$spec, }$W/train/$fam/report_$k.txt"; done
      printf '[sweep]\nseed = 5\nrepeats = %s\n' "$REPEATS" > "$W/report/base-$fam.ini"
    else
      spec= cuts=
      for g in $GSET_REPORT; do
        spec="${spec:+$spec, }$DATA/gset/${g%%:*}.txt"
        cuts="${cuts:+$cuts, }${g#*:}"
      done
      printf '[sweep]\nseed = 5\nrepeats = %s\n' "$GSET_REPEATS" > "$W/report/base-$fam.ini"
    fi
    for s in $SOLVERS; do
      skipped "$s" "$fam" && continue
      steps=$SK_STEPS
      [ "$fam" = gset ] && steps=$GSET_STEPS
      # SK and dense MaxCut up to N = 200 take SK N = 100's grid, larger
      # N the longer one
      n=$(size "$fam")
      [ -n "$n" ] && [ "$n" -gt 200 ] && steps=$LONG_STEPS
      [ "$fam" != gset ] && [ "$s" = cpu-pt ] && steps=$PT_SK_STEPS
      echo "report: $s $fam${VARIANT:+ ($VARIANT)} (steps $steps)" >&2
      t0=$(date +%s)
      t=$(tag "$fam")
      # a run-length tune's best configuration has its top rung's replicas
      reps=
      [ -n "$VARIANT" ] && reps="--set run.replicas=64"
      if [ "$fam" != gset ]; then
        # shellcheck disable=SC2086
        $NICE "$BIN" sweep "$W/report/base-$fam.ini" --config "$W/tune/$s-$t-best.ini" \
          --set "problem.spec=$spec" --set "run.steps=$steps" $reps --threads 1 --resume \
          --quiet --out "$W/report/$s-$t.h5"
      else
        # shellcheck disable=SC2086
        $NICE "$BIN" sweep "$W/report/base-$fam.ini" --config "$W/tune/$s-$t-best.ini" $reps \
          --set "problem.spec=$spec" --set "run.target_cut=$cuts" \
          --set "sweep.zip=problem.spec, run.target_cut" --set "run.steps=$steps" \
          --threads 1 --resume --quiet --out "$W/report/$s-$t.h5"
      fi
      # --by: masters written before 2026-12-06 list the zipped
      # run.target_cut as a swept key, which would split the G-set runs
      # into one series per instance (docs/sweeps.md); each run keeps its
      # own target either way.
      "$BIN" report "$W/report/$s-$t.h5" --by backend,algorithm,problem --json > "$W/report/$s-$t.json"
      echo "report: $s $fam done in $(($(date +%s) - t0)) s" >&2
    done
  done
}

# Wall seconds of the anneal alone (ledger wall_s, process start and file
# reading excluded) and CPU seconds of the process less those of a one-step
# run (scripts/tuned-comparison-table.py --time) for 64 replicas x K
# steps, one thread; the solvers are alternated so that drifts of this
# shared machine hit all of them alike; the table takes the best round.
stage_timing() {
  for fam in $FAMILIES; do
    if [ "$fam" = sk100 ]; then
      f=$DATA/sk/SK1_N100_0.txt k=3000
    elif generated "$fam"; then
      f=$W/train/$fam/report_0.txt k=3000
    else
      f=$DATA/gset/G1.txt k=2000
    fi
    t=$(tag "$fam")
    out=$W/timing-$t.txt
    echo "# solver round replicas steps wall_s device_s cpu_s ($f, one thread, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))" > "$out.tmp"
    r=1
    while [ "$r" -le "$TIMING_ROUNDS" ]; do
      for s in $SOLVERS; do
        skipped "$s" "$fam" && continue
        $PY scripts/tuned-comparison-table.py --time "$s" "$r" "$k" -- $NICE "$BIN" solve \
          --config "$W/tune/$s-$t-best.ini" --problem "$f" --replicas 64 --steps "$k" \
          --threads 1 --seed "$r" --quiet --json >> "$out.tmp"
      done
      r=$((r + 1))
    done
    mv "$out.tmp" "$out"
    echo "timing: $out" >&2
  done
}

stage_table() {
  for fam in $FAMILIES; do
    list=
    for s in $SOLVERS; do skipped "$s" "$fam" || list="$list $s"; done
    # shellcheck disable=SC2086
    t=$(tag "$fam")
    $PY scripts/tuned-comparison-table.py "$W" "$t" $list > "$W/table-$t.md"
    echo "table: $W/table-$t.md" >&2
  done
}

for st in $STAGES; do
  case $st in
  data | tune | report | timing | table) "stage_$st" ;;
  *)
    echo "unknown stage '$st' (data tune report timing table)" >&2
    exit 2
    ;;
  esac
done
