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
. tests/lib.sh # T, a temp dir removed at exit

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

# ---- many small runs, few long ones: time and memory stay bounded ----
# SMALL_RUNS (default 1000; 0 skips) runs of 30 s x 4 threads (genarchive, a third throttled)
# and LONG_RUNS (default 10; 0 skips) soak runs of LONG_ROWS (default 200000) rows each over
# 12 h and 7 d alternately (build/tools/gensoak: 50..400 threads, throttling every hour).
# Printed: wall time, runs/s, rows/s and peaks of resident memory: of the largest process
# (exact, GNU time's maximum over the batch process and the workers it waited for), and apart,
# of the batch process itself (it keeps the runs' index) and of the largest worker ('jtlscope
# report' of one run), both read from /proc/PID/status (VmHWM) every 0.1 s, so at least these.
# Bounded means the batch process stays small however many runs it indexes, and a long run's
# worker costs what a short one with the same rows costs (target <= 64 MB).
SMALL_RUNS=${SMALL_RUNS:-1000}
LONG_RUNS=${LONG_RUNS:-10}
LONG_ROWS=${LONG_ROWS:-200000}
SGEN=build/tools/gensoak

hwm() { # VmHWM of a pid in kB, 0 when gone
	awk '/^VmHWM:/ { print $2; f = 1 } END { if (!f) print 0 }' "/proc/$1/status" 2>/dev/null || echo 0
}
kids() { # children of a pid, from /proc/*/stat field 4 (ppid)
	awk -v p="$1" '$4 == p { print $1 }' /proc/[0-9]*/stat 2>/dev/null
}
run_bounded() { # label, archive dir, rows, args...
	label=$1
	dir=$2
	rows=$3
	shift 3
	n=$(find "$dir" -type f | wc -l)
	rm -rf "$T/out-b" "$T/maxrss"
	wrap=""
	[ -x /usr/bin/time ] && wrap="/usr/bin/time -f %M -o $T/maxrss"
	t0=$(now)
	# shellcheck disable=SC2086 # wrap is a command prefix
	$wrap "$BIN" batch "$dir" -o "$T/out-b" -q --format "$FORMAT" "$@" >/dev/null 2>"$T/err" &
	pid=$!
	top=0
	wtop=0
	while kill -0 "$pid" 2>/dev/null; do
		bp=$pid
		[ -n "$wrap" ] && bp=$(kids "$pid" | head -1)
		if [ -n "$bp" ]; then
			h=$(hwm "$bp")
			[ "$h" -gt "$top" ] && top=$h
			for c in $(kids "$bp"); do
				h=$(hwm "$c")
				[ "$h" -gt "$wtop" ] && wtop=$h
			done
		fi
		sleep 0.1
	done
	wait "$pid"
	rc=$?
	t1=$(now)
	[ $rc -eq 0 ] || echo "bench_batch: batch $dir exited $rc: $(head -3 "$T/err")" >&2
	all=$(cat "$T/maxrss" 2>/dev/null || echo 0)
	awk -v l="$label" -v a="$t0" -v b="$t1" -v n="$n" -v r="$rows" -v m="$all" -v p="$top" -v w="$wtop" 'BEGIN {
		s = b - a; if (s <= 0) s = 1e-9
		printf "%-30s %7.2f s  %6.1f runs/s  %8.0f rows/s  peak RSS %5.1f MB (batch >= %.1f, a worker >= %.1f)%s\n",
			l, s, n / s, r / s, m / 1024, p / 1024, w / 1024, (m > 65536 || p > 65536 || w > 65536) ? "  (over 64 MB)" : "" }'
}

if [ "$SMALL_RUNS" != 0 ]; then
	d=$T/small
	i=1
	while [ "$i" -le "$SMALL_RUNS" ]; do
		sub=$d/b$(( (i - 1) / 100 ))
		[ -d "$sub" ] || mkdir -p "$sub"
		lim=""
		[ $((i % 3)) -eq 0 ] && lim="--limit 2"
		# shellcheck disable=SC2086
		"$GEN" $lim --seconds 30 --threads 4 "$i" >"$sub/run-$i.jtl"
		i=$((i + 1))
	done
	rows=$(cat "$d"/*/*.jtl | wc -l)
	rows=$((rows - SMALL_RUNS))
	run_bounded "batch -j 2: $SMALL_RUNS small runs" "$d" "$rows" -j 2
fi
if [ "$LONG_RUNS" != 0 ] && [ -x "$SGEN" ]; then
	d=$T/long
	mkdir -p "$d"
	i=1
	while [ "$i" -le "$LONG_RUNS" ]; do
		dur=12h
		[ $((i % 2)) -eq 0 ] && dur=7d
		"$SGEN" "$LONG_ROWS" "$dur" 400 1h "$i" >"$d/soak-$i-$dur.csv" 2>/dev/null
		i=$((i + 1))
	done
	run_bounded "batch -j 2: $LONG_RUNS long runs" "$d" $((LONG_ROWS * LONG_RUNS)) -j 2
fi
