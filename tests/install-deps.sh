#!/bin/bash
# Installs what building and testing selfballoond needs on Debian 12.
# Idempotent: packages already present are not fetched again.
set -euo pipefail

packages=(
        # build
        gcc meson ninja-build pkg-config
        libxen-dev libsystemd-dev libinih-dev libcmocka-dev
        # tests: a real xenstored and its tools, man page lint, unit checks
        python3 xen-utils-4.17 xenstore-utils mandoc groff-base man-db systemd valgrind
        # the brake's MOCK systemd bus (tests/integration/mock-systemd1.c)
        dbus-daemon
        # sanitizer and fuzz builds
        clang
        # the Debian package (debian/), its lint, and the e2e guest's local
        # apt repository of it (dpkg-scanpackages is in dpkg-dev)
        debhelper dpkg-dev fakeroot lintian
)
missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        echo "install-deps: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        # xen-utils' postinst says "Can't find hypervisor information": harmless here
        apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
