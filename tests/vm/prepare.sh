#!/usr/bin/env bash
# Finds or builds the test-bed kernel (the project's own, or Debian's) and its initramfs, cached by version; prints the image directory.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: tests/vm/prepare.sh [--kernel own|debian]
#
#   --kernel own     (default) the project's own kernel, built by
#                    build-kernel.sh from Debian's linux-source-6.1 with
#                    every driver built in: vivid, vgem, virtio-gpu, vkms,
#                    udmabuf, dma-heaps, sw_sync. No modules.
#   --kernel debian  Debian's linux-image-amd64 with vivid, vgem and
#                    virtio-gpu loaded as modules (no udmabuf, dma-heaps,
#                    vkms or sw_sync).
#   $ZC_VM_KERNEL gives the default when --kernel is not used.
#
# On success the last (and only) line on stdout is a directory holding
# vmlinuz, initrd.img and kind ("builtin": drivers are built in and take
# their parameters on the kernel command line; "modules": init.sh loads
# them with insmod); progress goes to stderr. Everything lives in
#   ${ZC_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gst-zerocopy/vm}
#     kernels/<srcver>-<key>/         the own kernel (see build-kernel.sh)
#     debs/<package>_<version>.deb    Debian's kernel package as downloaded
#     images/own-<srcver>-<key>/      own kernel + initramfs
#     images/<kver>-<key>/            Debian's kernel + initramfs, modules.txt
# where <key> hashes the kernel (own: its cache directory; Debian: package
# and version), busybox's version, this script and init.sh: changing any of
# them builds a new image.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${ZC_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gst-zerocopy/vm}

kernel=${ZC_VM_KERNEL:-own}
while [[ $# -gt 0 ]]; do
	case $1 in
	--kernel) kernel=${2:?}; shift 2 ;;
	*)
		sed -n '/^# Usage:/,/^# On success/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
		exit 2
		;;
	esac
done

# Debian's kernel: mounting the share and the host root needs these
# modules before anything else...
base_modules=(virtio_pci 9pnet_virtio 9p overlay)
# ...and these are the devices the project's tests use.
dev_modules=(virtio-gpu vgem vivid)

