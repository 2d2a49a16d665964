# Sudden demand (issue #7): does the daemon keep a guest ballooned down at idle
# out of the OOM killer when a process suddenly mallocs and touches memory?
# 1 GiB, 1 vCPU, no swap. For each variant (daemon configuration, file
# `variants`), the daemon runs with its default 5 s interval, the guest settles at
# idle, then each case (file `cases`) runs suddenhog (guest/suddenhog.c) at a set
# phase of the daemon's tick: the daemon's sd_notify STATUS datagrams (one per
# tick) go to `suddenhog listen`, and `suddenhog run` starts NEXT_TICK_S before
# the following tick. The hog is the OOM killer's only candidate (oom_score_adj
# 1000, everything else -1000). After each case the guest settles back at idle.
#
# Product: sudden-demand.csv and sudden-demand.md (exported; check.sh prints the
# table). PASS when every case ran, and every variant in SUDDEN_MUST_SURVIVE
# (default none) survived all of them.
#
# Host settings (scenario.conf HOST_ENV; the testbed writes them to host-env.sh):
#   SUDDEN_VARIANTS      replaces the file `variants` ("name: line; line | name: ...")
#   SUDDEN_CASES         replaces the file `cases`   ("name size chunk rate next | ...")
#   SUDDEN_SWEEP         variants that also run every case at each of SUDDEN_PHASES
#   SUDDEN_PHASES        next-tick delays for the sweep (default 0.4 1.3 2.5 3.7 4.7)
#   SUDDEN_MUST_SURVIVE  variants that must survive every case for a PASS (or the
#                        scenario's file must-survive, one line)
#   SUDDEN_MUST_DIE      controls: variants that must be OOM-killed in at least one
#                        case for a PASS, so that a PASS tells a working daemon from
#                        a testbed that cannot kill (or the file must-die)
#   SUDDEN_BASE          config lines before each variant's (default "down_hysteresis = 2":
#                        back to idle in ~8 ticks instead of ~35 after a 512 MB case)
#   SUDDEN_HOLD_S        seconds the hog holds its memory (3)
#   SUDDEN_SETTLE_S      give up waiting for idle after this long (180)
#   SUDDEN_RESIDENT_MB   a service holding this much memory for the whole run
#                        (0), so that the idle goal sits above the floor and the
#                        variants' idle MemTotal compare where the policy decides
#   SUDDEN_SWAP          none (default: the guest must have no swap), zram (zram0
#                        of a quarter of MemTotal at boot, lzo-rle or the kernel's
#                        default compressor, mkswap + swapon by hand: busybox has
#                        no zramctl) or disk (scenario.conf then asks for a disk
#                        of a quarter of MEMORY, xvdb: mkswap + swapon)
#   SUDDEN_RANDOM        1: the hog writes random bytes on every page (suddenhog
#                        -R; incompressible, so zram cannot win at 100:1); the
#                        calibration then also measures -R
[ -f ./host-env.sh ] && . ./host-env.sh
BASE=${SUDDEN_BASE-down_hysteresis = 2}
PHASES=${SUDDEN_PHASES:-0.4 1.3 2.5 3.7 4.7}
SWEEP=${SUDDEN_SWEEP:-}
MUST=${SUDDEN_MUST_SURVIVE:-$(cat must-survive 2>/dev/null || :)}
MUST_DIE=${SUDDEN_MUST_DIE:-$(cat must-die 2>/dev/null || :)}
CONTROL_CASES=$(cat control-cases 2>/dev/null || echo 1000)
HOLD_S=${SUDDEN_HOLD_S:-3}
SETTLE_S=${SUDDEN_SETTLE_S:-180}
RESIDENT_MB=${SUDDEN_RESIDENT_MB:-0}
SWAP=${SUDDEN_SWAP:-none}
HOG_R=
[ "${SUDDEN_RANDOM:-0}" = 1 ] && HOG_R=-R
CSV=$E2E_TMP/sudden-demand.csv
MD=$E2E_TMP/sudden-demand.md
VCSV=$E2E_TMP/sudden-variants.csv
CASELOG=$E2E_TMP/sudden-cases.log
KLOG=$E2E_TMP/sudden-kernel.log

