# Drawn by pie bench scaling; run again with: gnuplot plots.gp
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
  set terminal pngcairo size 900,560 noenhanced
} else {
  set terminal png size 900,560 noenhanced
}
set grid
set key left top
set xlabel 'workers'
set xrange [0.5:4.5]
set xtics 1
set output 'speedup.png'
set title 'pie digits: strong-scaling speed-up (2 CPUs; pie bench scaling --workload digits --out /tmp/quiet/digits --no-progress)'
set ylabel 'speed-up vs the same backend at 1 worker'
set yrange [0:*]
plot x with lines dt 2 lc rgb 'gray40' title 'ideal (speed-up = workers)', 2 with lines dt 4 lw 2 lc rgb 'gray50' title 'CPUs (hardware limit)', 'strong_process.dat' using 1:2 with linespoints lw 2 title 'process', 'strong_thread.dat' using 1:2 with linespoints lw 2 title 'thread'
set output 'throughput.png'
set title 'pie digits: throughput, fixed total work (strong scaling)'
set ylabel 'digits per second'
plot 'strong_process.dat' using 1:3:($3*$5/$7):($3*$5/$6) with yerrorlines lw 2 title 'process (median, min-max)', 'strong_thread.dat' using 1:3:($3*$5/$7):($3*$5/$6) with yerrorlines lw 2 title 'thread (median, min-max)', 'strong_serial.dat' using 1:3:($3*$5/$7):($3*$5/$6) with yerrorlines lw 2 title 'serial (median, min-max)'
set output 'weak.png'
set title 'pie digits: weak-scaling efficiency T(1)/T(p), fixed work per worker'
set ylabel 'efficiency'
set yrange [0:1.2]
set key right top
plot 1 with lines dt 2 lc rgb 'gray40' title 'ideal', (x <= 2 ? 1 : 2.0/x) with lines dt 3 lc rgb 'gray60' title 'CPU-bound limit', 'weak_process.dat' using 1:4 with linespoints lw 2 title 'process', 'weak_thread.dat' using 1:4 with linespoints lw 2 title 'thread'
set output 'python.png'
unset xrange
set xtics auto
set autoscale y
set title 'pie against the Python baselines (log scale; higher is faster)'
set ylabel 'work per second'
set xlabel ''
set logscale y
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics rotate by -20
set key right top
set rmargin 10
set bmargin 6
plot 'python.dat' using 2:xtic(1) title 'Python', '' using 3 title 'pie'
