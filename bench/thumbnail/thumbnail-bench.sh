#!/usr/bin/env bash
# Benchmark: zcthumbnail and zcsnapshot against videoscale/videoconvert, pngenc and jpegenc, on this machine, in one run.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: bench/thumbnail/thumbnail-bench.sh [BUILDDIR] [BENCH OPTIONS...]
#   (default BUILDDIR: build; options: --frames N --snapshot-frames N
#   --runs N, see zc-thumbnail-bench.c)
#
# Prints the machine, then zc-thumbnail-bench's tables. The project's
# plugins come from BUILDDIR/ext, the upstream elements (videoscale,
# videoconvert, pngenc, jpegenc, appsrc...) from the system's plugin
# directory, through a registry of the run's own. The bench program is
# BUILDDIR's when meson built it (bench/thumbnail), else compiled here
# with cc from this directory's source.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
builddir=$(realpath -m "${1:-$top/build}")
shift || true
[[ -f $builddir/ext/cpu/libgstzccpu.so ]] || {
	echo "no zccpu plugin in $builddir: build first" >&2
	exit 2
}

work=$builddir/thumbnail-bench
rm -rf "$work"
mkdir -p "$work/out"
bench=$builddir/bench/thumbnail/zc-thumbnail-bench
if [[ ! -x $bench ]]; then
	bench=$work/zc-thumbnail-bench
	# shellcheck disable=SC2046
	cc -O2 -o "$bench" "$here/zc-thumbnail-bench.c" \
		$(pkg-config --cflags --libs gstreamer-app-1.0 gstreamer-check-1.0 \
			gstreamer-video-1.0)
fi

echo "machine: $(uname -srm), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo) RAM"
echo "GStreamer $(pkg-config --modversion gstreamer-1.0), libjpeg-turbo $(pkg-config --modversion libjpeg), libpng $(pkg-config --modversion libpng)"
echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
GST_PLUGIN_PATH=$builddir/ext GST_REGISTRY=$work/registry.bin \
	"$bench" --dir "$work/out" "$@"
