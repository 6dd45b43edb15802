#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang and runs each one for a
# fixed number of inputs from its seed corpus (meson test --suite fuzz).
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: scripts/fuzz.sh [BUILDDIR] [RUNS]   (default: build-fuzz, 20000)
# The whole project is compiled with -fsanitize=fuzzer-no-link and ASan +
# UBSan, so that the library code the targets call is instrumented too;
# only the library and zcv4l2src's sources are built. Crashing inputs are
# written to BUILDDIR/fuzz/crashes/; the results are in
# BUILDDIR/meson-logs/fuzz.json (scripts/count-tests.py fuzz=BUILDDIR:fuzz).
# Exit status non-zero when a target crashed, leaked or aborted.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=$(realpath -m "${1:-$top/build-fuzz}")
runs=${2:-20000}

if [ ! -f "$builddir/build.ninja" ]; then
  CC=clang meson setup "$builddir" "$top" -Dfuzzing=enabled \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args=-fsanitize=fuzzer-no-link -Dtests=disabled -Dexamples=disabled \
    -Dbench=disabled -Dcpu=disabled -Daccel=disabled -Dkms=disabled \
    -Dtracers=disabled -Dipc=disabled || exit 1
fi
meson configure "$builddir" -Dfuzz-runs="$runs" || exit 1
ninja -C "$builddir" || exit 1
rm -f "$builddir"/meson-logs/fuzz.json
meson test -C "$builddir" --suite fuzz --logbase fuzz --print-errorlogs \
  --num-processes 2
