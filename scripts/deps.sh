#!/bin/sh
# Install the Debian packages kmm needs, when they are missing:
#   scripts/deps.sh         what the build and the tests need;
#   scripts/deps.sh bench   the malloc peers kmm-bench loads at run time (bench/peers.h), which
#                           the build and the tests do without;
#   scripts/deps.sh qemu [BUILD_DIR]
#                           the bare-metal kernel's (platform/qemu): the cross compiler and QEMU,
#                           then two downloads unpacked into BUILD_DIR (default build-qemu), never
#                           installed: Debian's libfdt-dev:arm64 into BUILD_DIR/libfdt-arm64 (the
#                           kernel links its libfdt.a; installing it would remove the host's
#                           libfdt-dev, which the hosted build needs), and the Raspberry Pi 3 B's
#                           device tree from Debian's arm64 kernel package into
#                           BUILD_DIR/dtb-arm64/bcm2837-rpi-3-b.dtb (QEMU's raspi3b has none).
# Each check looks for the thing itself (a command, a working sanitizer link, a library the
# dynamic loader finds, an unpacked file), not a package name.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
missing=""
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need_lib() {
	PATH="$PATH:/sbin:/usr/sbin" ldconfig -p | grep -q "^[[:space:]]*$1 " ||
		missing="$missing $2"
}

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
updated=""
apt_update() {
	[ -n "$updated" ] && return 0
	$SUDO apt-get update -qq
	updated=1
}

build_deps() {
	need_cmd cmake cmake
	need_cmd gcc gcc
	need_cmd clang clang
	need_cmd make make
	need_cmd dtc device-tree-compiler
	need_cmd pkg-config pkg-config # the embedding test builds examples/embed.c against kmm.pc
	[ -f /usr/include/libfdt.h ] || missing="$missing libfdt-dev"

	# The ASan+UBSan build links clang's sanitizer runtimes (a Recommends of clang on Debian).
	if command -v clang >/dev/null 2>&1; then
		tmp=$(mktemp -d)
		echo 'int main(void) { return 0; }' >"$tmp/t.c"
		clang -fsanitize=address,undefined "$tmp/t.c" -o "$tmp/t" >/dev/null 2>&1 ||
			missing="$missing libclang-rt-dev"
		rm -rf "$tmp"
	fi
}

bench_deps() {
	need_lib libjemalloc.so.2 libjemalloc2
	need_lib libmimalloc.so.2 libmimalloc2.0
	need_lib libtcmalloc_minimal.so.4 libtcmalloc-minimal4
}

qemu_deps() {
	need_cmd cmake cmake
	need_cmd aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
	need_cmd qemu-system-aarch64 qemu-system-arm
	need_cmd dtc device-tree-compiler
	need_cmd fdtget device-tree-compiler
	need_cmd dpkg-deb dpkg
}

# apt-get download PACKAGE:arm64 into a fresh directory $1/dl, with arm64 known to dpkg.
download_arm64() {
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		$SUDO dpkg --add-architecture arm64
		updated=""
	fi
	apt_update
	rm -rf "$1/dl" && mkdir -p "$1/dl"
	(cd "$1/dl" && apt-get download -q "$2:arm64" >download.log 2>&1) || {
		echo "deps: apt-get download $2:arm64 failed:" >&2
		tail -n 3 "$1/dl/download.log" >&2
		exit 1
	}
}

# libfdt-dev:arm64 unpacked into $1/libfdt-arm64.
fetch_libfdt() {
	[ -f "$1/libfdt-arm64/usr/lib/aarch64-linux-gnu/libfdt.a" ] && return 0
	echo "deps: fetching libfdt-dev:arm64 into $1/libfdt-arm64"
	download_arm64 "$1" libfdt-dev
	rm -rf "$1/libfdt-arm64"
	dpkg-deb -x "$1"/dl/libfdt-dev_*.deb "$1/libfdt-arm64"
	rm -rf "$1/dl"
}

# The Raspberry Pi 3 B's DTB from the kernel package scripts/linux-crosscheck.sh uses (the one
# its cache names, else the one linux-image-arm64 depends on), into $1/dtb-arm64.
fetch_rpi_dtb() {
	dtb="$1/dtb-arm64/bcm2837-rpi-3-b.dtb"
	[ -s "$dtb" ] && return 0
	pkg=$(cat "$root/build/linux-crosscheck/kernel/package" 2>/dev/null || true)
	if [ -z "$pkg" ]; then
		apt_update
		pkg=$(apt-cache depends linux-image-arm64:arm64 |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -n 1)
	fi
	[ -n "$pkg" ] || { echo "deps: no linux-image-VERSION-arm64 package found" >&2; exit 1; }
	echo "deps: fetching $pkg:arm64 for bcm2837-rpi-3-b.dtb"
	download_arm64 "$1" "$pkg"
	mkdir -p "$1/dtb-arm64"
	dpkg-deb --fsys-tarfile "$1"/dl/*.deb | tar -x -O --wildcards \
		'./usr/lib/linux-image-*/broadcom/bcm2837-rpi-3-b.dtb' >"$dtb.tmp"
	[ -s "$dtb.tmp" ] || { echo "deps: $pkg has no bcm2837-rpi-3-b.dtb" >&2; exit 1; }
	mv "$dtb.tmp" "$dtb"
	rm -rf "$1/dl"
}

case "${1:-}" in
"") build_deps ;;
bench) bench_deps ;;
qemu) qemu_deps ;;
*)
	echo "usage: scripts/deps.sh [bench | qemu [BUILD_DIR]]" >&2
	exit 2
	;;
esac

if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	apt_update
	# shellcheck disable=SC2086 # $missing is a list of packages
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi

if [ "${1:-}" = qemu ]; then
	dir=${2:-build-qemu}
	mkdir -p "$dir"
	fetch_libfdt "$dir"
	fetch_rpi_dtb "$dir"
fi
