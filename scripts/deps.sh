#!/bin/sh
# Install the Debian packages kmm's build and tests need, when they are missing.
# Each check looks for the thing itself (a command, a working sanitizer link), not a package name.
set -eu

missing=""
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }

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

if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
