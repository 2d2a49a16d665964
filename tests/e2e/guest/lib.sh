# Guest-side helpers for scenarios (POSIX sh: busybox ash in the busybox guest,
# dash in the systemd guest). Sourced before a scenario's guest.sh runs.
#
#   e2e_log TEXT                 a line on the console (shown live on the host)
#   e2e_fail TEXT                end the scenario as FAIL with that reason
#   e2e_note TEXT                a remark added to the verdict line (PASS (TEXT))
#   e2e_dom0 CMD [ARGS]          ask dom0 (see dom0/run.sh: mem-set MiB, mem-max MiB,
#                                grant-target, revoke-target, xl-list, mark TEXT,
#                                xen-log-count PATTERN, xs-read REL, or a scenario's
#                                own e2e_cmd_*); prints dom0's output, returns its rc
#   e2e_mark TEXT                an event line on the timeline plot
#   e2e_wait_until SECS DESC CMD...  poll CMD every second until it succeeds
#   e2e_meminfo FIELD            a /proc/meminfo value in kB
#   e2e_target_kb / e2e_current_kb   the balloon's sysfs target / current size
#   e2e_daemon_config [LINES...] write $E2E_CONF ([selfballoon] + interval = 1 + LINES)
#   e2e_daemon_start [ARGS...]   run the daemon in the background, stderr to $E2E_DAEMON_LOG
#   e2e_daemon_stop [SIGNAL]     signal it (TERM) and wait for it to exit; sets E2E_DAEMON_RC
#   e2e_export FILE [NAME]       copy a guest file to the host's results (guest-NAME)
#   e2e_assert_no_oom            fail on 'Out of memory'/'oom-kill' in the kernel log
#   e2e_near A B                 A and B (kB) within 1 MiB of each other
#   e2e_on_decision              the balloon's target_kb within 1 MiB of the daemon's published
#                                decision (data/selfballoon/target_kb, left in E2E_DECIDED)
#   e2e_settled                  on it, and the decision the same 3 s later (the balloon comes
#                                down in steps: down_hysteresis)
#   e2e_judge_start              samples "uptime target_kb decided floor current_kb" every 0.1 s
#                                into $E2E_TMP/judge.txt in the background (E2E_JUDGE_PID)
#   e2e_judge_wrong FROM [TO]    seconds (uptime FROM to TO) the balloon's target stood more than
#                                1 MiB from the decision, the longest stretch, and how far
#                                current_kb went past the decision
#
# Variables: E2E_SCENARIO, E2E_GUEST (busybox|systemd), E2E_TYPE (pv|pvh: what the
# xl config asked for; /sys/hypervisor/guest_type says what the kernel sees),
# E2E_DAEMON_KIND (real|standin),
# SELFBALLOOND (the daemon's path), E2E_CONF, E2E_DAEMON_LOG, E2E_TMP.

E2E_TMP=/run/e2e
mkdir -p "$E2E_TMP"
BALLOON=/sys/devices/system/xen_memory/xen_memory0
E2E_CONF=$E2E_TMP/selfballoon.conf
E2E_DAEMON_LOG=$E2E_TMP/daemon.log
E2E_DAEMON_KIND=$(cat /e2e/daemon-kind 2>/dev/null || echo unknown)
for a in $(cat /proc/cmdline); do
	case "$a" in
	e2e_scenario=*) E2E_SCENARIO=${a#e2e_scenario=} ;;
	e2e_guest=*) E2E_GUEST=${a#e2e_guest=} ;;
	e2e_type=*) E2E_TYPE=${a#e2e_type=} ;;
	esac
done
: "${E2E_GUEST:=busybox}" "${E2E_TYPE:=pv}"
if [ -z "${SELFBALLOOND:-}" ]; then
	for p in /usr/sbin/selfballoond /usr/local/sbin/selfballoond /e2e/bin/selfballoond; do
		[ -x "$p" ] && { SELFBALLOOND=$p; break; }
	done
fi
export E2E_SCENARIO E2E_GUEST E2E_TYPE E2E_DAEMON_KIND SELFBALLOOND E2E_CONF E2E_DAEMON_LOG

e2e_uptime() { cut -d' ' -f1 /proc/uptime; }
e2e_log() { echo "e2e: [$E2E_SCENARIO $(e2e_uptime)] $*" >/dev/console; }
e2e_fail() {
	e2e_log "FAIL: $*"
	echo "$*" >"$E2E_TMP/fail-reason"
	exit 1
}

e2e_note() {
	e2e_log "note: $*"
	echo "$*" >>"$E2E_TMP/notes"
}

e2e_meminfo() { awk -v k="$1:" '$1==k{print $2; exit}' /proc/meminfo; }
e2e_target_kb() { cat "$BALLOON/target_kb"; }
e2e_current_kb() { cat "$BALLOON/info/current_kb"; }

e2e_dom0() {
	_n=$(($(cat "$E2E_TMP/seq" 2>/dev/null || echo 0) + 1))
	echo "$_n" >"$E2E_TMP/seq"
	xenstore-write "data/e2e/req/$_n" "$*" || { e2e_log "cannot write request $_n"; return 125; }
	_i=0
	# (E2E_DOM0_WAIT: seconds, for requests that take long: a save, a migration)
	while [ $_i -lt $((${E2E_DOM0_WAIT:-60} * 5)) ]; do
		if _a=$(xenstore-read "data/e2e/ack/$_n" 2>/dev/null); then
			xenstore-rm "data/e2e/ack/$_n" 2>/dev/null
			_rc=${_a%% *}
			case "$_a" in *" "*) printf '%s\n' "${_a#* }" ;; esac
			return "$_rc"
		fi
		sleep 0.2
		_i=$((_i + 1))
	done
	e2e_log "dom0 did not answer request $_n ($*)"
	return 124
}
e2e_mark() { e2e_dom0 mark "$*" >/dev/null; }

