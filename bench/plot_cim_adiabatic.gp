# Energy per spin vs N on Gaussian SK: adiabatic landscape annealing (final
# state), spectral rounding (sign of the top eigenvector of K = -J), and the
# Parisi ground-state energy -0.7633.  Data from bench_cim_adiabatic --out.
#   build/bench/bench_cim_adiabatic --sizes 100,200,500,1000,2000 --instances 5 \
#       --out docs/figures/cim_adiabatic_vs_spectral.dat
#   gnuplot bench/plot_cim_adiabatic.gp
set terminal pngcairo size 800,560 font ",12"
set output "docs/figures/cim_adiabatic_vs_spectral.png"
set logscale x
set xlabel "N (spins)"
set ylabel "energy per spin  E/N,  E = sum_{i<j} J_{ij} s_i s_j"
set title "Gaussian SK, J_{ij} ~ N(0,1/N): CIM adiabatic evolution vs bifurcation direction"
set key bottom right
set grid
set yrange [-0.80:-0.58]
set xrange [70:6000]
dat = "docs/figures/cim_adiabatic_vs_spectral.dat"
plot dat using 1:3:4 with yerrorlines lw 2 pt 7 title "adiabatic landscape annealing (final state)", \
     dat using 1:6:7 with yerrorlines lw 2 pt 5 title "spectral: sign of top eigenvector of K", \
     -0.7633 with lines dt 2 lw 2 lc rgb "black" title "Parisi ground state -0.7633 (N -> inf)"
