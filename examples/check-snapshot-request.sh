#!/usr/bin/env bash
# Runs zc-snapshot-request both ways (signal, event) and checks the files it named.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: examples/check-snapshot-request.sh ZC_SNAPSHOT_REQUEST
# The environment gives GStreamer's plugin paths (videotestsrc and
# fakesink from the system, zcsnapshot from the build or an install).
# For each way of asking: 3 requests give exactly 3 lines
# "LOCATION<TAB>FRAME", frame numbers increasing, each LOCATION a
# 320x240 PNG in the scratch directory, and no other file there. Prints a
# gst-check style summary line, which scripts/count-tests.py reads, when
# everything passed.
set -euo pipefail

example=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "check-snapshot-request: $*" >&2
  exit 1
}

# The size in an IHDR chunk: bytes 16-23 of a PNG file.
png_size() {
  python3 - "$1" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read(24)
assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
print("%dx%d" % struct.unpack(">II", data[16:24]))
PY
}

checks=0
for via in signal event; do
  dir=$tmp/$via
  mkdir "$dir"
  "$example" --via "$via" --count 3 --location "$dir/req-%05d.png" \
    >"$tmp/$via.out"
  cat "$tmp/$via.out"
  [[ $(wc -l <"$tmp/$via.out") -eq 3 ]] || fail "$via: not 3 lines"
  last=-1
  while IFS=$'\t' read -r location frame; do
    [[ $location == "$dir"/req-*.png ]] || fail "$via: $location"
    [[ $location == "$(printf "$dir/req-%05d.png" "$frame")" ]] ||
      fail "$via: $location is not the name of frame $frame"
    ((frame > last)) || fail "$via: frame $frame after $last"
    last=$frame
    [[ $(png_size "$location") == 320x240 ]] ||
      fail "$via: $location is not a 320x240 PNG"
  done <"$tmp/$via.out"
  [[ $(find "$dir" -type f | wc -l) -eq 3 ]] ||
    fail "$via: other files were written: $(ls "$dir")"
  checks=$((checks + 1))
done
echo "Checks: $checks, Failures: 0, Errors: 0"