# a setting or file, one item a line, without comments and blank lines
items() { # value file
	if [ -n "$1" ]; then printf '%s\n' "$1" | tr '|' '\n'; else cat "$2"; fi |
		sed 's/#.*//; s/^[[:space:]]*//; s/[[:space:]]*$//' | grep -v '^$'
}
items "${SUDDEN_VARIANTS:-}" variants >"$E2E_TMP/variants"
items "${SUDDEN_CASES:-}" cases >"$E2E_TMP/cases"
nv=$(wc -l <"$E2E_TMP/variants")
nc=$(wc -l <"$E2E_TMP/cases")
[ "$nv" -gt 0 ] && [ "$nc" -gt 0 ] || e2e_fail "no variants or no cases"

# Only the hog may be OOM-killed: protect everything running now (init, the
# publisher, this shell); children inherit it (the daemon, the listener).
for p in /proc/[0-9]*; do echo -1000 >"$p/oom_score_adj"; done 2>/dev/null
# OOM reports (KERN_WARNING and below) stay off the slow console; dmesg keeps them.
dmesg -n 4
ZRAM=/sys/block/zram0
case "$SWAP" in
none)
	[ -e /proc/swaps ] && [ "$(wc -l </proc/swaps)" -gt 1 ] && e2e_fail "the guest has swap"
	SWAP_DESC=none ;;
zram)
	modprobe zram num_devices=1 || e2e_fail "modprobe zram failed"
	e2e_wait_until 10 "$ZRAM and /dev/zram0" test -b /dev/zram0 -a -e $ZRAM/disksize || e2e_fail "no zram0"
	# "lzo [lzo-rle] lz4 ...": lzo-rle if offered, else the kernel's default
	algs=$(cat $ZRAM/comp_algorithm)
	case " $algs " in
	*" lzo-rle "* | *"[lzo-rle]"*) alg=lzo-rle ;;
	*) alg=$(echo "$algs" | sed -n 's/.*\[\([^]]*\)\].*/\1/p') ;;
	esac
	echo "$alg" >$ZRAM/comp_algorithm || e2e_fail "cannot set zram's comp_algorithm $alg ($algs)"
	swap_kb=$(($(e2e_meminfo MemTotal) / 4))
	echo $((swap_kb * 1024)) >$ZRAM/disksize || e2e_fail "cannot set zram's disksize"
	mkswap /dev/zram0 >/dev/null || e2e_fail "mkswap /dev/zram0 failed"
	swapon /dev/zram0 || e2e_fail "swapon /dev/zram0 failed"
	SWAP_DESC="zram ($(cat $ZRAM/comp_algorithm | sed -n 's/.*\[\([^]]*\)\].*/\1/p'), disksize $((swap_kb / 1024)) MiB = MemTotal/4 at boot)" ;;
disk)
	modprobe xen-blkfront || e2e_fail "modprobe xen-blkfront failed"
	e2e_wait_until 30 "/dev/xvdb is there" test -b /dev/xvdb || e2e_fail "no swap disk /dev/xvdb (SWAP_MB in scenario.conf)"
	mkswap /dev/xvdb >/dev/null || e2e_fail "mkswap /dev/xvdb failed"
	swapon /dev/xvdb || e2e_fail "swapon /dev/xvdb failed"
	SWAP_DESC="disk (xvdb, $(($(awk '$1 == "/dev/xvdb" { print $3 }' /proc/swaps) / 1024)) MiB)" ;;
*) e2e_fail "SUDDEN_SWAP=$SWAP: none, zram or disk" ;;
esac
if [ "$SWAP" != none ]; then
	[ "$(wc -l </proc/swaps)" -gt 1 ] || e2e_fail "swapon gave no swap"
	SWAP_DESC="$SWAP_DESC, swappiness $(cat /proc/sys/vm/swappiness)"
