# Sourced by testbed.sh: building the cache, the per-run images, running qemu,
# collecting results. Variables come from testbed.sh (CACHE, WORK, OUT, E2E_DIR...).

DEBIAN_MIRRORS=(
	"deb http://deb.debian.org/debian bookworm main"
	"deb http://deb.debian.org/debian bookworm-updates main"
	"deb http://deb.debian.org/debian-security bookworm-security main"
)
# dom0: what Xen's toolstack needs, nothing that wants udev or a disk.
DOM0_PKGS=xen-utils-4.17,xenstore-utils,kmod,busybox,procps,iproute2,mount,util-linux
# The systemd guest: what a user's domU has, and not the daemon's libraries:
# libxenstore4 and libinih1 must come with the package (apt-get install of
# the .deb from the guest's local repository, see build_guest_repo), so that
# a Depends that misses one fails the systemd-service scenario. (libsystemd0
# stays: systemd itself depends on it.) No xenstore-utils either (it depends
# on libxenstore4): the e2e scripts use the initramfs's copies, /e2e/xsbin.
SYSTEMD_PKGS=systemd,systemd-sysv,udev,dbus,procps,kmod,iproute2,less
SYSTEMD_IMAGE_FREE_MB=384
# What the guest's local repository offers besides the project's .debs: the
# libraries the daemon links that the image lacks, and what they depend on.
GUEST_REPO_PKGS="libxenstore4 libxentoolcore1 libinih1"

elapsed() { awk -v a="$T_START" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }

# Scenario settings: scenario.conf is plain shell (GUEST=, MEMORY=, MAXMEM=, TIMEOUT=).
# A scenario argument is NAME or NAME@TYPE (TYPE pv|pvh: the same scenario in
# another kind of domU, without a copy of its directory; results go to
# OUT/NAME@TYPE). scenario_var and the other helpers take either form.
scenario_var() { # scenario var default
	local v
	v=$(GUEST= MEMORY= MAXMEM= TIMEOUT= TYPE= bash -c '. "$1" >/dev/null 2>&1; eval "printf %s \"\${$2}\""' _ \
		"$E2E_DIR/scenarios/${1%@*}/scenario.conf" "$2" 2>/dev/null || true)
	printf '%s' "${v:-$3}"
}
scenario_dir() { echo "$E2E_DIR/scenarios/${1%@*}"; }
scenario_guest() {
	if [ -n "$FORCE_GUEST" ]; then echo "$FORCE_GUEST"; else scenario_var "$1" GUEST busybox; fi
}
# The domU's type: NAME@TYPE, else scenario.conf's TYPE, else pv.
scenario_type() {
	case "$1" in
	*@*) echo "${1##*@}" ;;
	*) scenario_var "$1" TYPE pv ;;
	esac
}

apt_candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/{print $2; exit}'; }

