#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# verify-unit.sh UNIT PAGE...
#
# "systemd-analyze verify" of the unit generated from
# systemd/selfballoond.service.in with ExecStart= pointing at the built
# binary (verify insists that the program exists and is executable), with
# the built man pages on MANPATH so that Documentation= is checked too.
# Works without systemd as PID 1. Every message about the unit fails the
# test: verify itself exits 0 on unknown keys and other warnings.
set -eu

unit=$1
shift
if ! command -v systemd-analyze >/dev/null 2>&1; then
        echo "SKIP: systemd-analyze is not installed (Debian: systemd)"
        exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cp "$unit" "$tmp/selfballoond.service"
man_check=--man=yes
if command -v man >/dev/null 2>&1; then
        for page in "$@"; do
                section=${page##*.}
                mkdir -p "$tmp/man/man$section"
                cp "$page" "$tmp/man/man$section/"
        done
else
        echo "note: man is not installed; Documentation= is not checked"
        man_check=--man=no
fi

rc=0
out=$(MANPATH="$tmp/man" SYSTEMD_COLORS=0 systemd-analyze verify "$man_check" \
        "$tmp/selfballoond.service" 2>&1) || rc=$?
[ -z "$out" ] || printf '%s\n' "$out"
if [ "$rc" -ne 0 ]; then
        echo "FAIL: systemd-analyze verify exited with $rc"
        exit 1
fi
if printf '%s\n' "$out" | grep -q selfballoond; then
        echo "FAIL: systemd-analyze verify has something to say about the unit"
        exit 1
fi
echo "ok: systemd-analyze verify is silent about the unit"
