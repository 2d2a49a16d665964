# Demand growth: after the idle guest has been ballooned down, a workload
# allocates and touches 256 MiB in steps; the daemon must grow the guest in
# time: no OOM, the workload completes, MemTotal rises above the workload.
# The pace (8 MiB every 2 s) is gentle enough for a daemon that keeps a margin
# of a few tens of MiB, even on a loaded host; 16 MiB steps passed quiet but were
# OOM-killed under load, 32 MiB steps even with the stand-in (TCG). Faster
# demand is what issue 7 (a fast path between ticks) is about.
STEP_MB=${STEP_MB:-8} STEPS=${STEPS:-32} PAUSE_S=${PAUSE_S:-2}
start=$(e2e_target_kb)
e2e_daemon_config "down_hysteresis = 2"
e2e_daemon_start
below_half() { [ "$(e2e_current_kb)" -lt $((start / 2)) ]; }
e2e_wait_until 60 "balloon below half the start target" below_half ||
	e2e_fail "the balloon did not go down first (current $(e2e_current_kb) kB)"
low=$(e2e_meminfo MemTotal)
e2e_mark "memhog ${STEPS}x${STEP_MB}MiB"
memhog "$STEP_MB" "$STEPS" "$PAUSE_S" 10 >"$E2E_TMP/memhog.log" 2>&1 &
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
[ "$peak" -gt $((STEP_MB * STEPS * 1024)) ] || e2e_fail "MemTotal peaked at $peak kB, below the $((STEP_MB * STEPS)) MiB workload"
e2e_daemon_stop TERM
