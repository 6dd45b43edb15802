#!/bin/sh
# /init of the test-bed initramfs: loads the drivers, enters the host root and runs the command run.sh prepared.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs under busybox sh as PID 1. tests/vm/prepare.sh copies it into the
# initramfs together with busybox (applet links in /bin) and the kernel
# modules listed in /etc/zc-vm/modules.{base,dev} (dependency order). With
# the project's own kernel every driver is built in and both lists are
# empty.
#
# Contract with tests/vm/run.sh (all through the writable 9p share, tag
# "zcshare"; only built-in drivers' parameters travel on the kernel command
# line, where the kernel itself applies them):
#   <share>/.zc-vm/config      POSIX sh assignments: ZC_SHARE (the share's
#                              absolute host path), ZC_MODPARAMS_<module>
#   <share>/.zc-vm/command.sh  the command, run with /bin/sh inside the
#                              chroot; it writes <share>/.zc-vm/status
#   <share>/guest-status       written here once the command has finished
#   <share>/dmesg.log          the guest kernel log, written at the end

PATH=/bin:/sbin
export PATH

# The kernel only opens /dev/console if the initramfs has that node, and
# building one needs root on the host: get the console from devtmpfs instead.
mount -t devtmpfs devtmpfs /dev
exec 0</dev/console 1>/dev/console 2>&1

mount -t proc proc /proc
mount -t sysfs sysfs /sys

say() { echo "zc-vm: $*"; }

# Anything going wrong before the command ran ends the VM at once: the host
# sees no guest-status and reports the failure with this serial log.
fail() {
	say "init failed: $*"
	sync
	poweroff -f
	sleep 10
}

kver=$(cat /etc/zc-vm/kver)

# insmod every module of a list file; extra parameters for module M come
# from ZC_MODPARAMS_M (dashes in the name read as underscores).
load_modules() {
	while read -r rel; do
		[ -n "$rel" ] || continue
		name=$(basename "$rel" .ko | tr -- - _)
		params=
		eval "params=\${ZC_MODPARAMS_$name:-}"
		# shellcheck disable=SC2086 # params is a list of key=value words
		insmod "/lib/modules/$kver/$rel" $params ||
			fail "insmod $rel $params"
	done <"$1"
}

# virtio_pci and 9p first: the run's configuration lives on the share.
load_modules /etc/zc-vm/modules.base

# msize: large 9p messages make file I/O over virtio much faster.
p9opts=trans=virtio,version=9p2000.L,msize=512000
mkdir -p /share
# cache=mmap: data still goes straight to the host (no stale reads when the
# host and guest pass files back and forth), but shared mmap works.
mount -t 9p -o "$p9opts,cache=mmap" zcshare /share ||
	fail "cannot mount the share (9p tag zcshare)"
[ -r /share/.zc-vm/config ] || fail "no /share/.zc-vm/config"
# shellcheck source=/dev/null # written by run.sh
. /share/.zc-vm/config
[ -n "${ZC_SHARE:-}" ] || fail "config does not set ZC_SHARE"

# The devices under test (Debian's kernel); params (e.g. for vivid) were
# set by the config.
load_modules /etc/zc-vm/modules.dev

# The host root never changes while the VM runs: cache=loose lets the guest
# cache its files, which makes starting programs from it much faster.
mkdir -p /host
mount -t 9p -o "$p9opts,cache=loose,ro" hostroot /host ||
	fail "cannot mount the host root (9p tag hostroot)"

mount -t proc proc /host/proc || fail "mount /host/proc"
mount -t sysfs sysfs /host/sys || fail "mount /host/sys"
mount -t devtmpfs devtmpfs /host/dev || fail "mount /host/dev"
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /host/dev/pts ||
	fail "mount /host/dev/pts"
mount -t tmpfs -o mode=1777 tmpfs /host/dev/shm || fail "mount /host/dev/shm"
mount -t tmpfs -o mode=0755 tmpfs /host/run || fail "mount /host/run"
mount -t debugfs debugfs /host/sys/kernel/debug 2>/dev/null ||
	say "debugfs not mounted"

# /tmp: writable, but still showing the host's /tmp (build trees and the
# share often live there): an overlay with the host's /tmp as lower layer
# and a tmpfs for the changes. Plain tmpfs if overlayfs is unavailable.
mkdir -p /tmpfs
mount -t tmpfs -o mode=0755 tmpfs /tmpfs || fail "mount /tmpfs"
mkdir -p /tmpfs/upper /tmpfs/work
chmod 1777 /tmpfs/upper
if ! mount -t overlay -o lowerdir=/host/tmp,upperdir=/tmpfs/upper,workdir=/tmpfs/work \
	overlay /host/tmp 2>/dev/null; then
	say "overlayfs failed: /tmp is an empty tmpfs"
	mount -t tmpfs -o mode=1777 tmpfs /host/tmp || fail "mount /host/tmp"
fi

# The share goes to the same absolute path as on the host. It already
# exists in the read-only host root, unless it lives on one of the fresh
# tmpfs above: mkdir -p covers that.
mkdir -p "/host$ZC_SHARE" 2>/dev/null
mount --move /share "/host$ZC_SHARE" || fail "cannot move the share to $ZC_SHARE"

# Tests may talk over sockets on 127.0.0.1.
ip link set lo up 2>/dev/null

# Run the command in the background and watch for its status: a daemon it
# left behind holding the output pipe open must not keep the VM alive.
status=$ZC_SHARE/.zc-vm/status
chroot /host /bin/sh "$ZC_SHARE/.zc-vm/command.sh" &
pid=$!
while kill -0 "$pid" 2>/dev/null && [ ! -e "/host$status" ]; do
	sleep 0.1
done
# Let tee drain the last output, but not forever.
n=0
while kill -0 "$pid" 2>/dev/null && [ "$n" -lt 50 ]; do
	sleep 0.1
	n=$((n + 1))
done

if [ -s "/host$status" ]; then
	# Published last and in one rename, so the host never reads half a file.
	mv "/host$status" "/host$ZC_SHARE/guest-status"
else
	say "the command script ended without a status"
fi
dmesg >"/host$ZC_SHARE/dmesg.log" 2>/dev/null
sync
umount "/host$ZC_SHARE" 2>/dev/null
poweroff -f
sleep 10
