#!/bin/sh
# STAND-IN for selfballoond, NOT the daemon: a shell approximation used to prove
# the e2e plumbing while the real binary is not ready. Same command line:
#   selfballoond --config FILE [--log=console] [--once | --restore]
# --once prints "t_s,target_kb,goal_kb,floor_kb,frontswap_target_pages".
# Policy (roughly the seed's): goal = Committed_AS (+ Shmem, SUnreclaim, page
# tables, kernel stacks) + zone reserve + reserved_mb;
# down hysteresis 8, up 1; piecewise floor; writes sysfs target_kb, or xenstore
# memory/target once that is writable; says so once when growth stalls at the cap;
# SIGTERM/--restore puts the start target back.
B=/sys/devices/system/xen_memory/xen_memory0
STATE=/run/selfballoond-standin.start
conf= mode=run
for a in "$@"; do
	case "$a" in
	--config) next=conf ;;
	--config=*) conf=${a#--config=} ;;
	--once) mode=once ;;
	--restore) mode=restore ;;
	--log=*) ;;
	*) [ "${next:-}" = conf ] && conf=$a; next= ;;
	esac
done
ini() { # key default
	v=
	[ -n "$conf" ] && v=$(awk -F= -v k="$1" '{gsub(/[ \t]/,"",$1); gsub(/^[ \t]+|[ \t]+$/,"",$2)} $1==k{print $2}' "$conf")
	echo "${v:-$2}"
}
log() { echo "selfballoond(stand-in): $*" >&2; }
interval=$(ini interval 5)
downhys=$(ini down_hysteresis 8)
uphys=$(ini up_hysteresis 1)
meminfo() { awk -v k="$1:" '$1==k{print $2}' /proc/meminfo; }

[ -f "$STATE" ] || cat "$B/target_kb" >"$STATE"
start_kb=$(cat "$STATE")
reserved_kb=$(( $(ini reserved_mb 0) * 1024 ))
[ "$reserved_kb" = 0 ] && reserved_kb=$(( $(meminfo MemTotal) / 10 ))
static_max=$(xenstore-read memory/static-max 2>/dev/null || echo "$start_kb")

set_target() { # kB
	if [ "${use_xs:-0}" = 1 ] && xenstore-write memory/target "$1" 2>/dev/null; then return; fi
	echo "$1" >"$B/target_kb"
}
restore() { set_target "$start_kb"; log "restored the start target $start_kb kB"; }
if [ "$mode" = restore ]; then restore; exit 0; fi

stall=0 last_cur=0 said_stall=0
tick() {
	cur=$(meminfo MemTotal)
	reserve=$(awk '$1=="high"{h+=$2} END{print h*4}' /proc/zoneinfo)
	# Unlike the seed, also count what Committed_AS misses and cannot be reclaimed:
	# tmpfs/initramfs pages (Shmem), unreclaimable slab, page tables, kernel stacks.
	goal=$(( $(awk '$1~/^(Committed_AS|Shmem|SUnreclaim|PageTables|KernelStack):$/{s+=$2} END{print s}' /proc/meminfo) + reserve + reserved_kb ))
	floor=$(awk -v u=$(( static_max - reserve )) -v r=$reserve -v mu=$(( $(ini min_usable_mb 0) * 1024 )) 'BEGIN{m=1024;
		if (mu > 0) f=r+mu; else if (u < 16*m) f=u+r; else if (u < 64*m) f=r+16*m+(u-16*m)/2;
		else if (u < 512*m) f=r+40*m+(u-40*m)/8; else f=r+99*m+(u-99*m)/32; printf "%d", f}')
	if [ $goal -lt $cur ]; then tgt=$(( cur - (cur - goal) / downhys )); else tgt=$(( cur + (goal - cur) / uphys )); fi
	[ $tgt -lt $floor ] && tgt=$floor
	balloon_cur=$(cat "$B/info/current_kb")
	want=$(( tgt + balloon_cur - cur ))
	want=$(( want / 4 * 4 ))
	# Growth stalled below the target: the hypervisor's cap (xl mem-max) is in the way.
	if [ "$(cat "$B/target_kb")" -gt $((balloon_cur + 1024)) ] && [ "$balloon_cur" -le "$last_cur" ]; then
		stall=$((stall + 1))
		if [ $stall -ge 3 ] && [ $said_stall = 0 ]; then
			log "growth stalled at $balloon_cur kB (target $(cat "$B/target_kb") kB): capped by the hypervisor; ask dom0 for xl mem-max"
			said_stall=1
		fi
	else
		stall=0 said_stall=0
	fi
	last_cur=$balloon_cur
	[ "$want" = "$(cat "$B/target_kb")" ] && return
	# Prefer xenstore once dom0 has granted memory/target: the toolstack then sees the target.
	if [ "${use_xs:-0}" = 0 ] && xenstore-write memory/target "$want" 2>/dev/null; then
		use_xs=1
		log "memory/target is writable: steering through xenstore"
		return
	fi
	set_target "$want"
}

if [ "$mode" = once ]; then
	tick
	echo "$(cut -d' ' -f1 /proc/uptime),$want,$goal,$floor,0"
	exit 0
fi
trap 'restore; exit 0' TERM INT
trap 'interval=$(ini interval 5); downhys=$(ini down_hysteresis 8); log "reloaded $conf: interval ${interval}s"' HUP
log "started: interval ${interval}s, start target $start_kb kB, reserved $reserved_kb kB"
while :; do
	tick
	log "cur=$cur goal=$goal floor=$floor target=$want"
	sleep "$interval" &
	wait $!
done
