#!/usr/bin/env bash
# Builds the Debian binary packages into a directory outside the tree.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: scripts/build-deb.sh OUTDIR
# Copies the source tree (in a git checkout the files git knows, committed
# or not, and new files not ignored; else all but build trees) into a
# scratch directory, runs
# `dpkg-buildpackage -b -us -uc` there and moves the .deb files (and the
# .buildinfo and .changes) into OUTDIR: gstreamer1.0-zerocopy (plugins),
# libgstzerocopy-1.0-0 (library), libgstzerocopy-1.0-dev (headers, .pc).
# The working tree is left untouched. Installs debhelper and the build
# dependencies with apt when they are missing (as root). Prints the
# packages built.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
[[ $# -eq 1 ]] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
case $out/ in
  "$top"/*) echo "build-deb: OUTDIR must be outside the tree" >&2; exit 2 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Build dependencies: debhelper and what debian/control lists.
if ! command -v dh >/dev/null || ! (cd "$top" && dpkg-checkbuilddeps) \
  2>/dev/null; then
  [[ $(id -u) -eq 0 ]] || {
    echo "build-deb: run as root to install debhelper and the build" \
      "dependencies, or install them" >&2
    exit 1
  }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends debhelper dpkg-dev \
    meson ninja-build pkg-config libgstreamer1.0-dev \
    libgstreamer-plugins-base1.0-dev libdrm-dev libpng-dev \
    libjpeg62-turbo-dev >/dev/null
fi

mkdir "$work/gst-zerocopy"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$top" && git ls-files -z --cached --others --exclude-standard |
    xargs -0 -I{} find {} -maxdepth 0 -type f -print0 |
    tar --null -T - -cf -) | tar -xf - -C "$work/gst-zerocopy"
else
  # an unpacked release: everything but build trees and outputs
  (cd "$top" && tar --exclude='./build*' --exclude=./out --exclude=./.git \
    -cf - .) | tar -xf - -C "$work/gst-zerocopy"
fi

(cd "$work/gst-zerocopy" && dpkg-buildpackage -b -us -uc) \
  >"$work/build.log" 2>&1 || {
  tail -n 60 "$work/build.log" >&2
  echo "build-deb: dpkg-buildpackage failed" >&2
  exit 1
}
mv "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out/"
ls "$out"/*.deb
