#!/bin/sh
# bench.sh - throughput and peak RSS of jtlscope on generated large inputs, next to a reference
# tool on the same file (wc -l for plain CSV, zcat for gzip).  Files are kept in bench/out/ and
# reused while the generator is unchanged.  ROWS="1000000 8000000" by default.
set -eu
cd "$(dirname "$0")/.."
out=bench/out
mkdir -p "$out"
rows=${ROWS:-1000000 8000000}
gen=build/tools/genjtl
bin=./jtlscope

# wall seconds and peak RSS (KB) of a command, stdout discarded
measure() {
	/usr/bin/time -f '%e %M' -o "$out/time.txt" "$@" >/dev/null 2>"$out/stderr.txt" || {
		echo "bench: command failed: $*" >&2
		cat "$out/stderr.txt" >&2
		exit 1
	}
	cat "$out/time.txt"
}
best() { # best of 3 runs: prints "secs rss"
	b=""
	for _ in 1 2 3; do
		r=$(measure "$@")
		if [ -z "$b" ] || [ "$(echo "$r $b" | awk '{print ($1 < $3)}')" = 1 ]; then b=$r; fi
	done
	echo "$b"
}
row() { # NAME SIZE_BYTES "SECS RSS_KB" REF_NAME "REF_SECS REF_RSS_KB"
	# shellcheck disable=SC2086 # split "secs rss" pairs on purpose
	set -- "$1" "$2" $3 "$4" $5
	awk -v name="$1" -v size="$2" -v js="$3" -v jr="$4" -v rn="$5" -v rs="$6" -v rr="$7" 'BEGIN {
		mb = size / 1e6; s = (js > 0 ? js : 0.001); r = (rs > 0 ? rs : 0.001);
		printf "%-28s %8.0f MB  jtlscope %6.2f s %7.0f MB/s  peak RSS %6.1f MB | %-7s %6.2f s %7.0f MB/s  RSS %6.1f MB  time ratio %.2fx\n",
			name, mb, js, mb / s, jr / 1024, rn, rs, mb / r, rr / 1024, s / r }'
}

echo "jtlscope bench on $(nproc) cores, $(uname -m); $(date -u +%Y-%m-%d)"
for n in $rows; do
	f="$out/gen-$n.csv"
	if [ ! -s "$f" ] || [ "$gen" -nt "$f" ]; then
		echo "generating $f ..." >&2
		"$gen" "$n" >"$f"
	fi
	if [ ! -s "$f.gz" ] || [ "$f" -nt "$f.gz" ]; then
		echo "compressing $f.gz ..." >&2
		gzip -c -6 "$f" >"$f.gz"
	fi
	cat "$f" "$f.gz" >/dev/null  # page cache
	size=$(stat -c %s "$f")
	zsize=$(stat -c %s "$f.gz")
	j=$(best "$bin" report -q --format json "$f")
	w=$(best wc -l "$f")
	row "csv $n rows" "$size" "$j" "wc -l" "$w"
	j=$(best "$bin" report -q --format json "$f.gz")
	z=$(best sh -c "zcat '$f.gz' >/dev/null")
	row "csv.gz $n rows (inflated)" "$size" "$j" "zcat" "$z"
	echo "  (gzip file $(echo "$zsize" | awk '{printf "%.0f", $1/1e6}') MB)"
done
