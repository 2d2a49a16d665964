#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Fuzz the parsers with libFuzzer under ASan and UBSan.
#
#   tests/fuzz/run-fuzz.sh [-j JOBS] [--merge] SECONDS [TARGET...]
#
# Configures a clang build in build-fuzz/ (or $FUZZ_BUILD_DIR), then runs
# each target (default: all) for SECONDS, JOBS targets at a time (default
# 1). A target starts from its saved corpus in tests/fuzz/corpus/<target>/
# and writes what it finds to a scratch corpus in the build dir, so the
# saved one does not grow by itself; every crash, leak, timeout or broken
# contract is saved into tests/fuzz/corpus/<target>/ (crash-*, leak-*,
# timeout-*, oom-*) so that the corpus test replays it from then on.
# --merge afterwards adds the scratch inputs that reach new coverage to the
# saved corpus (libFuzzer -merge=1).
#
# Prints one line per target: executions, cov and ft (libFuzzer's edge and
# feature counts) at the end, and crashes. Exits 1 if any target crashed.
set -eu

jobs=1
merge=0
while [ $# -gt 0 ]; do
        case "$1" in
        -j) jobs="$2"; shift 2 ;;
        -j*) jobs="${1#-j}"; shift ;;
        --merge) merge=1; shift ;;
        -h|--help) sed -n '4,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) break ;;
        esac
done
if [ $# -lt 1 ]; then
        echo "usage: $0 [-j JOBS] [--merge] SECONDS [TARGET...]" >&2
        exit 2
fi
seconds="$1"; shift
case "$seconds" in ''|*[!0-9]*) echo "$0: SECONDS must be a number" >&2; exit 2 ;; esac

src=$(cd "$(dirname "$0")/../.." && pwd)
build="${FUZZ_BUILD_DIR:-$src/build-fuzz}"
corpus="$src/tests/fuzz/corpus"
targets="${*:-$(cd "$corpus" && ls)}"

if ! command -v clang >/dev/null; then
        echo "$0: clang is needed (apt-get install clang)" >&2
        exit 2
fi
if [ ! -f "$build/build.ninja" ]; then
        CC=clang meson setup "$build" "$src" \
                -Dbuildtype=debugoptimized \
                -Db_sanitize=address,undefined -Db_lundef=false \
                "-Dc_args=-fno-sanitize-recover=all -Wno-error=format-nonliteral" >/dev/null
fi
ninja_targets=""
for t in $targets; do
        ninja_targets="$ninja_targets tests/fuzz/$t"
done
# shellcheck disable=SC2086
ninja -C "$build" $ninja_targets >/dev/null
for t in $targets; do
        if [ ! -x "$build/tests/fuzz/$t" ]; then
                echo "$0: $build/tests/fuzz/$t was not built (no libFuzzer in this clang?)" >&2
                exit 2
        fi
done

logs="$build/fuzz-logs"
mkdir -p "$logs"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

fuzz_one() {
        t="$1"
        work="$build/fuzz-corpus/$t"
        mkdir -p "$work"
        # -rss_limit_mb: the parsers allocate next to nothing; -timeout: no
        # input may take a second; -max_len: above the largest real file
        # (zoneinfo of a big host is more, but its lines repeat).
        "$build/tests/fuzz/$t" "$work" "$corpus/$t" \
                -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -max_len=65536 \
                -print_final_stats=1 -artifact_prefix="$corpus/$t/" \
                >"$logs/$t.log" 2>&1 || true
        if [ "$merge" = 1 ]; then
                "$build/tests/fuzz/$t" -merge=1 -max_len=65536 "$corpus/$t" "$work" \
                        >"$logs/$t.merge.log" 2>&1 || true
        fi
}

summary() {
        t="$1"
        log="$logs/$t.log"
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: [0-9]+' | tail -n 1)
        cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
        ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
        corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p')
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
        crash=$(sed -n 's/.*Test unit written to \(.*\)/\1/p' "$log")
        printf '%-14s %12s execs %8s/s  cov %-6s ft %-7s corp %-10s %s\n' "$t" "${execs:-?}" \
                "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${crash:+CRASH: $crash}"
        [ -z "$crash" ]
}

# JOBS at a time, in the background
set -- $targets
while [ $# -gt 0 ]; do
        pids=""
        i=0
        while [ $# -gt 0 ] && [ "$i" -lt "$jobs" ]; do
                fuzz_one "$1" &
                pids="$pids $!"
                shift
                i=$((i + 1))
        done
        for p in $pids; do
                wait "$p"
        done
done

status=0
for t in $targets; do
        summary "$t" || status=1
done
echo "logs: $logs/"
exit $status
