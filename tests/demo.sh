#!/bin/bash
# The main job: on a fresh Debian 12 machine (as root), installs what is
# needed, builds selfballoond, boots a real Xen 4.17 machine under QEMU (TCG)
# from Debian packages, runs the daemon in PV guests through the end-to-end
# scenarios (idle balloon-down, demand, xenstore grant, growth cap, stop and
# restore, and a systemd guest running the installed, hardened unit), and
# prints the verdicts and where the timelines, plots and logs are.
# Downloads and images are cached in build/e2e-cache (first run ~3-5 min more).
#   tests/demo.sh [SCENARIO...]     default: all
# Without Xen machinery, `--replay` shows the policy alone:
#   build/src/selfballoond --replay tests/data/sample-trace.csv
set -euo pipefail
cd "$(dirname "$0")/.."
tests/install-deps.sh >&2
[ -d build ] || meson setup build >&2
meson compile -C build >&2
exec tests/e2e/testbed.sh --cache build/e2e-cache build/src/selfballoond "${@:-all}"
