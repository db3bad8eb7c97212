#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot the bare-metal kernel on every QEMU configuration of scripts/qemu-boards.sh and check
# each boot: QEMU's exit status (the kernel's, through semihosting: 0 only when every in-kernel
# test passed), the closing "N passed, N failed" of its test suites, the AT cross-check's
# "at-crosscheck: N translations, M mismatches" (N >= 10000 and M = 0), and the boot log's memory
# against what the machine has — the "OF: fdt: memory" ranges (or the built-in map's) and the
# totals of the memblock dump and of the "Memory:" line against the memory nodes of the DTB
# QEMU hands the kernel (dumped with -machine dumpdtb); for the virt-fault boot, the report of
# the kernel fault it makes on purpose and exit status 3; the smp part's closing "smp: N of N
# CPUs online, 0 failed checks" with N the CPUs the boot has (scripts/qemu-boards.sh's
# qemu_ncpus). Prints one line a boot with its wall time from QEMU's start to its exit and the
# kernel's own boot-to-tests-done time, and closes with "qemu-test: total: N passed, M failed"
# (the in-kernel cases of all boots, and the AT cross-check and the smp part as one more case
# each a boot; a boot that fails without a summary, or whose memory does not match, counts one
# failure more).
#
# usage: scripts/qemu-test.sh [BUILD_DIR [BOOT...]]   (default build-qemu, every boot)
# Each boot's serial output is kept in BUILD_DIR/qemu-test/BOOT.log. Boots run in parallel, as
# many at a time as there are CPUs. KMM_QEMU_TIMEOUT (seconds, default 300) bounds each;
# KMM_QEMU_APPEND adds to every boot's kernel command line (e.g. "kmm.seed=7 kmm.smp.rounds=8000"
# for a longer SMP stress).
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/qemu-boards.sh"

