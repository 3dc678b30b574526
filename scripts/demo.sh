#!/bin/sh
# demo.sh - analyse the bundled real sample (sample-data/demo: JMeter 2.13 against nginx
# limit_req in one region, none in the other, captured with tcpdump) and write every report
# into demo-report/.
set -eu
cd "$(dirname "$0")/.."
out=demo-report
rm -rf "$out"
mkdir -p "$out"
run=sample-data/demo
echo "jtlscope demo: $run/demo.xml.gz (JMeter XML results with response headers)"
echo "               joined with $run/demo.pcap.gz (tcpdump of the same run)"
./jtlscope report -q --format text,json,md,html,csv -o "$out" "$run/demo.xml.gz" "$run/demo.pcap.gz"
./jtlscope timeline "$run/demo.pcap.gz" >"$out/timeline.txt"
./jtlscope timeline --format json "$run/demo.pcap.gz" >"$out/timeline.json"
echo
cat "$out/report.txt"
echo
echo "TIMELINE of one connection (all $(grep -c '^c[0-9]' "$out/timeline.txt") in $out/timeline.txt):"
awk '/^c[0-9]/ { n++ } n == 1' "$out/timeline.txt" | head -12
echo
echo "Reports written to $out/: $(cd "$out" && ls | tr '\n' ' ')"
echo "Open $out/report.html in a browser; attach $out/report.md to a ticket."
