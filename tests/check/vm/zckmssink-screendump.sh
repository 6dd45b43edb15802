#!/usr/bin/env bash
# Checks zckmssink's picture as QEMU itself shows it: runs the test bed's display test and answers its screendump request on the host.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: tests/check/vm/zckmssink-screendump.sh [BUILDDIR]   (default: build)
#
# The guest cannot reach QEMU's monitor, and the host cannot tell when
# frames are on screen, so the check is split between them, talking through
# files in the share (BUILDDIR, mounted at the same path in the guest):
#
#  1. this script boots the test bed with a monitor socket of its own and
#     runs the VM test vm-zckmssink, case test_default_display, with
#     ZC_KMS_SCREENDUMP_DIR=BUILDDIR/zckmssink-screendump;
#  2. the guest test plays `zcv4l2src ! zckmssink` (no properties), and
#     once frames are on screen writes DIR/request holding the path of a
#     PPM to make, then keeps the frames on screen and waits for DIR/done;
#  3. this script sends the monitor command `screendump PATH`, which QEMU
#     completes before printing its next prompt, and creates DIR/done;
#  4. the guest test reads the PPM and checks vivid's eight colour bars in
#     it: a failure there fails the test, and so does a dump that never
#     comes (60 s). The exit status is the guest test's.
#
# One VM boot, about 20 s on 2 cores. The PPM stays in DIR for a look.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
builddir=$(realpath -m "${1:-$top/build}")
[[ -f $builddir/build.ninja ]] || { echo "no build in $builddir" >&2; exit 2; }

dir=$builddir/zckmssink-screendump
rm -rf "$dir"
mkdir -p "$dir"
# Unix socket paths are limited to 108 bytes: a short directory of its own.
mon_dir=$(mktemp -d /tmp/zc-kms-mon.XXXXXX)
sock=$mon_dir/monitor.sock
vm_pid=
cleanup() {
	[[ -z $vm_pid ]] || kill -TERM "$vm_pid" 2>/dev/null || true
	rm -rf "$mon_dir"
}
trap cleanup EXIT

# Sends one human-monitor command and returns once QEMU printed its next
# prompt, i.e. the command has completed.
monitor() {
	python3 - "$sock" "$1" <<'EOF'
import socket
import sys

sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(30)
sock.connect(sys.argv[1])


def until_prompt():
    data = b""
    while not data.endswith(b"(qemu) "):
        chunk = sock.recv(4096)
        if not chunk:
            sys.exit("monitor closed the connection")
        data += chunk
    return data


until_prompt()
sock.sendall(sys.argv[2].encode() + b"\n")
reply = until_prompt().decode(errors="replace")
# The reply echoes the command; anything else before the prompt is an error.
lines = [l for l in reply.replace("\r", "").split("\n")[1:] if l and l != "(qemu) "]
if lines:
    sys.exit("monitor: " + " / ".join(lines))
EOF
}

"$top/tests/vm/run.sh" --timeout 300 --share "$builddir" --monitor "$sock" \
	--env "ZC_KMS_SCREENDUMP_DIR=$dir" --env GST_CHECKS=test_default_display \
	-- meson test -C "$builddir" --suite vm --no-rebuild --print-errorlogs \
	zckmssink &
vm_pid=$!

answered=0
while kill -0 "$vm_pid" 2>/dev/null; do
	if ((!answered)) && [[ -f $dir/request ]]; then
		ppm=$(<"$dir/request")
		# Only a file in this script's directory: the path comes from the guest.
		if [[ $ppm == "$dir"/*.ppm && $ppm != *..* ]]; then
			monitor "screendump $ppm" && echo "screendump: $ppm ($(stat -c %s "$ppm") bytes)" >&2
		else
			echo "screendump: refusing request for '$ppm'" >&2
		fi
		touch "$dir/done"
		answered=1
	fi
	sleep 0.2
done

status=0
wait "$vm_pid" || status=$?
vm_pid=
((answered)) || echo "screendump: the guest never asked for a screendump" >&2
exit "$status"
