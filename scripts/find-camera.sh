#!/usr/bin/env bash
# Prints the first V4L2 node that captures video (single-planar), or fails.
# SPDX-License-Identifier: LGPL-2.1-or-later
for d in /dev/video*; do
  [ -c "$d" ] || continue
  if v4l2-ctl -d "$d" --info 2>/dev/null | grep -q "Video Capture$"; then
    echo "$d"
    exit 0
  fi
done
exit 1
