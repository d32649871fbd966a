set terminal pngcairo size 800,560 noenhanced
set output (exists("outfile") ? outfile : 'docs/sweeps/accuracy_vs_photons.png')
set title 'test accuracy vs photon budget'
set xlabel 'detected photons per MAC'
set ylabel 'test accuracy (95% CI over runs)'
set logscale x
set grid
set key bottom right
set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05
plot 0.8876 with lines dashtype 2 linewidth 2 title 'cpu (eval)', 'docs/sweeps/accuracy_vs_photons.dat' index 0 using 1:2:3:4 with yerrorlines pointtype 7 title 'photonic (eval)'