fi
if [ -n "$HOG_R" ]; then HOG_DESC="random (-R)"; else HOG_DESC="one byte per page"; fi
e2e_log "swap: $SWAP_DESC; hog data: $HOG_DESC"
e2e_log "$nv variant(s) x $nc case(s); sweep: ${SWEEP:-none}; base config: ${BASE:-none}"
if [ "$RESIDENT_MB" -gt 0 ]; then
	# protected like everything but the hog (oom_score_adj -1000, inherited)
	memhog "$RESIDENT_MB" 1 0 100000 >/dev/null 2>&1 &
	e2e_log "a resident service holds $RESIDENT_MB MB for the whole run (pid $!)"
fi

write_conf() { # ';'-separated lines
	_v=$(printf '%s\n' "$1" | tr ';' '\n' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | grep -v '^$')
	{
		echo "[selfballoon]"
		printf '%s\n' "$BASE" | tr ';' '\n' | sed 's/^[[:space:]]*//' | grep -v '^$' | while read -r l; do
			k=$(echo ${l%%=*})
			printf '%s\n' "$_v" | grep -q "^$k[[:space:]]*=" || echo "$l"
		done
		[ -n "$_v" ] && printf '%s\n' "$_v"
	} >"$E2E_CONF"
}

# Idle: the last N ticks, all after uptime AFTER, asked for the same target
# (within 1 MiB), at most MAX kB, and the balloon is there (within 1 MiB).
# Prints that target. (Right after a case the grown target can be stable too.)
stable_target() { # n after max
	tail -n "$1" "$TICKLOG" 2>/dev/null | awk -v n="$1" -v after="$2" -v max="$3" '
		$2 != "target" || $1 <= after { bad = 1 }
		{ t = $3 + 0; if (NR == 1 || t < lo) lo = t; if (NR == 1 || t > hi) hi = t }
		END { if (bad || NR < n || hi - lo > 1024 || (max != "" && hi > max)) exit 1; print hi }'
}
idle() { # n after max
	_st=$(stable_target "$@") || return 1
	_c=$(e2e_current_kb)
	[ $((_c - _st)) -le 1024 ] && [ $((_st - _c)) -le 1024 ]
}
settle() { # ticks description [max target kB]; sets SETTLED_S
	_s0=$(e2e_uptime)
	e2e_wait_until "$SETTLE_S" "$2" idle "$1" "$_s0" "${3:-}" >/dev/null 2>&1 ||
		e2e_note "$V: not idle within ${SETTLE_S}s ($2)"
	SETTLED_S=$(awk -v a="$_s0" -v b="$(e2e_uptime)" 'BEGIN{printf "%.0f", b-a}')
}

