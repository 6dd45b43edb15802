#!/usr/bin/env bash
# Runs the in-tree zc-pool-push and checks the PNG snapshots it wrote.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: examples/check-example.sh ZC_POOL_PUSH
# The environment gives GStreamer's plugin paths (examples/meson.build).
# Prints a gst-check style summary line, which scripts/count-tests.py
# reads, when everything passed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
example=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 5 frames, every 2nd written: frames 0, 2 and 4, nothing else.
"$example" --frames 5 --interval 2 --width 64 --height 48 \
  --location "$tmp/push-%05d.png"
for frame in 0 2 4; do
  python3 "$here/check-png.py" "$tmp/$(printf 'push-%05d.png' "$frame")" \
    64 48 "$frame"
done
written=$(find "$tmp" -name 'push-*.png' | wc -l)
if [[ $written -ne 3 ]]; then
  echo "check-example: $written PNG files written, expected 3" >&2
  exit 1
fi
echo "Checks: 1, Failures: 0, Errors: 0"
