#!/bin/sh
# bench.sh - the JTL rows of issue #14's table, each next to its reference measured in the same
# run (median of 3, stdout discarded, page cache warm): wall seconds, MB/s, peak RSS, ratio,
# target.  Then the soak shape (the same rows over 1 h / 12 h / 7 d) and a capture.
#
#   csv   CSV_ROWS (default 8 M) rows from build/tools/genjtl    vs `wc -l`            target <= 4x, <= 64 MB
#   gzip  the same file gzip -6                                  vs `zcat`             (a stream: inflate || parse)
#   soak  1 M rows over 1 h, 50..400 threads (build/tools/gensoak) vs DuckDB 1 thread, parse-jtl
#                                                                  target >= 10x DuckDB, >= 80x parse-jtl
#   xml   XML_ROWS (default 500 k) <httpSample>s with headers (genjtl --xml)
#                                                   vs `xmllint --stream --noout` and expat alone
#                                                   (build/tools/expatonly)   target >= 250 MB/s
#
# DuckDB (@duckdb/node-api) and parse-jtl come from npm into bench/out/npm (scripts in bench/:
# ref_duckdb.mjs, ref_parsejtl.js); NO_NPM=1 skips those two references.  Any input that
# cannot be made, or a reference that fails or reads a different row count, stops the bench
# with an error: a benchmark that silently compares against nothing is worthless.  Files are
# kept in bench/out/ and reused while their generator is unchanged.
set -eu
cd "$(dirname "$0")/.."
out=bench/out
mkdir -p "$out"
gen=build/tools/genjtl
sgen=build/tools/gensoak
bin=./jtlscope
die() { echo "bench: $*" >&2; exit 1; }
[ -x "$bin" ] && [ -x "$gen" ] && [ -x "$sgen" ] && [ -x build/tools/expatonly ] ||
	die "build first: make all tools"

# wall seconds and peak RSS (KB) of a command, stdout discarded
measure() {
	/usr/bin/time -f '%e %M' -o "$out/time.txt" "$@" >/dev/null 2>"$out/stderr.txt" || {
		echo "bench: command failed: $*" >&2
		cat "$out/stderr.txt" >&2
		exit 1
	}
	cat "$out/time.txt"
}
med() { # median of RUNS (default 3) runs: prints "secs rss"
	for _ in $(seq "${RUNS:-3}"); do measure "$@"; done | sort -n | awk '{ r[NR] = $0 } END { print r[int((NR + 1) / 2)] }'
}
best() { med "$@"; } # the soak and capture sections below
row() { # NAME SIZE_BYTES "SECS RSS_KB" REF_NAME "REF_SECS REF_RSS_KB"
	# shellcheck disable=SC2086 # split "secs rss" pairs on purpose
	set -- "$1" "$2" $3 "$4" $5
	awk -v name="$1" -v size="$2" -v js="$3" -v jr="$4" -v rn="$5" -v rs="$6" -v rr="$7" 'BEGIN {
		mb = size / 1e6; s = (js > 0 ? js : 0.001); r = (rs > 0 ? rs : 0.001);
		printf "%-28s %8.0f MB  jtlscope %6.2f s %7.0f MB/s  peak RSS %6.1f MB | %-9s %6.2f s %7.0f MB/s  RSS %6.1f MB  time ratio %.2fx\n",
			name, mb, js, mb / s, jr / 1024, rn, rs, mb / r, rr / 1024, s / r }'
}
# make FILE with COMMAND... unless it exists and is newer than the generator GEN
make_input() { # FILE GEN COMMAND...
	f=$1 g=$2
	shift 2
	if [ ! -s "$f" ] || [ "$g" -nt "$f" ]; then
		echo "generating $f ..." >&2
		"$@" >"$f.tmp" 2>"$out/gen.err" || { cat "$out/gen.err" >&2; rm -f "$f.tmp"; die "could not make $f"; }
		mv "$f.tmp" "$f"
	fi
	[ -s "$f" ] || die "could not make $f"
	cat "$f" >/dev/null  # page cache
}

echo "jtlscope bench on $(nproc) cores, $(uname -m); $(date -u +%Y-%m-%d)"

