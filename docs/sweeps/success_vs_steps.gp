set terminal pngcairo size 800,560 noenhanced
set output (exists("outfile") ? outfile : 'docs/sweeps/success_vs_steps.png')
set title 'success probability vs annealing time'
set xlabel 'annealing steps (sweeps / integration steps)'
set ylabel 'p_success (95% CI)'
set key outside right
set grid
set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05
set logscale x
set yrange [0:1.05]
plot 'docs/sweeps/success_vs_steps.dat' index 0 using 1:2:3:4 with yerrorlines title 'cavity', 'docs/sweeps/success_vs_steps.dat' index 1 using 1:2:3:4 with yerrorlines title 'cim', 'docs/sweeps/success_vs_steps.dat' index 2 using 1:2:3:4 with yerrorlines title 'cpu'
