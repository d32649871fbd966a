# Energy per spin vs N on Gaussian SK: adiabatic landscape annealing (final
# state), spectral rounding (sign of the top eigenvector of K = -J), and the
# Parisi ground-state energy -0.7633.  Data from bench_cim_adiabatic --out.
#   the commands in docs/cim-adiabatic.md ("Commands"), concatenated into
#   docs/figures/cim_adiabatic_vs_spectral.dat
#   gnuplot bench/plot_cim_adiabatic.gp
set terminal pngcairo size 800,560 font ",12"
set output "docs/figures/cim_adiabatic_vs_spectral.png"
set logscale x
set xlabel "N (spins)"
set ylabel "energy per spin  E/N,  E = sum_{i<j} J_{ij} s_i s_j"
set title "Gaussian SK, J_{ij} from N(0,1/N): CIM adiabatic evolution vs bifurcation direction"
set key bottom right
set grid
set yrange [-0.80:-0.58]
set xrange [70:6000]
dat = "docs/figures/cim_adiabatic_vs_spectral.dat"
plot dat using 1:3:4 with yerrorlines lw 2 pt 7 title "adiabatic landscape annealing (final state)", \
     dat using 1:6:7 with yerrorlines lw 2 pt 5 title "spectral: sign of top eigenvector of K", \
     -0.7633 with lines dt 2 lw 2 lc rgb "black" title "Parisi ground state -0.7633 (N -> inf)"

# Trace of one anneal (SK N = 1000, seed 1), from
#   build/bench/bench_cim_adiabatic --sizes 1000 --instances 1 --steps 100 \
#       --trace docs/figures/cim_adiabatic_trace_sk1000.dat
tr = "docs/figures/cim_adiabatic_trace_sk1000.dat"
if (system("test -f ".tr." && echo 1 || echo 0") + 0 == 1) {
  set output "docs/figures/cim_adiabatic_trace_sk1000.png"
  unset logscale x
  set autoscale
  set xlabel "pump a"
  set ylabel "E_{Ising}(sign x)/N"
  set y2label "RMS amplitude"
  set y2tics
  set ytics nomirror
  set title "Adiabatic landscape annealing, SK N = 1000 (seed 1): a_c = -lambda_{max}(K) = -1.983"
  set key center right
  plot tr using 1:2 with linespoints pt 7 ps 0.6 lw 2 title "Ising energy of sign(x)", \
       tr using 1:5 axes x1y2 with lines lw 2 dt 3 title "RMS amplitude (right axis)", \
       -0.7633 with lines dt 2 lc rgb "black" title "Parisi -0.7633"
}
