#!/bin/bash
# The test command: sets everything up on a fresh Debian 12 machine (as root),
# then builds and runs all the tests:
#   1. every meson test suite (unit, cli, integration against a real xenstored,
#      operator, fuzz corpora, reliability, sim), warnings as errors;
#   2. the same suites again under ASan+UBSan (tests/sanitize.sh);
#   3. a short libFuzzer run of every parser (a minute each, two at a time);
#   4. the Debian package (dpkg-buildpackage from a clean copy of the tree,
#      lintian fails on errors); the .debs are kept in BUILDDIR/deb/;
#   5. the end-to-end scenarios in real Xen guests under QEMU (tests/e2e/,
#      about 13 minutes from a cold cache, ~2 more for frontswap-510's Linux
#      5.10 guest, fetched from Debian 11); E2E=0 skips it.
# Usage: tests/run-tests.sh [BUILDDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

tests/install-deps.sh

# The Debian package, built from a copy of the committed tree plus the
# working tree's changes (git archive of HEAD would leave uncommitted work
# out, a build in place would write obj-*/ and debian/ build files into
# the source tree and the .debs into its parent). dpkg-buildpackage writes
# the .debs next to the copy: they are moved to BUILDDIR/deb/.
build_deb() {
        local out=$1 work
        work=$(mktemp -d "${TMPDIR:-/tmp}/sb-deb.XXXXXX")
        mkdir "$work/selfballoond"
        git ls-files -z --cached --others --exclude-standard |
                xargs -0 cp --parents -a -t "$work/selfballoond" 2>/dev/null || {
                rm -rf "$work"; echo "build_deb: cannot copy the tree" >&2; return 1; }
        (cd "$work/selfballoond" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 || {
                tail -n 40 "$work/build.log"; rm -rf "$work"
                echo "FAIL: dpkg-buildpackage" >&2; return 1; }
        rm -rf "$out"
        mkdir -p "$out"
        mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$work/build.log" "$out/"
        rm -rf "$work"
        # --fail-on error: warnings are explained in README.md, errors fail
        lintian --fail-on error --display-info "$out"/*.changes 2>&1 | tee "$out/lintian.txt"
}
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

echo "== the Debian package"
build_deb "$build/deb"
ls -l "$build"/deb/*.deb

if [ "${E2E:-1}" != 0 ]; then
        echo "== end to end in real Xen guests (Xen 4.17 under QEMU/TCG)"
        # the scenarios proven stable in CI, named (a new one joins once it is);
        # NAME@pvh: the same scenario in a PVH domU (tests/e2e/README.md)
        # the systemd guest installs the package built above (apt-get, from a
        # local repository of $build/deb and the libraries it depends on);
        # dom0 installs selfballoon-dom0 from there too
        tests/e2e/testbed.sh --cache "$build/e2e-cache" --debs "$build/deb" \
                "$build/src/selfballoond" \
                idle-balloon-down demand-growth xenstore-grant growth-cap sigterm-restore \
                systemd-service frontswap-510 sudden-demand-ci \
                idle-balloon-down@pvh demand-growth@pvh xenstore-grant@pvh sigterm-restore@pvh \
                save-restore mem-set page-cache-ci
fi
