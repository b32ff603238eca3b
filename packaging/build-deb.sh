#!/usr/bin/env bash
# Builds the Debian package with Debian's own tooling (dpkg-buildpackage over debian/: the
# CMake build in Release, installed by its `cmake --install` rules, the unit enabled by
# dh_installsystemd) from a clean copy of this tree, and prints where the .deb is.
# Installs what is missing first (apt-get, as root or through sudo), like scripts/run.sh.
#   PB_DEB_OUT   the directory to put the packages in (default: a new one under /tmp)
# Install it with: apt install ./pillarbox_VERSION_ARCH.deb (or dpkg -i).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD

PILLARBOX_DEPS=package bash scripts/install-deps.sh
out=${PB_DEB_OUT:-$(mktemp -d /tmp/pillarbox-deb.XXXXXX)}
mkdir -p "$out"
work=$(mktemp -d /tmp/pillarbox-debsrc.XXXXXX)
trap 'rm -rf "$work"' EXIT

# A copy without build trees, data directories or git: the package builds from the sources
# alone, and this tree is left as it was.
mkdir "$work/pillarbox"
tar -C "$src" --exclude='./build*' --exclude='./var' --exclude='./.git' --exclude='./obj-*' \
    --exclude='./debian/pillarbox' --exclude='./debian/.debhelper' -cf - . |
    tar -C "$work/pillarbox" -xf -
(cd "$work/pillarbox" &&
    DEB_BUILD_OPTIONS="parallel=${PB_DEB_JOBS:-$(nproc)} nocheck" dpkg-buildpackage -b -uc -us)
mv "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out"/
echo "build-deb: built $(cd "$out" && ls ./*.deb | tr '\n' ' ')"
echo "build-deb: packages in $out"
