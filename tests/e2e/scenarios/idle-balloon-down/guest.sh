# Idle balloon-down: an idle guest running the daemon gives memory back to Xen,
# and settles (no hunting) above the floor. Also: --once prints one CSV line.
start=$(e2e_target_kb)
e2e_daemon_config
line=$("$SELFBALLOOND" --config "$E2E_CONF" --once 2>>"$E2E_DAEMON_LOG") ||
	e2e_fail "--once exited with $?"
e2e_log "--once: $(echo "$line" | tr '\n' ' ')"
# One CSV row t_s,target_kb,goal_kb,floor_kb,frontswap_target_pages, after an optional header.
hdr=t_s,target_kb,goal_kb,floor_kb,frontswap_target_pages
case "$(echo "$line" | wc -l)" in
1) ;;
2) [ "$(echo "$line" | head -n 1)" = "$hdr" ] || e2e_fail "--once: unexpected header: $(echo "$line" | head -n 1)" ;;
*) e2e_fail "--once printed $(echo "$line" | wc -l) lines" ;;
esac
# (selfballoond(8): t_s may be empty, frontswap_target_pages is -1 when no shrink is issued)
echo "$line" | tail -n 1 | grep -Eq '^[0-9.]*,[0-9]+,[0-9]+,[0-9]+,-?[0-9]+$' ||
	e2e_fail "--once printed '$(echo "$line" | tail -n 1)', not $hdr"
"$SELFBALLOOND" --config "$E2E_CONF" --restore 2>>"$E2E_DAEMON_LOG" || e2e_fail "--restore exited with $?"

e2e_daemon_start
below_three_quarters() { [ "$(e2e_current_kb)" -lt $((start * 3 / 4)) ]; }
e2e_wait_until 30 "balloon below 3/4 of the start target ($start kB)" below_three_quarters ||
	e2e_fail "the balloon did not go down (current $(e2e_current_kb) kB, target $(e2e_target_kb) kB)"
# Settled: the target moves by less than 4 MiB over 5 s.
settled() {
	a=$(e2e_target_kb); sleep 5; b=$(e2e_target_kb)
	[ $((a - b)) -lt 4096 ] && [ $((b - a)) -lt 4096 ]
}
e2e_wait_until 60 "target settled" settled || e2e_fail "the target kept moving ($(e2e_target_kb) kB)"
e2e_mark "settled"
e2e_log "settled: target $(e2e_target_kb) kB, MemTotal $(e2e_meminfo MemTotal) kB, Committed_AS $(e2e_meminfo Committed_AS) kB"
e2e_dom0 xl-list
e2e_assert_no_oom
e2e_daemon_stop TERM
