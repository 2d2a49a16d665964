#!/usr/bin/env bash
# End-to-end testbed: a real Xen 4.17 machine (Debian packages) booted under
# qemu-system-x86_64/TCG, with a PV dom0 that creates one fresh PV domU per
# scenario and records what happened. See tests/e2e/README.md.
#
#   testbed.sh [options] DAEMON SCENARIO...
#     DAEMON    path to a built selfballoond, or the word "standin" for the
#               shell stand-in (tests/e2e/guest/standin-selfballoond.sh)
#     SCENARIO  a directory name under tests/e2e/scenarios/, or "all";
#               NAME@pvh (or NAME@pv) runs it in a domU of that type
#   options:
#     --cache DIR     ingredient/image cache (default $E2E_CACHE or build/e2e-cache)
#     --out DIR       results (default $E2E_OUT or CACHE/../e2e-out/<timestamp>)
#     --guest TYPE    force the guest type (busybox|systemd) for every scenario
#     --overlay DIR   a tree copied over the systemd guest's root before it boots
#                     (e.g. a `meson install --destdir` tree)
#     --debs DIR      the built packages (selfballoond_*.deb, selfballoon-dom0_*.deb):
#                     the systemd guest installs selfballoond from a local apt
#                     repository of them, dom0 installs selfballoon-dom0
#     --timeout S     hard limit for the whole qemu run (default: computed)
#     --prepare       only build the cache, boot nothing
#
# Exit status: 0 all scenarios passed, 1 a scenario failed, 2 the testbed broke.
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_ROOT=$(cd "$E2E_DIR/../.." && pwd)

CACHE=${E2E_CACHE:-$SRC_ROOT/build/e2e-cache}
OUT=${E2E_OUT:-}
FORCE_GUEST=
OVERLAY=
DEBS=
HARD_TIMEOUT=
PREPARE_ONLY=0
ARGS=()
while [ $# -gt 0 ]; do
	case "$1" in
	--cache) CACHE=$2; shift 2 ;;
	--cache=*) CACHE=${1#*=}; shift ;;
	--out) OUT=$2; shift 2 ;;
	--out=*) OUT=${1#*=}; shift ;;
	--guest) FORCE_GUEST=$2; shift 2 ;;
	--guest=*) FORCE_GUEST=${1#*=}; shift ;;
	--overlay) OVERLAY=$2; shift 2 ;;
	--overlay=*) OVERLAY=${1#*=}; shift ;;
	--debs) DEBS=$2; shift 2 ;;
	--debs=*) DEBS=${1#*=}; shift ;;
	--timeout) HARD_TIMEOUT=$2; shift 2 ;;
	--timeout=*) HARD_TIMEOUT=${1#*=}; shift ;;
	--prepare) PREPARE_ONLY=1; shift ;;
	-h|--help) sed -n '2,24p' "$0"; exit 0 ;;
	--) shift; ARGS+=("$@"); break ;;
	-*) echo "testbed: unknown option $1" >&2; exit 2 ;;
	*) ARGS+=("$1"); shift ;;
	esac
done

log() { printf '[testbed %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get, mmdebstrap, chroot)"
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)

# ---------------------------------------------------------------- host tools
need_pkgs=()
for p in qemu-system-x86 mmdebstrap cpio kmod e2fsprogs gnuplot-nox gcc libc6-dev dpkg-dev; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
	log "installing host packages: ${need_pkgs[*]}"
	apt-get update -qq || true
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >&2 ||
		die "apt-get install failed"
fi

T_START=$(date +%s.%N)
# One builder at a time per cache (two runs may share it); released before qemu.
exec 9>"$CACHE/.lock"
flock 9
# shellcheck source=tests/e2e/lib/build.sh
. "$E2E_DIR/lib/build.sh"

build_ingredients
build_dom0_rootfs
if [ "$PREPARE_ONLY" = 1 ]; then
	build_systemd_image
	log "cache ready in $CACHE ($(elapsed)s)"
	exit 0
fi

[ ${#ARGS[@]} -ge 2 ] || die "usage: testbed.sh [options] DAEMON|standin SCENARIO...|all"
if [ -n "$DEBS" ]; then
	[ -d "$DEBS" ] || die "--debs $DEBS is not a directory"
	DEBS=$(cd "$DEBS" && pwd)
fi
DAEMON=${ARGS[0]}
# absolute, since host-side checks run in each scenario's result folder
[ "$DAEMON" = standin ] || DAEMON=$(realpath "$DAEMON")
SCENARIOS=("${ARGS[@]:1}")
if [ "${SCENARIOS[*]}" = all ]; then
	SCENARIOS=()
	for d in "$E2E_DIR"/scenarios/*/; do
		# (a scenario.conf may say IN_ALL=no: a long measurement, run by name)
		[ -f "$d/guest.sh" ] && [ "$(scenario_var "$(basename "$d")" IN_ALL yes)" != no ] &&
			SCENARIOS+=("$(basename "$d")")
	done
fi
for s in "${SCENARIOS[@]}"; do
	[ -f "$(scenario_dir "$s")/guest.sh" ] || die "no scenario ${s%@*} (want tests/e2e/scenarios/${s%@*}/guest.sh)"
	case "$(scenario_type "$s")" in
	pv | pvh) ;;
	*) die "$s: TYPE must be pv or pvh, not $(scenario_type "$s")" ;;
	esac
done

if [ -z "$OUT" ]; then
	OUT=$(dirname "$CACHE")/e2e-out/$(date -u +%Y%m%dT%H%M%SZ)
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# Does any scenario need the systemd guest?
need_systemd=0
for s in "${SCENARIOS[@]}"; do
	[ "$(scenario_guest "$s")" = systemd ] && need_systemd=1
done
[ $need_systemd = 1 ] && build_systemd_image

WORK=$(mktemp -d "${TMPDIR:-/tmp}/e2e-work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
build_run_overlay "$DAEMON" "${SCENARIOS[@]}"
T_BUILT=$(date +%s.%N)
flock -u 9
log "images ready ($(elapsed)s); booting Xen for: ${SCENARIOS[*]}"

run_qemu
T_DONE=$(date +%s.%N)
collect_results
verdict
