#!/usr/bin/env bash
# Builds the test bed's own kernel (udmabuf, dma-heaps, vkms, sw_sync, vivid, vgem, virtio-gpu built in) from Debian's linux-source-6.1, cached; prints its directory.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: tests/vm/build-kernel.sh
#
# On success the last (and only) line on stdout is a directory holding
# bzImage (and config, the kernel's final .config); progress goes to
# stderr. The kernel is `make tinyconfig` plus every option of
# kernel.config beside this script, all built in (no modules). It is cached
# in
#   ${ZC_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gst-zerocopy/vm}/kernels/<srcver>-<key>/
# where <srcver> is the version of Debian's linux-source-6.1 package and
# <key> hashes that version, kernel.config and this script: a new source
# package or an edit of either file builds a new kernel (about 6 minutes on
# 2 cores); otherwise nothing is built or installed. Missing build tools
# and the source package are installed with apt-get. Kernels unused for 30
# days are removed.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${ZC_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gst-zerocopy/vm}
fragment=$here/kernel.config
srcpkg=linux-source-6.1
tarball=/usr/src/$srcpkg.tar.xz

log() { printf 'build-kernel: %s\n' "$*" >&2; }
die() {
	printf 'build-kernel: error: %s\n' "$*" >&2
	exit 1
}

as_root() {
	if [[ $EUID -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "need root to run: $*"
	fi
}

# The installed version of a package, empty if it is not installed
# (dpkg-query fails for a package it has never seen).
installed_version() {
	{ dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null || true; } |
		awk '$3 == "installed" { print $4 }'
}

# Installs Debian packages that are missing; a fresh machine's package
# lists may be empty or stale, so update them once if the install fails.
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		[[ -n $(installed_version "$p") ]] || missing+=("$p")
	done
	[[ ${#missing[@]} -eq 0 ]] && return 0
	log "installing ${missing[*]}"
	local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends)
	if ! as_root "${apt[@]}" "${missing[@]}" >/dev/null; then
		as_root apt-get update -q >/dev/null
		as_root "${apt[@]}" "${missing[@]}" >/dev/null
	fi
}

# The fragment's options as NAME VALUE lines; anything that is neither a
# comment nor CONFIG_NAME=value is an error, so a typo cannot be skipped.
# VALUE is y, n, or a number or string for scripts/config --set-val.
options() {
	local line n=0
	while IFS= read -r line || [[ -n $line ]]; do
		n=$((n + 1))
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		[[ $line =~ ^CONFIG_([A-Za-z0-9_]+)=([^[:space:]]+)$ ]] ||
			die "$fragment:$n: not CONFIG_NAME=value: $line"
		printf '%s %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
	done <"$fragment"
}

# Sets srcver, key and kdir for a source package version.
resolve() {
	srcver=$1
	key=$(
		{
			printf '%s\n' "$srcpkg" "$srcver"
			cat "$fragment" "$here/build-kernel.sh"
		} | sha256sum | cut -c1-12
	)
	kdir=$cache/kernels/$srcver-$key
}

have_kernel() {
	if [[ -s $kdir/bzImage ]]; then
		# The mtime marks the last use, for pruning below.
		touch "$kdir"
		log "cached: $kdir"
		printf '%s\n' "$kdir"
		exit 0
	fi
}

[[ -r $fragment ]] || die "cannot read $fragment"
options >/dev/null

# The cache is keyed by the source version, so a cached kernel is found
# without installing anything: the installed version if there is one,
# else the version apt would install.
ver=$(installed_version "$srcpkg")
if [[ -z $ver ]]; then
	ver=$(apt-cache policy "$srcpkg" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
	[[ $ver == "(none)" ]] && ver=
fi
if [[ -n $ver ]]; then
	resolve "$ver"
	have_kernel
fi

# Kbuild's host tools need these; xz unpacks the source.
ensure_packages build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils "$srcpkg"
ver=$(installed_version "$srcpkg")
[[ -n $ver && -r $tarball ]] || die "$srcpkg installed no $tarball"
resolve "$ver"
have_kernel

mkdir -p "$cache/kernels"
# Two runs building at once would both spend 6 minutes and fight over
# the same directory.
exec 9>"$cache/.kernel.lock"
flock 9
have_kernel

start=$SECONDS
work=$(mktemp -d "$cache/.kbuild.XXXXXX")
trap 'rm -rf "$work"' EXIT

log "unpacking $srcpkg $srcver"
tar -xf "$tarball" -C "$work"
src=$work/$srcpkg
[[ -f $src/Makefile ]] || die "$tarball has no $srcpkg/Makefile"

# scripts/config edits .config; olddefconfig then resolves dependencies.
# It is run twice because options selected in the first pass can make
# further defaults appear in the second.
log "configuring: tinyconfig + $(basename "$fragment")"
make -C "$src" -s tinyconfig >"$work/config.log" 2>&1 ||
	{ cat "$work/config.log" >&2; die "make tinyconfig failed"; }
args=()
while read -r name value; do
	if [[ $value == y ]]; then
		args+=(-e "$name")
	elif [[ $value == n ]]; then
		args+=(-d "$name")
	else
		args+=(--set-val "$name" "$value")
	fi
done < <(options)
"$src/scripts/config" --file "$src/.config" "${args[@]}"
for _ in 1 2; do
	make -C "$src" -s olddefconfig >>"$work/config.log" 2>&1 ||
		{ cat "$work/config.log" >&2; die "make olddefconfig failed"; }
done

# Kconfig drops an option whose dependencies are not met without a word
# (and keeps one that something else selects): compare every requested
# line with the result before spending minutes on a kernel that lacks a
# driver. n means "not set" in any form.
kept() {
	if [[ $2 == n ]]; then
		grep -q "^CONFIG_$1=" "$src/.config" && return 1
		return 0
	fi
	grep -qxF "CONFIG_$1=$2" "$src/.config"
}
dropped=0
while read -r name value; do
	kept "$name" "$value" && continue
	got=$(grep -E "^(# )?CONFIG_${name}[= ]" "$src/.config" || true)
	log "CONFIG_$name=$value was not kept by Kconfig (.config has: ${got:-nothing})"
	dropped=$((dropped + 1))
done < <(options)
((dropped == 0)) || die "$dropped option(s) of $fragment missing from the kernel's .config; fix their dependencies in $fragment"

jobs=$(nproc)
log "building bzImage with $jobs jobs (about 6 minutes on 2 cores)"
if ! make -C "$src" -j"$jobs" bzImage >"$work/build.log" 2>&1; then
	tail -n 60 "$work/build.log" >&2
	die "kernel build failed"
fi

mkdir "$work/out"
cp "$src/arch/x86/boot/bzImage" "$work/out/bzImage"
cp "$src/.config" "$work/out/config"
rm -rf "$kdir"
mv "$work/out" "$kdir"
log "built $kdir in $((SECONDS - start)) s: bzImage $(du -h "$kdir/bzImage" | cut -f1)"

# Kernels unused for a month (older source packages, older fragments).
find "$cache/kernels" -mindepth 1 -maxdepth 1 -type d -mtime +30 -exec rm -rf {} +
printf '%s\n' "$kdir"
