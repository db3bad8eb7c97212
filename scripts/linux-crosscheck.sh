#!/bin/sh
# SPDX-License-Identifier: MIT
# Cross-check kmm's emulated MMU (`kmm-sim walk`) against QEMU's own translations on the page
# tables of a real arm64 Linux kernel (Debian's), booted under qemu-system-aarch64 (TCG).
#
# usage: scripts/linux-crosscheck.sh [--kmm-sim PATH] [--cache DIR] [--kernel IMAGE]
#                                    [--kernel-package NAME] [--config LIST] [--seed N] [--keep]
#                                    [--no-at]
#
#   --kmm-sim PATH         the kmm-sim to check (default build/kmm-sim, built when missing)
#   --cache DIR            downloads, RAM dumps and logs (default build/linux-crosscheck)
#   --kernel IMAGE         boot this arm64 Image instead of Debian's
#   --kernel-package NAME  Debian's linux-image-VERSION-arm64 to use (default: the one the
#                          metapackage linux-image-arm64 depends on; cached after the first run)
#   --config LIST          comma-separated configurations of scripts/linux-crosscheck.py
#   --seed N               the seed of QEMU's randomness (so of KASLR) and of the VA choice
#   --keep                 keep the RAM dumps (they are kept anyway when a check fails)
#   --no-at                compare with the monitor's gva2gpa only, not with AT instructions
#
# Installs what is missing with apt-get: qemu-system-arm, gdb-multiarch, python3, and the arm64
# kernel package (downloaded and unpacked into the cache, never installed). Prints each mismatch
# and closes with "linux-crosscheck: N translations, M mismatches". Exit status: 0 when all
# agree, 1 on a mismatch, 2 when a setup step failed (the message names the step).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
kmm_sim=""
cache="$root/build/linux-crosscheck"
kernel=""
kernel_pkg=""
pass=""

fail() {
	echo "linux-crosscheck: setup failed at step $1: $2" >&2
	exit 2
}

need_arg() {
	[ $# -ge 2 ] || fail args "$1 needs a value"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--kmm-sim) need_arg "$@"; kmm_sim=$2; shift 2 ;;
	--cache) need_arg "$@"; cache=$2; shift 2 ;;
	--kernel) need_arg "$@"; kernel=$2; shift 2 ;;
	--kernel-package) need_arg "$@"; kernel_pkg=$2; shift 2 ;;
	--config | --seed) need_arg "$@"; pass="$pass $1 $2"; shift 2 ;;
	--keep | --no-at) pass="$pass $1"; shift ;;
	-h | --help) sed -n '3,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) fail args "unknown argument '$1' (see --help)" ;;
	esac
done

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
updated=""
apt_update() {
	[ -n "$updated" ] && return 0
	$SUDO apt-get update -qq || return 1
	updated=1
}

# 1. The tools: command → Debian package.
missing=""
for pair in qemu-system-aarch64:qemu-system-arm gdb-multiarch:gdb-multiarch python3:python3 \
	dpkg-deb:dpkg; do
	command -v "${pair%%:*}" >/dev/null 2>&1 || missing="$missing ${pair#*:}"
done
if [ -n "$missing" ]; then
	echo "linux-crosscheck: installing$missing"
	apt_update || fail deps "apt-get update failed"
	# shellcheck disable=SC2086 # $missing is a list of packages
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing \
		>/dev/null || fail deps "apt-get install$missing failed"
fi

# 2. The kernel: Debian's arm64 image, unpacked into the cache once.
mkdir -p "$cache" || fail kernel "cannot create $cache"
cache=$(cd "$cache" && pwd)
if [ -z "$kernel" ]; then
	kdir="$cache/kernel"
	kernel="$kdir/vmlinuz"
	if [ ! -s "$kernel" ] || { [ -n "$kernel_pkg" ] &&
		[ "$kernel_pkg" != "$(cat "$kdir/package" 2>/dev/null)" ]; }; then
		if ! dpkg --print-foreign-architectures | grep -qx arm64; then
			$SUDO dpkg --add-architecture arm64 || fail kernel "dpkg --add-architecture arm64"
			updated=""
		fi
		apt_update || fail kernel "apt-get update failed"
		if [ -z "$kernel_pkg" ]; then
			kernel_pkg=$(apt-cache depends linux-image-arm64:arm64 |
				sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -n 1)
			[ -n "$kernel_pkg" ] ||
				fail kernel "no linux-image-VERSION-arm64 behind linux-image-arm64:arm64"
		fi
		rm -rf "$kdir" && mkdir -p "$kdir/dl" "$kdir/root"
		(cd "$kdir/dl" && apt-get download -q "$kernel_pkg:arm64" >../download.log 2>&1) ||
			fail kernel "apt-get download $kernel_pkg:arm64 failed: $(tail -n 3 "$kdir/download.log")"
		dpkg-deb --fsys-tarfile "$kdir"/dl/*.deb | tar -x -C "$kdir/root" ./boot ||
			fail kernel "cannot unpack $kernel_pkg"
		image=""
		for f in "$kdir"/root/boot/vmlinuz-*; do
			[ -f "$f" ] && image=$f && break
		done
		[ -n "$image" ] || fail kernel "$kernel_pkg has no /boot/vmlinuz-*"
		mv "$image" "$kernel" && rm -rf "$kdir/dl" "$kdir/root" "$kdir/download.log"
		echo "$kernel_pkg" >"$kdir/package"
		echo "linux-crosscheck: using $kernel_pkg"
	fi
fi
[ -s "$kernel" ] || fail kernel "no kernel image at $kernel"

# 3. The kmm-sim under test.
if [ -z "$kmm_sim" ]; then
	kmm_sim="$root/build/kmm-sim"
	if [ ! -x "$kmm_sim" ]; then
		make -C "$root" build >/dev/null || fail kmm-sim "make build failed"
	fi
fi
[ -x "$kmm_sim" ] || fail kmm-sim "no executable at $kmm_sim"

# 4-5. Boot, stop, collect, choose VAs, compare (exit status as documented above).
# shellcheck disable=SC2086 # $pass is a list of options
exec python3 "$root/scripts/linux-crosscheck.py" --kernel "$kernel" --kmm-sim "$kmm_sim" \
	--work "$cache/run" $pass
