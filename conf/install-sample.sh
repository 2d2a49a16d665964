#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Meson install script: install-sample.sh SAMPLE DEST
#
# Installs the sample configuration at $DESTDIR/DEST unless a file is
# already there. A plain install_data() would overwrite an administrator's
# edited /etc/selfballoon.conf on every "meson install"; this keeps it, as
# dpkg keeps a modified conffile. A package build installs into an empty
# DESTDIR, so the package always gets the file (and dh_installdeb marks
# everything under /etc a conffile).
set -eu

sample=$1
dest=${DESTDIR:-}$2

say() {
        [ -n "${MESON_INSTALL_QUIET:-}" ] || echo "$@"
}

if [ -e "$dest" ] || [ -L "$dest" ]; then
        say "Keeping existing $dest (the sample is $sample)"
        exit 0
fi
mkdir -p "$(dirname "$dest")"
# Written under a temporary name first: an interrupted install leaves no
# half-written configuration behind.
install -m 0644 "$sample" "$dest.new"
mv -f "$dest.new" "$dest"
say "Installing $sample to $(dirname "$dest")"
