#!/usr/bin/env bash
# Runs one command inside a QEMU VM with a real Linux kernel (vivid, vgem, virtio-gpu, vkms, udmabuf, dma-heaps, sw_sync) over the host's root.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: tests/vm/run.sh [OPTIONS] -- COMMAND [ARGS...]
#
# Options:
#   --kernel own|debian  which kernel to boot (default: $ZC_VM_KERNEL, else
#                        own): the project's own kernel (every driver built
#                        in, adds vkms, udmabuf, dma-heaps and sw_sync; see
#                        build-kernel.sh) or Debian's linux-image-amd64
#                        (vivid, vgem, virtio-gpu as modules)
#   --timeout SECONDS    hard limit for the whole VM run (default 600); the
#                        command itself gets a guest-side limit a little
#                        shorter, so its own timeout shows up first
#   --share DIR          writable directory, mounted at the same absolute
#                        path in the guest (default: a new /tmp/zc-vm.*);
#                        results come back here
#   --env-file FILE      NAME=value lines (value = rest of the line, taken
#                        literally; blank lines and # comments skipped)
#                        for the command's environment
#   --env NAME=VALUE     one more variable (repeatable, after --env-file)
#   --modparam MOD:PARAMS  parameters for a guest driver, e.g.
#                        'vivid:n_devs=1 node_types=0x1' (repeatable); on
#                        the own kernel they become MOD.NAME=VALUE words of
#                        the kernel command line (built-in drivers read
#                        them only there), so values cannot contain spaces
#   --monitor PATH       where to put the QEMU monitor's unix socket
#                        (default /tmp/zc-vm-mon.*/monitor.sock)
#   --keep-log FILE      also copy the serial console log to FILE
#   --console            stream the serial console to stderr while running
#   --quiet-console      do not copy the command's output to the serial
#                        console: under TCG the UART moves only ~300 KB/s,
#                        which slows down chatty commands
#
# The command runs as root in the guest, chrooted into the host's root
# (read-only, so host programs and build trees run unchanged), in the
# directory run.sh was started from, with stdin from /dev/null and only
# this environment: PATH (the caller's), HOME=/tmp, LANG=C.UTF-8, ZC_VM=1,
# ZC_VM_SHARE=<share>, then --env-file and --env. /tmp in the guest shows
# the host's /tmp but writes stay in guest memory; /run and /dev/shm are
# empty tmpfs. Only the share is written back to the host.
#
# In the share afterwards:
#   guest-output.log  the command's stdout+stderr (also on the console;
#                     written as it comes, so it survives a guest crash)
#   guest-status      its exit status
#   serial.log        the whole serial console (kernel and init messages)
#   dmesg.log         the guest kernel log
#
# Exit status: the command's; 124 if the VM hit --timeout; 1 if the guest
# died before reporting a status (the serial log is printed then); 2 for a
# usage error.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prog=run.sh

usage() {
	sed -n '/^# Usage:/,/^# Exit status/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}
say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() {
	say "error: $*"
	exit 2
}

# Quotes one word for POSIX sh (init and the guest script are not bash).
shq() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}

kernel=${ZC_VM_KERNEL:-own}
timeout_s=600
share=
env_file=
extra_env=()
modparams=()
monitor=
keep_log=
console=0
console_copy=1
while [[ $# -gt 0 ]]; do
	case $1 in
	--kernel) kernel=${2:?}; shift 2 ;;
	--timeout) timeout_s=${2:?}; shift 2 ;;
	--share) share=${2:?}; shift 2 ;;
	--env-file) env_file=${2:?}; shift 2 ;;
	--env) extra_env+=("${2:?}"); shift 2 ;;
	--modparam) modparams+=("${2:?}"); shift 2 ;;
	--monitor) monitor=${2:?}; shift 2 ;;
	--keep-log) keep_log=${2:?}; shift 2 ;;
	--console) console=1; shift ;;
	--quiet-console) console_copy=0; shift ;;
	--) shift; break ;;
	-h | --help) usage ;;
	*) say "unknown option: $1"; usage ;;
	esac
