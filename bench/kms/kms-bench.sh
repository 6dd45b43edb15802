#!/usr/bin/env bash
# Benchmark: zckmssink against upstream kmssink on the test bed's displays, CPU time per frame and copies, in one run.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: bench/kms/kms-bench.sh [BUILDDIR] [FRAMES]   (default: build, 300)
#
# Boots the test bed once and runs the same vivid capture (640x480 BGRx)
# into each display sink, sync=false, FRAMES frames each, measuring the
# gst-launch process's CPU time (user + system, GNU time) and reading the
# sinks' own accounts of copies: zckmssink's stats (logged when it stops)
# and kmssink's "frame copy" lines on GST_PERFORMANCE. Ratios are taken
# against the first pipeline of the same display, within this one run: the
# machine and the emulation are the same for all of them.
#
# Upstream kmssink comes from Debian's gstreamer1.0-plugins-bad, fetched
# with `apt-get download` into ~/.cache/gst-zerocopy/upstream (only its
# libgstkms.so is used: it needs no library beyond GStreamer's base ones
# and libdrm); the package is not installed.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
builddir=$(realpath -m "${1:-$top/build}")
frames=${2:-300}
[[ -f $builddir/ext/kms/libgstzckms.so ]] || {
	echo "no zckmssink in $builddir: build first" >&2
	exit 2
}

cache=${XDG_CACHE_HOME:-$HOME/.cache}/gst-zerocopy/upstream
mkdir -p "$cache"
if [[ ! -f $cache/kms/libgstkms.so ]]; then
	(cd "$cache" && apt-get download gstreamer1.0-plugins-bad >/dev/null)
	rm -rf "$cache/x" "$cache/kms"
	dpkg -x "$cache"/gstreamer1.0-plugins-bad_*.deb "$cache/x"
	mkdir -p "$cache/kms"
	cp "$(find "$cache/x" -name libgstkms.so)" "$cache/kms/"
	rm -rf "$cache/x"
fi

work=$builddir/kms-bench
rm -rf "$work"
mkdir -p "$work"
# One registry with the system plugins, the project's and upstream kmssink,
# made on the host: scanning under emulation takes half a minute.
plugin_path=$builddir/ext:$cache/kms
GST_PLUGIN_PATH=$plugin_path GST_REGISTRY=$work/registry.bin \
	gst-inspect-1.0 kmssink >/dev/null
GST_PLUGIN_PATH=$plugin_path GST_REGISTRY=$work/registry.bin \
	gst-inspect-1.0 zckmssink >/dev/null

# The guest part: one line per pipeline, "name|cpu seconds|frames|copies".
cat >"$work/guest.sh" <<'EOF'
#!/bin/sh
work=$1
frames=$2
caps="video/x-raw,width=640,height=480,format=BGRx"
src="v4l2src device=/dev/video0 num-buffers=$frames"
run() {
	name=$1
	shift
	log=$work/$name.log
	/usr/bin/time -f "cpu %U %S" -o "$work/$name.time" \
		gst-launch-1.0 -q "$@" >"$log" 2>&1 || echo "$name: gst-launch failed" >&2
	cpu=$(awk '/^cpu/ { print $2 + $3 }' "$work/$name.time")
	shown=$(sed -n 's/.*frames-shown=(guint64)\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	copies=$(sed -n 's/.*copies=(guint64)\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	if [ -z "$copies" ]; then
		copies=$(grep -c "frame copy" "$log" || true)
		shown=$frames
	fi
	echo "$name|$cpu|${shown:-0}|$copies"
}
export GST_DEBUG=zckmssink:4,GST_PERFORMANCE:5
run kmssink-virtio $src io-mode=dmabuf ! $caps ! kmssink driver-name=virtio_gpu force-modesetting=true sync=false
run zckmssink-virtio $src io-mode=dmabuf ! $caps ! zckmssink sync=false
run zckmssink-virtio-import $src io-mode=dmabuf-import ! $caps ! zckmssink sync=false
run zckmssink-virtio-zcv4l2src zcv4l2src num-buffers=$frames ! $caps ! zckmssink sync=false
run kmssink-vkms $src io-mode=dmabuf ! $caps ! kmssink driver-name=vkms force-modesetting=true sync=false
run zckmssink-vkms $src io-mode=dmabuf ! $caps ! zckmssink driver-name=vkms sync=false
EOF
chmod +x "$work/guest.sh"

"$top/tests/vm/run.sh" --timeout 900 --share "$builddir" --quiet-console \
	--env "GST_REGISTRY=$work/registry.bin" --env GST_REGISTRY_UPDATE=no \
	--env "GST_PLUGIN_PATH=$plugin_path" \
	-- "$work/guest.sh" "$work" "$frames" >"$work/results.txt" 2>"$work/run.log" || {
	cat "$work/run.log" >&2
	exit 1
}

# The table: CPU per frame shown, and the ratio to the display's first row.
awk -F'|' '
/\|/ {
	display = ($1 ~ /vkms/) ? "vkms" : "virtio"
	per = ($3 > 0) ? $2 * 1000 / $3 : 0
	if (!(display in base)) base[display] = per
	printf "%-28s %8.2f ms CPU/frame  x%.2f  %5d frames  %5d copies\n",
	    $1, per, (base[display] > 0 ? per / base[display] : 0), $3, $4
}' "$work/results.txt"
