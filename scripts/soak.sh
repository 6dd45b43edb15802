#!/usr/bin/env bash
# Soak: the main job for a long time in the test bed, with the process's
# fds, mappings, memory and the display's latency sampled every minute,
# then a report (text table and PNG plot) saying whether each stayed flat.
# Not part of CI: the default run takes about 45 minutes.
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail

usage() {
  cat <<USAGE
Usage: scripts/soak.sh [OPTIONS]

Runs, in one boot of the QEMU test bed (tests/vm/run.sh):
 1. tools/zc-main-job --duration MINUTES*60 --stats-interval SAMPLE_S
    (vivid -> zcaccel -> zckmssink on virtio-gpu, JPEG thumbnails, PNG
    snapshots): every SAMPLE_S seconds the job appends its fd count
    (/proc/self/fd), mapping count (/proc/self/maps), VmRSS, Pss
    (smaps_rollup) and zckmssink's latency-avg-us / latency-p99-us to
    OUT/stats.jsonl;
 2. the fd and mapping check of a LEAK_FRAMES-frame run
    (tests/check/vm/faults.c, test_no_leak_long_run): /proc/self/fd and
    /proc/self/maps identical before and after;
 3. the signal storm over STORM_FRAMES frames (test_signal_storm: a
    signal every millisecond on every thread, every DMA_BUF_IOCTL_SYNC
    refused with EINTR then EAGAIN): no frame lost, nothing reported;
then writes OUT/soak-report.txt and OUT/soak.png (scripts/soak-report.py):
per quantity the first and last sample, the least-squares drift over the
run after the first sample, and FLAT or DRIFTS. Exit status 0 only when
both runs passed and everything is flat.

Options:
  --minutes N        length of the main job (default 30; 0 skips it)
  --sample-s S       seconds between samples (default 60)
  --leak-frames N    frames of the fd/mapping check (default 10000; 0 skips)
  --storm-frames N   frames of the signal storm (default 2000; 0 skips)
  --size WxH         frame size (default 640x480)
  --out DIR          output folder (default out/soak-<date>-<time>)
  -h, --help         this text

Environment: ZC_BUILD_DIR, the build directory (default build/).
USAGE
}

minutes=30 sample_s=60 leak_frames=10000 storm_frames=2000 size=640x480 out=""
need() { [ $# -ge 2 ] || { echo "soak: $1 needs a value" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) need "$@"; minutes=$2; shift 2 ;;
    --sample-s) need "$@"; sample_s=$2; shift 2 ;;
    --leak-frames) need "$@"; leak_frames=$2; shift 2 ;;
    --storm-frames) need "$@"; storm_frames=$2; shift 2 ;;
    --size) need "$@"; size=$2; shift 2 ;;
    --out) need "$@"; out=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "soak: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
for n in "$minutes" "$sample_s" "$leak_frames" "$storm_frames"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "soak: '$n' is not a whole number" >&2; exit 2; }
done
[ "$sample_s" -ge 1 ] || { echo "soak: --sample-s takes 1 or more" >&2; exit 2; }

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
builddir=$(realpath -m "${ZC_BUILD_DIR:-$top/build}")
out=$(realpath -m "${out:-$top/out/soak-$(date +%Y%m%d-%H%M%S)}")
mkdir -p "$out"

"$top/scripts/deps.sh"
[ -f "$builddir/build.ninja" ] || meson setup "$builddir" -Dtests=enabled >/dev/null
ninja -C "$builddir" >/dev/null
tool="$builddir/tools/zc-main-job"
leak_test="$builddir/tests/check/vm-faults"
[ "$minutes" -eq 0 ] || [ -x "$tool" ] ||
  { echo "soak: $tool was not built (see meson's messages)" >&2; exit 1; }
[ "$((leak_frames + storm_frames))" -eq 0 ] || [ -x "$leak_test" ] ||
  { echo "soak: $leak_test was not built (meson setup -Dtests=enabled)" >&2; exit 1; }

# The registry is made here, where scanning takes a second; the guest only
# reads it.
env GST_PLUGIN_PATH_1_0="$builddir/ext" GST_REGISTRY="$out/.registry.bin" \
  gst-inspect-1.0 zcv4l2src >/dev/null

duration=$((minutes * 60))
cat >"$out/.soak.sh" <<JOB
status=0
export GST_PLUGIN_PATH_1_0="$builddir/ext" GST_REGISTRY="$out/.registry.bin" GST_REGISTRY_UPDATE=no
if [ $minutes -gt 0 ]; then
  device=\$("$top/scripts/find-camera.sh")
  echo "soak: main job for $minutes min on \$device, a sample every $sample_s s"
  # One thumbnail a second and one snapshot every ~40 s at TCG's frame
  # rate: the soak is about the pipeline, not about filling the share.
  "$tool" --device "\$device" --frames 0 --duration $duration --size $size \\
    --interval 30 --snapshot-interval 1000 --no-sync \\
    --stats-interval $sample_s --out "$out/main-job" >"$out/main-job.log" 2>&1 ||
    { status=1; echo "soak: the main job failed:"; tail -n 20 "$out/main-job.log"; }
fi
if [ $leak_frames -gt 0 ]; then
  echo "soak: fd and mapping check over $leak_frames frames"
  GST_PLUGIN_SYSTEM_PATH_1_0= GST_CHECKS=test_no_leak_long_run \\
    ZC_LEAK_FRAMES=$leak_frames CK_TIMEOUT_MULTIPLIER=4 \\
    TEMP=/tmp GST_REGISTRY="$out/.leak-registry.bin" GST_REGISTRY_UPDATE=yes \\
    "$leak_test" >"$out/leak.log" 2>&1 || status=1
  tail -n 5 "$out/leak.log"
fi
if [ $storm_frames -gt 0 ]; then
  echo "soak: signal storm over $storm_frames frames"
  GST_PLUGIN_SYSTEM_PATH_1_0= GST_CHECKS=test_signal_storm \\
    ZC_STORM_FRAMES=$storm_frames CK_TIMEOUT_MULTIPLIER=4 \\
    TEMP=/tmp GST_REGISTRY="$out/.leak-registry.bin" GST_REGISTRY_UPDATE=yes \\
    "$leak_test" >"$out/storm.log" 2>&1 || status=1
  grep -E "signal storm|Checks|:F:|:E:" "$out/storm.log"
fi
exit \$status
JOB

# Boot, registry reads, the leak run's frames at TCG's ~20 fps and the
# storm's at ~5 fps (the signals slow the emulated machine), with room.
timeout_s=$((duration + leak_frames / 10 + storm_frames / 2 + 900))
status=0
"$top/tests/vm/run.sh" --timeout "$timeout_s" --quiet-console --share "$out" -- \
  bash "$out/.soak.sh" || status=$?

if [ "$minutes" -gt 0 ]; then
  /usr/bin/python3 "$top/scripts/soak-report.py" "$out/main-job/stats.jsonl" \
    --text "$out/soak-report.txt" --png "$out/soak.png" || status=1
  [ -f "$out/soak-report.txt" ] && cat "$out/soak-report.txt"
fi
echo "soak: output in $out"
exit "$status"
