# Demand growth: after the idle guest has been ballooned down, a workload
# allocates and touches 256 MiB in 32 MiB steps; the daemon must grow the guest
# in time: no OOM, the workload completes, MemTotal rises above the workload.
start=$(e2e_target_kb)
e2e_daemon_config "down_hysteresis = 2"
e2e_daemon_start
below_half() { [ "$(e2e_current_kb)" -lt $((start / 2)) ]; }
e2e_wait_until 60 "balloon below half the start target" below_half ||
	e2e_fail "the balloon did not go down first (current $(e2e_current_kb) kB)"
low=$(e2e_meminfo MemTotal)
e2e_mark "memhog 8x32MiB"
memhog 32 8 3 10 >"$E2E_TMP/memhog.log" 2>&1 &
hog=$!
peak=0
while kill -0 $hog 2>/dev/null; do
	m=$(e2e_meminfo MemTotal)
	[ "$m" -gt "$peak" ] && peak=$m
	sleep 1
done
wait $hog
rc=$?
e2e_mark "memhog done"
cat "$E2E_TMP/memhog.log" >/dev/console
e2e_log "MemTotal: low $low kB, peak $peak kB"
e2e_assert_no_oom
[ $rc = 0 ] || e2e_fail "memhog exited with $rc"
[ "$peak" -gt $((256 * 1024)) ] || e2e_fail "MemTotal peaked at $peak kB, below the 256 MiB workload"
e2e_daemon_stop TERM
