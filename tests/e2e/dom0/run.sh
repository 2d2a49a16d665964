#!/bin/sh
# dom0 side of the testbed: for each scenario in /e2e/scenarios.list
# ("name guest memory maxmem timeout kernel swap-MiB type kernel-args..."),
# create a fresh domU (PV or PVH), record a timeline, serve the guest's
# requests, collect its verdict. A name NAME@TYPE is scenario NAME in a domU
# of that type, its results in /results/NAME@TYPE.
#
# Guest -> dom0 channel (no network): the guest writes a request to its own,
# guest-writable xenstore node data/e2e/req/<n> ("<cmd> <args>"); the broker
# below runs it and answers in data/e2e/ack/<n> ("<rc> <output>").
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

# Times in centiseconds of dom0 uptime, with shell builtins only: under TCG every
# extra process costs, and the sampler runs every second.
now_cs() {
	read -r _u _ </proc/uptime
	_f=${_u#*.}
	_f=${_f#0}
	echo $((${_u%.*} * 100 + _f))
}
since() { _d=$(($(now_cs) - $1)); printf '%d.%02d' $((_d / 100)) $((_d % 100)); }
say() { echo "e2e: [$S] $*"; }
e2e_event() { echo "$(since "$T0"),$*" >>"$R/events.csv"; }

SYSDISK= SWAPDISK= SCRATCHDISK=
for b in /sys/block/vd*; do
	[ "$(cat "$b/serial" 2>/dev/null)" = e2esysroot ] && SYSDISK=/dev/${b##*/}
	[ "$(cat "$b/serial" 2>/dev/null)" = e2eswap ] && SWAPDISK=/dev/${b##*/}
	[ "$(cat "$b/serial" 2>/dev/null)" = e2escratch ] && SCRATCHDISK=/dev/${b##*/}
done

# The domain's id and xenstore path: they change when xl restore or xl
# migrate rebuild it (e2e_cmd_save_restore, e2e_cmd_migrate below). The
# sampler and the broker read them from this file; /tmp/moving exists
# while the domain is being moved (then "gone" is not the end).
set_domain() {
	DOMID=$(xl domid "$NAME" 2>/dev/null) || return 1
	DP=/local/domain/$DOMID
	echo "$DOMID $DP" >/tmp/dom
}

# ---------------------------------------------------------------- sampler
sampler() {
	echo "t_s,xl_mem_kb,xs_target_kb,guest_memtotal_kb,guest_committed_as_kb,guest_current_kb,guest_target_kb,guest_memavailable_kb,guest_uptime_s" >"$R/timeline.csv"
	next=$(now_cs)
	while :; do
		t=$(since "$T0")
		read -r DOMID DP </tmp/dom
		if ! mem=$(xl list "$NAME" 2>/dev/null); then
			[ -e /tmp/moving ] || break
			mem="$NAME - 0" # saved, not restored yet: no domain
		fi
		mem=${mem##*"$NAME"}
		set -- $mem
		mem=$(($2 * 1024))
		# memory/target, then the guest's "uptime memtotal committed current target memavailable"
		set -- $(xenstore-read "$DP/memory/target" "$DP/data/e2e/mem" 2>/dev/null)
		echo "$t,$mem,$1,$3,$4,$5,$6,$7,$2" >>"$R/timeline.csv"
		next=$((next + 100))
		d=$((next - $(now_cs)))
		if [ $d -lt 5 ]; then
			next=$(now_cs)   # fell behind: don't try to catch up
		else
			sleep "$((d / 100)).$((d % 100 / 10))$((d % 10))"
		fi
	done
}

# ---------------------------------------------------------------- broker
# Built-in requests. A scenario's dom0.sh may add e2e_cmd_<name> functions.
e2e_cmd_result() { # PASS|FAIL text: the guest's verdict
	echo "$*" >"$R/verdict"
	e2e_event "verdict $1"
	echo recorded
}
e2e_cmd_mark() { e2e_event "$*"; }
e2e_cmd_xl_list() { xl list; }
e2e_cmd_mem_set() { e2e_event "xl mem-set $1"; xl mem-set "$DOMID" "$1"; }
e2e_cmd_mem_max() { e2e_event "xl mem-max $1"; xl mem-max "$DOMID" "$1"; }
e2e_cmd_grant_target() { # let the guest write its own memory/target
	e2e_event "grant memory/target"
	xenstore-chmod "$DP/memory/target" n0 "b$DOMID" && xenstore-ls -p "$DP/memory"
}
e2e_cmd_revoke_target() { e2e_event "revoke memory/target"; xenstore-chmod "$DP/memory/target" n0 "r$DOMID"; }
e2e_cmd_xs_read() { xenstore-read "$DP/$1"; }
e2e_cmd_xen_log_count() { xl dmesg | grep -c -- "$*"; }
e2e_cmd_xen_log_tail() { xl dmesg | tail -n "${1:-20}"; }
e2e_cmd_xl_info_free() { xl info | awk '$1 == "free_memory" { print $3 }'; }
# The domain's max_pages in kB as Xen holds it: from Xen's domain dump
# (debug key q), the last one for this domain.
e2e_cmd_max_pages() {
	xl debug-keys q
	xl dmesg | awk -v d="General information for domain $DOMID:" '
		index($0, d) { f = 1; next } /General information for domain/ { f = 0 }
		f && match($0, /max_pages=[0-9]+/) { v = substr($0, RSTART + 10, RLENGTH - 10) }
		END { if (v == "") exit 1; print v * 4 }'
}

# Save and restore (xl save to the scratch disk, not dom0's RAM root), or
# migrate to this same host (xl migrate -s takes the command that reaches
# the other side: here a shell that runs xl migrate-receive locally). The
# guest asked for it and is suspended meanwhile; its answer goes to the
# restored domain's data/e2e/ack.
move_begin() { touch /tmp/moving; OLD=$DOMID; MT=$(now_cs); }
move_end() { # what
	set_domain || { rm -f /tmp/moving; echo "no domain $NAME after $1"; return 1; }
	rm -f /tmp/moving
	e2e_event "$1: domain $OLD -> $DOMID in $(since "$MT")s"
	echo "$1: domain $OLD -> $DOMID in $(since "$MT")s"
}
e2e_cmd_save_restore() {
	[ -n "$SCRATCHDISK" ] || { echo "no scratch disk in dom0"; return 1; }
	move_begin
	e2e_event "xl save"
	if ! xl save "$NAME" "$SCRATCHDISK" >>"$R/xl-save.log" 2>&1; then
		rm -f /tmp/moving
		echo "xl save failed: $(tail -n 1 "$R/xl-save.log")"
		return 1
	fi
	e2e_event "saved in $(since "$MT")s; xl restore"
	if ! xl restore "$SCRATCHDISK" >>"$R/xl-restore.log" 2>&1; then
		rm -f /tmp/moving
		echo "xl restore failed: $(tail -n 1 "$R/xl-restore.log")"
		return 1
	fi
	move_end "save+restore"
}
e2e_cmd_migrate() {
	printf '#!/bin/sh\n# xl migrate -s: "ssh host xl migrate-receive", without ssh\nshift\nexec "$@"\n' >/tmp/local-ssh
	chmod +x /tmp/local-ssh
	move_begin
	e2e_event "xl migrate to localhost"
	if ! xl migrate -s /tmp/local-ssh "$NAME" localhost >>"$R/xl-migrate.log" 2>&1; then
		rm -f /tmp/moving
		echo "xl migrate failed: $(tail -n 1 "$R/xl-migrate.log")"
		return 1
	fi
	move_end "migrate"
}

handle_requests() {
	for n in $(xenstore-list "$DP/data/e2e/req" 2>/dev/null | sort -n); do
		req=$(xenstore-read "$DP/data/e2e/req/$n" 2>/dev/null) || continue
		xenstore-rm "$DP/data/e2e/req/$n"
		cmd=${req%% *}
		args=
		[ "$cmd" = "$req" ] || args=${req#* }
		fn=e2e_cmd_$(echo "$cmd" | tr -- '-' '_')
		echo "$(since "$T0") req $n: $req" >>"$R/broker.log"
		if command -v "$fn" >/dev/null 2>&1; then
			# shellcheck disable=SC2086
			out=$($fn $args 2>&1)
			rc=$?
		else
			out="unknown request $cmd"
			rc=127
		fi
		out=$(printf '%s' "$out" | head -c 1800)
		old=$DP
		read -r DOMID DP </tmp/dom # (a move ran in $(...): not in this shell)
		echo "$(since "$T0") ack $n: $rc $out" >>"$R/broker.log"
		xenstore-write "$DP/data/e2e/ack/$n" "$rc $out"
		# moved: watch the new domain's req/ (broker's loop starts it)
		[ "$DP" = "$old" ] || { kill "$(cat /tmp/watch.pid)"; return; }
	done
}

# Event-driven: xenstore-watch prints a line whenever something under req/
# changes; after a move, again on the new domain's path.
broker() {
	while :; do
		read -r DOMID DP </tmp/dom
		(xenstore-watch "$DP/data/e2e/req" 2>/dev/null &
			echo $! >/tmp/watch.pid
			wait) | while read -r _; do handle_requests; done
		[ -e /tmp/broker.stop ] && break
		handle_requests # what came while no watch was set
	done
}

# ---------------------------------------------------------------- one scenario
run_scenario() { # name guest memory maxmem timeout [kernel swap-MiB type kernel-args...]
	S=$1 GUEST=$2 MEMORY=$3 MAXMEM=$4 TIMEOUT=$5 KERNEL=${6:-default} SWAP_MB=${7:-0} TYPE=${8:-pv}
	if [ $# -ge 8 ]; then shift 8; else shift $#; fi
	KARGS=$*
	BASE=${S%@*} # the scenario's directory
	kernel=/e2e/domU/vmlinuz
	[ "$KERNEL" = default ] || kernel=/e2e/domU/vmlinuz-$KERNEL
	R=/results/$S
	mkdir -p "$R"
	: >"$R/events.csv"
	# (no "@" in a domain name: it names the console log and the xl config)
	NAME=e2e-$BASE
	[ "$S" = "$BASE" ] || NAME=$NAME-$TYPE
	cfg=/tmp/$NAME.cfg
	# type = "pvh": direct kernel boot through the kernel's PVH entry point,
	# no firmware, no device model; the console is hvc0 as in PV.
	cat >"$cfg" <<EOF
name = "$NAME"
type = "$TYPE"
kernel = "$kernel"
ramdisk = "/e2e/domU/initrd.cpio"
extra = "console=hvc0 e2e_scenario=$BASE e2e_guest=$GUEST e2e_type=$TYPE${KARGS:+ $KARGS}"
memory = $MEMORY
maxmem = $MAXMEM
vcpus = 1
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
EOF
	disks=
	if [ "$GUEST" = systemd ]; then
		[ -n "$SYSDISK" ] || { echo "FAIL no systemd root disk in dom0" >"$R/verdict"; return; }
		disks="\"format=raw,vdev=xvda,access=rw,script=/e2e/block-e2e,target=$SYSDISK\""
	fi
	if [ "$SWAP_MB" -gt 0 ]; then
		# an empty disk for the guest to mkswap (qemu's sparse e2eswap image)
		[ -n "$SWAPDISK" ] || { echo "FAIL no swap disk in dom0" >"$R/verdict"; return; }
		disks="${disks:+$disks, }\"format=raw,vdev=xvdb,access=rw,script=/e2e/block-e2e,target=$SWAPDISK\""
	fi
	[ -z "$disks" ] || echo "disk = [ $disks ]" >>"$cfg"
	[ -f "$kernel" ] || { echo "FAIL no kernel $kernel in dom0" >"$R/verdict"; return; }
	cp "$cfg" "$R/domU.cfg"
	DOMID= DP=
	# Scenario hooks (optional): dom0_start, dom0_check, e2e_cmd_<name>.
	unset -f dom0_start dom0_check 2>/dev/null
	[ -f "/e2e/scenarios/$BASE/dom0.sh" ] && . "/e2e/scenarios/$BASE/dom0.sh"

	T0=$(now_cs)
	say "xl create ($TYPE $GUEST guest, memory=$MEMORY maxmem=$MAXMEM, timeout ${TIMEOUT}s)"
	if ! xl create "$cfg" >"$R/xl-create.log" 2>&1; then
		echo "FAIL xl create failed: $(tail -n 1 "$R/xl-create.log")" >"$R/verdict"
		say "xl create failed"; cat "$R/xl-create.log"
		return
	fi
	rm -f /tmp/moving /tmp/broker.stop
	set_domain
	say "domain $DOMID created in $(since "$T0")s"
	e2e_event "created"
	sampler &
	sp=$!
	broker &
	bp=$!
	hp=
	if command -v dom0_start >/dev/null 2>&1; then
		dom0_start >"$R/dom0-hook.log" 2>&1 &
		hp=$!
	fi
	# Follow the guest console: lines with "e2e:" show up live on the host.
	clog=/var/log/xen/console/guest-$NAME.log
	# xl migrate's receiving domain is "$NAME--incoming" when xenconsoled
	# first sees it, so its console goes on in that file
	ilog=/var/log/xen/console/guest-$NAME--incoming.log
	# (tail's own pid is kept: a leftover tail would hold /init's tee open forever)
	(tail -q -n +1 -F "$clog" "$ilog" 2>/dev/null &
		echo $! >/tmp/tail.pid
		wait) | sed -u "s/^/domU[$S] /" &

	timed_out=0
	while xl domid "$NAME" >/dev/null 2>&1 || [ -e /tmp/moving ]; do
		read -r DOMID DP </tmp/dom
		if [ $(($(now_cs) - T0)) -gt $((TIMEOUT * 100)) ]; then
			timed_out=1
			say "timeout after ${TIMEOUT}s: destroying the domain"
			xenstore-ls -f "$DP" >"$R/xenstore-at-timeout.txt" 2>&1
			xl destroy "$NAME"
			break
		fi
		sleep 1
	done
	e2e_event "domain gone"
	DURATION=$(since "$T0")
	sleep 1
	touch /tmp/broker.stop
	kill $sp $bp $hp "$(cat /tmp/tail.pid)" "$(cat /tmp/watch.pid)" 2>/dev/null
	wait $sp $bp $hp 2>/dev/null
	cat "$clog" "$ilog" >"$R/console.log" 2>/dev/null
	if [ $timed_out = 1 ]; then
		echo "FAIL timeout after ${TIMEOUT}s (last guest line: $(grep -a 'e2e:' "$R/console.log" | tail -n 1))" >"$R/verdict"
	elif [ ! -s "$R/verdict" ]; then
		echo "FAIL the guest ended without a verdict (crash? see console.log)" >"$R/verdict"
	fi
	if grep -q '^PASS' "$R/verdict" && command -v dom0_check >/dev/null 2>&1; then
		if ! dom0_check >"$R/dom0-check.log" 2>&1; then
			echo "FAIL dom0 check: $(tail -n 1 "$R/dom0-check.log")" >"$R/verdict"
		fi
	fi
	say "$(cat "$R/verdict") (${DURATION}s)"
	echo "$S ${DURATION}" >>/results/durations
}

# selfballoon-dom0 (testbed.sh --debs): installed as an operator would.
for deb in /e2e/debs/selfballoon-dom0_*.deb; do
	[ -f "$deb" ] || continue
	if dpkg -i "$deb" >/results/dom0-dpkg.log 2>&1; then
		echo "e2e: dom0: installed $(dpkg-query -W -f='${Package} ${Version}' selfballoon-dom0)"
	else
		echo "e2e: dom0: dpkg -i $deb failed: $(tail -n 1 /results/dom0-dpkg.log)"
	fi
done
echo "e2e: dom0 runner: $(wc -l </e2e/scenarios.list) scenario(s); systemd root disk: ${SYSDISK:-none}; swap disk: ${SWAPDISK:-none}; scratch disk: ${SCRATCHDISK:-none}"
while read -r s g m mm to k sw ty args; do
	# shellcheck disable=SC2086
	run_scenario "$s" "$g" "$m" "$mm" "$to" "${k:-default}" "${sw:-0}" "${ty:-pv}" $args </dev/null
done </e2e/scenarios.list
