# The daemon as a user runs it on a systemd guest. With the testbed's --debs
# (CI): apt-get install of the package from the guest's local repository
# (/e2e/apt; the image has neither libxenstore4 nor libinih1, so the
# package's Depends must bring them), enabled and started by its maintainer
# scripts; dom0's view lists the guest; removal stops the daemon, which
# gives the start target back; purge takes the conffile away. Without
# --debs: the --overlay's unit, or the scenario's fallback unit, with
# systemctl enable --now. Both: balloon down, edit /etc/selfballoon.conf +
# reload, the structured journal.
conf=/etc/selfballoon.conf
start=$(e2e_target_kb)
xs_start=$(xenstore-read memory/target)
e2e_log "start: balloon target $start kB, memory/target $xs_start kB"
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

if [ -d /e2e/apt ]; then
	packaged=1
	for p in libxenstore4 libinih1; do
		installed "$p" && e2e_fail "the image already has $p: a Depends without it would go unnoticed"
	done
	# only the local repository: the guest has no network
	rm -f /etc/apt/sources.list.d/*
	cp /e2e/apt/sources.list /etc/apt/sources.list
	export DEBIAN_FRONTEND=noninteractive
	deb=$(ls /e2e/apt/selfballoond_*.deb | grep -v '+e2eup_' | head -n 1)
	e2e_mark "apt-get install"
	{ apt-get update && apt-get install -y --no-install-recommends "$deb"; } >"$E2E_TMP/apt-install.log" 2>&1
	rc=$?
	e2e_export "$E2E_TMP/apt-install.log" apt-install.log
	[ $rc = 0 ] || e2e_fail "apt-get install $(basename "$deb") failed ($rc): $(tail -n 1 "$E2E_TMP/apt-install.log")"
	for p in libxenstore4 libinih1 libsystemd0; do
		installed "$p" || e2e_fail "installing selfballoond did not bring $p"
	done
	e2e_log "installed $(dpkg-query -W -f='${Package} ${Version}, Depends: ${Depends}' selfballoond)"
	en=$(systemctl is-enabled selfballoond 2>&1)
	[ "$en" = enabled ] || e2e_fail "after install: systemctl is-enabled selfballoond says $en"
	e2e_wait_until 30 "selfballoond active after install" systemctl is-active --quiet selfballoond || {
		systemctl status --no-pager selfballoond >/dev/console 2>&1
		e2e_fail "after install: selfballoond is $(systemctl is-active selfballoond)"
	}
	dpkg-query -W -f='${Conffiles}\n' selfballoond | grep -q "^ $conf " ||
		e2e_fail "$conf is not a conffile of selfballoond"
	# systemd's dpkg trigger on /usr/lib/systemd/catalog ran journalctl --update-catalog
	id=$(sed -n 's/^-- \([0-9a-f]\{32\}\).*/\1/p' /usr/lib/systemd/catalog/selfballoond.catalog | head -n 1)
	[ -n "$id" ] || e2e_fail "no message id in the installed catalog"
	journalctl --list-catalog 2>/dev/null | grep -q "^$id " ||
		e2e_fail "the journal catalog does not know $id: journalctl --update-catalog did not run"
else
	packaged=0
	if ! systemctl cat selfballoond.service >/dev/null 2>&1; then
		e2e_log "no selfballoond.service in the image (no --overlay): using the scenario's fallback unit"
		sed "s|@SELFBALLOOND@|$SELFBALLOOND|" selfballoond.service.in >/etc/systemd/system/selfballoond.service
		systemctl daemon-reload
	fi
	[ -f "$conf" ] || printf '[selfballoon]\ninterval = 1\n' >"$conf"
	e2e_mark "systemctl enable --now"
	systemctl enable --now selfballoond.service || e2e_fail "systemctl enable --now selfballoond failed"
fi
below() { [ "$(e2e_current_kb)" -lt $((start * 3 / 4)) ]; }
e2e_wait_until 90 "balloon down under systemd" below || {
	systemctl status --no-pager selfballoond >/dev/console 2>&1
	e2e_fail "the balloon did not go down (current $(e2e_current_kb) kB)"
}
systemctl is-active --quiet selfballoond || e2e_fail "selfballoond is not active"

