#!/bin/sh
# bench/bench_capture.sh - the capture rows of `make bench`: jtlscope next to tshark on two
# generated captures, measured in the same run.
#
#   keepalive  CAP_KA_MB (63) MB of small single-segment HTTP exchanges on 2000 keep-alive
#              connections (build/tools/genpcap --profile keepalive)
#   short      CAP_SHORT_MB (156) MB of one-exchange connections, ~9 packets each
#              (genpcap --profile short): connection setup and teardown dominate
#
# jtlscope: `jtlscope report -q --format json FILE`, median of BENCH_RUNS (3) runs.
# tshark:   `tshark -r FILE -q -z conv,tcp -z http,stat`, one run (it is the slow side).
# Prints per input: size, packets, jtlscope s / MB/s / packets/s / peak RSS (/usr/bin/time -v),
# tshark s / peak RSS, and the ratio with its target.  Inputs are kept in bench/out/ and reused
# while the generator's counts file says they are complete.  Exits non-zero when an input
# could not be made or jtlscope failed on it; a benchmark, not a test (CI times nothing).
set -eu

bin=${JTLSCOPE:-./jtlscope}
gen=${GENPCAP:-build/tools/genpcap}
out=${BENCH_OUT:-bench/out}
runs=${BENCH_RUNS:-3}
ka_mb=${CAP_KA_MB:-63}
short_mb=${CAP_SHORT_MB:-156}

die() { echo "bench_capture: $*" >&2; exit 1; }
[ -x "$bin" ] || die "$bin not built (make)"
[ -x "$gen" ] || die "$gen not built (make tools)"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (apt-get install time)"
mkdir -p "$out"

# make NAME PROFILE MB: the input, or exit loudly
make_input() {
	f="$out/cap-$1.pcap"
	if [ -s "$f" ] && [ -s "$f.counts" ] &&
	   [ "$(sed -n 's/^bytes //p' "$f.counts")" = "$(wc -c <"$f" | tr -d ' ')" ]; then
		return 0
	fi
	rm -f "$f" "$f.counts"
	if ! "$gen" --profile "$2" "$3" 2000 >"$f" 2>"$f.counts"; then
		rm -f "$f"
		die "could not generate $f ($gen --profile $2 $3 2000): $(tail -n 1 "$f.counts")"
	fi
	[ "$(sed -n 's/^bytes //p' "$f.counts")" = "$(wc -c <"$f" | tr -d ' ')" ] ||
		die "$f is incomplete (disk full?)"
}

# timed FILE.time CMD...: run once, wall seconds and peak RSS (KB) -> "s kb"
timed() {
	t=$1
	shift
	/usr/bin/time -v -o "$t" "$@" >/dev/null 2>"$t.err" || return 1
	awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0
		for (i = 1; i <= n; i++) s = s * 60 + a[i] }
		/Maximum resident set size/ { kb = $2 } END { printf "%.3f %d\n", s, kb }' "$t"
}

median() { sort -n | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }'; }

bench_one() {  # NAME PROFILE MB TARGET_RATIO
	make_input "$1" "$2" "$3"
	f="$out/cap-$1.pcap"
	pk=$(sed -n 's/^packets //p' "$f.counts")
	size=$(wc -c <"$f" | tr -d ' ')
	: >"$out/cap-$1.runs"
	i=0
	while [ "$i" -lt "$runs" ]; do
		timed "$out/cap-$1.time" "$bin" report -q --format json "$f" >>"$out/cap-$1.runs" ||
			die "jtlscope failed on $f: $(tail -n 3 "$out/cap-$1.time.err")"
		i=$((i + 1))
	done
	js=$(awk '{ print $1 }' "$out/cap-$1.runs" | median)
	jr=$(awk '{ print $2 }' "$out/cap-$1.runs" | sort -n | tail -n 1)
	printf '%-10s %6.1f MB %8d packets | jtlscope %6.3f s %6.0f MB/s %6.2f Mpkt/s peak RSS %5.1f MB (target <= 64 MB)' \
		"$1" "$(echo "$size" | awk '{ print $1 / 1e6 }')" "$pk" "$js" \
		"$(echo "$size $js" | awk '{ print $1 / 1e6 / $2 }')" \
		"$(echo "$pk $js" | awk '{ print $1 / 1e6 / $2 }')" \
		"$(echo "$jr" | awk '{ print $1 / 1024 }')"
	if command -v tshark >/dev/null 2>&1; then
		tr_=$(timed "$out/cap-$1.tshark.time" tshark -r "$f" -q -z conv,tcp -z http,stat) ||
			die "tshark failed on $f"
		printf ' | tshark %6.2f s peak RSS %6.1f MB | %5.1fx (target >= %sx)\n' "${tr_% *}" \
			"$(echo "${tr_#* }" | awk '{ print $1 / 1024 }')" \
			"$(echo "${tr_% *} $js" | awk '{ print $1 / $2 }')" "$4"
	else
		printf ' | tshark not installed: no ratio\n'
	fi
}

echo "captures: jtlscope report -q --format json (median of $runs) vs tshark -q -z conv,tcp -z http,stat"
bench_one keepalive keepalive "$ka_mb" 10
bench_one short short "$short_mb" 20