run_case() { # name size chunk rate next [ahead]
	c_name=$1 c_size=$2 c_chunk=$3 c_rate=$4 c_next=$5 c_ahead=
	[ "${6:-}" = ahead ] && c_ahead=-a
	dmesg -c >>"$KLOG"
	echo "=== $V $c_name: ${c_size} MB, chunk $c_chunk, rate $c_rate, next tick $c_next s" >>"$CASELOG"
	e2e_mark "$V $c_name"
	# zram's own peak this case (writing 0 resets mem_used_max to the current use)
	[ "$SWAP" = zram ] && echo 0 >$ZRAM/mem_used_max
	out=$(suddenhog run -c "$c_chunk" $c_ahead $HOG_R -r "$c_rate" -t "$TICKLOG" -n "$c_next" -H "$HOLD_S" "$c_size" 2>>"$CASELOG")
	rc=$?
	echo "$out" >>"$CASELOG"
	echo "=== $V $c_name" >>"$KLOG"
	dmesg -c >"$E2E_TMP/k.txt"
	cat "$E2E_TMP/k.txt" >>"$KLOG"
	h_outcome=failed-to-run h_touch_mb_s= h_secs= h_next_tick_s= h_peak_memtotal_kb= h_touched_mb= h_min_memfree_kb= h_pid=none
	h_peak_swap_used_kb= zram_peak_kb=
	[ $rc = 0 ] && for kv in $out; do eval "h_${kv%%=*}=\${kv#*=}"; done
	# mm_stat: orig compr mem_used_total mem_limit mem_used_max ... (bytes)
	[ "$SWAP" = zram ] && zram_peak_kb=$(awk '{ printf "%.0f", $5 / 1024 }' $ZRAM/mm_stat)
	# The kernel's word on it: an OOM kill of anything else is worth saying.
	if grep -q "Killed process" "$E2E_TMP/k.txt" && ! grep -q "Killed process $h_pid " "$E2E_TMP/k.txt"; then
		e2e_note "$V $c_name: the OOM killer killed something else: $(grep 'Killed process' "$E2E_TMP/k.txt" | head -n 1)"
		h_outcome="$h_outcome+other-killed"
	fi
	[ "$h_outcome" = oom-killed ] && ! grep -q "Killed process $h_pid " "$E2E_TMP/k.txt" &&
		h_outcome=sigkilled-no-oom-log
	e2e_log "$V $c_name: $h_outcome after ${h_secs}s (${h_touched_mb}/${c_size} MB, next tick ${h_next_tick_s}s, peak MemTotal $h_peak_memtotal_kb kB${h_peak_swap_used_kb:+, peak swap used $h_peak_swap_used_kb kB}${zram_peak_kb:+, zram peak $zram_peak_kb kB})"
	settle 2 "back at idle after $c_name" $((IDLE_TGT + 8192))
	echo "$V,$c_name,$c_size,$c_chunk,$c_rate,$h_next_tick_s,$h_outcome,$h_secs,$IDLE_TOTAL,$IDLE_FREE,$h_peak_memtotal_kb,$c_next,$h_touched_mb,$h_min_memfree_kb,$IDLE_CUR,$SETTLED_S,$h_touch_mb_s,${6:-},$SWAP,${HOG_R:+random},$h_peak_swap_used_kb,$zram_peak_kb" >>"$CSV"
}

echo "variant,case,size_mb,chunk_mb,rate_mb_s,next_tick_s,outcome,seconds,idle_memtotal_kb,idle_memfree_kb,peak_memtotal_kb,planned_next_tick_s,touched_mb,min_memfree_kb,idle_current_kb,settle_after_s,touch_mb_s,mode,swap,data,peak_swap_used_kb,zram_peak_kb" >"$CSV"
echo "variant,config,idle_memtotal_kb,idle_memfree_kb,idle_current_kb,first_settle_s,run_s" >"$VCSV"
T_ALL=$(e2e_uptime)

# How fast can a process touch memory in this guest at all? Full speed, no daemon,
# the whole 1 GiB there (the cases' "full speed" is this, minus the pressure).
# (a scenario with the file skip-calibration, the CI subset, saves the ~25 s)
CAL=
[ -f skip-calibration ] && CAL="not measured in this run"
for c in $([ -f skip-calibration ] || echo 0 16 ${HOG_R:+0R 16R}); do
	r_opt=
	case $c in *R) c=${c%R} r_opt=-R ;; esac
	out=$(suddenhog run -c $c $r_opt -H 0 128 2>>"$CASELOG")
	r=$(echo "$out" | sed -n 's/.*touch_mb_s=\([^ ]*\).*/\1/p')
	e2e_log "calibration: 128 MB, chunk $c, full speed, no pressure${r_opt:+, random data}: $r MB/s"
	CAL="$CAL${CAL:+, }$([ $c = 0 ] && echo "one malloc" || echo "$c MB chunks")${r_opt:+ random} $r MB/s"
