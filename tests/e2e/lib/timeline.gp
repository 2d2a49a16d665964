# gnuplot -e "csv='...'; evgp='...'; out='...'; ttl='...'" timeline.gp
# Columns of timeline.csv (kB): 1 t_s, 2 xl_mem, 3 xs_target, 4 MemTotal,
# 5 Committed_AS, 6 balloon current, 7 balloon target, 8 MemAvailable.
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
	set terminal pngcairo size 1200,600 font ",10"
} else {
	set terminal png size 1200,600
}
set output out
set datafile separator ","
set key outside right top
set grid
set termoption noenhanced
set title ttl noenhanced
set xlabel "seconds since xl create"
set ylabel "MiB"
set yrange [0:*]
m(c) = (valid(c) ? column(c) / 1024.0 : NaN)
# Events (xl mem-set, daemon start, verdict...) as labelled vertical lines.
if (exists("evgp") && strlen(evgp) > 0) load evgp
plot csv using 1:(m(2)) skip 1 with steps lw 3 lc rgb "#000000" title "xl list (domain size)", \
     csv using 1:(m(3)) skip 1 with steps lw 1 dt 2 lc rgb "#7f7f7f" title "xenstore memory/target", \
     csv using 1:(m(7)) skip 1 with steps lw 2 lc rgb "#d62728" title "guest balloon target_kb", \
     csv using 1:(m(6)) skip 1 with steps lw 1 lc rgb "#ff9896" title "guest balloon current_kb", \
     csv using 1:(m(4)) skip 1 with lines lw 2 lc rgb "#1f77b4" title "guest MemTotal", \
     csv using 1:(m(5)) skip 1 with lines lw 2 lc rgb "#2ca02c" title "guest Committed_AS", \
     csv using 1:(m(8)) skip 1 with lines lw 1 dt 3 lc rgb "#9467bd" title "guest MemAvailable"