# ---- CSV: wc -l and zcat ----
n=${CSV_ROWS:-8000000}
f="$out/gen-$n.csv"
make_input "$f" "$gen" "$gen" "$n"
if [ ! -s "$f.gz" ] || [ "$f" -nt "$f.gz" ]; then
	echo "compressing $f.gz ..." >&2
	gzip -c -6 "$f" >"$f.gz.tmp" && mv "$f.gz.tmp" "$f.gz" || die "could not make $f.gz"
fi
cat "$f.gz" >/dev/null
size=$(stat -c %s "$f")
j=$(med "$bin" report -q --format json "$f")
w=$(med wc -l "$f")
row "csv $n rows" "$size" "$j" "wc -l" "$w"
echo "$j $w" | awk '{ r = $1 / ($3 > 0 ? $3 : 0.001)
	printf "  %.1fx the time of wc -l (target <= 4x), peak RSS %.1f MB (target <= 64 MB)%s\n", r, $2 / 1024,
		(r > 4 || $2 / 1024 > 64) ? "  NOT MET" : "" }'
j=$(med "$bin" report -q --format json "$f.gz")
z=$(med sh -c "zcat '$f.gz' >/dev/null")
row "csv.gz $n rows (inflated)" "$size" "$j" "zcat" "$z"
echo "  (gzip file $(stat -c %s "$f.gz" | awk '{printf "%.0f", $1/1e6}') MB)"

# ---- 1 M rows over 1 h, 400 threads: DuckDB and parse-jtl ----
n=${SOAK_REF_ROWS:-1000000}
f="$out/soak-$n-1h-ref.csv"
make_input "$f" "$sgen" "$sgen" "$n" 1h
size=$(stat -c %s "$f")
j=$(med "$bin" report -q --format json "$f")
if [ "${NO_NPM:-0}" = 1 ]; then
	echo "csv $n rows over 1 h: jtlscope $j (NO_NPM=1: DuckDB and parse-jtl skipped)"
else
	npm_dir=$out/npm
	if [ ! -d "$npm_dir/node_modules/@duckdb/node-api" ] || [ ! -d "$npm_dir/node_modules/parse-jtl" ]; then
		command -v npm >/dev/null 2>&1 || die "npm is needed for the DuckDB and parse-jtl references (apt-get install npm), or NO_NPM=1"
		echo "installing @duckdb/node-api and parse-jtl into $npm_dir ..." >&2
		mkdir -p "$npm_dir"
		npm install --prefix "$npm_dir" --no-audit --no-fund --silent \
			@duckdb/node-api@1.5.6-r.1 parse-jtl@1.1.0 >&2 || die "npm install failed"
	fi
	cp bench/ref_duckdb.mjs bench/ref_parsejtl.js "$npm_dir/"
	# the references must read every row, or their time means nothing
	got=$(node "$npm_dir/ref_duckdb.mjs" "$f" 1) || die "DuckDB failed on $f"
	echo "$got" | grep -q " rows $n\$" || die "DuckDB read '$got', not $n rows"
	got=$(cd "$npm_dir" && node ref_parsejtl.js "../../../$f") || die "parse-jtl failed on $f"
	echo "$got" | grep -q " rows $n\$" || die "parse-jtl read '$got', not $n rows"
	d=$(med node "$npm_dir/ref_duckdb.mjs" "$f" 1)
	p=$(RUNS=1 med sh -c "cd '$npm_dir' && node ref_parsejtl.js '../../../$f'")
	row "csv $n rows, 1 h, 400 thr" "$size" "$j" "DuckDB-1t" "$d"
	row "csv $n rows, 1 h, 400 thr" "$size" "$j" "parse-jtl" "$p"
	echo "$j $d $p" | awk '{ s = ($1 > 0 ? $1 : 0.001); a = $3 / s; b = $5 / s
		printf "  %.1fx faster than DuckDB on 1 thread (target >= 10x), %.0fx faster than parse-jtl (target >= 80x)%s\n",
			a, b, (a < 10 || b < 80) ? "  NOT MET" : "" }'
fi

