#!/bin/sh
# bench.sh - throughput and peak RSS of jtlscope on generated large inputs, next to a reference
# tool on the same file (wc -l for plain CSV, zcat for gzip), then the soak shape (the same rows
# over 1 h / 12 h / 7 d) and a capture.  Files are kept in bench/out/ and reused while the
# generator is unchanged.  ROWS="1000000 8000000" by default.
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

# ---- soak: the same rows over 1 h, 12 h and 7 d ----
# SOAK_ROWS (default 200000; 0 skips) rows from build/tools/gensoak (tests/tools/gensoak.c:
# 50..400 threads, throttling that comes and goes every hour, completion order), as many
# rows spread over each duration.  Cost must follow the rows, not the duration: targets
# are a time within 2x the 1 h time and a peak RSS <= 64 MB (docs/design-notes.md, "Long
# runs").  `report --format json -o DIR` as a user runs it; best of 3.
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
