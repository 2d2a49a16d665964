# xenstore grant: by default the guest cannot write memory/target; once dom0
# runs xenstore-chmod memory/target n0 b<domid>, the daemon steers through
# xenstore, so the toolstack's target (xl list, memory/target) follows it.
start=$(e2e_target_kb)
if xenstore-write memory/target "$(xenstore-read memory/target)" 2>/dev/null; then
	e2e_fail "memory/target is writable before any grant"
fi
e2e_log "memory/target not writable before the grant (as libxl sets it up)"
# A low floor, so that the goal (not the floor) sets the target and the nudge
# below moves it.
e2e_daemon_config "down_hysteresis = 2" "min_usable_mb = 48"
e2e_daemon_start
below() { [ "$(e2e_current_kb)" -lt $((start * 3 / 4)) ]; }
e2e_wait_until 30 "balloon down through sysfs" below || e2e_fail "the balloon did not go down"
[ "$(xenstore-read memory/target)" = "$start" ] || e2e_fail "memory/target moved before the grant"
e2e_dom0 grant-target || e2e_fail "dom0 could not grant memory/target"
xs_follows() {
	x=$(xenstore-read memory/target)
	t=$(e2e_target_kb)
	[ "$x" -lt $((start * 3 / 4)) ] && [ $((x - t)) -lt 1024 ] && [ $((t - x)) -lt 1024 ]
}
# The balloon may have settled already: make the goal move so that the daemon
# has a new target to write.
e2e_mark "memhog 32MiB (nudge)"
memhog 32 1 0 60 >/dev/null 2>&1 &
hog=$!
if ! e2e_wait_until 25 "memory/target follows the balloon target (no restart)" xs_follows; then
	e2e_log "not picked up while running: trying a reload (SIGHUP)"
	e2e_mark "SIGHUP"
	kill -HUP "$E2E_DAEMON_PID"
	e2e_wait_until 20 "memory/target follows the balloon target after SIGHUP" xs_follows ||
		e2e_fail "memory/target stayed at $(xenstore-read memory/target) kB (balloon target $(e2e_target_kb) kB), even after SIGHUP"
	e2e_note "the grant was picked up only after SIGHUP"
fi
kill $hog 2>/dev/null
e2e_dom0 xl-list
e2e_daemon_stop TERM
