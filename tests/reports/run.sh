#!/bin/sh
# run.sh BIN - end-to-end checks of the md, html and csv reports and the charts, through the
# binary: `BIN report --format md,html,csv --charts svg -o DIR tests/data/reports/hostile.csv`
# (hostile.csv: see gen_hostile.py there), then check.py reads every output with real parsers
# (html.parser, xml.etree, csv).  When BIN does not offer those formats yet, the same checks
# run on the outputs of build/tests/test_reports (REPORTS_DUMP).  With chromium installed,
# the HTML is also rendered headless, offline.  Prints "ok - ..."/"not ok - ..." lines and
# "N passed, N failed"; exit status 1 when anything failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-./jtlscope}
case $bin in /*) ;; *) bin=$root/${bin#./} ;; esac
. "$here/../lib.sh"
work=$T

out=$work/out
mkdir -p "$out"
wired=no
if [ -x "$bin" ] && "$bin" report --help 2>&1 | grep -Eq '(^|[ ,=])md([ ,]|$)'; then
	wired=yes
fi
if [ $wired = yes ]; then
	"$bin" report -q --format md,html,csv --charts svg -o "$out" "$root/tests/data/reports/hostile.csv" >"$work/stdout" 2>"$work/stderr"
	rc=$?
	if [ $rc -eq 0 ]; then ok "report --format md,html,csv --charts svg exits 0"; else bad "report exits $rc: $(head -3 "$work/stderr")"; fi
	for f in report.md report.html; do
		if [ -s "$out/$f" ]; then ok "$f written"; else bad "$f written"; fi
	done
	if ls "$out"/*.csv >/dev/null 2>&1; then ok "csv files written"; else bad "csv files written"; fi
	if command -v gnuplot >/dev/null 2>&1; then
		n=$(ls "$out"/charts/*.svg 2>/dev/null | wc -l)
		if [ "$n" -ge 4 ]; then ok "$n SVG charts written"; else bad "SVG charts written ($n)"; fi
		if grep -q 'charts/throughput.svg' "$out/report.md"; then ok "report.md links the charts"; else bad "report.md links the charts"; fi
		if grep -q '<svg' "$out/report.html"; then ok "report.html inlines the charts"; else bad "report.html inlines the charts"; fi
	else
		skip "gnuplot not installed: charts not checked"
	fi
	if ls "${TMPDIR:-/tmp}"/jtlscope-charts.* >/dev/null 2>&1; then
		bad "gnuplot temp dirs left behind: $(ls -d "${TMPDIR:-/tmp}"/jtlscope-charts.* | head -3)"
	else
		ok "no gnuplot temp dir left behind"
	fi
	# without gnuplot: tables and a warning, still exit 0
	mkdir -p "$work/nognuplot"
	JTLSCOPE_GNUPLOT=/nonexistent/gnuplot "$bin" report -q --format html,md --charts svg -o "$work/nognuplot" "$root/tests/data/reports/hostile.csv" >/dev/null 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -q 'apt-get install gnuplot-nox' "$work/nognuplot/report.html"; then
		ok "without gnuplot: exit 0, report says how to install it"
	else
		bad "without gnuplot: exit $rc, install hint missing"
	fi
else
	skip "$bin has no md/html/csv report formats yet: checking the unit-test outputs instead"
	t=$root/build/tests/test_reports
	[ -x "$t" ] || t=$root/build-san/tests/test_reports
	if [ -x "$t" ]; then
		REPORTS_DUMP=$out "$t" >"$work/unit.log" 2>&1
		rc=$?
		if [ $rc -eq 0 ]; then ok "test_reports wrote its outputs"; else bad "test_reports exited $rc"; fi
		# the dumped chart dirs hold copies of the same SVGs: check them once
		mv "$out/report-charts.html" "$out/report-with-charts.html" 2>/dev/null
	else
		bad "build/tests/test_reports not built (make unit-bins)"
	fi
fi

if command -v python3 >/dev/null 2>&1; then
	python3 "$here/check.py" "$out" >"$work/check.log" 2>&1
	cat "$work/check.log"
	tally "$work/check.log"
	grep -q -E '^(not )?ok ' "$work/check.log" || bad "check.py printed nothing"
else
	skip "python3 not installed: parser checks not run"
fi

html=$(ls "$out"/report-with-charts.html "$out"/report.html 2>/dev/null | head -1)
if [ -z "$html" ]; then
	bad "no HTML report to render"
elif command -v chromium >/dev/null 2>&1; then
	prof=$(mktemp -d "$work/chromium.XXXXXX")
	# --no-sandbox: CI runs as root; the page itself forbids scripts (CSP) and loads nothing
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$prof" \
		--screenshot="$work/shot.png" --window-size=1280,2000 "file://$html" >"$work/chromium.log" 2>&1
	size=$(wc -c <"$work/shot.png" 2>/dev/null || echo 0)
	if [ "$size" -gt 20000 ]; then
		ok "chromium rendered the HTML report (screenshot $size bytes)"
	else
		bad "chromium did not render the HTML report: $(tail -2 "$work/chromium.log")"
	fi
	if [ -n "${REPORTS_SCREENSHOT:-}" ] && [ -f "$work/shot.png" ]; then cp "$work/shot.png" "$REPORTS_SCREENSHOT"; fi
else
	skip "chromium not installed: HTML not rendered (apt-get install -y chromium)"
fi

# headline, verdict wording, stand-alone md, JSON agreement, threads chart, --tz
if [ $wired = yes ]; then
	sh "$here/verdict.sh" "$bin" >"$work/verdict.out" 2>&1
	grep -E '^(not )?ok ' "$work/verdict.out"
	tally "$work/verdict.out"
fi

finish
