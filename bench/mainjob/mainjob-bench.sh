#!/usr/bin/env bash
# Benchmark: the main job built from the project's elements against the same job built from upstream elements, in one test bed run.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: bench/mainjob/mainjob-bench.sh [BUILDDIR] [FRAMES]  (default: build, 300)
#
# Boots the test bed once and runs, FRAMES frames each, vivid 640x480 YUY2
# to the virtio-gpu display in BGRx, first the main path alone, then the
# whole job with a thumbnail branch (JPEG 160x120) and a snapshot branch
# (PNG, zlib level 1 in both):
#
#   ours:     zcv4l2src ! zcaccel ! tee ! queue ! zckmssink
#                                     tee ! queue ! zcthumbnail interval=30 ! jpegenc ! multifilesink
#                                     tee ! queue ! zcsnapshot interval=30 ! fakesink
#   upstream: v4l2src io-mode=dmabuf ! videoconvert ! videoscale ! tee ! queue ! kmssink
#                                     tee ! queue ! videoscale ! jpegenc ! multifilesink
#                                     tee ! queue ! videoconvert ! pngenc ! multifilesink
#
# The branch queues are leaky (3 buffers) in both. Upstream has no element
# that keeps one frame in N: videorate (drop-only, max-rate) is the
# time-based one, and behind v4l2src in this bed it held the whole
# pipeline to max-rate (1 frame a second, tried with and without tee), so
# upstream's branches take every frame their leaky queue lets through and
# the table gives how many thumbnails and snapshots each job wrote.
#
# For each: frames per second (frames shown over the process's wall time,
# start-up included, the same for both), CPU time per frame (user + system
# of the gst-launch process, GNU time), and bytes the CPU wrote into frames
# on the main path per frame. The last is read, for both pipelines, from
# the zcaudit tracer (GST_TRACERS=zcaudit(file=...)): the project's
# elements report their copies to it; of upstream elements it knows which
# output frames carried new memory (out_new), and a software converter or
# scaler writes every byte of those; upstream kmssink's copies into its
# dumb buffers are its "frame copy" lines on GST_PERFORMANCE. The
# accelerator's conversion is device work (simulated here on the CPU: its
# CPU time is in ours, its bytes are not copies).
#
# Upstream kmssink comes from Debian's gstreamer1.0-plugins-bad like in
# bench/kms/kms-bench.sh (downloaded, not installed).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
builddir=$(realpath -m "${1:-$top/build}")
frames=${2:-300}
[[ -f $builddir/ext/tracers/libgstzctracers.so ]] || {
	echo "no project build in $builddir: build first" >&2
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

work=$builddir/mainjob-bench
rm -rf "$work"
mkdir -p "$work"
# One registry made on the host: scanning under emulation takes long.
plugin_path=$builddir/ext:$cache/kms
for e in kmssink zckmssink; do
	GST_PLUGIN_PATH=$plugin_path GST_REGISTRY=$work/registry.bin \
		gst-inspect-1.0 $e >/dev/null
done

cat >"$work/guest.sh" <<'GUEST'
#!/bin/sh
work=$1
frames=$2
in="video/x-raw,format=YUY2,width=640,height=480"
out="video/x-raw,format=BGRx,width=640,height=480"
q="queue max-size-buffers=3"
leaky="queue max-size-buffers=3 leaky=downstream"
run() {
	name=$1
	shift
	mkdir -p "$work/$name"
	start=$(date +%s.%N)
	GST_TRACERS="zcaudit(file=$work/$name/audit.json)" \
		/usr/bin/time -f "cpu %U %S" -o "$work/$name/time" \
		gst-launch-1.0 -q "$@" >"$work/$name/log" 2>&1 ||
		echo "$name: gst-launch failed" >&2
	end=$(date +%s.%N)
	echo "wall $start $end" >>"$work/$name/time"
}
export GST_DEBUG=zckmssink:4,GST_PERFORMANCE:4
ours_main="zcv4l2src device=/dev/video0 num-buffers=$frames ! $in ! zcaccel name=accel ! $out"
upstream_main="v4l2src device=/dev/video0 io-mode=dmabuf num-buffers=$frames ! $in ! videoconvert name=convert ! videoscale name=scale ! $out"
kmssink="kmssink name=display driver-name=virtio_gpu force-modesetting=true sync=false"
run ours-main $ours_main ! zckmssink name=display sync=false
run upstream-main $upstream_main ! $kmssink
run ours $ours_main ! tee name=t \
	t. ! $q ! zckmssink name=display sync=false \
	t. ! $leaky ! zcthumbnail interval=30 ! jpegenc ! \
	multifilesink location="$work/ours/thumb-%05d.jpg" \
	t. ! $leaky ! zcsnapshot interval=30 \
	location="$work/ours/snapshot-%05d.png" ! fakesink
run upstream $upstream_main ! tee name=t \
	t. ! $q ! $kmssink \
	t. ! $leaky ! videoscale ! video/x-raw,width=160,height=120 ! jpegenc ! \
	multifilesink location="$work/upstream/thumb-%05d.jpg" \
	t. ! $leaky ! videoconvert ! pngenc compression-level=1 ! \
	multifilesink location="$work/upstream/snapshot-%05d.png"
GUEST
chmod +x "$work/guest.sh"

"$top/tests/vm/run.sh" --timeout 1200 --share "$builddir" --quiet-console \
	--env "GST_REGISTRY=$work/registry.bin" --env GST_REGISTRY_UPDATE=no \
	--env "GST_PLUGIN_PATH=$plugin_path" \
	-- "$work/guest.sh" "$work" "$frames" >"$work/run.out" 2>"$work/run.log" || {
	cat "$work/run.log" >&2
	exit 1
}
python3 "$top/bench/mainjob/report.py" "$work" "$frames"