# ---- XML with headers: xmllint and expat alone ----
n=${XML_ROWS:-500000}
f="$out/gen-$n.xml"
make_input "$f" "$gen" "$gen" --xml "$n"
size=$(stat -c %s "$f")
j=$(med "$bin" report -q --format json "$f")
x=$(med xmllint --stream --noout "$f")
e=$(med build/tools/expatonly "$f" 1048576 elements)
row "xml $n samples, headers" "$size" "$j" "xmllint" "$x"
row "xml $n samples, headers" "$size" "$j" "expat" "$e"
echo "$j $e $size" | awk '{ s = ($1 > 0 ? $1 : 0.001); mb = $5 / 1e6 / s
	printf "  %.0f MB/s (target >= 250 MB/s); expat alone %.0f MB/s: jtlscope takes %.2fx the time of expat alone%s\n",
		mb, $5 / 1e6 / ($3 > 0 ? $3 : 0.001), s / ($3 > 0 ? $3 : 0.001), mb < 250 ? "  NOT MET" : "" }'

# ---- soak: the same rows over 1 h, 12 h and 7 d ----
# SOAK_ROWS (default 200000; 0 skips) rows from build/tools/gensoak (tests/tools/gensoak.c:
# 50..400 threads, throttling that comes and goes every hour, completion order), as many
# rows spread over each duration.  Cost must follow the rows, not the duration: targets
# are a time within 2x the 1 h time and a peak RSS <= 64 MB (docs/design-notes.md, "Long
# runs").  `report --format json -o DIR` as a user runs it; median of 3.
soak_rows=${SOAK_ROWS:-200000}
if [ "$soak_rows" != 0 ]; then
	sgen=build/tools/gensoak
	base=""
	for d in 1h 12h 7d; do
		f="$out/soak-$soak_rows-$d.csv"
		if [ ! -s "$f" ] || [ "$sgen" -nt "$f" ]; then
			echo "generating $f ..." >&2
			"$sgen" "$soak_rows" "$d" >"$f" 2>/dev/null
		fi
		cat "$f" >/dev/null  # page cache
		rm -rf "$out/soak-report"
		j=$(best "$bin" report -q --format json -o "$out/soak-report" "$f")
		[ -n "$base" ] || base=${j% *}
		bms=$(sed -n 's/^[[:space:]]*"bucket_ms":[[:space:]]*\([0-9]*\).*/\1/p' \
			"$out/soak-report/report.json" | head -1)
		fms=$(awk '/"resolution":/ { r = 1 } r && /"fine_ms":/ { gsub(/[^0-9]/, ""); print; exit }' \
			"$out/soak-report/report.json")
		echo "$j" | awk -v name="soak $soak_rows rows over $d" -v rows="$soak_rows" -v b="$base" \
			-v bms="$bms" -v fms="${fms:-100}" '{
			s = ($1 > 0 ? $1 : 0.001); t = (b > 0 ? b : 0.001)
			printf "%-28s jtlscope %6.2f s %9.0f rows/s  peak RSS %6.1f MB  %.2fx the 1 h time  series %s ms, onset grid %s ms%s\n",
				name, $1, rows / s, $2 / 1024, s / t, bms, fms,
				(s / t > 2 || $2 / 1024 > 64) ? "  (over target: 2x, 64 MB)" : "" }'
	done
fi

