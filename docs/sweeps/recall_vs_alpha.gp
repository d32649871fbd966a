set terminal pngcairo size 800,560 noenhanced
set output (exists("outfile") ? outfile : 'docs/sweeps/recall_vs_alpha.png')
set title 'associative recall vs load'
set xlabel 'load alpha = P/N'
set ylabel 'recall fraction (overlap > 0.95; 95% CI over runs)'
set yrange [0:1.05]
set grid
set key bottom left
set arrow from 0.138, graph 0 to 0.138, graph 1 nohead dashtype 2
set label 'Hebbian alpha_c = 0.138' at 0.14, graph 0.97
plot 'docs/sweeps/recall_vs_alpha.dat' index 0 using 1:2:3:4 with yerrorlines pointtype 7 title 'cavity glauber (hebbian)', 'docs/sweeps/recall_vs_alpha.dat' index 1 using 1:2:3:4 with yerrorlines pointtype 7 title 'cavity steepest (hebbian)', 'docs/sweeps/recall_vs_alpha.dat' index 2 using 1:2:3:4 with yerrorlines pointtype 7 title 'cpu glauber (hebbian)', 'docs/sweeps/recall_vs_alpha.dat' index 3 using 1:2:3:4 with yerrorlines pointtype 7 title 'cpu steepest (hebbian)'
