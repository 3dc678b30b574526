#!/bin/sh
# bench_batch.sh - `jtlscope batch` throughput on a generated archive, with -j 1 and -j 2:
# runs/s and MB/s of input (bytes on disk, gzip counted compressed), plus a cached re-run.
#
#   sh bench/bench_batch.sh [BIN]      (make all tools first; env RUNS, SECS, THREADS, FORMAT)
#
# The archive: RUNS runs from build/tools/genarchive (tests/tools/genarchive.c), SECS seconds of
# THREADS threads each (one request a second per thread), a third throttled by a token bucket,
# a quarter gzip, a fifth XML.  Every run is analysed with the throttle analysis; each run's
# report formats are FORMAT (default json: the index needs only that; md,html add the writers).
set -u
cd "$(dirname "$0")/.." || exit 1
BIN=${1:-./jtlscope}
GEN=build/tools/genarchive
RUNS=${RUNS:-40}
SECS=${SECS:-300}
THREADS=${THREADS:-100}
FORMAT=${FORMAT:-json}
[ -x "$BIN" ] && [ -x "$GEN" ] || { echo "bench_batch: build first (make all tools)" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/jtlscope-bench-batch.XXXXXX")
trap 'rm -rf "$T"' EXIT

i=1
while [ "$i" -le "$RUNS" ]; do
	d=$T/archive/batch-$(( (i - 1) / 10 ))
	mkdir -p "$d"
	lim=""
	[ $((i % 3)) -eq 0 ] && lim="--limit $((THREADS / 4))"
	if [ $((i % 5)) -eq 0 ]; then
		# shellcheck disable=SC2086
		"$GEN" --xml $lim --seconds "$SECS" --threads "$THREADS" "$i" >"$d/results-$i.jtl"
	elif [ $((i % 4)) -eq 1 ]; then
		# shellcheck disable=SC2086
		"$GEN" --gzip $lim --seconds "$SECS" --threads "$THREADS" "$i" >"$d/run-$i.csv.gz"
	else
		# shellcheck disable=SC2086
		"$GEN" $lim --seconds "$SECS" --threads "$THREADS" "$i" >"$d/run-$i.jtl"
	fi
	i=$((i + 1))
done
bytes=$(du -sb "$T/archive" | cut -f1)
samples=$(( RUNS * SECS * THREADS * 85 / 100 ))
echo "archive: $RUNS runs, $(echo "$bytes" | awk '{printf "%.1f", $1 / 1e6}') MB on disk, ~$samples samples ($SECS s x $THREADS threads each); formats $FORMAT; $(nproc) CPUs"

now() { date +%s.%N; }
run() { # label, args...
	label=$1
	shift
	t0=$(now)
	"$BIN" batch "$T/archive" -o "$T/out" -q --format "$FORMAT" "$@" >/dev/null 2>"$T/err"
	rc=$?
	t1=$(now)
	if [ $rc -ne 0 ]; then
		echo "bench_batch: batch $* exited $rc: $(head -3 "$T/err")" >&2
	fi
	awk -v l="$label" -v a="$t0" -v b="$t1" -v n="$RUNS" -v by="$bytes" 'BEGIN {
		s = b - a; if (s <= 0) s = 1e-9
		printf "%-22s %7.2f s  %7.1f runs/s  %8.1f MB/s\n", l, s, n / s, by / 1e6 / s }'
}
run "batch -j 1" -j 1 --force
run "batch -j 2" -j 2 --force
run "batch -j 2 (cached)" -j 2