done
vi=0
while read -r vline <&3; do
	vi=$((vi + 1))
	V=${vline%%:*}
	V=$(echo $V)
	VCONF=$(echo "${vline#*:}" | sed 's/^[[:space:]]*//')
	[ "$vline" = "${vline#*:}" ] && VCONF=
	T_V=$(e2e_uptime)
	write_conf "$VCONF"
	e2e_log "variant $V: $(tr '\n' ';' <"$E2E_CONF")"
	TICKLOG=$E2E_TMP/ticks-$vi.log
	SOCK=$E2E_TMP/notify-$vi.sock
	: >"$TICKLOG"
	suddenhog listen "$SOCK" "$TICKLOG" 2>>"$CASELOG" &
	lpid=$!
	e2e_wait_until 10 "notify socket" test -S "$SOCK" || e2e_fail "suddenhog listen did not bind $SOCK"
	export NOTIFY_SOCKET=$SOCK
	e2e_daemon_start
	unset NOTIFY_SOCKET
	settle 3 "$V idle"
	kill -0 "$E2E_DAEMON_PID" 2>/dev/null || e2e_fail "$V: the daemon exited (see daemon.log)"
	FIRST_SETTLE=$SETTLED_S
	IDLE_TGT=$(stable_target 1 0 "") || IDLE_TGT=$(e2e_target_kb)
	IDLE_TOTAL=$(e2e_meminfo MemTotal) IDLE_FREE=$(e2e_meminfo MemFree) IDLE_CUR=$(e2e_current_kb)
	e2e_log "$V idle after ${FIRST_SETTLE}s: MemTotal $IDLE_TOTAL kB, MemFree $IDLE_FREE kB, balloon current $IDLE_CUR kB"
	ci=0
	while read -r cname size chunk rate next mode <&4; do
		ci=$((ci + 1))
		# a control proves its point in a few cases (the file control-cases)
		case " $MUST_DIE " in *" $V "*)
			[ "$ci" -le "$CONTROL_CASES" ] || continue ;;
		esac
		run_case "$cname" "$size" "$chunk" "$rate" "$next" "$mode"
		case " $SWEEP " in *" $V "*)
			for ph in $PHASES; do
				[ "$ph" = "$next" ] || run_case "$cname@$ph" "$size" "$chunk" "$rate" "$ph" "$mode"
			done ;;
		esac
	done 4<"$E2E_TMP/cases"
	e2e_daemon_stop TERM
	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
	cat "$TICKLOG" >>"$E2E_TMP/ticks.log"
	RUN_S=$(awk -v a="$T_V" -v b="$(e2e_uptime)" 'BEGIN{printf "%.0f", b-a}')
	[ "$SWAP" != none ] && e2e_log "$V: swap used at the end: $(($(e2e_meminfo SwapTotal) - $(e2e_meminfo SwapFree))) kB"
	echo "$V,$(echo "$VCONF" | tr ',' ' '),$IDLE_TOTAL,$IDLE_FREE,$IDLE_CUR,$FIRST_SETTLE,$RUN_S" >>"$VCSV"
	e2e_log "variant $V done in ${RUN_S}s"
	# (the daemon gave the start target back: the next variant starts from 1 GiB)
done 3<"$E2E_TMP/variants"
dmesg -c >>"$KLOG"
TOTAL_S=$(awk -v a="$T_ALL" -v b="$(e2e_uptime)" 'BEGIN{printf "%.0f", b-a}')

