#!/usr/bin/env bash
# Runs the in-tree zc-fd-share: one process sends frames, another receives them as the same memory.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: examples/check-fd-share.sh ZC_FD_SHARE
# The environment gives GStreamer's plugin paths (examples/meson.build).
# Prints a gst-check style summary line, which scripts/count-tests.py
# reads, when everything passed.
set -euo pipefail

example=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "check-fd-share: $*" >&2
  exit 1
}

# The sender starts the receiver itself; both must exit 0.
"$example" --frames 30 --width 64 --height 48 --socket "$tmp/zc.sock" \
  >"$tmp/out.log" 2>&1 || {
  cat "$tmp/out.log" >&2
  fail "zc-fd-share failed"
}
cat "$tmp/out.log"
# Every frame arrived as drawn, in the pool's own few buffers (4): the
# receiver read the sender's memory, it did not get copies.
grep -Eq '^received 30 frames in [1-4] distinct (dma-bufs|memfds), 0 not as drawn$' \
  "$tmp/out.log" || fail "the receiver did not get every frame as drawn"
grep -Eq 'the pool allocated [1-4] buffers$' "$tmp/out.log" ||
  fail "the sender's pool grew past its 4 buffers"
[[ ! -e $tmp/zc.sock ]] || fail "zcfdsink left its socket behind"
echo "Checks: 1, Failures: 0, Errors: 0"
