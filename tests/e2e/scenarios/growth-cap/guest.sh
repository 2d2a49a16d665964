# Growth cap: libxl caps the domain at its toolstack target + 1 MiB (512 MiB
# here), whatever maxmem says. A workload whose goal is above the cap makes the
# balloon stall; the daemon must say so. Once dom0 raises the cap with
# xl mem-max 768, the guest grows past 512 MiB by itself.
start=$(e2e_target_kb)
e2e_daemon_config "down_hysteresis = 2" "reserved_mb = 160"
e2e_daemon_start
below() { [ "$(e2e_current_kb)" -lt $((start * 3 / 4)) ]; }
e2e_wait_until 60 "balloon down first" below || e2e_fail "the balloon did not go down"
e2e_mark "memhog 12x32MiB"
memhog 32 12 2 600 >"$E2E_TMP/memhog.log" 2>&1 &
hog=$!
capped() { [ "$(e2e_target_kb)" -gt $((start + 2048)) ] && [ "$(e2e_current_kb)" -le $((start + 1024)) ]; }
e2e_wait_until 90 "target above the cap, current stuck at it" capped ||
	e2e_fail "never asked above the cap (target $(e2e_target_kb) kB, current $(e2e_current_kb) kB)"
said() { grep -Eqi 'stall|cap' "$E2E_DAEMON_LOG"; }
e2e_wait_until 20 "the daemon reported the stall" said || e2e_fail "the daemon did not report the stall"
n=$(e2e_dom0 xen-log-count Over-allocation)
e2e_log "Xen logged Over-allocation $n time(s)"
e2e_dom0 mem-max 768 || e2e_fail "xl mem-max failed"
grown() { [ "$(e2e_current_kb)" -gt $((start + 16384)) ]; }
# A daemon may stop asking once it has seen the stall and only probe now and
# then (selfballoond: once a minute), so allow more than a minute.
e2e_wait_until 90 "grew past the old cap" grown ||
	e2e_fail "did not grow past $start kB after mem-max (current $(e2e_current_kb) kB)"
e2e_dom0 xl-list
kill $hog
e2e_assert_no_oom
e2e_daemon_stop TERM
