#!/usr/bin/env bash
# Builds gst-zerocopy and runs every test: host unit tests, the same
# again in a sanitizer build (BUILDDIR-asan), the libFuzzer targets
# (BUILDDIR-fuzz), then the real-kernel tests inside the QEMU test bed.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: scripts/test-all.sh [BUILDDIR]     (default: build)
# Ends with "N passed, N failed" counting every gst-check case of both
# suites; exits non-zero when anything failed or did not run.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
builddir=$(realpath -m "${1:-build}")

"$top/scripts/deps.sh" || exit 1
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" -Dtests=enabled || exit 1
fi
ninja -C "$builddir" || exit 1

rm -f "$builddir"/meson-logs/{host,vm}.json

echo "=== host tests"
meson test -C "$builddir" --suite host --logbase host --print-errorlogs \
  --num-processes 2

echo "=== host tests again, built with ASan, LeakSanitizer and UBSan"
# A second build directory: -Db_sanitize cannot share objects with the
# main build. The sanitizer reports and the suppressions are set by the
# test setup 'sanitize' (tests/check/meson.build, tests/check/lsan.supp).
asandir="$builddir-asan"
if [ ! -f "$asandir/build.ninja" ]; then
  meson setup "$asandir" -Dtests=enabled -Db_sanitize=address,undefined \
    -Dexamples=disabled -Dbench=disabled || exit 1
fi
ninja -C "$asandir" || exit 1
rm -f "$asandir"/meson-logs/asan*.json
meson test -C "$asandir" --setup sanitize --suite sanitize --logbase asan \
  --print-errorlogs --num-processes 2

echo "=== libFuzzer targets (clang, ASan + UBSan), a fixed number of runs"
"$top/scripts/fuzz.sh" "$builddir-fuzz" 200000

echo "=== test bed tests (QEMU, real kernel drivers)"
# The build directory is the test bed's writable share, at the same path:
# meson's logs and the tests' registries come back through it.
"$top/tests/vm/run.sh" --timeout 1200 --share "$builddir" -- \
  meson test -C "$builddir" --suite vm --logbase vm --no-rebuild \
  --print-errorlogs --num-processes 1

echo "=== summary"
python3 "$top/scripts/count-tests.py" "$builddir" host vm "asan=$asandir:sanitize" \
  "fuzz=$builddir-fuzz:fuzz"
