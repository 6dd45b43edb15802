#!/usr/bin/env bash
# Checks the real-kernel test bed end to end: boot, devices, share, exit status, GStreamer.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: tests/vm/selftest.sh [--kernel own|debian]
#
# Boots the VM twice (about 10 s each, plus a first kernel build or
# download and initramfs build) with the given kernel (run.sh's default
# when not given) and prints one line per check, then "N passed, N failed".
# Exits non-zero if any check failed.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

kernel=${ZC_VM_KERNEL:-own}
case ${1:-} in
--kernel) kernel=${2:?} ;;
"") ;;
*) sed -n 's/^# Usage: //p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
esac
run=("$here/run.sh" --kernel "$kernel")

share=$(mktemp -d /tmp/zc-vm-selftest.XXXXXX)

passed=0
failed=0
check() {
	local what=$1
	shift
	if "$@"; then
		echo "PASS: $what"
		passed=$((passed + 1))
	else
		echo "FAIL: $what"
		failed=$((failed + 1))
	fi
}

# GStreamer's registry scan takes ~25 s under TCG: build it on the host and
# let the guest use it read-only.
gst=0
if command -v gst-launch-1.0 >/dev/null &&
	GST_REGISTRY=$share/gst-registry.bin gst-inspect-1.0 v4l2src >/dev/null 2>&1; then
	gst=1
	printf 'GST_REGISTRY=%s\nGST_REGISTRY_UPDATE=no\n' "$share/gst-registry.bin" >"$share/env"
else
	: >"$share/env"
fi

# The guest only gathers facts into the share; the host judges them, so a
# broken guest cannot make a check pass.
# shellcheck disable=SC2016 # expanded by the guest's shell
guest_script='
out=$ZC_VM_SHARE
ls -l /dev/video* /dev/media* /dev/dri/ /dev/udmabuf /dev/dma_heap/
grep -c ^processor /proc/cpuinfo >"$out/nproc"
cat /sys/class/video4linux/video0/name >"$out/video0-name"
for f in /dev/udmabuf /dev/dma_heap/system /sys/kernel/debug/sync/sw_sync; do
	[ -e "$f" ] && echo "$f"
done >"$out/dmabuf-nodes"
if command -v v4l2-ctl >/dev/null; then
	v4l2-ctl -d /dev/video0 --info >"$out/video0-info" 2>&1
fi
for f in /sys/kernel/debug/dri/[0-9]/name; do
	echo "$(basename "$(dirname "$f")") $(cut -d" " -f1 "$f")"
done >"$out/dri-cards"
cat "$out/dri-cards"
if [ "$GST" = 1 ]; then
	gst-launch-1.0 -q v4l2src device=/dev/video0 num-buffers=10 \
		! video/x-raw,width=640,height=480 ! fakesink
	echo $? >"$out/gst-status"
fi
echo ok >"$out/ok"
'

echo "== run 1 ($kernel kernel): devices and share"
"${run[@]}" --timeout 300 --share "$share" --env-file "$share/env" --env "GST=$gst" \
	-- sh -c "$guest_script"
rc=$?
check "run.sh returned the guest's status 0" test "$rc" -eq 0
check "the guest wrote into the share" grep -qx ok "$share/ok"
check "guest-output.log came back" grep -q /dev/video0 "$share/guest-output.log"
check "the guest has 2 CPUs" grep -qx 2 "$share/nproc"
check "/dev/video0 is vivid's capture node" grep -qx vivid-000-vid-cap "$share/video0-name"
if [[ -f $share/video0-info ]]; then
	check "v4l2-ctl sees Video Capture on /dev/video0" \
		grep -q 'Video Capture' "$share/video0-info"
fi
if [[ $kernel == own ]]; then
	# Built-in drivers register in link order: vgem, vkms, then virtio-gpu
	# once its PCI device is probed.
	check "/dev/dri/card0 is vgem" grep -qx '0 vgem' "$share/dri-cards"
	check "/dev/dri/card1 is vkms" grep -qx '1 vkms' "$share/dri-cards"
	check "/dev/dri/card2 is virtio_gpu" grep -qx '2 virtio_gpu' "$share/dri-cards"
	for f in /dev/udmabuf /dev/dma_heap/system /sys/kernel/debug/sync/sw_sync; do
		check "$f exists" grep -qxF "$f" "$share/dmabuf-nodes"
	done
else
	check "/dev/dri/card0 is virtio_gpu" grep -qx '0 virtio_gpu' "$share/dri-cards"
	check "/dev/dri/card1 is vgem" grep -qx '1 vgem' "$share/dri-cards"
fi
if ((gst)); then
	check "gst-launch-1.0 v4l2src ran in the guest" grep -qx 0 "$share/gst-status"
else
	echo "SKIP: GStreamer with v4l2src is not installed on the host"
fi

echo "== run 2 ($kernel kernel): exit status, driver parameters"
# shellcheck disable=SC2016 # expanded by the guest's shell
"${run[@]}" --timeout 120 --share "$share" --modparam 'vivid:n_devs=2 node_types=0x1,0x1' \
	-- sh -c 'echo "args: $*"; cat /sys/class/video4linux/*/name; exit 3' - 'a b' "c'd"
rc=$?
check "run.sh returned the guest's status 3" test "$rc" -eq 3
check "arguments arrived intact" grep -qxF "args: a b c'd" "$share/guest-output.log"
# Two vivid instances with video capture nodes only (node_types is an
# array: one value per instance), so no output node anywhere.
check "--modparam reached vivid (2 instances)" grep -qx vivid-001-vid-cap "$share/guest-output.log"
no_output_node() { ! grep -q vid-out "$share/guest-output.log"; }
check "--modparam reached vivid (capture nodes only)" no_output_node

echo "$passed passed, $failed failed"
if ((failed)); then
	echo "logs kept in $share"
	exit 1
fi
rm -rf "$share"