# ------------------------------------------------- Xen, kernel, busybox-static
build_ingredients() {
	KVER=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{sub(/^linux-image-/,"",$2); print $2; exit}')
	if [ -z "$KVER" ] || [ -z "$(apt_candidate xen-hypervisor-4.17-amd64)" ]; then
		apt-get update -qq || die "apt-get update failed"
		KVER=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{sub(/^linux-image-/,"",$2); print $2; exit}')
	fi
	[ -n "$KVER" ] || die "cannot tell the kernel version (apt-cache depends linux-image-amd64)"
	local pkgs=(xen-hypervisor-4.17-amd64 "linux-image-$KVER" busybox-static)
	local want="" p
	for p in "${pkgs[@]}"; do want+="$p=$(apt_candidate "$p") "; done
	if [ -f "$CACHE/ingredients.stamp" ] && [ "$(cat "$CACHE/ingredients.stamp")" = "$want" ]; then
		return 0
	fi
	log "downloading ${pkgs[*]}"
	rm -rf "$CACHE/debs" "$CACHE/pkgroot"
	mkdir -p "$CACHE/debs" "$CACHE/pkgroot"
	(cd "$CACHE/debs" && apt-get download -q "${pkgs[@]}" >&2 2>/dev/null) ||
		(apt-get update -qq && cd "$CACHE/debs" && apt-get download -q "${pkgs[@]}" >&2) ||
		die "apt-get download failed"
	for p in "$CACHE"/debs/*.deb; do dpkg-deb -x "$p" "$CACHE/pkgroot"; done
	depmod -b "$CACHE/pkgroot" "$KVER"
	zcat "$CACHE/pkgroot/boot/xen-4.17-amd64.gz" >"$CACHE/xen"
	cp "$CACHE/pkgroot/boot/vmlinuz-$KVER" "$CACHE/vmlinuz"
	echo "$KVER" >"$CACHE/kver"
	echo "$want" >"$CACHE/ingredients.stamp"
}

mmdebstrap_into() { # variant packages dir
	mmdebstrap --quiet --variant="$1" --include="$2" \
		--aptopt='APT::Install-Recommends "false"' \
		--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
		bookworm "$3" "${DEBIAN_MIRRORS[@]}" >&2
}

# ------------------------------------------------- dom0's root, as an initramfs
build_dom0_rootfs() {
	local want="$DOM0_PKGS xen-utils-4.17=$(apt_candidate xen-utils-4.17)"
	if [ -f "$CACHE/dom0-base.cpio" ] && [ "$(cat "$CACHE/dom0.stamp" 2>/dev/null)" = "$want" ]; then
		return 0
	fi
	log "mmdebstrap dom0 root ($DOM0_PKGS)"
	rm -rf "$CACHE/dom0-root" "$CACHE/dom0-base.cpio"
	mmdebstrap_into essential "$DOM0_PKGS" "$CACHE/dom0-root" || die "mmdebstrap (dom0) failed"
	(cd "$CACHE/dom0-root" && find . -print | cpio -o -H newc --quiet) >"$CACHE/dom0-base.cpio"
	echo "$want" >"$CACHE/dom0.stamp"
}

# ------------------------------------------------- the systemd guest's disk
# The image's file is named after its package list: a cache shared with
# branches that build another list keeps both images instead of rebuilding
# one back and forth.
build_systemd_image() {
	local want="$SYSTEMD_PKGS free=$SYSTEMD_IMAGE_FREE_MB systemd=$(apt_candidate systemd)"
	local tag
	tag=$(printf '%s' "$SYSTEMD_PKGS free=$SYSTEMD_IMAGE_FREE_MB" | md5sum | cut -c1-8)
	SYSTEMD_IMAGE=$CACHE/systemd-root-$tag.ext4
	if [ -f "$SYSTEMD_IMAGE" ] && [ "$(cat "$CACHE/systemd-$tag.stamp" 2>/dev/null)" = "$want" ]; then
		return 0
	fi
	log "mmdebstrap systemd guest root ($SYSTEMD_PKGS)"
	local root="$CACHE/systemd-root-$tag"
	rm -rf "$root" "$SYSTEMD_IMAGE"
	mmdebstrap_into minbase "$SYSTEMD_PKGS" "$root" || die "mmdebstrap (systemd guest) failed"
	echo e2e-guest >"$root/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 e2e-guest\n' >"$root/etc/hosts"
	# Root is mounted rw by the guest's initramfs; nothing else to mount.
	printf '# root is mounted by the e2e initramfs\n' >"$root/etc/fstab"
	# Passwordless root on the console, for someone debugging by hand.
	sed -i 's/^root:[^:]*:/root::/' "$root/etc/shadow"
	# (units that only cost boot time are masked per run: guest/systemd-masks)
	mkdir -p "$root/etc/systemd/journald.conf.d"
	printf '[Journal]\nStorage=volatile\nForwardToConsole=no\n' >"$root/etc/systemd/journald.conf.d/e2e.conf"
	local mb
	mb=$(du -sm "$root" | awk '{print $1}')
	mkfs.ext4 -q -F -L e2eroot -d "$root" "$SYSTEMD_IMAGE" "$((mb + mb / 4 + SYSTEMD_IMAGE_FREE_MB))M" ||
		die "mkfs.ext4 failed"
	rm -rf "$root"
	echo "$want" >"$CACHE/systemd-$tag.stamp"
}

# The systemd guest's apt repository (a file: source, no network): the
# project's .debs from --debs and GUEST_REPO_PKGS (apt-get download on this
# host, kept in the cache per candidate version), indexed by
# dpkg-scanpackages. The guest installs selfballoond from it with apt-get,
# which must find every Depends there or in the image.
build_guest_repo() { # dest-dir
	local dest=$1 want="" p
	for p in $GUEST_REPO_PKGS; do want+="$p=$(apt_candidate "$p") "; done
	if [ "$(cat "$CACHE/guest-repo.stamp" 2>/dev/null)" != "$want" ]; then
		log "downloading the guest repository's libraries: $GUEST_REPO_PKGS"
		rm -rf "$CACHE/guest-repo"
		mkdir -p "$CACHE/guest-repo"
		# shellcheck disable=SC2086
		(cd "$CACHE/guest-repo" && apt-get download -q $GUEST_REPO_PKGS >&2) ||
			die "apt-get download $GUEST_REPO_PKGS failed"
		echo "$want" >"$CACHE/guest-repo.stamp"
	fi
	mkdir -p "$dest"
	cp "$CACHE"/guest-repo/*.deb "$dest/"
	ls "$DEBS"/selfballoond_*.deb >/dev/null 2>&1 || die "no selfballoond_*.deb in $DEBS"
	cp "$DEBS"/selfballoond_*.deb "$dest/"
	# The same package once more as version +e2eup, for the scenario's upgrade:
	# what the maintainer scripts do to a running daemon on `apt upgrade`.
	local deb ver up
	deb=$(ls "$DEBS"/selfballoond_*.deb | head -n 1)
	ver=$(dpkg-deb -f "$deb" Version)
	up="$WORK/deb-upgrade"
	rm -rf "$up"
	mkdir -p "$up"
	dpkg-deb -R "$deb" "$up/root" || die "dpkg-deb -R $deb failed"
	sed -i "s/^Version: .*/Version: ${ver}+e2eup/" "$up/root/DEBIAN/control"
	dpkg-deb -b "$up/root" "$dest/selfballoond_${ver}+e2eup_$(dpkg-deb -f "$deb" Architecture).deb" >/dev/null ||
		die "dpkg-deb -b (the upgrade package) failed"
	rm -rf "$up"
	(cd "$dest" && dpkg-scanpackages --multiversion . /dev/null >Packages 2>/dev/null) ||
		die "dpkg-scanpackages failed"
	printf 'deb [trusted=yes] file:/e2e/apt ./\n' >"$dest/sources.list"
}

