# SIGTERM restore: the daemon gives the guest its start target back when it is
# stopped; after a SIGKILL, `selfballoond --restore` does the same.
start=$(e2e_target_kb)
e2e_daemon_config "down_hysteresis = 2"
e2e_daemon_start
below() { [ "$(e2e_current_kb)" -lt $((start * 3 / 4)) ]; }
back() { [ "$(e2e_target_kb)" = "$start" ] && [ $(($(e2e_current_kb) + 1024)) -ge "$start" ]; }
e2e_wait_until 30 "balloon down" below || e2e_fail "the balloon did not go down"
e2e_daemon_stop TERM
[ "$E2E_DAEMON_RC" = 0 ] || e2e_fail "the daemon exited with $E2E_DAEMON_RC on SIGTERM"
e2e_wait_until 20 "start target restored after SIGTERM" back ||
	e2e_fail "after SIGTERM: target $(e2e_target_kb) kB, current $(e2e_current_kb) kB, start $start kB"

e2e_daemon_start
e2e_wait_until 30 "balloon down again" below || e2e_fail "the balloon did not go down the second time"
e2e_daemon_stop KILL
e2e_mark "--restore"
"$SELFBALLOOND" --config "$E2E_CONF" --restore 2>>"$E2E_DAEMON_LOG" || e2e_fail "--restore exited with $?"
e2e_wait_until 20 "start target restored by --restore" back ||
	e2e_fail "after --restore: target $(e2e_target_kb) kB, current $(e2e_current_kb) kB, start $start kB"
