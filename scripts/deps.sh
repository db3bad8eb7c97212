#!/bin/sh
# Install the Debian packages kmm's build and tests need, when they are missing.
set -eu

# command → package
need="cmake:cmake gcc:gcc clang:clang make:make"
missing=""
for pair in $need; do
	cmd=${pair%%:*}
	pkg=${pair#*:}
	command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
done
# Sanitizer runtimes come with the compilers' own packages on Debian.

if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