# An upgrade (the testbed's +e2eup copy of the package) must leave the
# running daemon alone: no stop, no restart, so no restore that would
# re-inflate the guest (debian/rules: dh_installsystemd --no-stop-on-upgrade).
if [ $packaged = 1 ]; then
	up=$(ls /e2e/apt/selfballoond_*+e2eup_*.deb 2>/dev/null | head -n 1)
	[ -n "$up" ] || e2e_fail "no +e2eup package in /e2e/apt to upgrade to"
	pid=$(systemctl show -p MainPID --value selfballoond)
	before=$(e2e_target_kb)
	e2e_mark "apt upgrade"
	apt-get install -y "$up" >"$E2E_TMP/apt-upgrade.log" 2>&1 || {
		e2e_export "$E2E_TMP/apt-upgrade.log" apt-upgrade.log
		e2e_fail "apt-get install $(basename "$up") (the upgrade) failed"
	}
	e2e_export "$E2E_TMP/apt-upgrade.log" apt-upgrade.log
	v=$(dpkg-query -W -f='${Version}' selfballoond)
	case "$v" in *+e2eup) ;; *) e2e_fail "after the upgrade dpkg says version $v" ;; esac
	systemctl is-active --quiet selfballoond || e2e_fail "selfballoond not active after the upgrade"
	pid2=$(systemctl show -p MainPID --value selfballoond)
	[ "$pid2" = "$pid" ] || e2e_fail "the upgrade restarted the daemon (pid $pid -> $pid2)"
	after=$(e2e_target_kb)
	[ "$after" -lt $((start * 3 / 4)) ] ||
		e2e_fail "the upgrade re-inflated the guest: target $before -> $after kB (start $start)"
	e2e_log "upgrade to $v: daemon pid $pid kept, balloon target $before -> $after kB"
fi

# dom0's view of this guest, while the daemon runs (dom0.sh: dom0-view)
if [ $packaged = 1 ]; then
	view=$(e2e_dom0 dom0-view)
	rc=$?
	e2e_log "dom0's view (exit $rc): $view"
	[ $rc = 0 ] || e2e_fail "selfballoon-dom0 exited with $rc: $view"
	case "$view" in
	*" ok "*" running "*) ;;
	*) e2e_fail "selfballoon-dom0 does not list this guest as ok and running: $view" ;;
	esac
fi

# Edit the configuration and reload.
# (in [selfballoon]: the installed sample has every key commented out)
if grep -q '^interval' "$conf"; then
	sed -i 's/^interval.*/interval = 2/' "$conf"
else
	sed -i '/^\[selfballoon\]/a interval = 2' "$conf"
fi
grep -q '^interval = 2' "$conf" || e2e_fail "could not edit $conf"
# and the adaptive policy (with the watch, on by default, in the hardened unit)
if grep -q '^policy' "$conf"; then
	sed -i 's/^policy.*/policy = adaptive/' "$conf"
else
	sed -i '/^\[selfballoon\]/a policy = adaptive' "$conf"
fi
e2e_mark "systemctl reload"
systemctl reload selfballoond || e2e_fail "systemctl reload selfballoond failed"
sleep 5
systemctl is-active --quiet selfballoond || {
	systemctl status --no-pager selfballoond >/dev/console 2>&1
	e2e_fail "selfballoond died after reload"
}
reloaded=$(journalctl -u selfballoond -o cat --no-pager | grep -c '^reloaded ')
e2e_log "after reload with policy = adaptive: $reloaded reload message(s)"
[ "$reloaded" -ge 1 ] || e2e_fail "no 'reloaded' message after systemctl reload"

journalctl -u selfballoond -o json --no-pager >"$E2E_TMP/selfballoond.json" 2>&1
e2e_export "$E2E_TMP/selfballoond.json" selfballoond-journal.json
n=$(grep -c '"MESSAGE"' "$E2E_TMP/selfballoond.json")
e2e_log "journal: $n entries for selfballoond"
[ "$n" -gt 0 ] || e2e_fail "no journal entries for selfballoond"
# a decision, with its structured fields (one JSON object per line)
decision=$(grep '"SELFBALLOON_TARGET_KB"' "$E2E_TMP/selfballoond.json" | grep '"SELFBALLOON_GOAL_KB"' |
	grep '"SELFBALLOON_FLOOR_KB"' | grep '"SELFBALLOON_BACKEND"' | grep '"MESSAGE_ID"' | head -n 1)
