#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# check-catalog.sh CATALOG MESSAGES_H
#
# Every MESSAGE_ID of MESSAGES_H has exactly one entry in the generated
# journal catalog and the catalog has no other; each entry has a Subject,
# Defined-By: selfballoond and the man page; nothing was left unsubstituted;
# and journalctl compiles it.
set -eu

catalog=$1
messages=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

sed -n 's/^#define SB_MESSAGE_[A-Z_]* *"\([0-9a-f]\{32\}\)".*/\1/p' "$messages" |
        sort >"$tmp/ids.h"
sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$catalog" | sort >"$tmp/ids.catalog"
if [ ! -s "$tmp/ids.h" ]; then
        echo "FAIL: no MESSAGE_ID found in $messages"
        exit 1
fi
if ! cmp -s "$tmp/ids.h" "$tmp/ids.catalog"; then
        echo "FAIL: the catalog's IDs differ from $messages (- header, + catalog):"
        diff -u "$tmp/ids.h" "$tmp/ids.catalog" || true
        fail=1
fi

# One entry per block between "-- ID" lines: check its header.
awk '
        /^-- [0-9a-f]{32}$/ { if (id) check(); id = $2; subj = def = doc = 0; next }
        id && /^Subject: ./ { subj = 1 }
        id && /^Defined-By: selfballoond$/ { def = 1 }
        id && /^Documentation: .*man:selfballoond\(8\)/ { doc = 1 }
        function check() {
                if (!subj) { print "FAIL: " id " has no Subject:"; bad = 1 }
                if (!def) { print "FAIL: " id " has no Defined-By: selfballoond"; bad = 1 }
                if (!doc) { print "FAIL: " id " does not name man:selfballoond(8)"; bad = 1 }
        }
        END { if (id) check(); exit bad }
' "$catalog" || fail=1

# @FIELD@ is the catalog's own syntax for journal fields, and only
# SELFBALLOON_* fields are meant; anything else is a missed substitution.
if grep -n '@[A-Za-z_]*@' "$catalog" | grep -v -e '^[0-9]*:#' -e '@SELFBALLOON_[A-Z_]*@'; then
        echo "FAIL: unsubstituted @variables@ in $catalog"
        fail=1
fi

if command -v journalctl >/dev/null 2>&1; then
        mkdir -p "$tmp/root/usr/lib/systemd/catalog"
        cp "$catalog" "$tmp/root/usr/lib/systemd/catalog/selfballoond.catalog"
        if ! journalctl --root="$tmp/root" --update-catalog; then
                echo "FAIL: journalctl --update-catalog refuses the catalog"
                fail=1
        else
                journalctl --root="$tmp/root" --list-catalog |
                        awk '{ print $1 }' | sort >"$tmp/ids.journal"
                if ! cmp -s "$tmp/ids.h" "$tmp/ids.journal"; then
                        echo "FAIL: journalctl lists other IDs (- header, + journalctl):"
                        diff -u "$tmp/ids.h" "$tmp/ids.journal" || true
                        fail=1
                fi
        fi
else
        echo "note: journalctl is not installed; the catalog was not compiled"
fi

[ "$fail" -eq 0 ] && echo "ok: $(wc -l <"$tmp/ids.h") MESSAGE_IDs, one entry each"
exit "$fail"