# ------------------------------------------------- per-run images
copy_with_libs() { # root-for-ldd("" = host) binary dest-root dest-path
	local chroot_dir=$1 bin=$2 dest=$3 path=$4 lib
	mkdir -p "$dest$(dirname "$path")"
	if [ -n "$chroot_dir" ]; then cp -L "$chroot_dir$bin" "$dest$path"; else cp -L "$bin" "$dest$path"; fi
	for lib in $(if [ -n "$chroot_dir" ]; then chroot "$chroot_dir" ldd "$bin"; else ldd "$bin"; fi |
		awk '$2=="=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
		mkdir -p "$dest$(dirname "$lib")"
		cp -L "$chroot_dir$lib" "$dest$lib"
	done
}

# (MOD_ROOT/MOD_VER: another kernel's module tree, e.g. the 5.10 guest's)
copy_modules() { # dest-root prefix("usr" or "") module...
	local dest=$1 prefix=$2 m f src=${MOD_ROOT:-$CACHE/pkgroot} ver=${MOD_VER:-$KVER}
	shift 2
	for m in "$@"; do
		for f in $(modprobe -d "$src" -S "$ver" --show-depends "$m" | awk '$1=="insmod"{print $2}'); do
			f=${f#"$src"}
			mkdir -p "$dest$prefix$(dirname "$f")"
			cp "$src$f" "$dest$prefix$f"
		done
	done
	cp "$src/lib/modules/$ver"/modules.{order,builtin,builtin.modinfo} "$dest$prefix/lib/modules/$ver/"
	depmod -b "$dest$prefix" "$ver"
}

# A scenario.conf's HOST_ENV names host variables its guest.sh may read: those set
# on the host go into the guest's copy of the scenario as host-env.sh (sh syntax).
write_host_env() { # scenario
	local v
	for v in $(scenario_var "$1" HOST_ENV ""); do
		[ -n "${!v+x}" ] || continue
		printf "%s='%s'\n" "$v" "$(printf '%s' "${!v}" | sed "s/'/'\\\\''/g")"
	done
}

build_run_overlay() { # daemon scenarios...
	local daemon=$1 s
	shift
	local g="$WORK/domU-root" d="$WORK/dom0-overlay"
	mkdir -p "$g"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,newroot,e2e/bin} "$d/e2e/domU"

	# --- the domU initramfs (the busybox guest, and the systemd guest's first stage)
	cp "$CACHE/pkgroot/bin/busybox" "$g/bin/busybox"
	for t in xenstore-read xenstore-write xenstore-list xenstore-rm xenstore-exists xenstore-watch xenstore-ls; do
		copy_with_libs "$CACHE/dom0-root" "/usr/bin/$t" "$g" "/usr/bin/$t"
	done
	# The systemd guest's image has no xenstore-utils (nor libxenstore4 before
	# the package brings it): the same tools with their own Xen libraries,
	# behind wrappers on run.sh's PATH, out of every other program's way.
	mkdir -p "$g/e2e/xstools/bin" "$g/e2e/xstools/lib" "$g/e2e/xsbin"
	for t in xenstore-read xenstore-write xenstore-list xenstore-rm xenstore-exists xenstore-watch xenstore-ls; do
		cp "$g/usr/bin/$t" "$g/e2e/xstools/bin/$t"
		printf '#!/bin/sh\nLD_LIBRARY_PATH=/e2e/xstools/lib exec /e2e/xstools/bin/%s "$@"\n' "$t" >"$g/e2e/xsbin/$t"
	done
	local libdir
	for libdir in "$g/lib" "$g/usr/lib"; do
		[ -d "$libdir" ] && find "$libdir" -name 'libxen*.so.*' -exec cp -L {} "$g/e2e/xstools/lib/" \;
	done
	ls "$g"/e2e/xstools/lib/libxenstore.so.* >/dev/null 2>&1 || die "no libxenstore for /e2e/xstools"
	chmod +x "$g"/e2e/xsbin/*
	# --debs: the guest's apt repository (systemd guest) and dom0's view (dom0)
	if [ -n "$DEBS" ]; then
		local need_repo=0
		for s in "$@"; do [ "$(scenario_guest "$s")" = systemd ] && need_repo=1; done
		[ $need_repo = 0 ] || build_guest_repo "$g/e2e/apt"
	fi
	if [ "$daemon" = standin ]; then
		cp "$E2E_DIR/guest/standin-selfballoond.sh" "$g/e2e/bin/selfballoond"
		echo standin >"$g/e2e/daemon-kind"
		DAEMON_LABEL="stand-in daemon"
	else
		[ -x "$daemon" ] || die "daemon $daemon is not an executable"
		copy_with_libs "" "$(readlink -f "$daemon")" "$g" /e2e/bin/selfballoond
		# glibc dlopen()s libgcc_s for pthread_cancel/pthread_exit unwinding; ldd does not
		# list it, and without it the daemon aborts ("libgcc_s.so.1 must be installed").
		local gcc_s
		gcc_s=$(gcc -print-file-name=libgcc_s.so.1)
		[ -f "$gcc_s" ] && mkdir -p "$g/lib/x86_64-linux-gnu" && cp -L "$gcc_s" "$g/lib/x86_64-linux-gnu/"
		echo real >"$g/e2e/daemon-kind"
		DAEMON_LABEL="selfballoond $(basename "$(dirname "$(readlink -f "$daemon")")")/$(basename "$daemon")"
	fi
	local hog tool
	for tool in memhog suddenhog; do
		hog="$CACHE/$tool-$(md5sum <"$E2E_DIR/guest/$tool.c" | cut -c1-12)"
		[ -x "$hog" ] || gcc -static -O2 -o "$hog" "$E2E_DIR/guest/$tool.c" || die "cannot build $tool"
		cp "$hog" "$g/e2e/bin/$tool"
	done
	cp "$E2E_DIR/guest/init" "$g/init"
	cp "$E2E_DIR/guest/run.sh" "$E2E_DIR/guest/lib.sh" "$g/e2e/"
	cp "$E2E_DIR/guest/e2e-scenario.service" "$E2E_DIR/guest/systemd-masks" "$g/e2e/"
	mkdir -p "$g/e2e/scenarios"
	for s in "$@"; do
		[ -d "$g/e2e/scenarios/${s%@*}" ] && continue # NAME and NAME@pvh share one copy
		cp -rL "$(scenario_dir "$s")" "$g/e2e/scenarios/"
		write_host_env "$s" >"$g/e2e/scenarios/${s%@*}/host-env.sh"
	done
	if [ -n "$OVERLAY" ]; then
		[ -d "$OVERLAY" ] || die "overlay $OVERLAY is not a directory"
		mkdir -p "$g/e2e/overlay"
		cp -a "$OVERLAY/." "$g/e2e/overlay/"
		# The guest is merged-usr (/lib -> usr/lib): an install tree's /lib/systemd/...
		# must land under usr/, not replace the link.
		local top
		for top in bin sbin lib lib64; do
			if [ -d "$g/e2e/overlay/$top" ] && [ ! -L "$g/e2e/overlay/$top" ]; then
				mkdir -p "$g/e2e/overlay/usr/$top"
				cp -a "$g/e2e/overlay/$top/." "$g/e2e/overlay/usr/$top/"
				rm -rf "${g:?}/e2e/overlay/$top"
			fi
		done
	fi
	# (zram, zsmalloc: sudden-demand with SUDDEN_SWAP=zram swaps to a zram0 it sets up)
	copy_modules "$g" "" xenfs xen-blkfront ext4 crc32c_generic zsmalloc zram
	# KERNEL=5.10 scenarios: Debian 11's kernel, its modules next to 6.1's, the helper module.
	local k510=0
	for s in "$@"; do [ "$(scenario_var "$s" KERNEL default)" = 5.10 ] && k510=1; done
	if [ $k510 = 1 ]; then
		"$E2E_DIR/lib/kernel510.sh" "$CACHE" || die "the 5.10 guest kernel (lib/kernel510.sh) failed"
		MOD_ROOT=$CACHE/k510/modroot MOD_VER=$(cat "$CACHE/k510/kver") copy_modules "$g" "" xenfs xen-blkfront
		mkdir -p "$g/e2e/k510"
		cp "$CACHE/k510/selfballoon_frontswap.ko" "$g/e2e/k510/"
		local ft
		ft="$CACHE/fsticks-$(md5sum <"$E2E_DIR/guest/fsticks.c" | cut -c1-12)"
		[ -x "$ft" ] || gcc -static -O2 -o "$ft" "$E2E_DIR/guest/fsticks.c" || die "cannot build fsticks"
		cp "$ft" "$g/e2e/bin/fsticks"
	fi
	chmod +x "$g/init" "$g/e2e/"*.sh "$g/e2e/bin/"*
	(cd "$g" && find . -print | cpio -o -H newc --quiet) >"$d/e2e/domU/initrd.cpio"
	cp "$CACHE/vmlinuz" "$d/e2e/domU/vmlinuz"
	if [ $k510 = 1 ]; then cp "$CACHE/k510/vmlinuz" "$d/e2e/domU/vmlinuz-5.10"; fi

	# --- dom0's overlay: /init, the runner, the scenarios' dom0 side, modules
	cp "$E2E_DIR/dom0/init" "$d/init"
	cp "$E2E_DIR/dom0/run.sh" "$E2E_DIR/dom0/block-e2e" "$d/e2e/"
	# selfballoon-dom0, installed by dom0's runner with dpkg -i
	if [ -n "$DEBS" ] && ls "$DEBS"/selfballoon-dom0_*.deb >/dev/null 2>&1; then
		mkdir -p "$d/e2e/debs"
		cp "$DEBS"/selfballoon-dom0_*.deb "$d/e2e/debs/"
	fi
	mkdir -p "$d/e2e/scenarios"
	: >"$d/e2e/scenarios.list"
	for s in "$@"; do
		[ -d "$d/e2e/scenarios/${s%@*}" ] || cp -rL "$(scenario_dir "$s")" "$d/e2e/scenarios/"
		printf '%s %s %s %s %s' "$s" "$(scenario_guest "$s")" "$(scenario_var "$s" MEMORY 512)" \
			"$(scenario_var "$s" MAXMEM 768)" "$(scenario_var "$s" TIMEOUT 120)" >>"$d/e2e/scenarios.list"
		# more columns: kernel (default|5.10), swap disk MiB (0: none), domU type
		# (pv|pvh), extra kernel arguments
		printf ' %s %s %s %s\n' "$(scenario_var "$s" KERNEL default)" "$(scenario_var "$s" SWAP_MB 0)" \
			"$(scenario_type "$s")" "$(scenario_var "$s" KERNEL_ARGS "")" >>"$d/e2e/scenarios.list"
	done
	chmod +x "$d/init" "$d/e2e/run.sh" "$d/e2e/block-e2e"
	mkdir -p "$d/proc" "$d/sys" "$d/dev" "$d/run" "$d/results"
	# dom0 is merged-usr: a cpio entry "lib/" would shadow its lib -> usr/lib link.
	copy_modules "$d" /usr xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xen-blkback virtio_pci virtio_blk
	(cd "$d" && find . -print | cpio -o -H newc --quiet) >"$WORK/dom0-overlay.cpio"
	cat "$CACHE/dom0-base.cpio" "$WORK/dom0-overlay.cpio" >"$WORK/dom0.cpio"
}

# ------------------------------------------------- qemu
run_qemu() {
	local total=0 s t
	local swap_mb=0 sw
	while read -r s _ _ _ t _ sw _; do
		total=$((total + t + 20))
		if [ "${sw:-0}" -gt $swap_mb ]; then swap_mb=$sw; fi
	done <"$WORK/dom0-overlay/e2e/scenarios.list"
	local limit=${HARD_TIMEOUT:-$((total + 150))}
	truncate -s 64M "$WORK/out.img"
	local drives=(-drive "file=$WORK/out.img,if=none,id=out,format=raw"
		-device "virtio-blk-pci,drive=out,serial=e2eout")
	if [ -n "${SYSTEMD_IMAGE:-}" ] && [ -f "$SYSTEMD_IMAGE" ] && grep -q ' systemd ' "$WORK/dom0-overlay/e2e/scenarios.list"; then
		# snapshot=on: the guest writes to a throw-away layer, the cached image stays clean.
		drives+=(-drive "file=$SYSTEMD_IMAGE,if=none,id=sysroot,format=raw,snapshot=on"
			-device "virtio-blk-pci,drive=sysroot,serial=e2esysroot")
	fi
	if [ $swap_mb -gt 0 ]; then
		# SWAP_MB scenarios: an empty (sparse) disk, handed to the domU as xvdb
		truncate -s "${swap_mb}M" "$WORK/swap.img"
		drives+=(-drive "file=$WORK/swap.img,if=none,id=swap,format=raw"
			-device "virtio-blk-pci,drive=swap,serial=e2eswap")
	fi
	# dom0's scratch disk (xl save images: not in its RAM root); sparse,
	# so it costs the host what a scenario writes to it
	truncate -s 2G "$WORK/scratch.img"
	drives+=(-drive "file=$WORK/scratch.img,if=none,id=scratch,format=raw"
		-device "virtio-blk-pci,drive=scratch,serial=e2escratch")
	# PVH domUs need Xen's HVM support: TCG's AMD SVM with nested paging
	# (HAP); Xen then logs "HVM: SVM enabled". Plain qemu64 has neither.
	# (-cpu EPYC also has both but crashes the PV dom0; +svm without +npt
	# gives no HAP.) Always, not only for PVH scenarios: CI boots PV and PVH
	# domUs in one Xen, so a PV-only run tests the same machine; PV boot
	# and scenario times did not change. E2E_QEMU_CPU overrides.
	local cpu=${E2E_QEMU_CPU:-qemu64,+svm,+npt}
	log "qemu: -cpu $cpu, hard timeout ${limit}s; serial log $OUT/serial.log"
	set +e
	timeout --kill-after=10 "$limit" qemu-system-x86_64 \
		-accel tcg,thread=multi -cpu "$cpu" -smp 2 -m 3072 -no-reboot \
		-kernel "$CACHE/xen" \
		-append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M dom0_max_vcpus=1 loglvl=all guest_loglvl=all" \
		-initrd "$CACHE/vmlinuz console=hvc0 earlyprintk=xen loglevel=5,$WORK/dom0.cpio" \
		"${drives[@]}" \
		-display none -vga none -monitor none -serial "file:$OUT/serial.log" -net none \
		</dev/null >"$OUT/qemu.log" 2>&1 &
	local qpid=$!
	# Show the runner's progress lines while qemu runs. (kill $tpid below ends only the
	# subshell: without --pid, tail and grep lived on, and with them any lock fd the
	# testbed inherited, e.g. from `flock LOCK testbed.sh`; 9>&-: the cache lock.)
	(tail -n +1 -F --pid="$qpid" "$OUT/serial.log" 2>/dev/null | grep --line-buffered -a 'e2e:' >&2) 9>&- &
	local tpid=$!
	wait $qpid
	QEMU_RC=$?
	kill $tpid 2>/dev/null
	wait $tpid 2>/dev/null
	set -e
	[ $QEMU_RC = 124 ] && log "qemu hit the hard timeout (${limit}s)"
	return 0
}

# ------------------------------------------------- results
collect_results() {
	tar -xf "$WORK/out.img" -C "$OUT" 2>/dev/null || log "no results archive from dom0 (qemu rc $QEMU_RC)"
	local s
	while read -r s _; do
		[ -d "$OUT/$s" ] || continue
		# Files the guest printed between markers on its console (daemon log, dmesg, ...).
		if [ -f "$OUT/$s/console.log" ]; then
			awk -v dir="$OUT/$s" '
				/=== e2e-file BEGIN / {f=$0; sub(/.*=== e2e-file BEGIN /,"",f); sub(/ ===.*/,"",f); out=dir "/guest-" f; printf "" > out; next}
				/=== e2e-file END / {if (out) close(out); out=""; next}
				out {sub(/\r$/,""); print > out}' "$OUT/$s/console.log"
		fi
		[ -f "$OUT/$s/timeline.csv" ] && plot_timeline "$OUT/$s"
		if [ -x "$(scenario_dir "$s")/check.sh" ] && [ -f "$OUT/$s/verdict" ] && grep -q '^PASS' "$OUT/$s/verdict"; then
			if ! (cd "$OUT/$s" && SELFBALLOOND_HOST="$DAEMON" E2E_TYPE=$(scenario_type "$s") \
				"$(scenario_dir "$s")/check.sh" "$OUT/$s") >"$OUT/$s/check.log" 2>&1; then
				echo "FAIL host check: $(tail -n 1 "$OUT/$s/check.log")" >"$OUT/$s/verdict"
			fi
		fi
	done <"$WORK/dom0-overlay/e2e/scenarios.list"
}

