#!/usr/bin/env bash
# Builds the Debian packages, unpacks them into a scratch root and runs the plugins and an example from there.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: tests/deb/check-deb.sh
# scripts/build-deb.sh builds gstreamer1.0-zerocopy, libgstzerocopy-1.0-0
# and libgstzerocopy-1.0-dev outside the tree; they are unpacked with
# `dpkg -x` (nothing is installed on the machine). Checks: the plugins are
# in Debian's GStreamer plugin directory (gstreamer-1.0.pc's pluginsdir)
# and the plugin package depends on the library package; gst-inspect-1.0
# loads every element and tracer from the unpacked plugins; zc-pool-push,
# as the -dev package ships it, builds with the -dev package's .pc and
# runs on the unpacked library and plugins. Prints a gst-check style
# summary line, which scripts/count-tests.py reads, when everything passed.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "check-deb: $*" >&2
  exit 1
}

"$top/scripts/build-deb.sh" "$tmp/debs"
root=$tmp/root
for pkg in gstreamer1.0-zerocopy libgstzerocopy-1.0-0 libgstzerocopy-1.0-dev; do
  deb=$(find "$tmp/debs" -name "${pkg}_*.deb" -print -quit)
  [[ -n $deb ]] || fail "no package $pkg was built"
  dpkg -x "$deb" "$root"
done
checks=1

system_plugins=$(pkg-config --variable=pluginsdir gstreamer-1.0)
plugindir=$root$system_plugins
libdir=$root$(dirname "$system_plugins")
[[ -n $(find "$plugindir" -name 'libgstzc*.so') ]] ||
  fail "no plugin in $system_plugins"
depends=$(dpkg-deb -f "$(find "$tmp/debs" -name 'gstreamer1.0-zerocopy_*.deb')" \
  Depends)
[[ $depends == *libgstzerocopy-1.0-0* ]] ||
  fail "the plugins' package does not depend on the library's"
checks=$((checks + 1))

# As if installed: the unpacked plugin directory first, the system's
# after it (videotestsrc, appsrc, fakesink).
export GST_PLUGIN_SYSTEM_PATH_1_0=$plugindir:$system_plugins
export LD_LIBRARY_PATH=$libdir GST_REGISTRY=$tmp/registry.bin
unset GST_PLUGIN_PATH_1_0 GST_PLUGIN_PATH
features=0
for plugin in "$plugindir"/libgstzc*.so; do
  for name in $(gst-inspect-1.0 "$plugin" |
    sed -n 's/^  \(zc[a-z0-9]*\)[: ].*/\1/p'); do
    # into a file: grep -q leaving early would kill gst-inspect-1.0 with
    # SIGPIPE, a failure under pipefail
    gst-inspect-1.0 "$name" >"$tmp/inspect.txt" ||
      fail "gst-inspect-1.0 $name failed"
    grep -q "Filename  *$plugin\$" "$tmp/inspect.txt" ||
      fail "$name was not loaded from $plugin"
    echo "deb: $name from $(basename "$plugin")"
    features=$((features + 1))
  done
done
[[ $features -ge 9 ]] || fail "only $features features in the package"
checks=$((checks + 1))

pcdir=$libdir/pkgconfig
# shellcheck disable=SC2046 # word splitting of the flags is wanted
cc "$root/usr/share/doc/libgstzerocopy-1.0-dev/examples/zc-pool-push.c" \
  -o "$tmp/zc-pool-push" \
  $(PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$root \
    pkg-config --cflags --libs gstreamer-zerocopy-1.0) \
  $(pkg-config --cflags --libs gstreamer-app-1.0 gstreamer-video-1.0 \
    gstreamer-allocators-1.0)
"$tmp/zc-pool-push" --frames 3 --interval 2 --width 64 --height 48 \
  --location "$tmp/deb-%05d.png"
python3 "$top/examples/check-png.py" "$tmp/deb-00002.png" 64 48 2
checks=$((checks + 1))
echo "Checks: $checks, Failures: 0, Errors: 0"
