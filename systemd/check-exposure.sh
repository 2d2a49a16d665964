#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# check-exposure.sh UNIT MAX
#
# The "Overall exposure level" systemd-analyze gives UNIT must not exceed
# MAX. Offline analysis reads the unit file only: no systemd as PID 1, no
# installed binary needed.
set -eu

unit=$1
max=$2

if ! command -v systemd-analyze >/dev/null 2>&1; then
        echo "SKIP: systemd-analyze is not installed (Debian: systemd)"
        exit 77
fi
if ! systemd-analyze --help 2>/dev/null | grep -q -- '--offline'; then
        echo "SKIP: this systemd-analyze has no --offline (systemd 250 or later has)"
        exit 77
fi

out=$(LC_ALL=C.UTF-8 SYSTEMD_COLORS=0 systemd-analyze security --offline=true --no-pager \
        "$unit" 2>&1) || {
        printf '%s\n' "$out"
        echo "FAIL: systemd-analyze security failed"
        exit 1
}
# What still counts against the unit, for the log.
printf '%s\n' "$out" | grep -E '^(✗|-) ' || true

level=$(printf '%s\n' "$out" |
        sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p')
if [ -z "$level" ]; then
        printf '%s\n' "$out"
        echo "FAIL: no overall exposure level in the output"
        exit 1
fi
if awk -v l="$level" -v m="$max" 'BEGIN { exit !(l + 0 <= m + 0) }'; then
        echo "ok: exposure $level (at most $max)"
else
        echo "FAIL: exposure $level is above $max"
        exit 1
fi
