#!/usr/bin/env bash
# Fetches Debian's kernel and builds the test-bed initramfs, cached by version; prints the image directory.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: tests/vm/prepare.sh
#
# On success the last (and only) line on stdout is a directory holding
# vmlinuz and initrd.img; progress goes to stderr. Everything lives in
#   ${ZC_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gst-zerocopy/vm}
#     debs/<package>_<version>.deb    the kernel package as downloaded
#     images/<kver>-<key>/            vmlinuz, initrd.img, modules.txt
# where <key> hashes the kernel package version, busybox's version, this
# script and init.sh: changing any of them builds a new image.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${ZC_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gst-zerocopy/vm}

# Mounting the share and the host root needs these before anything else.
base_modules=(virtio_pci 9pnet_virtio 9p overlay)
# The devices the project's tests use.
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

# busybox-static, not busybox: the initramfs has no C library.
ensure_packages busybox-static kmod cpio gzip

# The versioned package behind the linux-image-amd64 metapackage and its
# version, e.g. "linux-image-6.1.0-56-amd64 6.1.192-2". Debian's metapackage
# pins the version, so one apt-cache call (about 0.6 s) usually tells both.
kernel_package() {
	apt-cache show --no-all-versions linux-image-amd64 2>/dev/null |
		sed -n -e 's/^Depends:.*\(linux-image-[^ ,]*\) (= \([^)]*\)).*/\1 \2/p; t' \
			-e 's/^Depends:.*\(linux-image-[^ ,]*\).*/\1/p' | head -n 1
}

bbver=$(dpkg-query -W -f='${Version}' busybox-static)

# Asks apt which kernel it would fetch now and names the files for it:
# sets pkg, pkgver, kver, image and deb.
resolve() {
	local key
	read -r pkg pkgver < <(kernel_package) || return 1
	if [[ -n $pkg && -z $pkgver ]]; then
		pkgver=$(apt-cache policy "$pkg" | awk '$1 == "Candidate:" { print $2 }')
		[[ $pkgver != "(none)" ]] || pkgver=
	fi
	[[ -n $pkg && -n $pkgver ]] || return 1
	kver=${pkg#linux-image-}
	key=$(
		{
			printf '%s\n' "$pkg" "$pkgver" "$bbver" "${base_modules[*]}" "${dev_modules[*]}"
			cat "$here/prepare.sh" "$here/init.sh"
		} | sha256sum | cut -c1-12
	)
	image=$cache/images/$kver-$key
	deb=$cache/debs/${pkg}_${pkgver}_amd64.deb
}

updated=0
update_lists() {
	log "apt-get update"
	as_root apt-get update -q >/dev/null
	updated=1
}

have_image() {
	if [[ -s $image/vmlinuz && -s $image/initrd.img ]]; then
		# The mtime marks the last use, for pruning below.
		touch "$image"
		log "cached: $image"
		printf '%s\n' "$image"
		exit 0
	fi
}

if ! resolve; then
	# A fresh machine's apt may know no packages at all yet.
	update_lists
	resolve || die "apt-cache cannot resolve linux-image-amd64"
fi
have_image

mkdir -p "$cache/debs" "$cache/images"
# Two runs preparing at once would fight over the same files.
exec 9>"$cache/.lock"
flock 9
have_image

start=$SECONDS
work=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

download() {
	log "downloading $pkg $pkgver"
	# As root, apt drops to user _apt, which cannot write into the cache
	# directory: download as the calling user instead.
	(cd "$work" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "$pkg=$pkgver" >/dev/null) ||
		return 1
	mv "$work"/*.deb "$deb"
	# Older kernels' packages are no longer needed.
	find "$cache/debs" -name '*.deb' ! -path "$deb" -delete
}
if [[ ! -s $deb ]] && ! download; then
	# Stale package lists can name a version the mirror no longer has.
	((updated)) && die "cannot download $pkg $pkgver"
	update_lists
	resolve || die "apt-cache cannot resolve linux-image-amd64"
	have_image
	[[ -s $deb ]] || download || die "cannot download $pkg $pkgver"
fi

log "unpacking $(basename "$deb")"
dpkg -x "$deb" "$work/tree"
moddir=$work/tree/lib/modules/$kver
[[ -d $moddir && -f $work/tree/boot/vmlinuz-$kver ]] ||
	die "$deb has no kernel $kver"
depmod -b "$work/tree" "$kver"

root=$work/initramfs
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,host,share,etc/zc-vm,lib/modules/"$kver"}

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
collect "$root/etc/zc-vm/modules.base" "${base_modules[@]}"
collect "$root/etc/zc-vm/modules.dev" "${dev_modules[@]}"
printf '%s\n' "$kver" >"$root/etc/zc-vm/kver"

cp /bin/busybox "$root/bin/busybox"
while read -r applet; do
	[[ $applet == bin/busybox ]] && continue
	ln -sf /bin/busybox "$root/$applet"
done < <(/bin/busybox --list-full)
install -m 0755 "$here/init.sh" "$root/init"

mkdir -p "$work/out"
cp "$work/tree/boot/vmlinuz-$kver" "$work/out/vmlinuz"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -9 >"$work/out/initrd.img"
cat "$root"/etc/zc-vm/modules.{base,dev} >"$work/out/modules.txt"
rm -rf "$image"
mv "$work/out" "$image"

log "built $image in $((SECONDS - start)) s:" \
	"initrd.img $(du -h "$image/initrd.img" | cut -f1)," \
	"$(wc -l <"$image/modules.txt") modules"
# Images unused for a month (other kernels, other versions of init.sh).
find "$cache/images" -mindepth 1 -maxdepth 1 -type d -mtime +30 -exec rm -rf {} +
printf '%s\n' "$image"
