# The toolstack moves the guest while the daemon runs: MOVE=save-restore
# (xl save to dom0's scratch disk, xl restore) or MOVE=migrate (xl migrate
# to the same host). Three times: idle, the balloon driven through sysfs;
# during a workload that makes the daemon raise its target (sysfs); with
# the workload holding, the balloon driven through xenstore after a grant.
# After each move the daemon, not
# restarted, must: notice the new domid, publish data/selfballoon/ under the
# new domain, put the balloon back on its own target (libxl rebuilt the
# domain from memory/target; with sysfs the balloon driver's re-fired watch
# takes the guest back to the toolstack's target), say once that the grant
# did not come along and use sysfs, keep its per-boot record; no OOM, the
# balloon's target never below the daemon's floor.
#
# "Time on a wrong target": seconds during which the balloon's target_kb
# differed from the daemon's last decision (data/selfballoon/target_kb, the
# last value published) by more than 1 MiB, sampled by the judge
# (guest/lib.sh: e2e_judge_start) from the moment the guest runs again.
: "${MOVE:=save-restore}"
E2E_DOM0_WAIT=300 # a save or migration of a few hundred MiB under TCG
start=$(e2e_target_kb)
start_xs=$(xenstore-read memory/target)
e2e_daemon_config "down_hysteresis = 2"
e2e_daemon_start
below_half() { [ "$(e2e_current_kb)" -lt $((start / 2)) ]; }
e2e_wait_until 60 "balloon below half the start target" below_half ||
	e2e_fail "the balloon did not go down first (current $(e2e_current_kb) kB)"
e2e_wait_until 40 "the balloon settled on the daemon's target" e2e_settled ||
	e2e_fail "the balloon never settled on the daemon's target"
record=$(md5sum /run/selfballoond/start-target 2>/dev/null | cut -d' ' -f1)
[ -n "$record" ] || e2e_fail "no per-boot record /run/selfballoond/start-target"

# The judge (guest/lib.sh), from here to the end.
e2e_judge_start
below_floor() { awk '$4 > 0 && $2 < $4 { n++ } END { print n + 0 }' "$E2E_TMP/judge.txt"; }

# One move: prints nothing, fails the scenario on what the daemon missed.
move() { # round
	d1=$(xenstore-read domid)
	e2e_log "round $1: $MOVE of domain $d1 (balloon target $(e2e_target_kb) kB, current $(e2e_current_kb) kB)"
	# the control: a key only the guest writes, once, before the move: the
	# new domain's data/ must not have it, or "published" below could be
	# leftovers rather than the daemon's doing
	xenstore-write data/e2e-canary "$d1"
	out=$(e2e_dom0 "$MOVE") || e2e_fail "round $1: dom0's $MOVE failed: $out"
	read -r up _ </proc/uptime
	d2=$(xenstore-read domid)
	if c=$(xenstore-read data/e2e-canary 2>/dev/null); then
		e2e_fail "round $1: the new domain's data/ holds the old one's keys (e2e-canary $c): the checks below cannot tell"
	fi
	e2e_log "round $1: $out; the guest runs again at uptime $up"
	[ "$d2" != "$d1" ] || e2e_fail "round $1: the domid did not change ($d1)"
	noticed() { grep -q "the guest runs as domain $d2 now (was $d1" "$E2E_DAEMON_LOG"; }
	e2e_wait_until 10 "the daemon noticed domain $d2" noticed ||
		e2e_fail "round $1: the daemon did not notice the new domain $d2"
	published() {
		xenstore-read data/selfballoon/heartbeat >/dev/null 2>&1 &&
			xenstore-read data/selfballoon/target_kb >/dev/null 2>&1
	}
	e2e_wait_until 10 "data/selfballoon/ published under domain $d2" published ||
		e2e_fail "round $1: nothing published under /local/domain/$d2/data/selfballoon"
	e2e_wait_until 10 "the balloon back on the daemon's target" e2e_on_decision ||
		e2e_fail "round $1: the balloon stays off the daemon's target: $(e2e_target_kb) kB, decided $E2E_DECIDED kB"
	moved_at=$up
	# The balloon driver's watch fires with ours at resume, before user
	# space thaws: what it took back meanwhile is what the daemon's first
	# reading after the notice found above its target.
	back=$(awk -v n="the guest runs as domain $d2 now" '
		index($0, n) { f = 1; next }
		f && /SELFBALLOON_CURRENT_KB=/ {
			match($0, /SELFBALLOON_CURRENT_KB=[0-9]+/); c = substr($0, RSTART + 22, RLENGTH - 22)
			match($0, /SELFBALLOON_TARGET_KB=[0-9]+/); t = substr($0, RSTART + 21, RLENGTH - 21)
			print c - t; exit }' "$E2E_DAEMON_LOG")
	e2e_log "round $1: at the daemon's first tick after the move the balloon held ${back:-?} kB above its target"
	eval "back$1=\${back:-?}"
}

# Round 1: idle, sysfs (libxl makes memory/target read-only for the guest).
move 1
[ "$(xenstore-read memory/target)" = "$start_xs" ] ||
	e2e_fail "round 1: memory/target moved under sysfs: $(xenstore-read memory/target) kB"
sleep 5
w1=$(e2e_judge_wrong "$moved_at")
e2e_log "round 1 (idle, sysfs): on a wrong target $w1"

# Round 2: sysfs, during a workload: the move comes while the daemon raises
# its target. Safe by construction: libxl rebuilds the domain with max_pages
# = memory/target + 1 MiB as xl save read it, and memory/target (the
# toolstack's 512 MiB, untouched under sysfs) is what held the guest before.
low=$(e2e_meminfo MemTotal)
e2e_mark "memhog 16x8MiB"
memhog 8 16 1 90 >"$E2E_TMP/memhog.log" 2>&1 &
hog=$!
rising() { [ "$(e2e_meminfo MemTotal)" -gt $((low + 32768)) ]; }
e2e_wait_until 60 "the daemon raising the guest (MemTotal +32 MiB)" rising ||
	e2e_fail "round 2: the guest did not grow under the workload"
move 2
holding() { grep -q 'holding 128 MiB' "$E2E_TMP/memhog.log"; }
e2e_wait_until 60 "the workload holds its 128 MiB" holding ||
	e2e_fail "round 2: the workload did not get its 128 MiB: $(tail -n 1 "$E2E_TMP/memhog.log")"
e2e_wait_until 20 "the balloon on the daemon's target" e2e_on_decision ||
	e2e_fail "round 2: the balloon is not on the daemon's target"
w2=$(e2e_judge_wrong "$moved_at")
e2e_log "round 2 (growing, sysfs): on a wrong target $w2"

# Round 3: granted, so the daemon drives memory/target; the move while the
# workload holds (a move while the daemon raises memory/target can lose the
# guest: see tests/e2e/README.md). The grant does not come along: one
# notice, then sysfs; and libxl rebuilt the domain with max_pages at the
# daemon's last memory/target + 1 MiB: measured from Xen's domain dump.
# Not in a PVH guest: there its restore fails even while the workload
# holds (Xen: "Over-allocation for dN: 81152 > 81151", the domain is lost:
# tests/e2e/README.md), a libxl limit no daemon in the guest can lift.
w3=- back3=- maxp=- xs_before=-
if [ "$E2E_TYPE" = pv ]; then
	e2e_dom0 grant-target >/dev/null || e2e_fail "dom0 could not grant memory/target"
	xs_in_use() { [ "$(xenstore-read data/selfballoon/backend 2>/dev/null)" = xenstore ]; }
	e2e_wait_until 15 "backend xenstore after the grant" xs_in_use ||
		e2e_fail "round 3: the grant was not taken up"
	e2e_wait_until 20 "the balloon on the daemon's target" e2e_on_decision ||
		e2e_fail "round 3: the balloon is not on the daemon's target"
	xs_before=$(xenstore-read memory/target)
	move 3
	lost() { grep -q "xenstore refuses memory/target on domain $d2 (a restore or migration" "$E2E_DAEMON_LOG"; }
	e2e_wait_until 15 "the lost grant said, sysfs in use" lost ||
		e2e_fail "round 3: no notice that the grant did not come along"
	sysfs_in_use() { [ "$(xenstore-read data/selfballoon/backend 2>/dev/null)" = sysfs ]; }
	e2e_wait_until 10 "backend sysfs published" sysfs_in_use || e2e_fail "round 3: backend is not sysfs"
	maxp=$(e2e_dom0 max-pages) || maxp=?
	e2e_log "round 3: memory/target $xs_before kB before the move, $(xenstore-read memory/target) kB after; Xen's max_pages now $maxp kB"
	sleep 5
	w3=$(e2e_judge_wrong "$moved_at")
	e2e_log "round 3 (holding, xenstore then sysfs): on a wrong target $w3"
else
	e2e_log "round 3 (xenstore) skipped in a $E2E_TYPE guest: its restore fails (see tests/e2e/README.md)"
fi
kill $hog 2>/dev/null
wait $hog
cat "$E2E_TMP/memhog.log" >/dev/console
e2e_mark "memhog done"
e2e_assert_no_oom
[ "$E2E_TYPE" != pv ] || [ "$(grep -c 'a restore or migration does not carry' "$E2E_DAEMON_LOG")" = 1 ] ||
	e2e_fail "the lost grant said $(grep -c 'a restore or migration does not carry' "$E2E_DAEMON_LOG") times"
grep -q 'the grant was revoked' "$E2E_DAEMON_LOG" && e2e_fail "the lost grant was called a revoke"
grep -q 'the toolstack set memory/target' "$E2E_DAEMON_LOG" &&
	e2e_fail "a memory/target libxl carried over was taken for the toolstack's"
n=$(below_floor)
[ "$n" = 0 ] || e2e_fail "the balloon's target was below the daemon's floor in $n samples"
[ "$(md5sum /run/selfballoond/start-target | cut -d' ' -f1)" = "$record" ] ||
	e2e_fail "the per-boot record changed"
kill $E2E_JUDGE_PID
e2e_export "$E2E_TMP/judge.txt" judge.txt
e2e_note "$MOVE: on a wrong target after the thaw: round 1 (idle, sysfs) $w1; round 2 (growing, sysfs) $w2; round 3 (holding, xenstore) $w3; above the target at the first tick: $back1 / $back2 / $back3 kB; max_pages after round 3 $maxp kB (memory/target $xs_before kB)"
e2e_daemon_stop TERM
[ "$E2E_DAEMON_RC" = 0 ] || e2e_fail "the daemon exited with $E2E_DAEMON_RC"
