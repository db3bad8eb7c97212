#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot the bare-metal kernel on QEMU with its serial console on this terminal: the boot log,
# then the kernel's shell (kmm.shell on the command line: meminfo, buddyinfo, slabinfo,
# vmallocinfo, memblock, layout, test, ... and poweroff). Ctrl-A x leaves QEMU at any time.
#
# usage: scripts/qemu-run.sh [BUILD_DIR [BOOT [KERNEL_ARGS]]]
#   BUILD_DIR    the cross build (default build-qemu)
#   BOOT         one of scripts/qemu-boards.sh's boots (default virt-a72-1g)
#   KERNEL_ARGS  the kernel's command line instead of "kmm.shell", e.g. "kmm.tests=kboot" to run
#                tests and exit (then QEMU's exit status is the kernel's)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/qemu-boards.sh"

build=${1:-build-qemu}
boot=${2:-virt-a72-1g}
args=${3:-kmm.shell}
machine=$(qemu_machine "$boot" "$build")
if [ -z "$machine" ]; then
	echo "qemu-run: unknown boot '$boot' (one of: $QEMU_BOOTS)" >&2
	exit 2
fi
if [ ! -s "$build/kernel8.img" ]; then
	echo "qemu-run: no kernel at $build/kernel8.img (make build-qemu)" >&2
	exit 2
fi
# shellcheck disable=SC2086 # the machine options, one word each
set -- $machine
m=$1
shift
echo "qemu-run: $boot: qemu-system-aarch64 -M $m $* (Ctrl-A x quits)"
exec qemu-system-aarch64 -M "$m" "$@" -nographic -semihosting -no-reboot \
	-kernel "$build/kernel8.img" -append "$args"
