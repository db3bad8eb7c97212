#!/bin/sh
# Run every test runner of every build and close with the total "N passed, N failed".
# usage: scripts/test.sh BUILD_DIR [BUILD_DIR ...]
set -u
passed=0
failed=0
status=0
for dir in "$@"; do
	log="$dir/test.log"
	echo "== $dir/kmm-test"
	"$dir/kmm-test" >"$log" 2>&1
	rc=$?
	# Show failures and the summary, not the whole TAP stream (it stays in $log).
	grep -E '^not ok|^    #|passed, [0-9]+ failed' "$log" || true
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$dir/kmm-test: no summary line (exit $rc); last lines of $log:"
		tail -n 20 "$log"
		failed=$((failed + 1))
		status=1
		continue
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$rc" = 0 ] || status=1
done
echo "total: $passed passed, $failed failed"
[ "$failed" = 0 ] || status=1
exit $status