e2e_wait_until() { # secs description cmd...
	_secs=$1 _desc=$2
	shift 2
	_wu_n=0
	while ! "$@"; do
		_wu_n=$((_wu_n + 1))
		[ $_wu_n -ge "$_secs" ] && { e2e_log "gave up after ${_secs}s waiting for: $_desc"; return 1; }
		sleep 1
	done
	e2e_log "after ${_wu_n}s: $_desc"
}

e2e_daemon_config() {
	{
		echo "[selfballoon]"
		echo "interval = 1"
		for l in "$@"; do echo "$l"; done
	} >"$E2E_CONF"
}

e2e_daemon_start() {
	[ -f "$E2E_CONF" ] || e2e_daemon_config
	e2e_log "starting $SELFBALLOOND ($E2E_DAEMON_KIND) --config $E2E_CONF --log=console $*"
	"$SELFBALLOOND" --config "$E2E_CONF" --log=console "$@" 2>>"$E2E_DAEMON_LOG" &
	E2E_DAEMON_PID=$!
	echo "$E2E_DAEMON_PID" >"$E2E_TMP/daemon.pid"
	e2e_mark "daemon start"
}

e2e_daemon_stop() {
	_sig=${1:-TERM}
	[ -n "${E2E_DAEMON_PID:-}" ] || return 0
	e2e_mark "daemon SIG$_sig"
	kill -s "$_sig" "$E2E_DAEMON_PID" 2>/dev/null
	wait "$E2E_DAEMON_PID"
	E2E_DAEMON_RC=$?
	E2E_DAEMON_PID=
	rm -f "$E2E_TMP/daemon.pid"
	e2e_log "daemon exited with $E2E_DAEMON_RC"
}

e2e_export() { # file [name]
	_name=${2:-$(basename "$1")}
	{
		echo "=== e2e-file BEGIN $_name ==="
		cat "$1"
		echo "=== e2e-file END $_name ==="
	} >/dev/console
}

e2e_assert_no_oom() {
	if dmesg | grep -Eqi 'out of memory|oom-kill|invoked oom-killer'; then
		dmesg | grep -Ei -A3 'out of memory|oom-kill|invoked oom-killer' | head -n 20 >/dev/console
		e2e_fail "the guest kernel logged an OOM"
	fi
}

e2e_near() { [ $(($1 - $2)) -le 1024 ] && [ $(($2 - $1)) -le 1024 ]; }
e2e_on_decision() {
	E2E_DECIDED=$(xenstore-read data/selfballoon/target_kb 2>/dev/null) || return 1
	e2e_near "$(e2e_target_kb)" "$E2E_DECIDED"
}
e2e_settled() {
	e2e_on_decision && e2e_near "$(e2e_current_kb)" "$(e2e_target_kb)" || return 1
	_sd=$E2E_DECIDED
	sleep 3
	e2e_on_decision && [ "$E2E_DECIDED" = "$_sd" ] && e2e_near "$(e2e_current_kb)" "$(e2e_target_kb)"
}

# The judge: the balloon's files with shell builtins every tenth of a
# second, the daemon's decision and floor from xenstore every half second
# and at once when the balloon's target moved.
e2e_judge_start() {
	(
		d=0 f=0 i=0 last=
		while :; do
			read -r up _ </proc/uptime
			read -r t <"$BALLOON/target_kb"
			read -r c <"$BALLOON/info/current_kb"
			if [ $((i % 5)) = 0 ] || [ "$t" != "$last" ]; then
				v=$(xenstore-read data/selfballoon/target_kb data/selfballoon/floor_kb 2>/dev/null) &&
					set -- $v && d=$1 f=$2
			fi
			echo "$up $t $d $f $c"
			last=$t i=$((i + 1))
			sleep 0.1
		done >>"$E2E_TMP/judge.txt"
	) &
	E2E_JUDGE_PID=$!
}
e2e_judge_wrong() {
	awk -v from="$1" -v to="${2:-}" '$1 >= from && (to == "" || $1 < to) {
		if (prev != "" && bad) { w += $1 - prev; run += $1 - prev; if (run > long) long = run }
		bad = ($2 - $3 > 1024 || $3 - $2 > 1024); if (!bad) run = 0; prev = $1
		if ($3 > 0 && $5 - $3 > over) over = $5 - $3 }
		END { printf "%.1f s (longest %.1f s, current up to %d kB over the decision)", w, long, over }' "$E2E_TMP/judge.txt"
}
