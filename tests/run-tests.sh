#!/bin/bash
# The test command: sets everything up on a fresh Debian 12 machine (as root),
# then builds and runs all the tests. Usage: tests/run-tests.sh [BUILDDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

tests/install-deps.sh
if [ -d "$build" ]; then
        meson setup --reconfigure "$build"
else
        meson setup "$build"
fi
meson compile -C "$build"
meson test -C "$build" --print-errorlogs
