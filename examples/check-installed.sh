#!/usr/bin/env bash
# Installs the build into a scratch root, inspects every element from there, builds and runs the examples against it.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: examples/check-installed.sh BUILDDIR
# What a user and an application developer do with an installed
# gst-zerocopy: the plugins are in the prefix's GStreamer plugin
# directory (the .pc file's pluginsdir, ${libdir}/gstreamer-1.0, as for
# GStreamer's own), gst-inspect-1.0 finds every element and tracer there;
# pkg-config --cflags --libs gstreamer-zerocopy-1.0 gstreamer-app-1.0
# builds zc-pool-push, which runs on the installed library and plugins;
# zc-snapshot-request, built against GStreamer alone, gets its files from
# the installed zcsnapshot. The build tree is used for nothing but
# `meson install` and for the list of plugins it built. The environment
# gives GST_PLUGIN_SYSTEM_PATH_1_0 (for appsrc, videotestsrc and
# fakesink). Prints a gst-check style summary line, which
# scripts/count-tests.py reads, when everything passed.
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
plugindir=$tmp/root$(PKG_CONFIG_PATH=$pcdir \
  pkg-config --variable=pluginsdir gstreamer-zerocopy-1.0)
[[ $plugindir == "$libdir/gstreamer-1.0" ]] ||
  fail "pluginsdir $plugindir is not \${libdir}/gstreamer-1.0"
[[ -f $(find_dir zerocopy.h)/gstzcbufferpool.h ]] ||
  fail "the library's headers were not installed together"
# Every plugin the build made is in that directory, and nothing else of
# the project is installed beside the library.
checks=0
for built in "$builddir"/ext/*/libgstzc*.so; do
  [[ -f $plugindir/$(basename "$built") ]] ||
    fail "$(basename "$built") is not in $plugindir"
done
checks=$((checks + 1))

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
checks=$((checks + 1))

# Every feature of every installed plugin, inspected from the install:
# its factory loads (gst-inspect-1.0 exits 0) from the installed file.
features=0
for plugin in "$plugindir"/libgstzc*.so; do
  # "  zcfoo: Long name" for elements, "  zcbar (GstTracerFactory)" else
  names=$(gst-inspect-1.0 "$plugin" |
    sed -n 's/^  \(zc[a-z0-9]*\)[: ].*/\1/p')
  [[ -n $names ]] || fail "$plugin has no feature"
  for name in $names; do
    gst-inspect-1.0 "$name" >"$tmp/inspect.txt" ||
      fail "gst-inspect-1.0 $name failed"
    grep -q "Filename  *$plugin\$" "$tmp/inspect.txt" ||
      fail "$name was not loaded from $plugin"
    echo "installed: $name from $(basename "$plugin")"
    features=$((features + 1))
  done
done
[[ $features -ge $(find "$builddir"/ext -name 'libgstzc*.so' | wc -l) ]] ||
  fail "only $features features found"
checks=$((checks + 1))

# zc-snapshot-request against GStreamer alone, on the installed zcsnapshot
# shellcheck disable=SC2046 # word splitting of the flags is wanted
cc "$here/zc-snapshot-request.c" -o "$tmp/zc-snapshot-request" \
  $(pkg-config --cflags --libs gstreamer-1.0)
"$here/check-snapshot-request.sh" "$tmp/zc-snapshot-request" >/dev/null ||
  fail "zc-snapshot-request failed on the install"
checks=$((checks + 1))

# zc-fd-share, when the ipc plugin was built: two processes through the
# installed zcfdsink and zcfdsrc
if [[ -f $plugindir/libgstzcipc.so ]]; then
  # shellcheck disable=SC2086 # word splitting of the flags is wanted
  cc "$here/zc-fd-share.c" -o "$tmp/zc-fd-share" $installed $system
  grep -q "$libdir/libgstzerocopy-1.0.so" < <(ldd "$tmp/zc-fd-share") ||
    fail "zc-fd-share does not load the installed library"
  "$here/check-fd-share.sh" "$tmp/zc-fd-share" >/dev/null ||
    fail "zc-fd-share failed on the install"
  checks=$((checks + 1))
fi
echo "Checks: $checks, Failures: 0, Errors: 0"
