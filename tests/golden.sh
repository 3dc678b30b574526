#!/bin/sh
# golden.sh BIN - reports on the bundled samples must match tests/golden/ byte for byte.
# UPDATE=1 sh tests/golden.sh ./jtlscope   rewrites the golden files (review the diff!).
set -u
BIN=${1:-./jtlscope}
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.." || exit 1
G=tests/golden

# name | arguments (relative paths: the report quotes them)
cases() {
	cat <<'LIST'
demo-xml.txt|report -q --format text sample-data/demo/demo.xml.gz
demo-xml.json|report -q --format json sample-data/demo/demo.xml.gz
demo-csv.txt|report -q --format text sample-data/demo/demo.csv.gz
demo-csv.json|report -q --format json sample-data/demo/demo.csv.gz
demo-join.txt|report -q --format text sample-data/demo/demo.xml.gz sample-data/demo/demo.pcap.gz
demo-pcap.json|report -q --format json sample-data/demo/demo.pcap.gz
demo-join.md|report -q --format md --charts none sample-data/demo/demo.xml.gz sample-data/demo/demo.pcap.gz
demo-join.html|report -q --format html --charts none sample-data/demo/demo.xml.gz sample-data/demo/demo.pcap.gz
errors-assertions.txt|report -q --format text tests/data/errors/assertions.csv
errors-assertions.json|report -q --format json tests/data/errors/assertions.csv
errors-assertions.md|report -q --format md --charts none tests/data/errors/assertions.csv
errors-assertions.html|report -q --format html --charts none tests/data/errors/assertions.csv
demo-tz-singapore.md|report -q --format md --charts none --tz Asia/Singapore sample-data/demo/demo.xml.gz
dst-berlin.txt|report -q --format text --tz Europe/Berlin tests/reports/dst.csv
LIST
	for d in sample-data/known/*/; do
		n=$(basename "$d")
		for f in "$d"*.xml.gz; do
			[ -f "$f" ] && echo "known-$n.json|report -q --format json $f"
		done
	done
}

cases >"$T/cases"
while IFS='|' read -r name args; do
	# shellcheck disable=SC2086
	"$BIN" $args </dev/null >"$T/$name" 2>"$T/$name.err"
	echo "$? $name" >>"$T/rcs"
	golden "$name" "$T/$name" "$G/$name"
done <"$T/cases"
if [ "$(grep -vc '^0 ' "$T/rcs")" -eq 0 ]; then
	ok "every golden case exited 0"
else
	bad "non-zero exit: $(grep -v '^0 ' "$T/rcs" | tr '\n' ' ')"
fi
finish