# ---- capture: `jtlscope report` on a generated pcap next to tshark ----
# CAPTURE_MB (default 400; 0 skips) megabytes of HTTP/1.1 traffic from build/tools/genpcap
# (tests/tools/genpcap.c: 2000 concurrent keep-alive connections, ~3 % 429s, chunked bodies,
# retransmissions), kept as $out/gen-capture.pcap with what the generator wrote in
# gen-capture.pcap.counts.  Reference: tshark -q -z conv,tcp -z http,stat (skipped when tshark
# is not installed).  jtlscope's connection, exchange, status-code, retransmission and
# incomplete counts must equal the generator's, or the bench fails: a benchmark that silently
# mis-parses is worthless.  tshark's connection and response counts are checked as well (a
# difference there is reported, not fatal: TShark 4.0 drops the odd chunked response whose
# last LF arrives in a segment of its own, flagging the previous frame "Malformed"; one such
# response in the default 400 MB capture).
cap_mb=${CAPTURE_MB:-400}
if [ "$cap_mb" != 0 ]; then
	pgen=build/tools/genpcap
	f="$out/gen-capture.pcap"
	if [ ! -s "$f" ] || [ ! -s "$f.counts" ] || [ "$pgen" -nt "$f" ] ||
		! grep -qx "megabytes $cap_mb" "$f.counts"; then
		echo "generating $f ($cap_mb MB) ..." >&2
		"$pgen" "$cap_mb" >"$f.tmp" 2>"$f.counts.tmp" || {
			echo "bench: $pgen failed" >&2
			cat "$f.counts.tmp" >&2
			exit 1
		}
		echo "megabytes $cap_mb" >>"$f.counts.tmp"
		mv "$f.tmp" "$f"
		mv "$f.counts.tmp" "$f.counts"
	fi
	cat "$f" >/dev/null  # page cache
	size=$(stat -c %s "$f")
	j=$(best "$bin" report -q --format json "$f")
	"$bin" report -q --format json "$f" >"$out/capture-report.json"
	if command -v tshark >/dev/null 2>&1; then
		t=$(best sh -c "tshark -r '$f' -q -z conv,tcp -z http,stat >'$out/capture-tshark.txt'")
		row "pcap $cap_mb MB HTTP" "$size" "$j" "tshark" "$t"
		echo "$j $t" | awk '{ printf "  jtlscope %.1fx faster than tshark (target >= 10x); jtlscope peak RSS %.1f MB (target <= 64 MB)\n",
			($3 > 0 ? $3 : 0.001) / ($1 > 0 ? $1 : 0.001), $2 / 1024 }'
	else
		awk -v name="pcap $cap_mb MB HTTP" -v size="$size" -v js="${j% *}" -v jr="${j#* }" 'BEGIN {
			mb = size / 1e6; s = (js > 0 ? js : 0.001);
			printf "%-28s %8.0f MB  jtlscope %6.2f s %7.0f MB/s  peak RSS %6.1f MB | tshark not installed: reference skipped\n",
				name, mb, js, mb / s, jr / 1024 }'
	fi
	# "key value" lines from the report's "capture" object (codes as code_NNN)
	awk '/^\t"capture":/ { inside = 1; next }
	     inside && /^\t}/ { exit }
	     inside { l = $0; gsub(/[\t",]/, "", l); split(l, kv, ":")
		      if (kv[2] == "{") { pre = kv[1]; next }
		      if (kv[1] == "}") { pre = ""; next }
		      print (pre == "codes" ? "code_" : "") kv[1], kv[2] }' \
		"$out/capture-report.json" >"$out/capture-report.counts"
	bad=0
	for k in connections exchanges code_429 retransmissions incomplete codes; do
		if [ "$k" = codes ]; then  # every status code: "200x12510 201x1341 ..."
			want=$(sed -n 's/^code_\([0-9]*\) /\1x/p' "$f.counts" | sort -n | tr '\n' ' ' |
				sed 's/ $//')
			got=$(sed -n 's/^code_\([0-9]*\) /\1x/p' "$out/capture-report.counts" | sort -n |
				tr '\n' ' ' | sed 's/ $//')
		else
			want=$(awk -v k="$k" '$1 == k { v = $2 } END { print v + 0 }' "$f.counts")
			got=$(awk -v k="$k" '$1 == k { v = $2; f = 1 } END { print f ? v : "missing" }' \
				"$out/capture-report.counts")
		fi
		if [ "$got" = "$want" ]; then
			echo "  check: jtlscope $k $got = generated $want"
		else
			echo "  check FAILED: jtlscope $k $got, generated $want"
			bad=1
		fi
	done
	if [ -s "$out/capture-tshark.txt" ] && command -v tshark >/dev/null 2>&1; then
		tc=$(grep -c '<->' "$out/capture-tshark.txt" || true)
		tr=$(awk '$1 ~ /^[1-5][0-9][0-9]$/ && $NF ~ /^[0-9]+$/ { n += $NF } END { print n + 0 }' \
			"$out/capture-tshark.txt")
		t429=$(awk '$1 == "429" { n += $NF } END { print n + 0 }' "$out/capture-tshark.txt")
		wc_=$(awk '$1 == "connections" { print $2 }' "$f.counts")
		we=$(awk '$1 == "exchanges" { print $2 }' "$f.counts")
		w429=$(awk '$1 == "code_429" { print $2 }' "$f.counts")
		if [ "$tc $tr $t429" = "$wc_ $we $w429" ]; then
			echo "  check: tshark connections $tc, responses $tr, 429s $t429 = generated"
		else
			echo "  note: tshark connections $tc, responses $tr, 429s $t429; generated $wc_, $we, $w429"
		fi
	fi
	if [ "$bad" != 0 ]; then
		echo "bench: jtlscope's capture counts differ from what genpcap wrote" >&2
		exit 1
	fi
fi
