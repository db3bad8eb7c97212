#!/bin/sh
# Run every test runner of every build and close with the total "N passed, N failed".
# usage: scripts/test.sh BUILD_DIR [BUILD_DIR ...]   (the first build's kmm-sim is cross-checked)
# Each runner's full TAP stream is kept in BUILD_DIR/test.log; failures are shown here.
# Then the bare-metal kernel's QEMU boots (scripts/qemu-test.sh) of the cross build in
# KMM_QEMU_BUILD (default build-qemu); KMM_SKIP_QEMU=1 leaves them out.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0
status=0
for dir in "$@"; do
	log="$dir/test.log"
	"$dir/kmm-test" >"$log" 2>&1
	rc=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$dir/kmm-test: no summary line (exit $rc); last lines of $log:"
		tail -n 30 "$log"
		failed=$((failed + 1))
		status=1
		continue
	fi
	if [ "$rc" != 0 ]; then
		# The diagnostics of a case come before its "not ok" line.
		grep -E '^not ok|^    #|^# suite|Sanitizer|runtime error' "$log"
		status=1
	fi
	echo "$dir/kmm-test: $line"
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	passed=$((passed + p))
	failed=$((failed + f))
done
# The emulated MMU against QEMU's on a real Linux kernel's page tables (downloads Debian's arm64
# kernel once; about 30 s). KMM_SKIP_CROSSCHECK=1 leaves it out.
if [ "${KMM_SKIP_CROSSCHECK:-0}" != 1 ]; then
	log="$1/linux-crosscheck.log"
	if "$root/scripts/linux-crosscheck.sh" --kmm-sim "$1/kmm-sim" >"$log" 2>&1; then
		passed=$((passed + 1))
	else
		grep -E 'mismatch|setup failed|Error' "$log" | tail -n 40
		failed=$((failed + 1))
		status=1
	fi
	tail -n 1 "$log"
fi
# The kernel on QEMU: every board and memory size, its in-kernel suites, its memory against the
# DTB; each in-kernel case counts (about 40 s).
if [ "${KMM_SKIP_QEMU:-0}" != 1 ]; then
	"$root/scripts/qemu-test.sh" "${KMM_QEMU_BUILD:-$root/build-qemu}" >"$1/qemu-test.log" 2>&1
	cat "$1/qemu-test.log"
	line=$(sed -n 's/^qemu-test: total: \([0-9]* passed, [0-9]* failed\)$/\1/p' "$1/qemu-test.log")
	if [ -z "$line" ]; then
		failed=$((failed + 1))
		status=1
	else
		passed=$((passed + ${line%% passed*}))
		f=${line#* passed, }
		failed=$((failed + ${f%% failed}))
	fi
fi
echo "total: $passed passed, $failed failed"
[ "$failed" = 0 ] || status=1
exit $status
