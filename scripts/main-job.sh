#!/usr/bin/env bash
# The main job: camera -> simulated accelerator -> display as dma-bufs, with
# JPEG thumbnails, PNG snapshots, a screenshot of the display, the zcaudit
# report and a summary in one folder. Runs on this machine's own camera and
# display when it has both, otherwise inside the QEMU test bed (vivid
# camera, virtio-gpu display).
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail

usage() {
  cat <<USAGE
Usage: scripts/main-job.sh [OPTIONS]

Builds gst-zerocopy, then runs tools/zc-main-job:
  zcv4l2src ! video/x-raw(memory:DMABuf),... ! zcaccel ! tee name=t
    t. ! queue ! zckmssink
    t. ! queue leaky=downstream ! zcthumbnail ! jpegenc ! multifilesink
    t. ! queue leaky=downstream ! zcsnapshot ! fakesink
printing progress (frames captured and shown, fps, elapsed) every second.
At the end the output folder holds thumbnails/*.jpg, snapshots/*.png,
screenshot.png (the display), audit.json + audit.txt (zcaudit), summary.json
+ summary.txt (frames, average fps, capture-to-scanout latency, bytes copied
on the main path) and contact-sheet.png (all of it on one page).

Where it runs: on this machine when it has a V4L2 camera
(scripts/find-camera.sh) and a DRM card with a connected display, as root
(reading the display back needs it); otherwise in the test bed, where the
display is virtio-gpu, the screenshot is QEMU's screendump, and frames are
shown as soon as they are ready (the emulated machine is slower than the
camera's frame rate).

Options:
  --frames N              frames to capture, 0 for no limit (default 300)
  --duration SECONDS      stop after this long, 0 for no limit (default 0)
  --size WxH              frame size (default 640x480)
  --format FMT            GStreamer capture format: YUY2, UYVY, NV12, BGRx, ...
                          (default YUY2)
  --device PATH           V4L2 capture node (default: the first capture node)
  --display PATH          DRM card to show on, e.g. /dev/dri/card0 (default:
                          the first with a connected display)
  --interval N            JPEG thumbnail of one frame in N (default 30)
  --snapshot-interval N   PNG snapshot of one frame in N (default 100)
  --out DIR               output folder (default out/main-job-<date>-<time>)
  --vm                    use the test bed even if this machine has a camera
                          and a display
  -h, --help              this text

Environment: ZC_BUILD_DIR, the build directory (default build/).
USAGE
}

job_args=() device="" display="" out="" force_vm=0 frames=300
need() { [ $# -ge 2 ] || { echo "main-job: $1 needs a value" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --frames) need "$@"; frames=$2; shift 2 ;;
    --duration|--size|--format|--interval|--snapshot-interval)
      need "$@"; job_args+=("$1" "$2"); shift 2 ;;
    --device) need "$@"; device=$2; shift 2 ;;
    --display) need "$@"; display=$2; shift 2 ;;
    --out) need "$@"; out=$2; shift 2 ;;
    --vm) force_vm=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "main-job: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
job_args+=(--frames "$frames")

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
builddir=$(realpath -m "${ZC_BUILD_DIR:-$top/build}")
out=$(realpath -m "${out:-$top/out/main-job-$(date +%Y%m%d-%H%M%S)}")
mkdir -p "$out"

"$top/scripts/deps.sh"
[ -f "$builddir/build.ninja" ] || meson setup "$builddir" >/dev/null
ninja -C "$builddir" >/dev/null
tool="$builddir/tools/zc-main-job"
[ -x "$tool" ] || { echo "main-job: $tool was not built (see meson's messages)" >&2; exit 1; }

pipeline_env=(
  GST_PLUGIN_PATH_1_0="$builddir/ext"
  GST_REGISTRY="$out/.registry.bin"
)

# A display: a DRM connector that reports a connected monitor.
has_display() {
  local status
  for status in /sys/class/drm/card*-*/status; do
    [ -r "$status" ] && [ "$(cat "$status")" = connected ] && return 0
  done
  return 1
}

status=0
if [ $force_vm -eq 0 ] && { [ -n "$device" ] || "$top/scripts/find-camera.sh" >/dev/null; } &&
  { [ -n "$display" ] || has_display; }; then
  device=${device:-$("$top/scripts/find-camera.sh")}
  echo "main-job: capturing from $device and showing on this machine's display"
  env "${pipeline_env[@]}" "$tool" "${job_args[@]}" --device "$device" \
    ${display:+--display "$display"} --out "$out" || status=$?
else
  echo "main-job: no camera and display here: running in the test bed (vivid, virtio-gpu)"
  # The registry is made here, where scanning takes a second, and only read
  # in the guest, where it would take tens of seconds under TCG.
  env "${pipeline_env[@]}" gst-inspect-1.0 zcv4l2src >/dev/null
  printf -v args ' %q' "${job_args[@]}" --out "$out" --no-sync ${display:+--display "$display"}
  cat >"$out/.job.sh" <<JOB
set -e
device=$(printf %q "$device")
[ -n "\$device" ] || device=\$("$top/scripts/find-camera.sh")
echo "main-job: capturing from \$device (\$(v4l2-ctl -d \$device --info | sed -n 's/.*Card type *: //p'))"
exec env ${pipeline_env[*]} GST_REGISTRY_UPDATE=no "$tool" --device "\$device"$args
JOB
  # --console: the progress lines show while the job runs.
  "$top/tests/vm/run.sh" --timeout 900 --console --share "$out" -- bash "$out/.job.sh" ||
    status=$?
fi

if [ -f "$out/summary.txt" ]; then
  /usr/bin/python3 "$top/scripts/contact-sheet.py" "$out" >/dev/null
  echo
  cat "$out/summary.txt"
  echo "main-job: contact sheet $out/contact-sheet.png"
fi
echo "main-job: output in $out"
exit "$status"
