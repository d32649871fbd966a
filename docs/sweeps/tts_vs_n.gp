set terminal pngcairo size 800,560 noenhanced
set output (exists("outfile") ? outfile : 'docs/sweeps/tts_vs_n.png')
set title 'TTS99 vs problem size (best budget per N)'
set xlabel 'N (spins)'
set ylabel 'TTS99, device time (s, 95% CI)'
set key outside right
set grid
set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05
set logscale y
set format y '%.0e'
plot 'docs/sweeps/tts_vs_n.dat' index 0 using 1:2:3:4 with yerrorlines title 'cavity', 'docs/sweeps/tts_vs_n.dat' index 1 using 1:2:3:4 with yerrorlines title 'cim', 'docs/sweeps/tts_vs_n.dat' index 2 using 1:2:3:4 with yerrorlines title 'cpu'
