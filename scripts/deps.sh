#!/usr/bin/env bash
# Installs what building and testing gst-zerocopy needs on Debian bookworm.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Idempotent and quiet when everything is there: it asks dpkg first and
# only calls apt-get for packages that are missing.
set -euo pipefail

packages=(
  # build
  gcc libc6-dev pkg-config meson ninja-build
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libdrm-dev libpng-dev libjpeg62-turbo-dev
  libjson-glib-dev
  # running pipelines
  gstreamer1.0-tools gstreamer1.0-plugins-base
  # the main job: jpegenc and multifilesink; the contact sheet (Debian's
  # python3, not a virtualenv's, runs scripts/contact-sheet.py)
  gstreamer1.0-plugins-good python3-pil fonts-dejavu-core
  # the libFuzzer targets (scripts/fuzz.sh): clang and its fuzzer runtime
  clang libclang-rt-14-dev
  # the real-kernel test bed (tests/vm)
  qemu-system-x86 busybox-static kmod cpio v4l-utils
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run as root (or install them) and try again" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
