#!/bin/sh
# tests/fuzz/run.sh - every fuzz target over its corpus and its regression inputs, with the
# replay drivers (gcc + ASan/UBSan, no clang needed), then - when clang's libFuzzer targets can
# be built - a short deterministic fuzz smoke of each target (-runs=N -seed=1).
# Prints "ok - ..." / "not ok - ..." and "N passed, N failed".  (The argument tests/run.sh passes,
# the jtlscope binary, is not used.)
#   FUZZ_SMOKE_RUNS=N   executions per target in the smoke (default 2000; 0 disables it)
set -u
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.." || exit 1
L=$T
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

targets=$(ls fuzz/fuzz_*.c | sed 's,fuzz/fuzz_,,; s,\.c$,,')

if make -s fuzz-replay >"$L/build" 2>&1; then
	ok "make fuzz-replay"
else
	bad "make fuzz-replay: $(tail -5 "$L/build" | tr '\n' ' ')"
	finish
fi

# fuzz/regressions/T/* must run clean; fuzz/regressions/T/open/* are reproducers of bugs routed to
# another owner and not fixed yet: reported as TODO while they still fail, and flagged for moving
# up a level once they pass.
for t in $targets; do
	set --
	[ -d "fuzz/corpus/$t" ] && set -- "fuzz/corpus/$t"
	for f in fuzz/regressions/$t/*; do
		[ -f "$f" ] && set -- "$@" "$f"
	done
	if [ $# = 0 ]; then
		bad "replay $t: no corpus"
		continue
	fi
	if timeout 300 "build-replay/fuzz_$t" "$@" >"$L/$t" 2>&1; then
		ok "replay $t: $(sed -n 's/^replay: \([0-9]*\) inputs.*/\1/p' "$L/$t") inputs"
	else
		bad "replay $t: $(grep -m1 -E 'ERROR|runtime error|assertion' "$L/$t") $(grep -m1 'crashed on' "$L/$t")"
	fi
	for f in fuzz/regressions/$t/open/*; do
		[ -f "$f" ] || continue
		if timeout 60 "build-replay/fuzz_$t" "$f" >"$L/open" 2>&1; then
			ok "open bug $f no longer fails: move it to fuzz/regressions/$t/"
		else
			echo "ok - # TODO open bug (routed, see docs/fuzzing.md): $f: $(grep -m1 -E 'ERROR|runtime error|assertion' "$L/open")"
			pass=$((pass + 1))
		fi
	done
done

runs=${FUZZ_SMOKE_RUNS:-2000}
if [ "$runs" = 0 ]; then
	skip "fuzz smoke (FUZZ_SMOKE_RUNS=0)"
elif ! command -v "${FUZZ_CLANG:-clang}" >/dev/null; then
	skip "fuzz smoke (clang not installed)"
elif ! make -s fuzz >"$L/build" 2>&1; then
	bad "make fuzz: $(tail -5 "$L/build" | tr '\n' ' ')"
else
	for t in $targets; do
		w="$L/smoke-$t"
		mkdir -p "$w"
		dict=
		case $t in
		csv) dict=fuzz/dict/csv.dict ;;
		xml) dict=fuzz/dict/xml.dict ;;
		tcpstream | pcap | ratelimit) dict=fuzz/dict/http.dict ;;
		region) dict=fuzz/dict/region.dict ;;
		timestamp) dict=fuzz/dict/timestamp.dict ;;
		gate) dict=fuzz/dict/gate.dict ;;
		esac
		# a fresh scratch corpus (new inputs go there, not into fuzz/corpus), seeded from it
		if timeout 60 "build-fuzz/fuzz_$t" -runs="$runs" -seed=1 -max_len=4096 -timeout=10 \
			-rss_limit_mb=2048 -artifact_prefix="$L/$t-" ${dict:+-dict=$dict} "$w" "fuzz/corpus/$t" \
			>"$L/smoke-$t.log" 2>&1; then
			ok "fuzz smoke $t: $runs runs"
		else
			bad "fuzz smoke $t: $(grep -m1 -E 'ERROR|runtime error|assertion|Timeout|out-of-memory' "$L/smoke-$t.log") (artifact: $(ls "$L" | grep -E "^$t-(crash|timeout|oom|leak)-" | head -1))"
		fi
	done
fi

finish
