#!/usr/bin/env bash
# The e2e testbed's second guest kernel: Debian 11's Linux 5.10 (the last
# Debian kernel with frontswap_shrink(), CONFIG_FRONTSWAP=y, CONFIG_ZSWAP=y),
# and the selfballoon_frontswap helper module built against its headers.
#
#   kernel510.sh CACHE_DIR
#
# Debian 12 stays the build machine: only the .debs come from bullseye, through
# a private apt state under CACHE_DIR/k510/apt (the host's own apt setup is not
# touched). Fills CACHE_DIR/k510/:
#   vmlinuz, kver             the unsigned 5.10 image (a PV-capable bzImage)
#   modroot/lib/modules/KVER  the image's modules and their depmod files
#   selfballoon_frontswap.ko  src/frontswap-helper built against linux-headers-KVER
#   stamp                     package versions + helper source hash: unchanged = nothing to do
# Exit 0 when the cache is ready; prints the step it failed at otherwise.
set -euo pipefail

[ $# = 1 ] || { echo "usage: kernel510.sh CACHE_DIR" >&2; exit 2; }
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HELPER_SRC=$(cd "$E2E_DIR/../../src/frontswap-helper" && pwd)
K=$1/k510
mkdir -p "$K/apt/lists/partial" "$K/apt/cache/archives/partial"
K=$(cd "$K" && pwd)

say() { printf '[kernel510 %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# Host tools beyond the testbed's own (gcc, kmod): make, and the archive key.
need=()
for p in make debian-archive-keyring; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	say "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${need[@]}" >&2; } || die "apt-get install ${need[*]} failed"
fi

cat >"$K/apt/sources.list" <<'EOF'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bullseye main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bullseye-security main
EOF
APT_OPTS=(-o "Dir::Etc::SourceList=$K/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
	-o "Dir::State::Lists=$K/apt/lists" -o "Dir::Cache=$K/apt/cache"
	-o Dir::State::status=/dev/null -o Debug::NoLocking=1)

# The kernel ABI name (5.10.0-N-amd64) is what bullseye's linux-image-amd64
# depends on today; security updates move it, and then the cache is rebuilt.
kabi() {
	apt-cache "${APT_OPTS[@]}" depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-5\.10/{sub(/^linux-image-/,"",$2); print $2; exit}'
}
KVER=$(kabi || true)
if [ -z "$KVER" ]; then
	say "apt-get update (bullseye, private state in $K/apt)"
	apt-get "${APT_OPTS[@]}" -qq update >&2 || die "apt-get update for bullseye failed"
	KVER=$(kabi)
fi
[ -n "$KVER" ] || die "bullseye's linux-image-amd64 names no 5.10 image"
PKGS=("linux-image-$KVER-unsigned" "linux-headers-$KVER" "linux-headers-${KVER%-amd64}-common" linux-kbuild-5.10)
# one apt-cache call for all four (each call parses the whole bullseye index)
want=$(apt-cache "${APT_OPTS[@]}" policy "${PKGS[@]}" 2>/dev/null |
	awk '/^[^ ]/{sub(/:$/,""); p=$1} /Candidate:/{printf "%s=%s ", p, $2}')
want+="helper=$(cat "$HELPER_SRC/selfballoon_frontswap.c" "$HELPER_SRC/Kbuild" | md5sum | cut -c1-12) cc=$(gcc -dumpfullversion)"
if [ -f "$K/stamp" ] && [ "$(cat "$K/stamp")" = "$want" ] && [ -f "$K/selfballoon_frontswap.ko" ]; then
	exit 0
fi

if [ "$(sed 's/ helper=.*//' "$K/stamp" 2>/dev/null)" != "${want% helper=*}" ] || [ ! -d "$K/root" ]; then
	say "downloading ${PKGS[*]} from bullseye"
	rm -rf "$K/debs" "$K/root" "$K/modroot" "$K/vmlinuz" "$K/kver" "$K/stamp"
	mkdir -p "$K/debs" "$K/root"
	(cd "$K/debs" && apt-get "${APT_OPTS[@]}" -q download "${PKGS[@]}" >&2 2>/dev/null) ||
		(apt-get "${APT_OPTS[@]}" -qq update >&2 && cd "$K/debs" &&
			apt-get "${APT_OPTS[@]}" -q download "${PKGS[@]}" >&2) ||
		die "apt-get download from bullseye failed"
	for p in "$K"/debs/*.deb; do dpkg-deb -x "$p" "$K/root"; done
	[ -f "$K/root/boot/vmlinuz-$KVER" ] || die "no /boot/vmlinuz-$KVER in the image package"
	grep -q '^CONFIG_FRONTSWAP=y' "$K/root/boot/config-$KVER" || die "$KVER has no CONFIG_FRONTSWAP"
	# The guest's modules: the whole tree (the initramfs takes only what it modprobes).
	mkdir -p "$K/modroot/lib/modules"
	mv "$K/root/lib/modules/$KVER" "$K/modroot/lib/modules/"
	depmod -b "$K/modroot" "$KVER"
	cp "$K/root/boot/vmlinuz-$KVER" "$K/vmlinuz"
	echo "$KVER" >"$K/kver"
	# Debian's per-flavour Makefile includes the common tree by absolute path.
	sed -i "s|/usr/src/|$K/root/usr/src/|" "$K/root/usr/src/linux-headers-$KVER/Makefile"
fi

# The helper, out of tree. Debian 11 built 5.10 with gcc-10; Debian 12's gcc
# (the build machine's) builds a module that loads (no compiler in vermagic).
say "building selfballoon_frontswap.ko against linux-headers-$KVER"
rm -rf "$K/helper-build" "$K/selfballoon_frontswap.ko"
mkdir -p "$K/helper-build"
cp "$HELPER_SRC/selfballoon_frontswap.c" "$HELPER_SRC/Kbuild" "$K/helper-build/"
make -C "$K/root/usr/src/linux-headers-$KVER" M="$K/helper-build" CC=gcc modules \
	>"$K/helper-build.log" 2>&1 || { tail -n 20 "$K/helper-build.log" >&2; die "module build failed"; }
modinfo -F vermagic "$K/helper-build/selfballoon_frontswap.ko" | grep -q "^$KVER " ||
	die "selfballoon_frontswap.ko: vermagic $(modinfo -F vermagic "$K/helper-build/selfballoon_frontswap.ko") is not $KVER"
cp "$K/helper-build/selfballoon_frontswap.ko" "$K/"
echo "$want" >"$K/stamp"
say "ready: $KVER, $(du -h "$K/vmlinuz" | cut -f1) vmlinuz, selfballoon_frontswap.ko"
