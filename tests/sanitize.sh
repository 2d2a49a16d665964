#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The whole test suite under AddressSanitizer (with LeakSanitizer) and
# UndefinedBehaviorSanitizer:
#
#   tests/sanitize.sh [MESON-TEST-ARGS...]
#
# Builds the project in build-asan/ (or $ASAN_BUILD_DIR) with the compiler
# in $CC (default: cc) and -Db_sanitize=address,undefined, then runs
# `meson test` there; any sanitizer report fails the test that caused it
# (UBSan halts on its first error). Extra arguments go to meson test, e.g.
# `tests/sanitize.sh --suite unit`. Exits with meson test's status.
# Warnings are errors here, as in tests/run-tests.sh (meson.build's
# default is werror=false, for package builds).
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build="${ASAN_BUILD_DIR:-$src/build-asan}"
cc="${CC:-cc}"

c_args="-fno-sanitize-recover=all -fno-omit-frame-pointer"
if "$cc" --version 2>/dev/null | grep -q clang; then
        # src/log.c and src/replay.c pass a format string on to vsnprintf()
        # without a format attribute; clang's -Wformat-nonliteral (in
        # -Wformat=2) rejects that under -Werror, gcc does not.
        c_args="$c_args -Wno-error=format-nonliteral"
fi

if [ ! -f "$build/build.ninja" ]; then
        CC="$cc" meson setup "$build" "$src" \
                -Dbuildtype=debugoptimized -Dwerror=true -Dtests=enabled \
                -Db_sanitize=address,undefined -Db_lundef=false \
                "-Dc_args=$c_args"
fi
ninja -C "$build"

# abort_on_error: a report ends the process with SIGABRT, which no test
# takes for a documented exit status. verify_asan_link_order=0: the
# integration tests LD_PRELOAD a shim, which gcc's shared libasan would
# otherwise refuse to follow.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:verify_asan_link_order=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-}"
exec meson test -C "$build" --print-errorlogs --num-processes "$(nproc)" "$@"