plot_timeline() { # dir
	local dir=$1 title
	title=$(basename "$dir")
	# events.csv "t,text" -> gnuplot arrows and labels
	awk -F, '{t=$1; $1=""; sub(/^ /,""); gsub(/"/,"",$0);
		printf "set arrow from %s, graph 0 to %s, graph 1 nohead lc rgb \"#bbbbbb\"\n", t, t;
		printf "set label \"%s\" at %s, graph 0.02 rotate left font \",8\" tc rgb \"#555555\" noenhanced\n", $0, t}' \
		"$dir/events.csv" >"$dir/events.gp" 2>/dev/null || : >"$dir/events.gp"
	gnuplot -e "csv='$dir/timeline.csv'; evgp='$dir/events.gp'; out='$dir/timeline.png'; ttl='$title ($DAEMON_LABEL)'" \
		"$E2E_DIR/lib/timeline.gp" 2>"$dir/gnuplot.log" || log "gnuplot failed for $title (see $dir/gnuplot.log)"
}

verdict() {
	local s v d fails=0 n=0
	# (no pipeline into tee here: the counters must survive for the exit status)
	{
		printf 'e2e testbed: %s, daemon: %s\n' "$(date -u)" "$DAEMON_LABEL"
		printf 'timing: build %.1fs, qemu %.1fs, total %.1fs (qemu rc %s)\n' \
			"$(awk -v a="$T_START" -v b="$T_BUILT" 'BEGIN{print b-a}')" \
			"$(awk -v a="$T_BUILT" -v b="$T_DONE" 'BEGIN{print b-a}')" \
			"$(awk -v a="$T_START" -v b="$T_DONE" 'BEGIN{print b-a}')" "$QEMU_RC"
	} >"$OUT/summary.txt"
	while read -r s _; do
		n=$((n + 1))
		v=$(head -n 1 "$OUT/$s/verdict" 2>/dev/null || echo "FAIL no verdict (testbed broke before the end)")
		case "$v" in PASS*) ;; *) fails=$((fails + 1)) ;; esac
		d=$(awk -v s="$s" '$1==s{print $2 "s"}' "$OUT/durations" 2>/dev/null)
		printf '%-22s %8s  %s\n' "$s" "${d:--}" "$v" >>"$OUT/summary.txt"
	done <"$WORK/dom0-overlay/e2e/scenarios.list"
	{
		if [ $fails = 0 ]; then echo "PASS: $n scenario(s)"; else echo "FAIL: $fails of $n scenario(s)"; fi
		printf '%d passed, %d failed\n' $((n - fails)) $fails
	} >>"$OUT/summary.txt"
	cat "$OUT/summary.txt"
	echo "results: $OUT"
	# No archive from dom0 at all: the testbed broke (boot, timeout), not a scenario.
	[ -f "$OUT/dom0.log" ] || exit 2
	[ $fails = 0 ] || exit 1
}
