# Frontswap self-shrink on a real 5.10 PV guest: zswap holds pages that a memory
# hog pushed out, the selfballoon_frontswap module exposes the count, and the
# daemon (self-ballooning off, frontswap self-shrink on) brings them back into
# RAM by the core's sequence. The host's check.sh compares every tick with the core.
H=/sys/kernel/selfballoon_frontswap
kver=$(uname -r)
case "$kver" in 5.10.*) ;; *) e2e_fail "the guest runs $kver, not 5.10" ;; esac
[ "$(cat /sys/module/zswap/parameters/enabled 2>/dev/null)" = Y ] || e2e_fail "zswap is not enabled"
e2e_log "zswap: compressor $(cat /sys/module/zswap/parameters/compressor), zpool $(cat /sys/module/zswap/parameters/zpool), max_pool_percent $(cat /sys/module/zswap/parameters/max_pool_percent)"

modprobe xen-blkfront || e2e_fail "modprobe xen-blkfront failed"
e2e_wait_until 30 "/dev/xvdb is there" test -b /dev/xvdb || e2e_fail "no swap disk /dev/xvdb"
mkswap /dev/xvdb >/dev/null || e2e_fail "mkswap /dev/xvdb failed"
swapon /dev/xvdb || e2e_fail "swapon /dev/xvdb failed"
e2e_log "swap: $(tail -n +2 /proc/swaps | tr -s ' ')"

insmod /e2e/k510/selfballoon_frontswap.ko || e2e_fail "insmod selfballoon_frontswap.ko failed"
[ "$(cat $H/version)" = 1 ] || e2e_fail "helper version is '$(cat $H/version)', not 1"
[ "$(cat $H/curr_pages)" = 0 ] || e2e_fail "frontswap holds $(cat $H/curr_pages) pages before any swapping"
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
zs() { cat "/sys/kernel/debug/zswap/$1" 2>/dev/null || echo -; }
figures() { # label
	echo "$1: uptime $(e2e_uptime) curr_pages $(cat $H/curr_pages) zswap_stored_pages $(zs stored_pages)" \
		"zswap_pool_total_size $(zs pool_total_size) zswap_same_filled_pages $(zs same_filled_pages)" \
		"zswap_pool_limit_hit $(zs pool_limit_hit) zswap_reject_compress_poor $(zs reject_compress_poor)" \
		"SwapFree_kB $(e2e_meminfo SwapFree) MemFree_kB $(e2e_meminfo MemFree)" \
		"MemTotal_kB $(e2e_meminfo MemTotal)" >>"$E2E_TMP/figures.txt"
	e2e_log "$(tail -n 1 "$E2E_TMP/figures.txt")"
}
figures boot

# Push pages into frontswap: A fills and holds 96 MiB (never touching it again),
# B then fills 128 MiB, which pushes A's older pages out, and exits.
memhog 8 12 0 100000 >"$E2E_TMP/hogA.log" 2>&1 &
hogA=$!
e2e_wait_until 60 "hog A holds 96 MiB" grep -q 'holding 96 MiB' "$E2E_TMP/hogA.log" ||
	e2e_fail "hog A did not fill 96 MiB: $(tail -n 1 "$E2E_TMP/hogA.log")"
e2e_mark "hog B"
memhog 8 16 0 1 >"$E2E_TMP/hogB.log" 2>&1 || e2e_fail "hog B failed: $(tail -n 1 "$E2E_TMP/hogB.log")"
kill -0 $hogA 2>/dev/null || e2e_fail "hog A died"
stable() {
	a=$(cat $H/curr_pages); sleep 2; b=$(cat $H/curr_pages)
	[ "$a" = "$b" ]
}
e2e_wait_until 30 "frontswap count stable" stable || e2e_fail "the frontswap count kept moving"
figures before
before=$(cat $H/curr_pages)
[ "$before" -ge 2000 ] || e2e_fail "only $before pages went into frontswap (want >= 2000)"

# The daemon: self-ballooning off, frontswap self-shrink on, defaults spelled out.
cat >"$E2E_CONF" <<CONF
[selfballoon]
enabled = no
interval = 1
[frontswap]
selfshrink = yes
hysteresis = 20
inertia = 3
helper_dir = $H
CONF
export_ticks() {
	cat "$E2E_TMP/ticks0.txt" "$E2E_TMP/ticks.txt" >"$E2E_TMP/frontswap-ticks.txt"
	e2e_export "$E2E_TMP/frontswap-ticks.txt" frontswap-ticks.txt
	e2e_export "$E2E_TMP/figures.txt" frontswap-figures.txt
}
# Its tick clock: fsticks records the count each tick left behind.
fsticks "$E2E_TMP/notify.sock" $H/curr_pages >"$E2E_TMP/ticks.txt" 2>&1 &
ticks=$!
sleep 1
echo "0 $(e2e_uptime) $before" >"$E2E_TMP/ticks0.txt"
e2e_mark "daemon start"
NOTIFY_SOCKET=$E2E_TMP/notify.sock "$SELFBALLOOND" --config "$E2E_CONF" --log=console 2>>"$E2E_DAEMON_LOG" &
E2E_DAEMON_PID=$!
echo "$E2E_DAEMON_PID" >"$E2E_TMP/daemon.pid"
# Until an eighth is left: ~41 shrinks of about 5 %. (Not to the end: near the
# end Linux 5.10's frontswap_shrink() can loop in the kernel for good; see
# selfballoond(8), FRONTSWAP.)
eighth() { [ "$(cat $H/curr_pages)" -le $((before / 8)) ]; }
e2e_wait_until 150 "frontswap down to an eighth ($((before / 8)) pages)" eighth ||
	e2e_log "frontswap still holds $(cat $H/curr_pages) pages"
e2e_mark "daemon SIGTERM"
kill -TERM "$E2E_DAEMON_PID"
gone() { ! kill -0 "$E2E_DAEMON_PID" 2>/dev/null; }
if ! e2e_wait_until 20 "the daemon exited on SIGTERM" gone; then
	e2e_log "daemon stuck: state $(awk '{print $3}' "/proc/$E2E_DAEMON_PID/stat") wchan $(cat "/proc/$E2E_DAEMON_PID/wchan")"
	cat "/proc/$E2E_DAEMON_PID/stack" >/dev/console 2>&1
	kill -KILL "$E2E_DAEMON_PID"
	export_ticks
	e2e_fail "the daemon did not exit on SIGTERM within 20 s (killed)"
fi
wait "$E2E_DAEMON_PID"
rc=$?
rm -f "$E2E_TMP/daemon.pid"
[ $rc = 0 ] || e2e_fail "the daemon exited with $rc on SIGTERM"
sleep 1 # fsticks reads the last tick's datagram
kill $ticks 2>/dev/null
figures after
after=$(cat $H/curr_pages)
export_ticks
kill -0 $hogA 2>/dev/null || e2e_fail "hog A died while its pages came back"
e2e_assert_no_oom
shrinks=$(grep -c 'shrinking frontswap from' "$E2E_DAEMON_LOG")
e2e_log "frontswap pages: $before before, $after after, $shrinks shrinks logged, $(wc -l <"$E2E_TMP/ticks.txt") ticks"
[ "$shrinks" -ge 1 ] || e2e_fail "the daemon logged no shrink"
[ "$after" -lt $((before / 2)) ] || e2e_fail "frontswap went from $before to $after pages only"
kill $hogA 2>/dev/null
e2e_note "frontswap $before -> $after pages in $shrinks shrinks"
