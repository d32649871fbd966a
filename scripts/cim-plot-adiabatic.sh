#!/bin/sh
# Energy per spin of CIM adiabatic landscape annealing versus N on Gaussian
# SK, next to the spectral solution and the Parisi value, as a PNG.
# Usage: build/bench/bench_cim_adiabatic [N ...] > table.txt
#        scripts/cim-plot-adiabatic.sh table.txt OUT.png
set -eu
in=${1:?usage: $0 TABLE OUT.png}
out=${2:?usage: $0 TABLE OUT.png}
gnuplot <<GP
set terminal pngcairo size 800,500
set output '$out'
set logscale x
set xlabel 'N (spins)'
set ylabel 'energy per spin E/N'
set title 'Gaussian SK: CIM adiabatic evolution vs bifurcation direction'
set key top right
set yrange [-0.8:-0.45]
set xrange [80:2500]
plot '$in' using 1:2 with linespoints pt 7 title 'CIM adiabatic (CVODE)', \
     '$in' using 1:3 with linespoints pt 5 title 'spectral (sign of top eigenvector)', \
     -0.7633 with lines dt 2 title 'ground state, N -> inf (Parisi -0.7633)'
GP
echo "wrote $out"
