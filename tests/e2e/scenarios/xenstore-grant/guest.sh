# xenstore grant: by default the guest cannot write memory/target; once dom0
# runs xenstore-chmod memory/target n0 b<domid>, the daemon steers through
# xenstore, so the toolstack's target (xl list, memory/target) follows it.
start=$(e2e_target_kb)
if xenstore-write memory/target "$(xenstore-read memory/target)" 2>/dev/null; then
	e2e_fail "memory/target is writable before any grant"
fi
e2e_log "memory/target not writable before the grant (as libxl sets it up)"
e2e_daemon_config "down_hysteresis = 2"
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
e2e_wait_until 30 "memory/target follows the balloon target" xs_follows ||
	e2e_fail "memory/target stayed at $(xenstore-read memory/target) kB (balloon target $(e2e_target_kb) kB)"
e2e_dom0 xl-list
e2e_daemon_stop TERM
