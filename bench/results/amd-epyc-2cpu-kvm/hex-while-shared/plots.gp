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
set title 'pie hex: strong-scaling speed-up (2 CPUs; pie bench scaling --workload hex --out /tmp/hex_full --no-progress)'
set ylabel 'speed-up vs the same backend at 1 worker'
set yrange [0:*]
plot x with lines dt 2 lc rgb 'gray40' title 'ideal (speed-up = workers)', 2 with lines dt 4 lw 2 lc rgb 'gray50' title 'CPUs (hardware limit)', 'strong_process.dat' using 1:2 with linespoints lw 2 title 'process', 'strong_thread.dat' using 1:2 with linespoints lw 2 title 'thread'
set output 'throughput.png'
set title 'pie hex: throughput, fixed total work (strong scaling)'
set ylabel 'position per second'
plot 'strong_process.dat' using 1:3:($3*$5/$7):($3*$5/$6) with yerrorlines lw 2 title 'process (median, min-max)', 'strong_thread.dat' using 1:3:($3*$5/$7):($3*$5/$6) with yerrorlines lw 2 title 'thread (median, min-max)', 'strong_serial.dat' using 1:3:($3*$5/$7):($3*$5/$6) with yerrorlines lw 2 title 'serial (median, min-max)'
set output 'weak.png'
set title 'pie hex: weak-scaling efficiency T(1)/T(p), fixed work per worker'
set ylabel 'efficiency'
set yrange [0:1.2]
set key right top
plot 1 with lines dt 2 lc rgb 'gray40' title 'ideal', (x <= 2 ? 1 : 2.0/x) with lines dt 3 lc rgb 'gray60' title 'CPU-bound limit', 'weak_process.dat' using 1:4 with linespoints lw 2 title 'process', 'weak_thread.dat' using 1:4 with linespoints lw 2 title 'thread'
