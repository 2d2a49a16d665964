#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# check-sample.sh SELFBALLOOND SAMPLE
#
# The sample configuration must parse, must show every key the daemon
# knows, commented out, with the default the daemon really has, and must
# mean exactly the defaults once every key is uncommented.
set -eu

bin=$1
sample=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

"$bin" --print-config --config="$sample" >"$tmp/sample.out" || {
        echo "FAIL: $sample does not parse as it is"
        exit 1
}

: >"$tmp/empty.conf"
"$bin" --print-config --config="$tmp/empty.conf" >"$tmp/defaults.out"

# Every "key = default" the daemon prints must be in the sample as
# "#key = default".
grep -E '^[a-z_]+ = ' "$tmp/defaults.out" >"$tmp/keys"
while IFS= read -r line; do
        if ! grep -qxF "#$line" "$sample"; then
                echo "FAIL: $sample lacks the line '#$line'"
                fail=1
        fi
done <"$tmp/keys"
[ -s "$tmp/keys" ] || { echo "FAIL: --print-config printed no keys"; exit 1; }

# Uncommented, the sample must be the defaults (the first line of
# --print-config names the file, so it is left out).
sed 's/^#\([a-z_][a-z_]* = \)/\1/' "$sample" >"$tmp/uncommented.conf"
tail -n +2 "$tmp/defaults.out" >"$tmp/defaults.tail"
if ! "$bin" --print-config --config="$tmp/uncommented.conf" >"$tmp/uncommented.out"; then
        echo "FAIL: the sample with every key uncommented does not parse"
        fail=1
elif ! tail -n +2 "$tmp/uncommented.out" | cmp -s - "$tmp/defaults.tail"; then
        echo "FAIL: the sample with every key uncommented is not the defaults:"
        tail -n +2 "$tmp/uncommented.out" | diff -u "$tmp/defaults.tail" - || true
        fail=1
fi

[ "$fail" -eq 0 ] && echo "ok: $(wc -l <"$tmp/keys") keys, defaults as the daemon has them"
exit "$fail"
