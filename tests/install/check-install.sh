#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# check-install.sh MESON BUILDDIR BINARY CONF UNIT CATALOG PAGE...
#
# Runs "meson install" into an empty DESTDIR and checks the installed tree:
# BINARY, CONF, UNIT, CATALOG and each PAGE (absolute paths as installed)
# exist; nothing is left unsubstituted; the unit runs the installed binary;
# the installed binary accepts the installed configuration; systemd looks
# for units where UNIT is and journalctl compiles the catalog where it is;
# and a second install keeps an edited configuration.
set -eu

meson=$1 builddir=$2 binary=$3 conf=$4 unit=$5 catalog=$6
shift 6

dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
fail=0
bad() {
        echo "FAIL: $*"
        fail=1
}

install_into() {
        if ! "$meson" install -C "$builddir" --no-rebuild --destdir "$dest" >"$dest.log" 2>&1; then
                cat "$dest.log"
                rm -f "$dest.log"
                echo "FAIL: meson install into $dest failed"
                exit 1
        fi
        rm -f "$dest.log"
}

install_into

[ -x "$dest$binary" ] || bad "$binary is not installed or not executable"
for f in "$conf" "$unit" "$catalog" "$@"; do
        [ -s "$dest$f" ] || bad "$f is not installed (or empty)"
done
[ "$fail" -eq 0 ] || { (cd "$dest" && find . | sort); exit 1; }

# Text files must have had every @variable@ replaced (the catalog's own
# @SELFBALLOON_*@ field references are meant to stay).
for f in "$conf" "$unit" "$@"; do
        if grep -n '@[A-Za-z_]*@' "$dest$f"; then
                bad "unsubstituted @variables@ in $f"
        fi
done
if grep -n '@[A-Za-z_]*@' "$dest$catalog" | grep -v -e '^[0-9]*:#' -e '@SELFBALLOON_[A-Z_]*@'
then
        bad "unsubstituted @variables@ in $catalog"
fi

# The unit runs what was installed.
grep -qxF "ExecStart=$binary" "$dest$unit" || bad "$unit does not run ExecStart=$binary"
grep -qxF "ExecStopPost=$binary --restore" "$dest$unit" ||
        bad "$unit does not run ExecStopPost=$binary --restore"

# The installed daemon reads the installed configuration (this needs no
# Xen), and the configuration file is where the daemon looks by default.
if ! "$dest$binary" --print-config --config="$dest$conf" >/dev/null; then
        bad "the installed selfballoond refuses the installed $conf"
fi
if ! "$dest$binary" --help | grep -qF "$conf"; then
        bad "selfballoond --help does not name $conf as its default"
fi

# Where systemd and journald look.
if command -v systemd-analyze >/dev/null 2>&1; then
        unitdir=$(dirname "$unit")
        if ! systemd-analyze unit-paths 2>/dev/null | grep -qxF "$unitdir"; then
                bad "systemd does not look for units in $unitdir"
        fi
else
        echo "note: systemd-analyze is not installed; the unit directory was not checked"
fi
case $catalog in
/usr/lib/systemd/catalog/*) ;;
*) bad "$catalog is not in /usr/lib/systemd/catalog, where journalctl looks" ;;
esac
if command -v journalctl >/dev/null 2>&1; then
        if ! journalctl --root="$dest" --update-catalog ||
           ! journalctl --root="$dest" --list-catalog | grep -q ' selfballoond: '; then
                bad "journalctl --root does not find the catalog in the installed tree"
        fi
        # journalctl wrote its database into the tree: not part of the install.
        rm -f "$dest/var/lib/systemd/catalog/database"
        for d in var/lib/systemd/catalog var/lib/systemd var/lib var; do
                rmdir "$dest/$d" 2>/dev/null || true
        done
else
        echo "note: journalctl is not installed; the catalog was not compiled"
fi

# An administrator's edits survive the next install.
echo "; edited by the administrator" >>"$dest$conf"
install_into
grep -qxF "; edited by the administrator" "$dest$conf" || bad "a second install overwrote $conf"

echo "installed tree:"
(cd "$dest" && find . -type f -o -type l | sort | sed 's/^\./  /')
[ "$fail" -eq 0 ] && echo "ok: the installed tree is complete"
exit "$fail"
