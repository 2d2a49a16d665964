# xl mem-set in flight: the administrator's target is the ceiling. Three
# mem-sets while the daemon runs: one above the daemon's target while a
# workload makes it raise its target fast (the balloon driver takes the
# guest to the administrator's value at once; the daemon must put it back
# on its own decision, and never decide above the new ceiling); one below
# its target (the balloon stays at or under it: the daemon follows); one
# back to 512 MiB (the daemon's own target again). The judge (guest/lib.sh) samples
# the balloon's target every tenth of a second: "time on a wrong target" is
# the seconds the balloon's target stood more than 1 MiB from the daemon's
# last published decision, "over the ceiling" the samples of the balloon's
# target above the administrator's value.
start=$(e2e_target_kb)
e2e_daemon_config "down_hysteresis = 2"
e2e_daemon_start
below_half() { [ "$(e2e_current_kb)" -lt $((start / 2)) ]; }
e2e_wait_until 60 "balloon below half the start target" below_half ||
	e2e_fail "the balloon did not go down first (current $(e2e_current_kb) kB)"
e2e_wait_until 40 "the balloon settled on the daemon's target" e2e_settled ||
	e2e_fail "the balloon never settled on the daemon's target"

e2e_judge_start
# above FROM TO CEILING_KB: samples of the balloon's target above the
# ceiling (what the daemon wrote, or a write of its in flight at the
# mem-set: half a second of grace). The published decision is not used:
# data/ follows at the daemon's next tick, the balloon at once.
above() {
	awk -v from="$1" -v to="$2" -v c="$3" '$1 >= from + 0.5 && $1 < to && $2 > c { n++ } END { print n + 0 }' "$E2E_TMP/judge.txt"
}

# 1: above the daemon's target, during a fast raise.
low=$(e2e_meminfo MemTotal)
e2e_mark "memhog 12x8MiB"
memhog 8 12 1 150 >"$E2E_TMP/memhog.log" 2>&1 &
hog=$!
rising() { [ "$(e2e_meminfo MemTotal)" -gt $((low + 16384)) ]; }
e2e_wait_until 30 "the daemon raising the guest" rising || e2e_fail "the guest did not grow under the workload"
t1=$(e2e_uptime)
e2e_dom0 mem-set 320 >/dev/null || e2e_fail "xl mem-set 320 failed"
ceil1=$((320 * 1024))
said1() { grep -q "the toolstack set memory/target to $ceil1 kB" "$E2E_DAEMON_LOG"; }
e2e_wait_until 10 "the daemon took $ceil1 kB as the ceiling" said1 || e2e_fail "mem-set 320: no ceiling notice"
e2e_wait_until 10 "the balloon back on the daemon's target" e2e_on_decision ||
	e2e_fail "mem-set 320: the balloon stays on $(e2e_target_kb) kB, the daemon decided $E2E_DECIDED kB"
holding() { grep -q 'holding 96 MiB' "$E2E_TMP/memhog.log"; }
e2e_wait_until 60 "the workload holds its 96 MiB" holding || e2e_fail "the workload did not get its 96 MiB"
e2e_wait_until 10 "the balloon on the daemon's target" e2e_on_decision || e2e_fail "mem-set 320: off target"
sleep 3
t2=$(e2e_uptime)
w1=$(e2e_judge_wrong "$t1" "$t2") a1=$(above "$t1" "$t2" "$ceil1")
e2e_log "mem-set 320 (above, raising): on a wrong target $w1; decisions over the ceiling: $a1"

# 2: below the daemon's target (the workload holds it above the floor: a
# ceiling under the floor leaves the balloon to the toolstack, documented).
d_before=$(xenstore-read data/selfballoon/target_kb)
[ "$d_before" -gt $(($(xenstore-read data/selfballoon/floor_kb) + 65536)) ] ||
	e2e_fail "the daemon's target $d_before kB is too near its floor for the check"
ceil2=$((d_before - 16384))
ceil2=$((ceil2 / 1024))
e2e_dom0 mem-set "$ceil2" >/dev/null || e2e_fail "xl mem-set $ceil2 failed"
t2s=$(e2e_uptime) # xl mem-set has returned: the ceiling stands from here
ceil2=$((ceil2 * 1024))
under() { [ "$(e2e_target_kb)" -le "$ceil2" ] && e2e_on_decision; }
e2e_wait_until 10 "the balloon at or under $ceil2 kB, on the daemon's decision" under ||
	e2e_fail "mem-set below: balloon target $(e2e_target_kb) kB, decision $E2E_DECIDED kB, ceiling $ceil2 kB"
sleep 5
t3=$(e2e_uptime)
w2=$(e2e_judge_wrong "$t2" "$t3") a2=$(above "$t2s" "$t3" "$ceil2")
e2e_log "mem-set $((ceil2 / 1024)) (below $d_before kB): on a wrong target $w2; decisions over the ceiling: $a2"

# 3: back to 512 MiB: the daemon's own target again (below it, workload held).
e2e_dom0 mem-set 512 >/dev/null || e2e_fail "xl mem-set 512 failed"
own() { e2e_on_decision && [ "$(e2e_target_kb)" -lt $((400 * 1024)) ]; }
e2e_wait_until 15 "the daemon's own target again" own ||
	e2e_fail "mem-set 512: balloon target $(e2e_target_kb) kB, decision $E2E_DECIDED kB"
sleep 3
t4=$(e2e_uptime)
w3=$(e2e_judge_wrong "$t3" "$t4")
e2e_log "mem-set 512 (back): on a wrong target $w3"
kill $hog 2>/dev/null
wait $hog
e2e_mark "memhog done"
kill $E2E_JUDGE_PID
e2e_export "$E2E_TMP/judge.txt" judge.txt
e2e_assert_no_oom
[ "$a1" = 0 ] || e2e_fail "the daemon decided above the 320 MiB ceiling in $a1 samples"
[ "$a2" = 0 ] || e2e_fail "the daemon decided above the $ceil2 kB ceiling in $a2 samples"
e2e_note "on a wrong target: mem-set 320 above, raising: $w1; below: $w2; back to 512: $w3"
e2e_daemon_stop TERM
[ "$E2E_DAEMON_RC" = 0 ] || e2e_fail "the daemon exited with $E2E_DAEMON_RC"