log() { printf 'prepare: %s\n' "$*" >&2; }
die() {
	printf 'prepare: error: %s\n' "$*" >&2
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

# Installs Debian packages that are missing; a fresh machine's package
# lists may be empty or stale, so update them once if the install fails.
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[[ ${#missing[@]} -eq 0 ]] && return 0
	log "installing ${missing[*]}"
	local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends)
	if ! as_root "${apt[@]}" "${missing[@]}" >/dev/null; then
		as_root apt-get update -q >/dev/null
		as_root "${apt[@]}" "${missing[@]}" >/dev/null
	fi
}

image_key() {
	{
		printf '%s\n' "$@" "$bbver"
		cat "$here/prepare.sh" "$here/init.sh"
	} | sha256sum | cut -c1-12
}

have_image() {
	if [[ -s $image/vmlinuz && -s $image/initrd.img && -s $image/kind ]]; then
		# The mtime marks the last use, for pruning below.
		touch "$image"
		log "cached: $image"
		printf '%s\n' "$image"
		exit 0
	fi
}

# Takes the cache lock and a scratch directory: two runs preparing at once
# would fight over the same files.
begin_build() {
	mkdir -p "$cache/images"
	exec 9>"$cache/.lock"
	flock 9
	have_image
	start=$SECONDS
	work=$(mktemp -d "$cache/.build.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	root=$work/initramfs
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,host,share,etc/zc-vm}
	mkdir -p "$work/out"
}

# Completes the initramfs in $root (busybox, init) and moves $work/out,
# which holds vmlinuz by now, to $image.
finish_image() {
	local kind=$1
	cp /bin/busybox "$root/bin/busybox"
	while read -r applet; do
		[[ $applet == bin/busybox ]] && continue
		ln -sf /bin/busybox "$root/$applet"
	done < <(/bin/busybox --list-full)
	install -m 0755 "$here/init.sh" "$root/init"
	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --owner=0:0 --quiet) | gzip -9 >"$work/out/initrd.img"
	printf '%s\n' "$kind" >"$work/out/kind"
	rm -rf "$image"
	mv "$work/out" "$image"
	log "built $image in $((SECONDS - start)) s: initrd.img $(du -h "$image/initrd.img" | cut -f1)"
	# Images unused for a month (other kernels, other versions of init.sh).
	find "$cache/images" -mindepth 1 -maxdepth 1 -type d -mtime +30 -exec rm -rf {} +
	printf '%s\n' "$image"
}

# The project's own kernel: every driver is built in, so the initramfs is
# busybox and init.sh only.
prepare_own() {
	local kdir
	kdir=$("$here/build-kernel.sh" | tail -n 1)
	[[ -s $kdir/bzImage ]] || die "build-kernel.sh gave no kernel"
	ensure_packages busybox-static cpio gzip
	bbver=$(dpkg-query -W -f='${Version}' busybox-static)
	image=$cache/images/own-$(basename "$kdir")-$(image_key own "$(basename "$kdir")")
	have_image

	begin_build
	printf 'own\n' >"$root/etc/zc-vm/kver"
	: >"$root/etc/zc-vm/modules.base"
	: >"$root/etc/zc-vm/modules.dev"
	cp "$kdir/bzImage" "$work/out/vmlinuz"
	cp "$kdir/config" "$work/out/config"
	finish_image builtin
}

# The versioned package behind the linux-image-amd64 metapackage and its
# version, e.g. "linux-image-6.1.0-56-amd64 6.1.192-2". Debian's metapackage
# pins the version, so one apt-cache call (about 0.6 s) usually tells both.
kernel_package() {
	apt-cache show --no-all-versions linux-image-amd64 2>/dev/null |
		sed -n -e 's/^Depends:.*\(linux-image-[^ ,]*\) (= \([^)]*\)).*/\1 \2/p; t' \
			-e 's/^Depends:.*\(linux-image-[^ ,]*\).*/\1/p' | head -n 1
}

# Asks apt which kernel it would fetch now and names the files for it:
# sets pkg, pkgver, kver, image and deb.
resolve_debian() {
	read -r pkg pkgver < <(kernel_package) || return 1
	if [[ -n $pkg && -z $pkgver ]]; then
		pkgver=$(apt-cache policy "$pkg" | awk '$1 == "Candidate:" { print $2 }')
		[[ $pkgver != "(none)" ]] || pkgver=
	fi
	[[ -n $pkg && -n $pkgver ]] || return 1
	kver=${pkg#linux-image-}
	image=$cache/images/$kver-$(image_key "$pkg" "$pkgver" "${base_modules[*]}" "${dev_modules[*]}")
	deb=$cache/debs/${pkg}_${pkgver}_amd64.deb
}

updated=0
update_lists() {
	log "apt-get update"
	as_root apt-get update -q >/dev/null
	updated=1
}

download_debian() {
	log "downloading $pkg $pkgver"
	# As root, apt drops to user _apt, which cannot write into the cache
	# directory: download as the calling user instead.
	(cd "$work" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "$pkg=$pkgver" >/dev/null) ||
		return 1
	mv "$work"/*.deb "$deb"
	# Older kernels' packages are no longer needed.
	find "$cache/debs" -name '*.deb' ! -path "$deb" -delete
}

# Writes the modules (and their dependencies, in load order) of one group to
# a list file, copying each .ko once; modules built into the kernel show up
# as "builtin" and need nothing.
collect() {
	local list=$1 mod deps line path rel
	shift
	: >"$list"
	for mod in "$@"; do
		deps=$(modprobe -d "$work/tree" -S "$kver" --show-depends "$mod") ||
			die "module $mod not found in $kver"
		while read -r line; do
			case $line in
			insmod\ *)
				path=${line#insmod }
				path=${path%% *}
				rel=${path#"$moddir"/}
				[[ -f $root/lib/modules/$kver/$rel ]] && continue
				mkdir -p "$(dirname "$root/lib/modules/$kver/$rel")"
				cp "$path" "$root/lib/modules/$kver/$rel"
				printf '%s\n' "$rel" >>"$list"
				;;
			builtin\ *) ;;
			*) die "unexpected modprobe output for $mod: $line" ;;
			esac
		done <<<"$deps"
	done
}

# Debian's kernel: the package is downloaded and only the modules the test
# bed needs go into the initramfs.
prepare_debian() {
	# busybox-static, not busybox: the initramfs has no C library.
	ensure_packages busybox-static kmod cpio gzip
	bbver=$(dpkg-query -W -f='${Version}' busybox-static)
	if ! resolve_debian; then
		# A fresh machine's apt may know no packages at all yet.
		update_lists
		resolve_debian || die "apt-cache cannot resolve linux-image-amd64"
	fi
	have_image

	mkdir -p "$cache/debs"
	begin_build
	if [[ ! -s $deb ]] && ! download_debian; then
		# Stale package lists can name a version the mirror no longer has.
		((updated)) && die "cannot download $pkg $pkgver"
		update_lists
		resolve_debian || die "apt-cache cannot resolve linux-image-amd64"
		have_image
		[[ -s $deb ]] || download_debian || die "cannot download $pkg $pkgver"
	fi

	log "unpacking $(basename "$deb")"
	dpkg -x "$deb" "$work/tree"
	moddir=$work/tree/lib/modules/$kver
	[[ -d $moddir && -f $work/tree/boot/vmlinuz-$kver ]] ||
		die "$deb has no kernel $kver"
	depmod -b "$work/tree" "$kver"

	mkdir -p "$root/lib/modules/$kver"
	collect "$root/etc/zc-vm/modules.base" "${base_modules[@]}"
	collect "$root/etc/zc-vm/modules.dev" "${dev_modules[@]}"
	printf '%s\n' "$kver" >"$root/etc/zc-vm/kver"
	cat "$root"/etc/zc-vm/modules.{base,dev} >"$work/out/modules.txt"
	log "$(wc -l <"$work/out/modules.txt") modules"
	cp "$work/tree/boot/vmlinuz-$kver" "$work/out/vmlinuz"
	finish_image modules
}

case $kernel in
own) prepare_own ;;
debian) prepare_debian ;;
*) die "--kernel wants own or debian, not '$kernel'" ;;
esac
