#!/bin/sh
# Install the Debian packages kmm needs, when they are missing:
#   scripts/deps.sh         what the build and the tests need;
#   scripts/deps.sh bench   the malloc peers kmm-bench loads at run time (bench/peers.h), which
#                           the build and the tests do without.
# Each check looks for the thing itself (a command, a working sanitizer link, a library the
# dynamic loader finds), not a package name.
set -eu

missing=""
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need_lib() {
	PATH="$PATH:/sbin:/usr/sbin" ldconfig -p | grep -q "^[[:space:]]*$1 " ||
		missing="$missing $2"
}

build_deps() {
	need_cmd cmake cmake
	need_cmd gcc gcc
	need_cmd clang clang
	need_cmd make make
	need_cmd dtc device-tree-compiler
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

case "${1:-}" in
"") build_deps ;;
bench) bench_deps ;;
*)
	echo "usage: scripts/deps.sh [bench]" >&2
	exit 2
	;;
esac

if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
