#!/bin/sh
# demo.sh - analyse the bundled real sample (sample-data/demo: JMeter 2.13 against nginx
# limit_req in one region, none in the other) and write every report into demo-report/.
set -eu
cd "$(dirname "$0")/.."
out=demo-report
rm -rf "$out"
mkdir -p "$out"
run=sample-data/demo
echo "jtlscope demo: analysing $run/demo.xml.gz (JMeter XML results with response headers)"
./jtlscope report -q --format text,json,md,html,csv -o "$out" "$run/demo.xml.gz"
echo
cat "$out/report.txt"
echo
echo "Reports written to $out/: $(cd "$out" && ls | tr '\n' ' ')"
