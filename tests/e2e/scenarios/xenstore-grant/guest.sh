# xenstore grant: by default the guest cannot write memory/target; once dom0
# runs xenstore-chmod memory/target n0 b<domid>, the daemon steers through
# xenstore, so the toolstack's target (xl list, memory/target) follows it.
# Under both backends the balloon must land on the daemon's own target: in a
# PVH (or HVM) guest the balloon driver takes memory/target minus an offset
# (xen-balloon.c's target_diff), which the daemon must add once, upward, to
# what it writes there, and never to what it writes to sysfs.
start=$(e2e_target_kb)
start_xs=$(xenstore-read memory/target)
offset=$((start_xs - start))
case "$E2E_TYPE" in
pv) [ "$offset" = 0 ] || e2e_fail "a PV guest's memory/target ($start_xs kB) differs from its balloon target ($start kB)" ;;
*) [ "$offset" -gt 0 ] || # without one the check below could not tell once from twice
	e2e_fail "no offset in a $E2E_TYPE guest: memory/target $start_xs kB, balloon target $start kB" ;;
esac
e2e_log "offset: memory/target $start_xs kB - balloon target_kb $start kB = $offset kB"

# The daemon's decided target (data/selfballoon/target_kb, on the balloon's
# scale) against the balloon's target_kb and memory/target, read while the
# decision stands (the same before and after); 4 kB: less than a page.
seen="nothing read yet"
near() { [ $(($1 - $2)) -lt 4 ] && [ $(($2 - $1)) -lt 4 ]; }
same_target() { # backend: sysfs|xenstore
	d=$(xenstore-read data/selfballoon/target_kb 2>/dev/null) || return 1
	s=$(e2e_target_kb)
	x=$(xenstore-read memory/target)
	[ "$(xenstore-read data/selfballoon/target_kb)" = "$d" ] || return 1
	seen="decided $d kB, balloon target_kb $s kB, memory/target $x kB"
	near "$s" "$d" || return 1
	case $1 in
	sysfs) [ "$x" = "$start_xs" ] ;; # untouched
	xenstore) near "$x" $((d + offset)) ;;
	esac
}
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
[ "$(xenstore-read memory/target)" = "$start_xs" ] || e2e_fail "memory/target moved before the grant"
e2e_wait_until 20 "through sysfs the balloon is on the daemon's target" same_target sysfs ||
	e2e_fail "through sysfs: $seen"
e2e_log "sysfs: $seen"
via_sysfs=$seen
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
e2e_wait_until 20 "through xenstore the balloon is on the daemon's target (offset $offset kB once)" \
	same_target xenstore || e2e_fail "through xenstore (offset $offset kB): $seen"
e2e_log "xenstore: $seen"
e2e_note "$E2E_TYPE offset $offset kB; sysfs: $via_sysfs; xenstore: $seen"
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
