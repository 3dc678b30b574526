#!/bin/sh
# trim.sh TARGET MAX_BYTES - re-minimise fuzz/corpus/TARGET: keep every seed (sd-*, sh-*, cr-*),
# then let libFuzzer's merge add, smallest first, the campaign inputs that still add coverage,
# then drop the largest campaign inputs until the directory holds at most MAX_BYTES.
set -eu
cd "$(dirname "$0")/.."
t=$1 max=$2
bin=build-fuzz/fuzz_$t
new=build-fuzz/trim/$t
rm -rf "$new" && mkdir -p "$new"
for f in fuzz/corpus/$t/sd-* fuzz/corpus/$t/sh-* fuzz/corpus/$t/cr-*; do
	[ -f "$f" ] && cp "$f" "$new/"
done
"$bin" -merge=1 -max_len=16384 -timeout=10 -rss_limit_mb=2048 "$new" "fuzz/corpus/$t" >"build-fuzz/logs/$t.trim.log" 2>&1
total=$(cat "$new"/* | wc -c)
for f in $(ls -S "$new" | grep -v -E '^(sd|sh|cr)-'); do
	[ "$total" -le "$max" ] && break
	total=$((total - $(wc -c <"$new/$f")))
	rm -f "$new/$f"
done
rm -rf "fuzz/corpus/$t"
mv "$new" "fuzz/corpus/$t"
echo "$t: $(ls "fuzz/corpus/$t" | wc -l) files, $total bytes"
