#!/usr/bin/env bash
# The main job: capture frames from a V4L2 camera as dma-bufs and write PNG
# snapshots of some of them. Runs on this machine's own camera when it has
# one, otherwise inside the QEMU test bed on vivid's.
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail

usage() {
  cat <<USAGE
Usage: scripts/main-job.sh [OPTIONS]

Builds gst-zerocopy, then runs
  zcv4l2src ! video/x-raw(memory:DMABuf),... ! zcsnapshot ! fakesink
and names the folder holding the PNG snapshots at the end.

Options:
  --frames N         frames to capture (default 90)
  --interval N       write every Nth frame as PNG (default 30)
  --format FMT       GStreamer format: YUY2, UYVY, NV12, BGRx, RGB (default YUY2)
  --size WxH         frame size (default 640x480)
  --device PATH      V4L2 capture device (default: the first capture node)
  --out DIR          output folder (default out/main-job-<date>-<time>)
  --vm               use the test bed even if this machine has a camera
  -h, --help         this text
USAGE
}

frames=90 interval=30 format=YUY2 size=640x480 device="" out="" force_vm=0
while [ $# -gt 0 ]; do
  case "$1" in
    --frames) frames=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --format) format=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --vm) force_vm=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "main-job: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$size" in
  *x*) width=${size%x*} height=${size#*x} ;;
  *) echo "main-job: --size takes WxH, e.g. 640x480" >&2; exit 2 ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
builddir="$top/build"
out=$(realpath -m "${out:-$top/out/main-job-$(date +%Y%m%d-%H%M%S)}")
mkdir -p "$out"

"$top/scripts/deps.sh"
[ -f "$builddir/build.ninja" ] || meson setup "$builddir" >/dev/null
ninja -C "$builddir" >/dev/null

caps="video/x-raw(memory:DMABuf),format=$format,width=$width,height=$height"
pipeline_env=(
  GST_PLUGIN_PATH_1_0="$builddir/ext"
  GST_REGISTRY="$out/.registry.bin"
)

if [ $force_vm -eq 0 ] && { [ -n "$device" ] || "$top/scripts/find-camera.sh" >/dev/null; }; then
  device=${device:-$("$top/scripts/find-camera.sh")}
  echo "main-job: capturing from $device on this machine"
  env "${pipeline_env[@]}" gst-launch-1.0 -e \
    zcv4l2src device="$device" num-buffers="$frames" ! "$caps" ! \
    zcsnapshot location="$out/snapshot-%05d.png" interval="$interval" ! \
    fakesink
else
  echo "main-job: no camera here: running in the test bed (vivid)"
  # The registry is made here, where scanning takes a second, and only read
  # in the guest, where it would take tens of seconds under TCG.
  env "${pipeline_env[@]}" gst-inspect-1.0 zcv4l2src >/dev/null
  cat >"$out/.job.sh" <<JOB
set -e
device="$device"
[ -n "\$device" ] || device=\$("$top/scripts/find-camera.sh")
echo "main-job: capturing from \$device (\$(v4l2-ctl -d \$device --info | sed -n 's/.*Card type *: //p'))"
env ${pipeline_env[*]} GST_REGISTRY_UPDATE=no gst-launch-1.0 -e \\
  zcv4l2src device="\$device" num-buffers=$frames ! '$caps' ! \\
  zcsnapshot location='$out/snapshot-%05d.png' interval=$interval ! fakesink
JOB
  "$top/tests/vm/run.sh" --timeout 600 --share "$out" -- bash "$out/.job.sh"
fi

n=$(find "$out" -maxdepth 1 -name 'snapshot-*.png' | wc -l)
if [ "$n" -eq 0 ]; then
  echo "main-job: no snapshot was written" >&2
  exit 1
fi
echo "main-job: $n PNG snapshots of $frames frames in $out"
