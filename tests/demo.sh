#!/bin/bash
# The main job: builds selfballoond and replays the sample trace of a 2 GiB
# guest (idle, a software build, idle again) through the policy, printing
# what the daemon would hand the balloon at each 5 s tick.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/install-deps.sh >&2
[ -d build ] || meson setup build >&2
meson compile -C build >&2
build/src/selfballoond --replay tests/data/sample-trace.csv
