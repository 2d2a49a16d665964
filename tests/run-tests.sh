#!/bin/bash
# The test command: sets everything up on a fresh Debian 12 machine (as root),
# then builds and runs all the tests:
#   1. every meson test suite (unit, cli, integration against a real xenstored,
#      operator, fuzz corpora, reliability, sim), warnings as errors;
#   2. the same suites again under ASan+UBSan (tests/sanitize.sh);
#   3. a short libFuzzer run of every parser (a minute each, two at a time);
#   4. the end-to-end scenarios in real Xen guests under QEMU (tests/e2e/,
#      about 13 minutes from a cold cache, ~2 more for frontswap-510's Linux
#      5.10 guest, fetched from Debian 11); E2E=0 skips it.
# Usage: tests/run-tests.sh [BUILDDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

tests/install-deps.sh
# --werror: CI keeps warnings fatal (meson.build's default is off so that a
# package build does not break on a newer compiler's new warnings).
if [ -d "$build" ]; then
        meson setup --reconfigure --werror -Dtests=enabled "$build"
else
        meson setup --werror -Dtests=enabled "$build"
fi
meson compile -C "$build"
meson test -C "$build" --print-errorlogs --no-suite e2e

echo "== the test suites under ASan+UBSan"
tests/sanitize.sh --print-errorlogs --no-suite e2e

echo "== a short fuzz of every parser"
tests/fuzz/run-fuzz.sh -j 2 "${FUZZ_SECONDS:-60}"

if [ "${E2E:-1}" != 0 ]; then
        echo "== end to end in real Xen guests (Xen 4.17 under QEMU/TCG)"
        # the scenarios proven stable in CI, named (a new one joins once it is)
        # the systemd guest gets what `meson install` installs: the real, hardened unit
        destdir=$(realpath "$build")/e2e-destdir # meson install takes it relative to -C
        rm -rf "$destdir"
        meson install -C "$build" --quiet --destdir "$destdir"
        tests/e2e/testbed.sh --cache "$build/e2e-cache" --overlay "$destdir" \
                "$build/src/selfballoond" \
                idle-balloon-down demand-growth xenstore-grant growth-cap sigterm-restore \
                systemd-service frontswap-510
fi