done
[[ $# -gt 0 ]] || usage
[[ $timeout_s =~ ^[0-9]+$ && $timeout_s -ge 10 ]] || die "--timeout wants whole seconds >= 10"
[[ $kernel == own || $kernel == debian ]] || die "--kernel wants own or debian, not '$kernel'"

# The guest's limit leaves room for booting and for reporting back.
margin=$((timeout_s / 5))
((margin < 30)) && margin=30
((margin > timeout_s / 2)) && margin=$((timeout_s / 2))
guest_timeout=$((timeout_s - margin))

command -v qemu-system-x86_64 >/dev/null || {
	say "installing qemu-system-x86"
	install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-system-x86)
	sudo=()
	[[ $EUID -eq 0 ]] || sudo=(sudo)
	"${sudo[@]}" "${install[@]}" >/dev/null ||
		{ "${sudo[@]}" apt-get update -q >/dev/null && "${sudo[@]}" "${install[@]}" >/dev/null; }
}

image=$("$here/prepare.sh" --kernel "$kernel" | tail -n 1)
[[ -s $image/vmlinuz && -s $image/initrd.img && -s $image/kind ]] || die "prepare.sh gave no image"
kind=$(<"$image/kind")

# The share must be given by its physical path: the guest mounts it at that
# path, and a symlink in it would point into the initramfs while mounting.
if [[ -z $share ]]; then
	share=$(mktemp -d /tmp/zc-vm.XXXXXX)
else
	mkdir -p "$share"
fi
share=$(cd "$share" && pwd -P)
[[ $share != / ]] || die "the share cannot be /"
case $share in
/proc | /proc/* | /sys | /sys/* | /dev | /dev/*) die "the share cannot be under /proc, /sys or /dev" ;;
esac
cwd=$(pwd -P)
case $cwd in
/run | /run/* | /dev/shm | /dev/shm/*) say "warning: $cwd is a fresh tmpfs in the guest" ;;
esac

# Results of an earlier run in the same share must not be mistaken for ours.
rm -rf "$share/.zc-vm" "$share/guest-status" "$share/guest-output.log" \
	"$share/serial.log" "$share/dmesg.log"
mkdir "$share/.zc-vm"

# The environment, as env(1) arguments: later settings override earlier.
# Screendumps on request: the guest cannot reach QEMU's monitor, so a guest
# program writes the path of a PPM to make (inside the share) into
# $ZC_VM_SCREENDUMP_DIR/request; run.sh answers with the monitor's
# screendump and then creates .../done (remove it before asking again).
dump_dir=$share/.zc-vm/screendump
mkdir "$dump_dir"
envs=("PATH=$PATH" "HOME=/tmp" "LANG=C.UTF-8" "ZC_VM=1" "ZC_VM_SHARE=$share"
	"ZC_VM_SCREENDUMP_DIR=$dump_dir")
if [[ -n $env_file ]]; then
	[[ -r $env_file ]] || die "cannot read $env_file"
	while IFS= read -r line || [[ -n $line ]]; do
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		[[ $line =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "$env_file: not NAME=value: $line"
		envs+=("$line")
	done <"$env_file"
fi
for e in "${extra_env[@]}"; do
	[[ $e =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "--env wants NAME=VALUE: $e"
	envs+=("$e")
done

# Driver parameters: modules get them from init.sh's insmod, built-in
# drivers only from the kernel command line (MOD.NAME=VALUE words).
cmdline_params=()
for mp in "${modparams[@]}"; do
	[[ $mp =~ ^([A-Za-z0-9_-]+):(.*)$ ]] || die "--modparam wants MODULE:PARAMS: $mp"
	[[ $kind == builtin ]] || continue
	mod=${BASH_REMATCH[1]}
	read -r -a words <<<"${BASH_REMATCH[2]}"
	for w in "${words[@]}"; do
		[[ $w =~ ^[A-Za-z0-9_-]+(=[^\"\\]*)?$ ]] ||
			die "--modparam $mod: '$w' is not NAME=VALUE (no quotes on the kernel command line)"
		cmdline_params+=("$mod.$w")
	done
done

# Configuration read by the guest's /init (POSIX sh assignments).
{
	printf 'ZC_SHARE=%s\n' "$(shq "$share")"
	if [[ $kind == modules ]]; then
		for mp in "${modparams[@]}"; do
			[[ $mp =~ ^([A-Za-z0-9_-]+):(.*)$ ]]
			name=${BASH_REMATCH[1]//-/_}
			printf 'ZC_MODPARAMS_%s=%s\n' "$name" "$(shq "${BASH_REMATCH[2]}")"
		done
	fi
} >"$share/.zc-vm/config"

# The script the guest runs inside the chroot. Every word is quoted here, so
# any command line survives; the kernel command line carries none of it.
# shellcheck disable=SC2016 # $rc and $share belong to the guest script
{
	echo '#!/bin/sh'
	echo '# Generated by tests/vm/run.sh: runs the command inside the test-bed VM.'
	echo 'PATH=/usr/sbin:/usr/bin:/sbin:/bin'
	printf 'share=%s\n' "$(shq "$share")"
	echo '{'
	printf '\tif cd %s; then\n' "$(shq "$cwd")"
	printf '\t\ttimeout -k 10 %s env -i' "$guest_timeout"
	for e in "${envs[@]}"; do printf ' %s' "$(shq "$e")"; done
	for a in "$@"; do printf ' %s' "$(shq "$a")"; done
	printf ' </dev/null\n'
	echo '		rc=$?'
	printf '\t\t[ "$rc" -ne 124 ] || echo "zc-vm: the command timed out (%s s in the guest)"\n' "$guest_timeout"
	echo '	else'
	echo '		rc=125'
	echo '	fi'
	echo '	echo "$rc" >"$share/.zc-vm/status"'
	if ((console_copy)); then
		echo '} 2>&1 | tee "$share/guest-output.log"'
	else
		echo '} >"$share/guest-output.log" 2>&1'
	fi
} >"$share/.zc-vm/command.sh"

# The monitor socket goes to a short path: unix socket paths are limited to
# 108 bytes, and a share path can be long.
mon_dir=
if [[ -z $monitor ]]; then
	mon_dir=$(mktemp -d /tmp/zc-vm-mon.XXXXXX)
	monitor=$mon_dir/monitor.sock
fi
((${#monitor} < 108)) || die "monitor socket path too long: $monitor"
# QEMU must not outlive run.sh, e.g. when a test harness kills it on its
# own timeout: QEMU runs in the background and signals are passed on.
qemu_pid=
# shellcheck disable=SC2317 # called by the traps
cleanup() {
	[[ -z $qemu_pid ]] || kill -TERM "$qemu_pid" 2>/dev/null
	[[ -z $mon_dir ]] || rm -rf "$mon_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Sends one command to QEMU's human monitor and returns once QEMU printed
# its next prompt, i.e. the command has completed; fails on any reply.
monitor_command() {
	python3 - "$monitor" "$1" <<'EOF'
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

# Answers the guest's screendump requests for as long as QEMU runs.
serve_screendumps() {
	local ppm
	while kill -0 "$qemu_pid" 2>/dev/null; do
		if [[ -f $dump_dir/request ]]; then
			ppm=$(<"$dump_dir/request")
			rm -f "$dump_dir/request"
			# Only a file in the share: the path comes from the guest.
			if [[ $ppm == "$share"/*.ppm && $ppm != *..* ]]; then
				monitor_command "screendump $ppm" || say "screendump of $ppm failed"
			else
				say "refusing a screendump to '$ppm' (outside the share)"
			fi
			touch "$dump_dir/done"
		fi
		sleep 0.2
	done
}

serial=$share/serial.log
# QEMU reads commas in option values as separators unless doubled.
# shellcheck disable=SC2054 # the commas are QEMU's
qemu=(
	qemu-system-x86_64 -accel tcg -cpu max -m 2048 -smp 2
	-nographic -no-reboot -vga none -device virtio-gpu-pci -display none
	# No network card (nothing uses it) and qboot instead of SeaBIOS: both
	# only cost boot time and litter the serial log.
	-nic none -bios qboot.rom
	-kernel "$image/vmlinuz" -initrd "$image/initrd.img"
	# panic=-1: a dead guest reboots at once, and -no-reboot turns that into
	# QEMU exiting, instead of waiting out the timeout.
	-append "console=ttyS0 quiet loglevel=4 panic=-1${cmdline_params[*]:+ ${cmdline_params[*]}}"
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
	-virtfs "local,path=${share//,/,,},mount_tag=zcshare,security_model=none,multidevs=remap"
	-monitor "unix:${monitor//,/,,},server,nowait"
)

say "kernel $kernel ($(basename "$image")), timeout ${timeout_s} s (command ${guest_timeout} s)"
say "share $share"
say "QEMU monitor: $monitor"
start=$SECONDS
if ((console)); then
	timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null > >(tee "$serial" >&2) 2>&1 &
else
	timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null >"$serial" 2>&1 &
fi
qemu_pid=$!
serve_screendumps &
qemu_rc=0
wait "$qemu_pid" || qemu_rc=$?
qemu_pid=
# With --console, let tee finish the serial log.
wait || true
elapsed=$((SECONDS - start))
[[ -z $keep_log ]] || cp "$serial" "$keep_log"

status=
[[ -f $share/guest-status ]] && status=$(<"$share/guest-status")
# With --console (and the copy on it) the output was seen already.
if ((!console || !console_copy)) && [[ -f $share/guest-output.log ]]; then
	cat "$share/guest-output.log"
fi
if [[ $status =~ ^[0-9]+$ ]]; then
	say "guest command exited with status $status (VM ran ${elapsed} s)"
	exit "$status"
fi

if ((!console)); then
	say "---- serial console ----"
	cat "$serial" >&2
	say "---- end of serial console ----"
fi
if ((qemu_rc == 124 || qemu_rc == 137)); then
	say "error: the VM did not finish within ${timeout_s} s (no guest status)"
	exit 124
fi
say "error: the guest ended without a status (QEMU exit status $qemu_rc, ${elapsed} s)"
exit 1