[ -n "$decision" ] || e2e_fail "no decision with SELFBALLOON_TARGET_KB, _GOAL_KB, _FLOOR_KB, _BACKEND and a MESSAGE_ID in the journal"
e2e_log "a decision: $(printf '%s' "$decision" | grep -o '"SELFBALLOON_TARGET_KB":"[0-9]*"')"

if [ $packaged = 1 ]; then
	# What a restart costs (what --restart-after-upgrade would do to every
	# guest at once): the stop restores the start target, the new daemon
	# takes it down again. A measurement, not a pass/fail condition.
	low=$(e2e_current_kb)
	e2e_mark "systemctl restart"
	t0=$(cut -d. -f1 /proc/uptime)
	systemctl restart selfballoond || e2e_fail "systemctl restart selfballoond failed"
	peak=$low t_peak=0 t_back=
	i=0
	while [ $i -lt 90 ]; do
		cur=$(e2e_current_kb)
		t=$(($(cut -d. -f1 /proc/uptime) - t0))
		[ "$cur" -gt "$peak" ] && { peak=$cur; t_peak=$t; }
		if [ "$peak" -gt $((low + 8192)) ] && [ "$cur" -le $((low + low / 10)) ]; then
			t_back=$t
			break
		fi
		sleep 1
		i=$((i + 1))
	done
	systemctl is-active --quiet selfballoond || e2e_fail "selfballoond not active after restart"
	e2e_log "restart: balloon current $low kB -> peak $peak kB after ${t_peak}s, back within 10 % after ${t_back:-more than 90}s"
	e2e_note "restart cost: +$(((peak - low) / 1024)) MiB for ${t_back:-90+}s"

	# Removal: prerm stops the unit, the daemon gives the start target back.
	e2e_mark "apt-get remove"
	apt-get remove -y selfballoond >"$E2E_TMP/apt-remove.log" 2>&1 || {
		e2e_export "$E2E_TMP/apt-remove.log" apt-remove.log
		e2e_fail "apt-get remove selfballoond failed"
	}
	e2e_export "$E2E_TMP/apt-remove.log" apt-remove.log
	systemctl is-active --quiet selfballoond && e2e_fail "selfballoond still active after apt-get remove"
	[ -e /usr/sbin/selfballoond ] && e2e_fail "/usr/sbin/selfballoond still there after remove"
	grep -q '^interval = 2' "$conf" || e2e_fail "remove did not keep the edited $conf"
	back() { [ "$(e2e_target_kb)" = "$start" ]; }
	e2e_wait_until 20 "start target restored after apt-get remove" back ||
		e2e_fail "after remove: balloon target $(e2e_target_kb) kB, start $start kB"
	xs_now=$(xenstore-read memory/target)
	[ "$xs_now" = "$xs_start" ] || e2e_fail "after remove: memory/target $xs_now kB, start $xs_start kB"
	# Purge: the conffile goes.
	e2e_mark "apt-get purge"
	apt-get purge -y selfballoond >"$E2E_TMP/apt-purge.log" 2>&1 || e2e_fail "apt-get purge selfballoond failed"
	[ -e "$conf" ] && e2e_fail "$conf still there after purge"
	st=$(dpkg-query -W -f='${Status}' selfballoond 2>/dev/null)
	case "$st" in
	"" | *not-installed) ;;
	*) e2e_fail "after purge dpkg says selfballoond is: $st" ;;
	esac
	e2e_log "removed and purged: target $(e2e_target_kb) kB (start $start), memory/target $xs_now kB"
else
	e2e_mark "systemctl stop"
	systemctl stop selfballoond || e2e_fail "systemctl stop failed"
	back() { [ "$(e2e_target_kb)" = "$start" ]; }
	e2e_wait_until 20 "start target restored after systemctl stop" back ||
		e2e_fail "after stop: target $(e2e_target_kb) kB, start $start kB"
fi
e2e_assert_no_oom