# The markdown: per variant, then case x variant.
awk -F, -v total="$TOTAL_S" -v vcsv="$VCSV" -v cal="$CAL" -v swap="$SWAP_DESC" -v data="${HOG_R:+random bytes on every page (suddenhog -R)}" '
	function mb(kb) { return kb == "" ? "" : sprintf("%.0f", kb / 1024) }
	NR == 1 { next }
	{
		if (!($1 in seenv)) { seenv[$1] = 1; vs[++nv] = $1 }
		if (!($2 in seenc)) { seenc[$2] = 1; cs[++nc] = $2; desc[$2] = sprintf("%s MB, %s, %s, next tick %s s", $3,
			$4 == 0 ? "one malloc" : $4 " MB chunks" ($18 == "ahead" ? " all malloc'"'"'ed first" : ""), $5 == 0 ? "full speed" : $5 " MB/s", $12) }
		cell[$1, $2] = $7 == "survived" ? sprintf("ok, %s s (tick %s)", $8, $6) : sprintf("**%s** at %s MB, %s s (tick %s)", $7, $13, $8, $6)
		if ($19 != "none" && $19 != "" && $21 != "") cell[$1, $2] = cell[$1, $2] sprintf(", swap %s MB", mb($21))
		rows = rows sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $13, $17, mb($9), mb($10), mb($11), mb($21), mb($22))
	}
	END {
		while ((getline l < vcsv) > 0) { split(l, f, ","); if (f[1] != "variant") vinfo[f[1]] = sprintf("| %s | %s | %s | %s | %s | %s s | %s s |", f[1], f[2] == "" ? "(defaults)" : f[2], mb(f[3]), mb(f[4]), mb(f[5]), f[6], f[7]) }
		print "# sudden-demand: outcome by case and variant\n"
		printf "Swap: %s. Hog data: %s.\n\n", swap, data == "" ? "one byte per page (the rest zero)" : data
		print "Cell: ok (survived: everything touched and held) or the outcome and how much was touched; seconds from the start until everything was touched or the kill; (tick: when the daemon'"'"'s next tick came, measured, seconds after the start)" (swap == "none" ? "" : "; swap: the peak of swap used (SwapTotal - SwapFree) during the run") "\n"
		h = "| case |"; s = "|---|"
		for (i = 1; i <= nv; i++) { h = h " " vs[i] " |"; s = s "---|" }
		print h; print s
		for (j = 1; j <= nc; j++) {
			l = "| " cs[j] ": " desc[cs[j]] " |"
			for (i = 1; i <= nv; i++) l = l " " cell[vs[i], cs[j]] " |"
			print l
		}
		print "\n## Variants (idle: settled at the default 5 s interval)\n"
		print "| variant | config | idle MemTotal MB | idle MemFree MB | idle balloon MB | first settle | run time |"
		print "|---|---|---|---|---|---|---|"
		for (i = 1; i <= nv; i++) print vinfo[vs[i]]
		printf "\nTotal: %s s. Touching 128 MB at full speed without pressure (no daemon, 1 GiB): %s.\n\n## All runs\n\n", total, cal
		print "| variant | case | size MB | chunk MB | rate MB/s | next tick s | outcome | s | touched MB | touched MB/s | idle MemTotal MB | idle MemFree MB | peak MemTotal MB | peak swap used MB | zram peak MB |"
		print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		printf "%s", rows
	}' "$CSV" >"$MD"
cat "$MD" >/dev/console
e2e_export "$CSV" sudden-demand.csv
e2e_export "$MD" sudden-demand.md
e2e_export "$VCSV" sudden-variants.csv
e2e_export "$CASELOG" sudden-cases.log
e2e_export "$E2E_TMP/ticks.log" sudden-ticks.log
e2e_export "$KLOG" sudden-kernel.log
echo "$MUST" >"$E2E_TMP/must-survive"
e2e_export "$E2E_TMP/must-survive" sudden-must-survive.txt

# Verdict
rows=$(($(wc -l <"$CSV") - 1))
e2e_log "$rows run(s) in ${TOTAL_S}s"
while read -r vline; do
	v=$(echo ${vline%%:*})
	n=$(grep -c "^$v," "$CSV")
	s=$(grep -c "^$v,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,survived," "$CSV")
	e2e_note "$v $s/$n survived"
done <"$E2E_TMP/variants"
nctl=$(echo $MUST_DIE | wc -w)
ncc=$((CONTROL_CASES < nc ? CONTROL_CASES : nc))
want_rows=$(((nv - nctl) * nc + nctl * ncc))
[ "$rows" -ge "$want_rows" ] || e2e_fail "only $rows of $want_rows runs were made"
grep -q ',failed-to-run,' "$CSV" && e2e_fail "a case could not be run (see sudden-cases.log)"
for v in $MUST; do
	n=$(grep -c "^$v," "$CSV")
	[ "$n" -gt 0 ] || e2e_fail "MUST_SURVIVE variant $v did not run"
	s=$(grep -c "^$v,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,survived," "$CSV")
	[ "$s" = "$n" ] || e2e_fail "$v survived only $s of $n runs"
done
:
