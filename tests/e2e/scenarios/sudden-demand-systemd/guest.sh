# sudden-demand-systemd: does the brake alone keep a fast allocator in
# system.slice out of the OOM killer, with the watch slowed to the interval?
#
# The daemon runs as installed (the package's unit, in selfballoon.slice) at
# a 10 s interval with watch_rate_mb_s = 1, so that the watch looks about
# as often as the ticks (at the default 5 s the hog, slowed by the guest's
# other work, survived the control once in both cases). The hog (suddenhog: 16 MB chunks, each malloc'ed as it
# is touched, at full speed) runs as a transient unit in system.slice.
#   1. control, brake = no: it must be OOM-killed in at least one case, or
#      the cases cannot tell a brake from luck;
#   2. brake = yes (systemctl reload): it must survive every case, and the
#      journal must say that system.slice was held at its limit;
#   3. the limits are cleared: on stop (an administrator's own MemoryHigh= on
#      user.slice comes back, not infinity), and after SIGKILL by the unit's
#      ExecStopPost= --restore.
# Product: brake-cases.csv (exported), the journal of the daemon.
conf=/etc/selfballoon.conf
CASES="c-256:256 c-512:512 c-768:768" # name:MB
CSV=$E2E_TMP/brake-cases.csv
echo "phase,case,size_mb,outcome,touched_mb,secs,peak_memtotal_kb" >"$CSV"

# With the testbed's --debs: the package, from the guest's local repository
# (it starts the daemon with the defaults: stopped here until configured).
if [ -d /e2e/apt ] && ! dpkg-query -W -f='${Status}' selfballoond 2>/dev/null | grep -q 'ok installed'; then
	rm -f /etc/apt/sources.list.d/*
	cp /e2e/apt/sources.list /etc/apt/sources.list
	deb=$(ls /e2e/apt/selfballoond_*.deb | grep -v '+e2eup_' | head -n 1)
	{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$deb"; } \
		>"$E2E_TMP/apt-install.log" 2>&1 || e2e_fail "apt-get install $(basename "$deb") failed: $(tail -n 1 "$E2E_TMP/apt-install.log")"
	systemctl stop selfballoond || e2e_fail "systemctl stop after install failed"
fi
systemctl cat selfballoond.service 2>/dev/null | grep -q '^Slice=selfballoon.slice' ||
	e2e_fail "no installed selfballoond.service with Slice=selfballoon.slice (run with --debs, or --overlay of meson install)"
[ -f /sys/fs/cgroup/cgroup.controllers ] || e2e_fail "the guest has no unified cgroup hierarchy"
[ -f /sys/fs/cgroup/system.slice/memory.events ] || e2e_fail "system.slice has no memory controller"
[ -e /proc/swaps ] && [ "$(wc -l </proc/swaps)" -gt 1 ] && e2e_fail "the guest has swap"
dmesg -n 4

# interval 10 s and watch_rate_mb_s 1: neither a tick nor a look comes in
# time for the hog (the control must die); the brake's wake-up does not wait
# for either. down_hysteresis 1: back at idle in a few ticks.
INTERVAL=10
write_conf() { # brake yes|no
	cat >"$conf" <<EOC
[selfballoon]
interval = $INTERVAL
down_hysteresis = 1
watch_rate_mb_s = 1
brake = $1
EOC
}
memory_high() { systemctl show -P MemoryHigh "$1"; }
journal() { journalctl -b -u selfballoond -o cat --no-pager; }

# user.slice exists only with a process in it (logind is masked here): one
# idle service there, so that the brake has a slice with the admin's limit.
systemd-run --quiet --unit=idle-user --slice=user.slice sleep 100000 ||
	e2e_fail "cannot start a service in user.slice"
# An administrator's own limit on user.slice, to be kept as a ceiling and put back.
ADMIN_HIGH=943718400 # 900M
systemctl set-property --runtime user.slice MemoryHigh=$ADMIN_HIGH ||
	e2e_fail "cannot set the administrator's MemoryHigh= on user.slice"
[ "$(memory_high user.slice)" = $ADMIN_HIGH ] || e2e_fail "user.slice MemoryHigh=$(memory_high user.slice)"

idle_since=
idle() { # target within 1 MiB of current, unchanged for a tick, and down
	_tg=$(e2e_target_kb) _cu=$(e2e_current_kb)
	[ $((_tg - _cu)) -le 1024 ] && [ $((_cu - _tg)) -le 1024 ] && [ "$_tg" -lt $((START * 3 / 4)) ] || {
		idle_since=
		return 1
	}
	[ "$_tg" = "${idle_last:-}" ] || { idle_last=$_tg idle_since=0; return 1; }
	idle_since=$((idle_since + 1))
	[ "$idle_since" -ge $((INTERVAL + 3)) ]
}
settle() { # description
	idle_last= idle_since=
	e2e_wait_until 240 "$1" idle || e2e_fail "not idle: $1 (target $(e2e_target_kb) kB)"
}

# One line every 2 s on the console while a case runs: what the brake and the
# balloon were doing (the serial log keeps it even if the guest hangs).
sampler() { # phase name
	while :; do
		_ev=$(sed -n 's/^high //p' /sys/fs/cgroup/system.slice/memory.events)
		echo "e2e-sample $1 $2 $(cut -d' ' -f1 /proc/uptime) free_kb=$(e2e_meminfo MemFree)" \
			"total_kb=$(e2e_meminfo MemTotal) committed_kb=$(e2e_meminfo Committed_AS)" \
			"target_kb=$(e2e_target_kb) current_kb=$(e2e_current_kb)" \
			"sys_current=$(cat /sys/fs/cgroup/system.slice/memory.current)" \
			"sys_high=$(cat /sys/fs/cgroup/system.slice/memory.high) sys_events_high=$_ev" >/dev/console
		sleep 2
	done
}
run_case() { # phase name size
	_out=$E2E_TMP/hog-$1-$2.out
	dmesg -c >>"$E2E_TMP/kernel.log"
	e2e_mark "$1 $2"
	sampler "$1" "$2" &
	_sampler=$!
	e2e_log "$1 $2: MemTotal $(e2e_meminfo MemTotal) kB, MemFree $(e2e_meminfo MemFree) kB, system.slice MemoryHigh=$(memory_high system.slice)"
	# OOMPolicy=continue: systemd must not stop the unit (killing suddenhog's
	# parent, which reports) when the kernel OOM-kills the child
	systemd-run --quiet --wait --collect --unit="hog-$1-$2" --slice=system.slice -p OOMPolicy=continue \
		-p StandardOutput="file:$_out" -p StandardError="file:$_out.err" \
		-p RuntimeMaxSec=120 /e2e/bin/suddenhog run -c 16 -H 3 "$3" || :
	kill "$_sampler" 2>/dev/null
	wait "$_sampler" 2>/dev/null
	h_outcome=failed-to-run h_touched_mb= h_secs= h_peak_memtotal_kb=
	for kv in $(cat "$_out" 2>/dev/null); do eval "h_${kv%%=*}=\${kv#*=}"; done
	e2e_log "$1 $2: $h_outcome after ${h_secs}s, ${h_touched_mb}/$3 MB, peak MemTotal $h_peak_memtotal_kb kB"
	echo "$1,$2,$3,$h_outcome,$h_touched_mb,$h_secs,$h_peak_memtotal_kb" >>"$CSV"
	dmesg -c >>"$E2E_TMP/kernel.log"
	settle "back at idle after $1 $2"
}
cases() { # phase (no pipe: e2e_fail must end the scenario, not a subshell)
	for c in $CASES; do run_case "$1" "${c%%:*}" "${c#*:}"; done
}

# The daemon's journal, live on the console (its decisions beside the samples)
journalctl -f -n 0 -u selfballoond -o short-monotonic >/dev/console 2>&1 &

START=$(e2e_target_kb)
write_conf no
e2e_mark "systemctl start, brake = no"
systemctl start selfballoond.service || e2e_fail "systemctl start selfballoond failed"
settle "idle under systemd, brake = no"
[ "$(memory_high system.slice)" = infinity ] || e2e_fail "brake = no, yet system.slice MemoryHigh=$(memory_high system.slice)"
cases control

write_conf yes
e2e_mark "systemctl reload, brake = yes"
systemctl reload selfballoond || e2e_fail "systemctl reload failed"
e2e_wait_until 30 "the brake is on" sh -c "journalctl -b -u selfballoond -o cat | grep -q '^brake on:'" || {
	journal | grep brake >/dev/console
	e2e_fail "the brake did not come on"
}
journal | grep '^brake' >/dev/console
settle "idle under systemd, brake = yes"
SYS_HIGH=$(memory_high system.slice) USER_HIGH=$(memory_high user.slice)
OWN_HIGH=$(memory_high selfballoon.slice)
e2e_log "braked: system.slice MemoryHigh=$SYS_HIGH (usage $(cat /sys/fs/cgroup/system.slice/memory.current)), user.slice $USER_HIGH, selfballoon.slice $OWN_HIGH"
[ "$SYS_HIGH" != infinity ] || e2e_fail "brake = yes, yet system.slice has no MemoryHigh="
# selfballoond(8): run-time properties are drop-ins in /run/systemd/system.control
DROPIN=$(grep -l '^MemoryHigh=' /run/systemd/system.control/system.slice.d/*.conf 2>/dev/null | head -n 1)
[ -n "$DROPIN" ] || e2e_fail "no MemoryHigh= drop-in under /run/systemd/system.control/system.slice.d"
e2e_log "drop-in $DROPIN: $(grep '^MemoryHigh=' "$DROPIN")"
[ "$OWN_HIGH" = infinity ] || e2e_fail "the daemon's own slice is braked: MemoryHigh=$OWN_HIGH"
[ "$USER_HIGH" -le $ADMIN_HIGH ] 2>/dev/null || e2e_fail "user.slice MemoryHigh=$USER_HIGH above the administrator's $ADMIN_HIGH"
journal | grep -q '^brake on: MemoryHigh= on .*user\.slice' || e2e_fail "user.slice is not braked"
cases brake
HELD=$(journal | grep -c 'was held at its limit')
e2e_log "journal: system.slice held $HELD time(s)"
journal | grep 'was held at its limit' >/dev/console

e2e_mark "systemctl stop"
systemctl stop selfballoond || e2e_fail "systemctl stop failed"
AFTER_STOP="system.slice $(memory_high system.slice), user.slice $(memory_high user.slice)"
e2e_log "after stop: $AFTER_STOP"
[ "$(memory_high system.slice)" = infinity ] || e2e_fail "after stop: $AFTER_STOP"
[ "$(memory_high user.slice)" = $ADMIN_HIGH ] || e2e_fail "after stop, the administrator's limit is not back: $AFTER_STOP"
[ ! -e /run/selfballoond/brake ] || e2e_fail "after stop: /run/selfballoond/brake is left"
e2e_log "after stop, drop-in $DROPIN: $(grep '^MemoryHigh=' "$DROPIN")"

# SIGKILL: nothing runs in the daemon; the unit's ExecStopPost= --restore clears.
systemctl start selfballoond || e2e_fail "systemctl start (2) failed"
e2e_wait_until 60 "the brake is on again" sh -c '[ "$(systemctl show -P MemoryHigh system.slice)" != infinity ]' ||
	e2e_fail "the brake did not come on after the restart"
e2e_mark "systemctl kill -s KILL"
systemctl kill -s KILL selfballoond
e2e_wait_until 20 "limits cleared after SIGKILL" sh -c '[ "$(systemctl show -P MemoryHigh system.slice)" = infinity ]' || {
	journal | tail -n 20 >/dev/console
	e2e_fail "after SIGKILL: system.slice MemoryHigh=$(memory_high system.slice)"
}
AFTER_KILL="system.slice $(memory_high system.slice), user.slice $(memory_high user.slice)"
e2e_log "after SIGKILL and ExecStopPost: $AFTER_KILL"
systemctl stop selfballoond
[ "$(memory_high user.slice)" = $ADMIN_HIGH ] || e2e_fail "after SIGKILL: $AFTER_KILL"

journalctl -b -u selfballoond -o json --no-pager >"$E2E_TMP/selfballoond.json" 2>&1
e2e_export "$E2E_TMP/selfballoond.json" selfballoond-journal.json
e2e_export "$CSV" brake-cases.csv
e2e_export "$E2E_TMP/kernel.log" brake-kernel.log
cat "$CSV" >/dev/console

# Verdict: the control must die somewhere, the brake must survive everywhere.
grep -q ',failed-to-run,' "$CSV" && e2e_fail "a case could not be run"
grep -q '^control,[^,]*,[^,]*,oom-killed,' "$CSV" ||
	e2e_fail "the control (brake = no) survived every case: the cases cannot tell the brake from luck"
n=$(grep -c '^brake,' "$CSV")
s=$(grep -c '^brake,[^,]*,[^,]*,survived,' "$CSV")
[ "$s" = "$n" ] || e2e_fail "with the brake, $s of $n cases survived"
[ "$HELD" -ge 1 ] || e2e_fail "survived, but the journal never says a slice was held: not the brake's doing?"
e2e_note "control: $(grep -c '^control,[^,]*,[^,]*,oom-killed,' "$CSV") OOM kill(s); brake: $s/$n survived, held $HELD time(s)"
:
