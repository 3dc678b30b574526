#!/bin/sh
# golden.sh BIN - reports on the bundled samples must match tests/golden/ byte for byte: the
# case table tests/golden.cases, and one JSON report per run in sample-data/known/.
# UPDATE=1 sh tests/golden.sh ./jtlscope   rewrites the golden files (review the diff!).
set -u
BIN=${1:-./jtlscope}
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.." || exit 1

cp tests/golden.cases "$T/golden.cases"
for d in sample-data/known/*/; do
	n=$(basename "$d")
	for f in "$d"*.xml.gz; do
		[ -f "$f" ] && echo "known-$n.json | 0 | | =tests/golden/known-$n.json | report -q --format json $f"
	done
done >>"$T/golden.cases"
case_table "$T/golden.cases"
finish
