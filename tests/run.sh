#!/bin/sh
# run.sh - every test: cmocka unit tests and CLI/golden/shared-data tests, against the normal
# build and the ASan+UBSan build.  Each check prints "ok - ..." or "not ok - ..."; the last
# line is "N passed, N failed".  Exit status 1 when anything failed.
set -u
cd "$(dirname "$0")/.." || exit 1
log=$(mktemp -d "${TMPDIR:-/tmp}/jtlscope-tests.XXXXXX")
trap 'rm -rf "$log"' EXIT
pass=0
fail=0
skip=0

count() { # count ok/not ok lines of a TAP-ish log; "# SKIP" lines are skips, not failures
	p=$(grep '^ok ' "$1" | grep -vc '# SKIP' || true)
	f=$(grep '^not ok ' "$1" | grep -vc '# SKIP' || true)
	s=$(grep -E '^(not )?ok ' "$1" | grep -c '# SKIP' || true)
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + s))
	grep '^not ok ' "$1" | grep -v '# SKIP' | sed 's/^/  /' >&2 || true
}

run_suite() { # name, command...
	name=$1
	shift
	out="$log/$(echo "$name" | tr '/ ' '__').log"
	start=$(date +%s)
	"$@" >"$out" 2>&1
	rc=$?
	count "$out"
	if [ $rc -ne 0 ] && ! grep '^not ok ' "$out" | grep -vq '# SKIP'; then
		# crashed or failed without saying which check: that is a failure of its own
		echo "not ok - $name exited $rc" >>"$out"
		fail=$((fail + 1))
		tail -20 "$out" | sed 's/^/  | /' >&2
	fi
	echo "# $name: $(grep -c '^ok ' "$out" || true) ok, $(grep -c '^not ok ' "$out" || true) not ok, $(($(date +%s) - start)) s" >&2
}

export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

for build in build build-san; do
	for t in "$build"/tests/test_*; do
		[ -x "$t" ] || continue
		run_suite "$t" "$t"
	done
done

run_suite "tests/layering.sh" sh tests/layering.sh
for bin in ./jtlscope ./jtlscope-san; do
	[ -x "$bin" ] || continue
	for s in tests/cli.sh tests/golden.sh tests/hostile.sh; do
		[ -f "$s" ] && run_suite "$s ($bin)" sh "$s" "$bin"
	done
done

if [ -d ../shared/data/jtl ] && command -v python3 >/dev/null; then
	run_suite "shared data counts" python3 tests/shared_counts.py ./jtlscope ../shared/data/jtl
else
	echo "# ../shared/data/jtl not found: shared-data counts not run" >&2
fi
if command -v python3 >/dev/null && [ -x ./jtlscope ]; then
	# the limiter lab's scorer, then the committed lab folders scored against tests/lab/floor.json
	run_suite "accuracy scorer" python3 tests/lab/test_score.py
	# the lab's own checks: its truth definitions, every committed truth recomputed from the
	# limiter's log, and the inputs holding exactly the limiter's decisions
	run_suite "lab truth" sh -c 'python3 tests/lab/test_truth.py >/dev/null 2>&1 && echo "ok - lab: truth definitions (test_truth.py)" || echo "not ok - lab: truth definitions (test_truth.py)";
		python3 tests/lab/truth.py --check tests/lab/corpus/*/ && echo "ok - lab: every truth.json recomputed from its limiter log" || echo "not ok - lab: truth.json differs from its limiter log";
		python3 tests/lab/run_scenario.py --verify tests/lab/corpus/*/ >/dev/null && echo "ok - lab: inputs hold exactly the limiter decisions" || echo "not ok - lab: inputs differ from the limiter decisions"'
	run_suite "accuracy" python3 tests/lab/score.py --tap --jtlscope ./jtlscope \
		$(ls -d tests/lab/corpus 2>/dev/null) tests/lab/bundled
	run_suite "whatif accuracy" python3 tests/lab/whatif_score.py --tap --floor 7 --jtlscope ./jtlscope
fi
for s in tests/*/run.sh; do
	[ -f "$s" ] && run_suite "$s" sh "$s" ./jtlscope
done

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