build=${1:-build-qemu}
[ $# -gt 0 ] && shift
boots=${*:-$QEMU_BOOTS}
image="$build/kernel8.img"
out="$build/qemu-test"
limit=${KMM_QEMU_TIMEOUT:-300}
extra=${KMM_QEMU_APPEND:-}

if [ ! -s "$image" ]; then
	echo "qemu-test: no kernel at $image (make build-qemu)" >&2
	exit 2
fi
mkdir -p "$out"

# The memory nodes of DTB $1 as "base size" lines (hex), by the root's cells.
dtb_memory() {
	ac=$(fdtget -t u "$1" / '#address-cells' 2>/dev/null || echo 2)
	sc=$(fdtget -t u "$1" / '#size-cells' 2>/dev/null || echo 1)
	for node in $(fdtget -l "$1" / | grep -E '^memory(@|$)'); do
		# shellcheck disable=SC2046 # the cells, one word each
		set -- $(fdtget -t x "$1" "/$node" reg)
		while [ $# -ge $((ac + sc)) ]; do
			base=0 size=0
			i=0
			while [ $i -lt "$ac" ]; do base=$((base * 4294967296 + 0x$1)); shift; i=$((i + 1)); done
			i=0
			while [ $i -lt "$sc" ]; do size=$((size * 4294967296 + 0x$1)); shift; i=$((i + 1)); done
			[ "$size" -gt 0 ] && printf '0x%x 0x%x\n' "$base" "$size"
		done
	done
}

# The sizes of "base size" lines $1 added up, in KiB.
total_kb() {
	t=0
	while read -r base size; do
		[ -n "$size" ] && t=$((t + size))
	done <<EOF
$1
EOF
	echo $((t / 1024))
}

# Check log $2 of boot $1 against the memory it was given ($3: "base size" lines); prints what
# differs, returns 1 if anything does.
check_memory() {
	total=0
	bad=0
	while read -r base size; do
		[ -n "$base" ] || continue
		total=$((total + size))
		want=$(printf '[mem 0x%016x-0x%016x]' "$base" $((base + size - 1)))
		if ! grep -E '^(OF: fdt: memory|Built-in memory map:)' "$2" | grep -qF "$want"; then
			echo "    memory $want is not in the boot log"
			bad=1
		fi
	done <<EOF
$3
EOF
	found=$(grep -cE '^(OF: fdt: memory|Built-in memory map:)' "$2")
	nranges=$(printf '%s\n' "$3" | grep -c .)
	if [ "$found" != "$nranges" ]; then
		echo "    $found memory ranges in the boot log, the machine has $nranges"
		bad=1
	fi
	mb=$(sed -n 's/^ memory size = \(0x[0-9a-f]*\) .*/\1/p' "$2" | head -n 1)
	if [ -z "$mb" ] || [ $((mb)) != "$total" ]; then
		echo "    memblock's memory size ${mb:-(none)} is not $(printf '0x%x' "$total")"
		bad=1
	fi
	kb=$(sed -n 's|^Memory: [0-9]*K/\([0-9]*\)K available.*|\1|p' "$2" | head -n 1)
	if [ -z "$kb" ] || [ "$kb" != $((total / 1024)) ]; then
		echo "    the Memory: line says ${kb:-(none)}K in all, the machine has $((total / 1024))K"
		bad=1
	fi
	return $bad
}

# The AT cross-check's closing line in log $1 (the UART's CRs dropped), empty when there is none.
at_line() {
	tr -d '\r' <"$1" | grep -E '^at-crosscheck: [0-9]+ translations, [0-9]+ mismatches$' |
		tail -n 1
}

# Whether AT cross-check line $1 says at least 10000 translations and no mismatch.
at_ok() {
	n=$(echo "$1" | sed -nE 's/^at-crosscheck: ([0-9]+) translations, 0 mismatches$/\1/p')
	[ -n "$n" ] && [ "$n" -ge 10000 ]
}

# The smp part's closing line in log $1, empty when there is none.
smp_line() {
	tr -d '\r' <"$1" | grep -E '^smp: [0-9]+ of [0-9]+ CPUs online, [0-9]+ failed checks' |
		tail -n 1
}

# Whether smp line $1 says all $2 CPUs came online and no check failed.
smp_ok() {
	echo "$1" | grep -qE "^smp: $2 of $2 CPUs online, 0 failed checks,"
}

# Boot $1 to completion; its result goes to $out/$1.result as "status seconds".
run_boot() {
	# shellcheck disable=SC2046 # the machine options, one word each
	set -- "$1" $(qemu_machine "$1" "$build")
	name=$1 machine=$2
	shift 2
	args=$(qemu_append "$name")
	args=${args:+$args }$extra
	start=$(date +%s.%N)
	timeout "$limit" qemu-system-aarch64 -M "$machine" "$@" -display none -monitor none \
		-serial stdio -semihosting -no-reboot -kernel "$image" -append "${args% }" \
		>"$out/$name.log" 2>&1 </dev/null
	status=$?
	end=$(date +%s.%N)
	echo "$status $(echo "$start $end" | awk '{ printf "%.1f", $2 - $1 }')" >"$out/$name.result"
}

# The memory QEMU gives boot $1, from its DTB (or the built-in map), as "base size" lines.
given_memory() {
	builtin=$(qemu_builtin_memory "$1")
	if [ -n "$builtin" ]; then
		echo "$builtin"
		return
	fi
	# shellcheck disable=SC2046
	set -- "$1" $(qemu_machine "$1" "$build")
	dtb="$out/$1.dtb"
	machine=$2
	shift 2
	qemu-system-aarch64 -M "$machine,dumpdtb=$dtb" "$@" -display none -kernel "$image" \
		>/dev/null 2>&1
	dtb_memory "$dtb"
}

for b in $boots; do
	if [ -z "$(qemu_machine "$b" "$build")" ]; then
		echo "qemu-test: unknown boot '$b' (one of: $QEMU_BOOTS)" >&2
		exit 2
	fi
done
case " $boots " in
*" raspi3b "*)
	if [ ! -s "$build/dtb-arm64/bcm2837-rpi-3-b.dtb" ]; then
		echo "qemu-test: no raspi3b DTB in $build/dtb-arm64 (scripts/deps.sh qemu $build)" >&2
		exit 2
	fi
	;;
esac

jobs=$(nproc 2>/dev/null || echo 1)
n=0
for b in $boots; do
	run_boot "$b" &
	n=$((n + 1))
	[ $((n % jobs)) = 0 ] && wait
done
wait

passed=0
failed=0
for b in $boots; do
	log="$out/$b.log"
	read -r status secs <"$out/$b.result"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	done_ms=$(sed -n 's/^kmm: boot to tests done: \([0-9]*\) ms/\1/p' "$log")
	given=$(given_memory "$b")
	memory_kb=$(total_kb "$given")
	problems=$(check_memory "$b" "$log" "$given")
	mem_ok=$?
	verdict=ok
	if [ -n "$(qemu_append "$b")" ]; then
		# The fault on purpose: its report, the panic's status, one check.
		line="fault report"
		if [ "$status" = 3 ] && grep -q '^Internal error: unable to handle kernel paging' "$log" &&
			grep -q '^FAR 0x' "$log" && grep -q '^x29: ' "$log"; then
			passed=$((passed + 1))
		else
			verdict="FAILED (exit $status, want 3 and the fault's report)"
			failed=$((failed + 1))
		fi
	elif [ -z "$line" ]; then
		verdict="FAILED (exit $status, no test summary)"
		failed=$((failed + 1))
	else
		p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
		f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
		passed=$((passed + p))
		failed=$((failed + f))
		[ "$status" = 0 ] && [ "$f" = 0 ] || verdict="FAILED (exit $status)"
	fi
	at=""
	smp=""
	if [ -z "$(qemu_append "$b")" ]; then
		at=$(at_line "$log")
		if at_ok "$at"; then
			passed=$((passed + 1))
		else
			verdict="FAILED (at-crosscheck)"
			failed=$((failed + 1))
		fi
		smp=$(smp_line "$log")
		if smp_ok "$smp" "$(qemu_ncpus "$b")"; then
			passed=$((passed + 1))
		else
			verdict="FAILED (smp, $(qemu_ncpus "$b") CPUs)"
			failed=$((failed + 1))
		fi
	fi
	if [ "$mem_ok" != 0 ]; then
		verdict="FAILED (memory)"
		failed=$((failed + 1))
	fi
	printf 'qemu-test: %-14s %-4s %-22s memory %sK as given; wall %5ss, boot to tests done %s ms\n' \
		"$b" "$verdict" "${line:-no summary}" "$memory_kb" "$secs" "${done_ms:-?}"
	if [ -z "$(qemu_append "$b")" ]; then
		printf 'qemu-test: %-14s %s\n' "$b" "${at:-no at-crosscheck line}"
		printf 'qemu-test: %-14s %s\n' "$b" "${smp:-no smp line}"
	fi
	if [ "$verdict" != ok ]; then
		[ -n "$problems" ] && echo "$problems"
		grep -E -e '^not ok|^    # [^ ]+:[0-9]+: |^    #   |Internal error|kernel BUG|boot failed|Kernel panic' \
			-e '^at-crosscheck|^    level [0-3]: table|^smp: .*FAILED' "$log" | head -n 40
		echo "    (serial output in $log)"
	fi
done
echo "qemu-test: total: $passed passed, $failed failed"
[ "$failed" = 0 ]
