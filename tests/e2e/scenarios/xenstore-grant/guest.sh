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
# xenstored fires the daemon's memory/target watch on the permission change:
# the daemon writes its target there at once, no nudge, no reload.
e2e_mark "granted"
e2e_wait_until 10 "memory/target follows the balloon target (no reload, no restart)" xs_follows ||
	e2e_fail "memory/target stayed at $(xenstore-read memory/target) kB (balloon target $(e2e_target_kb) kB) after the grant"
grep -q 'memory/target is writable now: using xenstore' "$E2E_DAEMON_LOG" ||
	e2e_fail "no 'writable now' notice after the grant"
grep -q 'reloaded' "$E2E_DAEMON_LOG" && e2e_fail "the daemon reloaded: the grant must count without one"

# Revoked: the next target goes to sysfs again, with one notice.
e2e_dom0 revoke-target || e2e_fail "dom0 could not revoke memory/target"
e2e_mark "revoked; memhog 32MiB (nudge)"
xs_at_revoke=$(xenstore-read memory/target)
memhog 32 1 0 60 >/dev/null 2>&1 &
hog=$!
revoked() { grep -q 'the grant was revoked' "$E2E_DAEMON_LOG"; }
e2e_wait_until 25 "the revoke noticed at the next target" revoked ||
	e2e_fail "no notice of the revoked grant"
[ "$(xenstore-read memory/target)" = "$xs_at_revoke" ] ||
	e2e_fail "memory/target moved after the revoke"
kill $hog 2>/dev/null
e2e_dom0 xl-list
e2e_daemon_stop TERM
