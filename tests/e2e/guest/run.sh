#!/bin/sh
# Runs the scenario named on the kernel command line inside the domU, then
# reports the verdict to dom0 and powers the guest off.
# (/e2e/xsbin last: the systemd guest's image has no xenstore-utils of its own)
export PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin:/e2e/bin:/e2e/xsbin
. /e2e/lib.sh

# Publish what the guest sees, every second, for dom0's timeline.
publisher() {
	while :; do
		set -- $(awk '/^MemTotal:/{t=$2} /^Committed_AS:/{c=$2} /^MemAvailable:/{a=$2} END{print t, c, a}' /proc/meminfo)
		read -r cur <"$BALLOON/info/current_kb"
		read -r tgt <"$BALLOON/target_kb"
		read -r up _ </proc/uptime
		xenstore-write data/e2e/mem "$up $1 $2 $cur $tgt $3" 2>/dev/null
		sleep 1
	done
}

xenstore-write data/e2e/ack "" 2>/dev/null
publisher &
pub=$!
if [ "$E2E_GUEST" = systemd ]; then
	state=$(systemctl is-system-running --wait 2>&1)
	e2e_log "systemd boot finished: $state; $(systemd-analyze 2>/dev/null | head -n 1)"
	[ "$state" = running ] || systemctl --failed --no-pager >/dev/console 2>&1
fi
e2e_log "scenario starts (guest $E2E_GUEST, $(cat /sys/hypervisor/guest_type 2>/dev/null || echo "$E2E_TYPE?") domU, daemon $E2E_DAEMON_KIND $SELFBALLOOND, kernel $(uname -r))"
e2e_log "MemTotal $(e2e_meminfo MemTotal) kB, Committed_AS $(e2e_meminfo Committed_AS) kB, balloon target $(e2e_target_kb) kB, current $(e2e_current_kb) kB, memory/target $(xenstore-read memory/target) kB, static-max $(xenstore-read memory/static-max) kB"
e2e_mark "scenario start"

(cd "/e2e/scenarios/$E2E_SCENARIO" && . ./guest.sh)
rc=$?

# Whatever the scenario left running, stop it and keep its log.
if [ -f "$E2E_TMP/daemon.pid" ]; then
	kill "$(cat "$E2E_TMP/daemon.pid")" 2>/dev/null
	sleep 1
fi
[ -s "$E2E_DAEMON_LOG" ] && e2e_export "$E2E_DAEMON_LOG" daemon.log
dmesg >"$E2E_TMP/dmesg.txt" 2>&1 && e2e_export "$E2E_TMP/dmesg.txt" dmesg.log
if [ "$E2E_GUEST" = systemd ]; then
	journalctl -b -o short-monotonic --no-pager >"$E2E_TMP/journal.txt" 2>&1 && e2e_export "$E2E_TMP/journal.txt" journal.log
	systemd-analyze >"$E2E_TMP/boot.txt" 2>&1 && e2e_export "$E2E_TMP/boot.txt" systemd-analyze.txt
fi

if [ $rc = 0 ]; then
	e2e_log "PASS"
	notes=$(cat "$E2E_TMP/notes" 2>/dev/null | tr '\n' ';' | sed 's/;$//')
	e2e_dom0 result "PASS${notes:+ ($notes)}" >/dev/null
else
	reason=$(cat "$E2E_TMP/fail-reason" 2>/dev/null || echo "guest.sh exited with $rc")
	e2e_dom0 result "FAIL $reason" >/dev/null
fi
kill $pub 2>/dev/null
exit 0
