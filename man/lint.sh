#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# lint.sh PAGE...
#
# Each generated man page must pass "mandoc -T lint" at warning level and
# "groff -ww -z -man" without a word on standard error, and must have had
# every @variable@ substituted.
set -eu

if ! command -v mandoc >/dev/null 2>&1; then
        echo "SKIP: mandoc is not installed (Debian: mandoc)"
        exit 77
fi
fail=0
for page in "$@"; do
        if ! mandoc -T lint -W warning "$page"; then
                echo "FAIL: mandoc -T lint: $page"
                fail=1
        fi
        if command -v groff >/dev/null 2>&1; then
                out=$(groff -ww -z -man "$page" 2>&1) || true
                if [ -n "$out" ]; then
                        printf '%s\n' "$out"
                        echo "FAIL: groff -ww: $page"
                        fail=1
                fi
        else
                echo "note: groff is not installed; only mandoc checked $page"
        fi
        if grep -n '@[A-Za-z_]*@' "$page"; then
                echo "FAIL: unsubstituted @variables@ in $page"
                fail=1
        fi
done
[ "$fail" -eq 0 ] && echo "ok: $# pages lint-clean"
exit "$fail"
