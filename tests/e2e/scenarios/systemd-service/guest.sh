# The daemon as a user runs it on a systemd guest: enable --now, balloon down,
# edit /etc/selfballoon.conf + reload, structured journal, stop restores.
conf=/etc/selfballoon.conf
if ! systemctl cat selfballoond.service >/dev/null 2>&1; then
	e2e_log "no selfballoond.service in the image (no --overlay): using the scenario's fallback unit"
	sed "s|@SELFBALLOOND@|$SELFBALLOOND|" selfballoond.service.in >/etc/systemd/system/selfballoond.service
	systemctl daemon-reload
fi
[ -f "$conf" ] || printf '[selfballoon]\ninterval = 1\n' >"$conf"
start=$(e2e_target_kb)
e2e_mark "systemctl enable --now"
systemctl enable --now selfballoond.service || e2e_fail "systemctl enable --now selfballoond failed"
below() { [ "$(e2e_current_kb)" -lt $((start * 3 / 4)) ]; }
e2e_wait_until 90 "balloon down under systemd" below || {
	systemctl status --no-pager selfballoond >/dev/console 2>&1
	e2e_fail "the balloon did not go down (current $(e2e_current_kb) kB)"
}
systemctl is-active --quiet selfballoond || e2e_fail "selfballoond is not active"

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

e2e_mark "systemctl stop"
systemctl stop selfballoond || e2e_fail "systemctl stop failed"
back() { [ "$(e2e_target_kb)" = "$start" ]; }
e2e_wait_until 20 "start target restored after systemctl stop" back ||
	e2e_fail "after stop: target $(e2e_target_kb) kB, start $start kB"
e2e_assert_no_oom
