#!/usr/bin/env bash
# Installs the build into a scratch root, compiles zc-pool-push against it with pkg-config, runs it and checks its PNG.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: examples/check-installed.sh BUILDDIR
# What an application developer does with an installed gst-zerocopy:
# pkg-config --cflags --libs gstreamer-zerocopy-1.0 gstreamer-app-1.0,
# then the library and the plugins from the install. The build tree is
# used for nothing but `meson install`. The environment gives
# GST_PLUGIN_SYSTEM_PATH_1_0 (for appsrc and fakesink). Prints a gst-check
# style summary line, which scripts/count-tests.py reads, when everything
# passed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
builddir=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "check-installed: $*" >&2
  exit 1
}

# Only the directory of the first file of that name under $tmp.
find_dir() {
  local path
  path=$(find "$tmp/root" -name "$1" -print -quit)
  [[ -n $path ]] || fail "nothing named $1 was installed"
  dirname "$path"
}

meson install -C "$builddir" --destdir "$tmp/root" --no-rebuild \
  >"$tmp/install.log" 2>&1 || {
  cat "$tmp/install.log" >&2
  fail "meson install failed"
}
pcdir=$(find_dir gstreamer-zerocopy-1.0.pc)
libdir=$(find_dir 'libgstzerocopy-1.0.so')
plugindir=$(find_dir libgstzccpu.so)

# The sysroot moves the installed package's paths into $tmp/root; it
# would move the system packages' too, so their flags are asked for
# again without it (paths that do not exist are ignored by cc).
installed=$(PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$tmp/root \
  pkg-config --cflags --libs gstreamer-zerocopy-1.0 gstreamer-app-1.0)
system=$(pkg-config --cflags --libs gstreamer-app-1.0 gstreamer-video-1.0 \
  gstreamer-allocators-1.0)
[[ $installed == *"-I$tmp/root"* && $installed == *"-L$libdir"* ]] ||
  fail "pkg-config does not point into the install: $installed"
# shellcheck disable=SC2086 # word splitting of the flags is wanted
cc "$here/zc-pool-push.c" -o "$tmp/zc-pool-push" $installed $system

export LD_LIBRARY_PATH=$libdir GST_PLUGIN_PATH_1_0=$plugindir
export GST_REGISTRY=$tmp/registry.bin
# Not `ldd | grep -q`: grep leaving early makes ldd die of SIGPIPE, which
# pipefail turns into a failure now and then.
grep -q "$libdir/libgstzerocopy-1.0.so" < <(ldd "$tmp/zc-pool-push") ||
  fail "the example does not load the installed library"
"$tmp/zc-pool-push" --frames 3 --interval 2 --width 64 --height 48 \
  --location "$tmp/inst-%05d.png"
python3 "$here/check-png.py" "$tmp/inst-00002.png" 64 48 2
grep -q "$plugindir/libgstzccpu.so" < <(gst-inspect-1.0 zcsnapshot) ||
  fail "zcsnapshot was not loaded from the install"
echo "Checks: 1, Failures: 0, Errors: 0"
