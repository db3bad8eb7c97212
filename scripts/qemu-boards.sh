# shellcheck shell=sh
# SPDX-License-Identifier: MIT
# The QEMU boots of the bare-metal kernel (platform/qemu), shared by scripts/qemu-run.sh and
# scripts/qemu-test.sh (sourced, not run). A boot is a name:
#   virt-a72-128m   -M virt -cpu cortex-a72, 128 MiB, 1 CPU (entered at EL1)
#   virt-a72-1g     -M virt -cpu cortex-a72, 1 GiB, 4 CPUs (started by PSCI CPU_ON, hvc)
#   virt-a72-4g     -M virt -cpu cortex-a72, 4 GiB, 4 CPUs (RAM above 4G: a 36-bit IPS)
#   virt-a53-el2    -M virt,virtualization=on -cpu cortex-a53, 1 GiB, 4 CPUs (entered at EL2;
#                   PSCI by smc)
#   virt-max        -M virt -cpu max, 2 GiB, 4 CPUs (4K, 16K and 64K granules: the AT
#                   cross-check covers all three)
#   raspi3b         -M raspi3b, the real board's DTB with -dtb (entered at EL2, 4 cores, started
#                   from the spin table)
#   raspi3b-nodtb   -M raspi3b without a DTB: seed 001's built-in memory map
#   virt-fault      virt-a72-128m with kmm.fault: a kernel fault on purpose after the boot, whose
#                   report must come and whose exit status must be 3 (the panic's)
# Every boot loads BUILD/kernel8.img with -kernel, as an arm64 Image (QEMU puts the DTB's
# address in x0) at RAM + 0x80000, and runs with -semihosting so that the kernel's exit status
# becomes QEMU's.

# shellcheck disable=SC2034 # used by the scripts that source this file
QEMU_BOOTS="virt-a72-128m virt-a72-1g virt-a72-4g virt-a53-el2 virt-max raspi3b raspi3b-nodtb \
virt-fault"

# The -M value, then the other machine options of boot $1; $2 is the build directory (for the
# raspi3b DTB that scripts/deps.sh qemu unpacked there). Prints nothing for an unknown boot.
qemu_machine() {
	case "$1" in
	virt-a72-128m | virt-fault) echo "virt -cpu cortex-a72 -m 128M -smp 1" ;;
	virt-a72-1g) echo "virt -cpu cortex-a72 -m 1G -smp 4" ;;
	virt-a72-4g) echo "virt -cpu cortex-a72 -m 4G -smp 4" ;;
	virt-a53-el2) echo "virt,virtualization=on -cpu cortex-a53 -m 1G -smp 4" ;;
	virt-max) echo "virt -cpu max -m 2G -smp 4" ;;
	raspi3b) echo "raspi3b -dtb $2/dtb-arm64/bcm2837-rpi-3-b.dtb" ;;
	raspi3b-nodtb) echo "raspi3b" ;;
	esac
}

# The CPUs boot $1 has, which the kernel's smp part must all bring online.
qemu_ncpus() {
	case "$1" in
	virt-a72-128m | virt-fault) echo 1 ;;
	*) echo 4 ;; # -smp 4, and the raspi3b's four cores
	esac
}

# The kernel's command line of boot $1, when it has one.
qemu_append() {
	case "$1" in
	virt-fault) echo "kmm.fault" ;;
	esac
}

# The memory the kernel must find for boot $1 without a DTB, as "base size" lines (hex).
qemu_builtin_memory() {
	case "$1" in
	raspi3b-nodtb) echo "0x1000 0x3efff000" ;; # platform/qemu/board.c: seed 001's map
	esac
}
