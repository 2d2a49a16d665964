#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# lint.sh PAGE...
#
# Each generated man page must pass "mandoc -T lint" at warning level and
# "groff -ww -z -man" without a word on standard error, and must have had
# every @variable@ substituted, and no request may hide inside another
# line (a heading once read "POLICIES AND SUDDEN DEMAND.SH POLICIES ..."
# and passed both linters).
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
        # A request glued to the end of another line ("DEMAND.SH POLICIES"):
        # roff prints it as words and neither linter above says a thing.
        # (\&. is how a page shows a literal dot-request: not counted.)
        if grep -nE '^.*[^&\\]\.(SH|SS|TH|TP|PP|LP|IP|HP|RS|RE|EX|EE|UR|UE|MT|ME|SY|YS|B|I|BR|BI|IB|IR|RI|RB|SM|SB|nf|fi|sp|br|in|ti|ft|ne)([[:space:]]|$)' "$page"; then
                echo "FAIL: a roff request inside a line (two requests on one line?): $page"
                fail=1
        fi
        if grep -n '@[A-Za-z_]*@' "$page"; then
                echo "FAIL: unsubstituted @variables@ in $page"
                fail=1
        fi
done
[ "$fail" -eq 0 ] && echo "ok: $# pages lint-clean"
exit "$fail"
