#!/bin/sh
# cli.sh BIN - the real binary's exit codes, messages and outputs.
# Prints "ok - ..." / "not ok - ..." per check and "N passed, N failed" at the end.
set -u
BIN=${1:-./jtlscope}
. "$(dirname "$0")/lib.sh"

good="timeStamp,elapsed,label,responseCode,responseMessage,threadName,success,bytes
1700000000000,12,Login,200,OK,TG 1-1,true,100
1700000000500,3,Login,429,Too Many Requests,TG 1-2,false,10
1700000001000,40,Search,200,OK,TG 1-1,true,300
"
printf '%s' "$good" >"$T/good.csv"
printf '%s' "$good" | gzip -c >"$T/good.csv.gz"
head -c 40 "$T/good.csv.gz" >"$T/trunc.csv.gz"
printf 'timeStamp,elapsed,label,success\n1,2,x,true\nnot-a-time,2,x,true\n3,4,y,true\n' >"$T/bad.csv"
: >"$T/empty.csv"
printf '\001\002\003\000\377\376garbage' >"$T/garbage.bin"

# exit codes and messages, one case a line: tests/cli.cases
case_table "$(dirname "$0")/cli.cases"

expect "--version" 0 "" -- "$BIN" --version
grep -q '^jtlscope [0-9]' "$T/out" && ok "--version prints the version" || bad "--version output: $(cat "$T/out")"
expect "report --help" 0 "" -- "$BIN" report --help
grep -q -- '--throttle-codes' "$T/out" && ok "report --help lists options" || bad "report --help lacks options"
# issue 15 point 8: -V, help CMD, one line and a hint for an unknown option
expect "-V" 0 "" -- "$BIN" -V
grep -q '^jtlscope [0-9]' "$T/out" && ok "-V prints the version" || bad "-V output: $(cat "$T/out")"
for c in report timeline batch compare summarize merge whatif; do
	"$BIN" help "$c" >"$T/help1" 2>&1; r1=$?
	"$BIN" "$c" --help >"$T/help2" 2>&1; r2=$?
	if [ "$r1" = 0 ] && [ "$r2" = 0 ] && [ -s "$T/help1" ] && cmp -s "$T/help1" "$T/help2"; then
		ok "help $c = $c --help"
	else
		bad "help $c differs from $c --help (exit $r1/$r2)"
	fi
done
for c in report compare summarize merge timeline whatif; do
	expect "$c: unknown option" 2 "unknown option '--bogus'" -- "$BIN" "$c" --bogus x
	if [ "$(wc -l <"$T/err")" -eq 2 ] && grep -q "^try 'jtlscope $c --help'" "$T/err"; then
		ok "$c: unknown option is one line and the --help hint"
	else
		bad "$c: unknown option message: $(head -c 300 "$T/err")"
	fi
done
printf 'timeStamp,elapsed,label,success\n2023/11/15 06:13:20.123,5,x,true\n' >"$T/local.csv"
if [ -f /usr/share/zoneinfo/Asia/Singapore ]; then
	expect "--tz with a zone name" 0 "" -- "$BIN" report -q --format json --tz Asia/Singapore "$T/local.csv"
	grep -q '"first_ts_ms":	1700000000123' "$T/out" && ok "Asia/Singapore local stamp converted to UTC" || bad "--tz Asia/Singapore: $(grep first_ts "$T/out")"
fi
expect "empty file" 3 "the file is empty: no JMeter samples" -- "$BIN" report "$T/empty.csv"
[ ! -s "$T/out" ] && ok "empty file: no report on stdout" || bad "empty file printed a report"
expect "missing file" 3 "No such file" -- "$BIN" report "$T/missing.csv"
[ ! -s "$T/out" ] && ok "missing file: no empty report on stdout" || bad "missing file printed a report: $(head -c 200 "$T/out")"
expect "missing file beside a good one" 3 "No such file" -- "$BIN" report "$T/missing.csv" "$T/good.csv"
grep -q "3 samples" "$T/out" && ok "the good input is still reported" || bad "good input not reported beside a missing one"
expect "malformed record warns with file:line" 0 "bad.csv:3: warning: bad timeStamp 'not-a-time'" -- "$BIN" report "$T/bad.csv"
grep -q "1 skipped" "$T/out" && ok "skipped record shown in the report" || bad "skipped count missing from the report"
expect "--quiet silences warnings" 0 "" -- "$BIN" report -q "$T/bad.csv"
[ ! -s "$T/err" ] && ok "--quiet: nothing on stderr" || bad "--quiet printed: $(head -c 200 "$T/err")"

# --- inputs that are not JMeter results: one line, exit 3, no report (tests/data/not-jmeter/) ---
N=tests/data/not-jmeter
# one_line NAME WANT_RC PATTERN -- command: like expect, and stderr is that one line, stdout empty
one_line() {
	name=$1
	expect "$@"
	if [ "$(wc -l <"$T/err")" -ne 1 ] || [ -s "$T/out" ]; then
		bad "$name: want one line on stderr and nothing on stdout, got $(wc -l <"$T/err") lines: $(head -c 300 "$T/err")"
	else
		ok "$name: one line, no report"
	fi
}
if [ -d "$N" ]; then
	one_line "k6 CSV" 3 "'$N/k6.csv': this is a k6 CSV, not a JMeter JTL" -- "$BIN" report "$N/k6.csv"
	gzip -c "$N/k6.csv" >"$T/k6.csv.gz"
	one_line "gzipped k6 CSV" 3 "this is a k6 CSV, not a JMeter JTL" -- "$BIN" report "$T/k6.csv.gz"
	one_line "k6 JSON" 3 "this is a k6 JSON output, not a JMeter JTL" -- "$BIN" report "$N/k6.json"
	one_line "Gatling simulation.log" 3 "this is a Gatling simulation.log, not a JMeter JTL" -- "$BIN" report "$N/simulation.log"
	one_line "Locust CSV" 3 "this is a Locust CSV, not a JMeter JTL" -- "$BIN" report "$N/locust_stats.csv"
	one_line "jmeter.log" 3 "this is a JMeter log (jmeter.log), not a JMeter JTL" -- "$BIN" report "$N/jmeter.log"
	one_line "README.md" 3 "this is a Markdown text, not a JMeter JTL" -- "$BIN" report "$N/README.md"
	one_line "plain text" 3 "this is a plain text, not a JMeter JTL" -- "$BIN" report "$N/notes.txt"
	one_line "CSV without JMeter columns" 3 "this is a CSV file without JMeter columns" -- "$BIN" report "$N/other.csv"
	one_line "Aggregate Report table" 3 "this is a JMeter listener table" -- "$BIN" report "$N/aggregate.csv"
	one_line "test plan" 3 "this is a JMeter test plan (.jmx)" -- "$BIN" report "$N/plan.jmx"
	one_line "HTML dashboard page" 3 "this is an HTML page, not a JMeter JTL" -- "$BIN" report "$N/index.html"
	one_line "header only" 3 "no samples: a JMeter CSV header and no records" -- "$BIN" report -q "$N/header-only.csv"
	one_line "every record skipped" 3 "no sample could be read: all 5 records were skipped (line 2: bad elapsed 'fast')" -- "$BIN" report -q "$N/all-skipped.csv"
	one_line "only unknown XML elements" 3 "holds 7 elements that are not JMeter samples (<webDriverSample> x6, <sampleResult> x1)" -- "$BIN" report -q "$N/unknown-elements.xml"
	expect "unknown XML elements beside samples are counted" 0 "4 elements under <testResults> are not JMeter samples and were not read: <webDriverSample> x4" -- "$BIN" report --format json "$N/mixed-elements.xml"
	python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['samples']['total']==4 and r['inputs'][0]['unknown_elements']==4, r['inputs']" "$T/out" &&
		ok "unknown XML elements in the JSON inputs" || bad "unknown_elements missing from the JSON"
	# dd.MM.yyyy HH:mm:ss stamps with ';': the pattern is found from the values, said once
	expect "semicolon CSV with dd.MM.yyyy stamps" 0 "read with the pattern 'dd.MM.yyyy HH:mm:ss'" -- "$BIN" report --format json "$N/semicolon-dmy.csv"
	[ "$(wc -l <"$T/err")" -eq 1 ] && ok "dd.MM.yyyy: one line on stderr, not one per record" || bad "dd.MM.yyyy: $(wc -l <"$T/err") lines on stderr"
	python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['samples']; assert s['total']==40 and s['skipped']==0 and s['first_ts_ms']==1700000000000, s" "$T/out" &&
		ok "dd.MM.yyyy stamps read as UTC" || bad "dd.MM.yyyy stamps: $(grep -m1 first_ts "$T/out")"
	expect "--timestamp-format resolves it" 0 "" -- "$BIN" report -q --format json --timestamp-format 'MM/dd/yyyy HH:mm:ss' "$N/slash-ambiguous.csv"
	python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['samples']; assert s['total']==12 and s['first_ts_ms']==1672740000000, s" "$T/out" &&
		ok "MM/dd/yyyy stamps read" || bad "MM/dd/yyyy: $(grep -m1 first_ts "$T/out")"
	# the gate fails, never passes, on a run without samples; JUnit says so
	expect "gate on a k6 CSV" 3 "gate: FAIL errors>1%: the run has no samples" -- "$BIN" report -q --fail-on 'errors>1%' --fail-on 'p95>800ms' --junit "$T/j0.xml" "$N/k6.csv"
	python3 -c "import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); assert r.get('failures')=='2' and r.get('tests')=='2', r.attrib" "$T/j0.xml" &&
		ok "JUnit: both criteria failed on no samples" || bad "JUnit on no samples: $(cat "$T/j0.xml")"
fi
# JMeter's Errors table: assertion failures (200 + failureMessage) are explained, not hidden
E=tests/data/errors/assertions.csv
if [ -f "$E" ]; then
	expect "errors table on assertion failures" 0 "" -- "$BIN" report -q --format json "$E"
	if python3 - "$T/out" "$E" <<'PY'
import csv, json, re, sys
r = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
failed = [x for x in rows if x["success"] == "false"]
def key(x):  # JMeter's ErrorsSummaryConsumer key, numbers folded
    code = x["responseCode"]
    ok = code.isdigit() and 200 <= int(code) <= 399
    if ok or (not code and x["failureMessage"]):
        k = x["failureMessage"] or "Assertion failed"
    else:
        k = code + ("/" + x["responseMessage"] if x["responseMessage"] else "")
        return k if not x["responseMessage"] else code + "/" + re.sub(r"[0-9]+(?:[.,][0-9]+)*", "N", x["responseMessage"])
    return re.sub(r"[0-9]+(?:[.,][0-9]+)*", "N", k)
want = {}
for x in failed:
    want[key(x)] = want.get(key(x), 0) + 1
e = r["errors"]
got = {t["type"]: t["count"] for t in e["types"]}
assert got == want, (got, want)
assert e["total"] == len(failed) == r["samples"]["errors"], e["total"]
top = max(want, key=want.get)
d = e["dominant_failure"]
assert d["type"] == top and d["count"] == want[top], d
assert abs(d["share"] - want[top] / len(failed)) < 1e-4, d
assert top.startswith("The operation lasted too long: It took N milliseconds"), top
t0 = e["types"][0]
assert abs(t0["pct_of_samples"] - 100.0 * t0["count"] / len(rows)) < 1e-3, t0
for l in e["by_label"]:
    mine = [x for x in failed if x["label"] == l["label"]]
    assert l["errors"] == len(mine) and l["top"][0]["count"] <= len(mine), l
    assert [t["count"] for t in l["top"]] == sorted([t["count"] for t in l["top"]], reverse=True), l
PY
	then ok "error types, counts, shares and the dominant failure match the CSV"; else bad "errors section wrong"; fi
	expect "errors table in text" 0 "" -- "$BIN" report -q "$E"
	grep -q "^TOP 5 ERRORS BY SAMPLER" "$T/out" && grep -q "104    85.95%   26.00%  The operation lasted too long" "$T/out" &&
		ok "text: Errors and Top 5 by sampler" || bad "text errors tables: $(grep -A3 '^ERRORS' "$T/out")"
	expect "errors table in md" 0 "" -- "$BIN" report -q --format md --charts none "$E"
	grep -q "^## Errors" "$T/out" && grep -q "^## Top 5 errors by sampler" "$T/out" &&
		ok "md: Errors and Top 5 by sampler" || bad "md errors tables missing"
	"$BIN" summarize -q "$E" -o "$T/part.json" && "$BIN" merge -q --format json "$T/part.json" >"$T/merged.json" &&
		"$BIN" report -q --format json "$E" >"$T/single.json"
	python3 -c "import json,sys; a,b=(json.load(open(p))['errors'] for p in sys.argv[1:]); assert a==b and a['types'], (a, b)" "$T/merged.json" "$T/single.json" &&
		ok "merged summary keeps the errors table" || bad "merge lost the errors table"
fi

touch "$T/afile"
expect "-o naming an existing file" 5 "-o '$T/afile': a file of that name exists; -o takes a directory" -- "$BIN" report -o "$T/afile" "$T/good.csv"
[ "$(wc -l <"$T/err")" -eq 1 ] && ok "-o file: one line" || bad "-o file: $(cat "$T/err")"

expect "plain csv" 0 "" -- "$BIN" report --format json "$T/good.csv"
cp "$T/out" "$T/plain.json"
expect "gzip csv" 0 "" -- "$BIN" report --format json "$T/good.csv.gz"
sed 's/good.csv.gz/good.csv/; s/"gzip": *true/"gzip":	false/' "$T/out" >"$T/gz.json"
if python3 - "$T/plain.json" "$T/out" <<'PY'
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
for k in ("samples", "codes", "labels", "series"):
    assert a[k] == b[k], k
assert b["inputs"][0]["gzip"] is True and a["inputs"][0]["gzip"] is False
PY
then ok "gzip and plain input give the same analysis"; else bad "gzip and plain differ"; fi
expect "stdin" 0 "" -- sh -c "\"$BIN\" report --format json - <\"$T/good.csv\""
if python3 - "$T/out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"] == "jtlscope-report/1"
s = r["samples"]
assert s["total"] == 3 and s["errors"] == 1 and s["skipped"] == 0, s
assert s["first_ts_ms"] == 1700000000000 and s["last_ts_ms"] == 1700000001000, s
assert r["codes"] == {"200": 2, "429": 1}, r["codes"]
labels = {l["label"]: l for l in r["labels"]}
assert labels["Login"]["count"] == 2 and labels["Login"]["errors"] == 1
for k in ("min_ms", "mean_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "throughput_per_s"):
    assert k in labels["Search"], k
assert labels["Search"]["max_ms"] == 40
assert [b["count"] for b in r["series"]] == [2, 1], r["series"]
assert r["series"][0]["throttled"] == 1
for b in r["series"]:
    for k in ("ts_ms", "count", "throttled", "errors", "threads", "p95_ms"):
        assert k in b, k
i = r["inputs"][0]
assert i["path"] == "-" or i["path"] == "<stdin>", i
assert i["format"] == "csv" and i["records"] == 3 and i["skipped"] == 0
PY
then ok "JSON keys and values on a known file"; else bad "JSON keys/values wrong"; fi

expect "-o DIR writes text and json" 0 "wrote" -- "$BIN" report --format text,json -o "$T/outdir" "$T/good.csv"
[ -s "$T/outdir/report.txt" ] && [ -s "$T/outdir/report.json" ] && ok "report.txt and report.json exist" || bad "-o files missing"
"$BIN" report -q --format json "$T/good.csv" >"$T/r1"
"$BIN" report -q --format json "$T/good.csv" >"$T/r2"
cmp -s "$T/r1" "$T/r2" && ok "output is deterministic" || bad "two runs differ"

# every long option in each command's --help is documented in the man page
if [ -f docs/jtlscope.1 ]; then
	for cmd in report batch compare summarize merge timeline whatif; do
		"$BIN" "$cmd" --help >"$T/help" 2>/dev/null || continue
		missing=""
		for o in $(grep -o -e '--[a-z0-9-]*' "$T/help" | sort -u); do
			grep -q -e "$(echo "$o" | sed 's/-/\\\\-/g')" docs/jtlscope.1 || grep -q -e "$o" docs/jtlscope.1 || missing="$missing $o"
		done
		[ -z "$missing" ] && ok "man page documents every $cmd option" || bad "man page lacks $cmd:$missing"
	done
fi

# --fail-on gate and JUnit
expect "--fail-on met exits 6" 6 "FAIL errors>10%" -- "$BIN" report -q --fail-on 'errors>10%' --junit "$T/junit.xml" "$T/good.csv"
python3 -c "import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); assert r.get('failures')=='1', r.attrib" "$T/junit.xml" && ok "JUnit XML parses, one failure" || bad "JUnit XML wrong"
# per-code criteria, sustained windows, unknown labels (good.csv: 3 samples, one 429, 1 s buckets)
expect "unknown label is a usage error" 2 "its labels: 'Login', 'Search'" -- "$BIN" report -q --fail-on 'label:Logn:p95>1s' --fail-on 'p95>10s' --junit "$T/ju.xml" "$T/good.csv"
grep -q "gate: ERROR label:Logn:p95>1s: no label 'Logn' in the report" "$T/err" && ok "unknown label: ERROR line" || bad "unknown label line: $(cat "$T/err")"
python3 -c "
import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
cases = r.findall('.//testcase')
assert len(cases) == 2 and r.get('errors') == '1', r.attrib
assert cases[0].find('error') is not None and cases[1].find('system-out') is not None
" "$T/ju.xml" && ok "JUnit: one testcase per criterion, the unknown label an <error>" || bad "JUnit for unknown label: $(cat "$T/ju.xml")"

# captures: alone they are the samples; beside one JTL they are joined with it
if [ -f sample-data/demo/demo.pcap.gz ]; then
	expect "capture alone" 0 "" -- "$BIN" report -q --format json sample-data/demo/demo.pcap.gz
	cp "$T/out" "$T/cap.json"
	expect "JTL + capture" 0 "" -- "$BIN" report -q --format json sample-data/demo/demo.xml.gz sample-data/demo/demo.pcap.gz
	if python3 - "$T/cap.json" "$T/out" <<'PY'
import json, sys
cap = json.load(open(sys.argv[1])); both = json.load(open(sys.argv[2]))
c = cap["capture"]
assert c["connections"] > 0 and c["exchanges"] == cap["samples"]["total"], c
assert c["codes"] == cap["codes"], (c["codes"], cap["codes"])
# the capture saw exactly what JMeter recorded (same run)
assert cap["codes"] == both["codes"], (cap["codes"], both["codes"])
assert cap["throttle"]["detected"] and both["throttle"]["detected"]
j = both["join"]
assert j["matched"] + j["unmatched_samples"] + j["ambiguous"] == j["samples"] == both["samples"]["total"], j
assert j["match_rate"] >= 0.95, j
assert j["unmatched_exchanges"] == both["capture"]["exchanges"] - j["matched"], j
for l in j["labels"]:
    for k in ("connect_ms", "send_ms", "server_ms", "transfer_ms", "client_ms"):
        assert "mean" in l[k] and "p95" in l[k], (l, k)
assert both["samples"]["total"] == cap["samples"]["total"]   # samples not counted twice
PY
	then ok "capture totals, join counts and split"; else bad "capture/join JSON wrong"; fi
	if command -v gnuplot >/dev/null 2>&1; then
		expect "capture charts" 0 "" -- "$BIN" report -q --format md -o "$T/capcharts" sample-data/demo/demo.xml.gz sample-data/demo/demo.pcap.gz
		python3 -c "import sys,xml.etree.ElementTree as E; E.parse(sys.argv[1])" "$T/capcharts/charts/connections.svg" &&
			grep -q "charts/connections.svg" "$T/capcharts/report.md" &&
			ok "per-connection chart drawn and linked" || bad "per-connection chart missing"
	fi
	expect "in-band WebSocket throttling in a capture" 0 "" -- "$BIN" report -q --format json tests/data/capture/throttle-ws.pcap
	python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['throttle']['detected'] and r['samples']['throttled'] > 0, r['samples']" "$T/out" &&
		ok "WebSocket 429 frames are throttle signals without a pattern" || bad "WebSocket in-band throttling not detected"
	expect "two JTLs and a capture: counted, not joined" 0 "" -- "$BIN" report -q --format json sample-data/demo/demo.xml.gz sample-data/demo/demo.csv.gz sample-data/demo/demo.pcap.gz
	grep -q "the time split is shown only for exactly one JTL" "$T/out" && ok "join note with several JTLs" || bad "no join note"
fi

# compare: a limit change is flagged only when the limiter's intervals do not overlap (issue 12).
# Three report.json files from the golden demo report: the same limit, a rate twice as high
# (disjoint intervals), a rate within the baseline's interval (overlapping: not flagged).
python3 - "$T" <<'PYEOF'
import json, sys
T = sys.argv[1]
j = json.load(open('tests/golden/demo-csv.json'))
json.dump(j, open(T + '/lim-a.json', 'w'))
l = j['throttle']['limit']
l.update(rate_per_s=40, rate_per_s_low=39.5, rate_per_s_high=40.6)
json.dump(j, open(T + '/lim-b.json', 'w'))
l.update(rate_per_s=20.1, rate_per_s_low=20.0, rate_per_s_high=20.5, burst_low=11, burst_high=14)
json.dump(j, open(T + '/lim-c.json', 'w'))
l.update(model='unknown')
for r in j['throttle'].get('regions') or []:
    if r.get('limit'):
        r['limit']['model'] = 'unknown'
json.dump(j, open(T + '/lim-d.json', 'w'))
PYEOF
expect "compare: limit intervals disjoint" 0 "" -- "$BIN" compare "$T/lim-a.json" "$T/lim-b.json"
grep -q 'limit change: LIMIT CHANGED: rate_per_s \[19.8, 20.21\] -> \[39.5, 40.6\]' "$T/out" &&
	ok "compare text flags the limit change with its intervals" || bad "compare text: no limit change line: $(grep limit "$T/out")"
"$BIN" compare -f md "$T/lim-a.json" "$T/lim-b.json" 2>/dev/null | grep -q '^- limit change: LIMIT CHANGED: rate\\_per\\_s \\\[19.8, 20.21\\\]' &&
	ok "compare md flags the limit change" || bad "compare md: no limit change"
"$BIN" compare -f json "$T/lim-a.json" "$T/lim-b.json" 2>/dev/null | python3 -c "
import json, sys
l = json.load(sys.stdin)['throttle']['limit']
assert l['change'] == 'changed' and l['disjoint'] == ['rate_per_s'], l
assert l['intervals']['baseline']['rate_per_s'] == [19.8, 20.21] and l['intervals']['candidate']['rate_per_s'] == [39.5, 40.6], l
" && ok "compare json: change, disjoint parameters, intervals" || bad "compare json: limit change wrong"
"$BIN" compare -f json "$T/lim-a.json" "$T/lim-c.json" 2>/dev/null | python3 -c "
import json, sys
l = json.load(sys.stdin)['throttle']['limit']
assert l['change'] == 'unchanged' and l['disjoint'] == [], l
" && ok "compare: overlapping intervals are not flagged" || bad "compare: overlapping intervals flagged"
"$BIN" compare -f json "$T/lim-a.json" "$T/lim-d.json" 2>/dev/null | python3 -c "
import json, sys
l = json.load(sys.stdin)['throttle']['limit']
assert l['change'] == 'cannot tell' and 'no fitted limiter model' in l['change_note'], l
" && ok "compare: no fitted model on one side: cannot tell" || bad "compare: unknown model not 'cannot tell'"

# APDEX (JMeter's formula and defaults) and n/a for a KB/s column the input does not have
expect "APDEX json" 0 "" -- "$BIN" report -q --format json "$T/good.csv"
python3 - "$T/out" <<'PY' && ok "APDEX per label and total, sent KB/s null without sentBytes" || bad "APDEX/KB/s JSON wrong"
import json, sys
r = json.load(open(sys.argv[1]))
t = r["total"]
assert t["apdex"] == {"score": 0.667, "satisfied": 2, "tolerated": 0, "frustrated": 1}, t["apdex"]
assert t["sent_kb_per_s"] is None and t["received_kb_per_s"] > 0, t
assert r["apdex_thresholds"] == {"satisfied_ms": 500, "tolerated_ms": 1500}
assert [l["apdex"]["score"] for l in r["labels"]] == [0.5, 1.0], r["labels"]
assert sorted(l["label"] for l in r["label_series"]["labels"]) == ["Login", "Search"]
PY
expect "APDEX thresholds" 0 "" -- "$BIN" report -q --format json --apdex-satisfied 10 --apdex-tolerated 40 "$T/good.csv"
python3 -c "import json,sys; a=json.load(open(sys.argv[1]))['total']['apdex']; assert a['satisfied']==0 and a['tolerated']==2, a" "$T/out" &&
	ok "--apdex-satisfied/--apdex-tolerated move the thresholds" || bad "APDEX thresholds ignored"
expect "text statistics" 0 "" -- "$BIN" report -q "$T/good.csv"
grep -q "^TOTAL .* n/a 0.667$" "$T/out" && ok "text statistics: sent KB/s n/a, APDEX" || bad "text statistics row: $(grep '^TOTAL' "$T/out")"

if [ -f sample-data/demo/demo.pcap.gz ]; then
	expect "capture labels in text" 0 "" -- "$BIN" report -q sample-data/demo/demo.pcap.gz
	grep -q '^GET api\.ap-southeast-1\.[^ ]*…/api/v1/inbox ' "$T/out" &&
		ok "a long capture label keeps its path, the host is shortened" || bad "capture label: $(grep '^GET' "$T/out" | head -1)"
fi

# connections (a capture run's "threads", one per connection) listed in natural order: c2 before c10
if [ -f sample-data/demo/demo.pcap.gz ]; then
	expect "capture thread groups" 0 "" -- "$BIN" report -q sample-data/demo/demo.pcap.gz
	sed -n '/^THREAD GROUPS/,/^$/s/^ *[0-9]*  \(c[0-9]*\) .*/\1/p' "$T/out" >"$T/conns"
	if [ "$(wc -l <"$T/conns")" -ge 11 ] && [ "$(sed -n '1p;2p;9p;10p' "$T/conns" | tr '\n' ' ')" = "c1 c2 c9 c10 " ] &&
		sed 's/^c//' "$T/conns" | sort -n -c; then
		ok "text THREAD GROUPS of a capture: connections in natural order (c2 before c10)"
	else
		bad "capture connections not in natural order: $(head -12 "$T/conns" | tr '\n' ' ')"
	fi
	"$BIN" report -q --format json sample-data/demo/demo.pcap.gz 2>/dev/null | python3 -c "
import json,sys; g=[t['name'].split()[0] for t in json.load(sys.stdin)['thread_groups']]
n=[int(x[1:]) for x in g]; sys.exit(not (len(n) >= 11 and n == sorted(n) and g.index('c2') < g.index('c10')))" &&
		ok "json thread_groups of a capture: natural order" || bad "json thread_groups not in natural order"
fi
printf 'timeStamp,elapsed,label,success,threadName\n1700000000000,5,a,true,TG 10 1-1\n1700000000100,5,a,true,TG 2 1-1\n1700000000200,5,a,true,TG 1 1-1\n1700000000300,5,a,true,TG 02b 1-1\n1700000000400,5,a,true,TG 2b 1-1\n' >"$T/tg.csv"
"$BIN" report -q --format json "$T/tg.csv" 2>/dev/null | python3 -c "
import json,sys; g=[t['name'] for t in json.load(sys.stdin)['thread_groups']]
sys.exit(g != ['TG 1', 'TG 2', 'TG 02b', 'TG 2b', 'TG 10'])" &&
	ok "thread groups: numbers compare by value, leading zeros first on a tie" || bad "thread group order: $("$BIN" report -q --format json "$T/tg.csv" | grep -A1 thread_groups)"

if [ -f sample-data/demo/demo.pcap.gz ]; then
	expect "timeline durations" 0 "" -- "$BIN" timeline sample-data/demo/demo.pcap.gz
	grep -q ', [0-9]* µs after the request' "$T/out" && ! grep -q ', 0\.[0-9]* ms after the request' "$T/out" &&
		ok "timeline: sub-millisecond latencies in µs, never 0.xxx ms" || bad "timeline durations not in µs below 1 ms"
	grep -q '^  *22674\.912  2026-11-28T01:17:09\.349954Z  c>s SYN' "$T/out" && ! grep -q '^times:' "$T/out" &&
		ok "timeline: UTC by default" || bad "timeline default times: $(grep -m1 SYN "$T/out")"
	if [ -f /usr/share/zoneinfo/Asia/Singapore ]; then
		expect "timeline --tz Asia/Singapore" 0 "" -- "$BIN" timeline --tz Asia/Singapore sample-data/demo/demo.pcap.gz
		grep -q '^  *22674\.912  2026-11-28T09:17:09\.349954+08:00  c>s SYN' "$T/out" && ! grep -q 'Z  c>s' "$T/out" &&
			grep -q '^times: Asia/Singapore (--tz)' "$T/out" &&
			ok "timeline --tz: every wall-clock time in Singapore time with its offset, the zone named" ||
			bad "timeline --tz text: $(grep -m1 SYN "$T/out")"
		"$BIN" timeline --format json --tz Asia/Singapore sample-data/demo/demo.pcap.gz 2>/dev/null | python3 -c "
import json,sys; d=json.load(sys.stdin); e=d['connections'][0]['events'][0]
sys.exit(not (d['time_zone']=='Asia/Singapore' and e['utc'].endswith('Z') and e['local'].endswith('+08:00')
  and e['utc'][11:13]=='01' and e['local'][11:13]=='09'))" &&
			ok "timeline --format json --tz: utc kept, local added, time_zone named" || bad "timeline json --tz"
		"$BIN" timeline --format csv --tz Asia/Singapore sample-data/demo/demo.pcap.gz 2>/dev/null | head -2 >"$T/tl.csv"
		head -1 "$T/tl.csv" | grep -qx 'connection_id,connection,t_ms,utc,event,dir,detail,local (Asia/Singapore)' &&
			sed -n 2p "$T/tl.csv" | grep -q 'Z,SYN,c>s,,2026-11-28T09:17:09.349954+08:00$' &&
			ok "timeline --format csv --tz: a local column named with the zone" || bad "timeline csv --tz: $(cat "$T/tl.csv")"
	fi
	expect "timeline --tz with an unknown zone" 2 "neither an offset" -- "$BIN" timeline --tz Mars/Olympus sample-data/demo/demo.pcap.gz
	"$BIN" timeline --format csv sample-data/demo/demo.pcap.gz 2>/dev/null | head -1 | grep -qx 'connection_id,connection,t_ms,utc,event,dir,detail' &&
		ok "timeline csv header unchanged without --tz" || bad "timeline csv header changed"
fi

# make install / uninstall into a staging DESTDIR; the completion files know every option
if command -v make >/dev/null 2>&1 && [ -f Makefile ] && [ -x ./jtlscope ]; then
	st="$T/stage"
	if make -s install DESTDIR="$st" PREFIX=/opt/js >"$T/inst" 2>&1; then
		missing=""
		for f in bin/jtlscope share/man/man1/jtlscope.1 share/bash-completion/completions/jtlscope \
			share/zsh/site-functions/_jtlscope; do
			[ -f "$st/opt/js/$f" ] || missing="$missing $f"
		done
		[ -z "$missing" ] && ok "make install puts binary, man page, bash and zsh completion under DESTDIR/PREFIX" ||
			bad "make install did not install:$missing"
		"$st/opt/js/bin/jtlscope" -V | grep -q '^jtlscope [0-9]' && ok "installed binary runs" || bad "installed binary does not run"
		[ -x "$st/opt/js/bin/jtlscope" ] && [ ! -x "$st/opt/js/share/man/man1/jtlscope.1" ] &&
			ok "install modes (755 binary, 644 data)" || bad "install modes wrong"
		if command -v bash >/dev/null 2>&1; then
			bash -c ". '$st/opt/js/share/bash-completion/completions/jtlscope' && complete -p jtlscope" >/dev/null 2>&1 &&
				ok "bash completion loads and registers" || bad "bash completion does not load"
			# what bash completes for 'jtlscope report --' must include every option of report --help
			cmds=$(bash -c ". '$st/opt/js/share/bash-completion/completions/jtlscope'
				COMP_WORDS=(jtlscope ''); COMP_CWORD=1; _jtlscope; printf '%s\n' \"\${COMPREPLY[@]}\"" 2>/dev/null)
			hcmds=$(bash -c ". '$st/opt/js/share/bash-completion/completions/jtlscope'
				COMP_WORDS=(jtlscope help ''); COMP_CWORD=2; _jtlscope; printf '%s\n' \"\${COMPREPLY[@]}\"" 2>/dev/null)
			clack=""
			for c in $("$BIN" --help | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' | grep -vx jtlscope); do
				printf '%s\n' "$cmds" | grep -qx -- "$c" || clack="$clack $c"
				[ "$c" = help ] || printf '%s\n' "$hcmds" | grep -qx -- "$c" || clack="$clack help:$c"
				grep -q "$c" "$st/opt/js/share/zsh/site-functions/_jtlscope" || clack="$clack zsh:$c"
			done
			[ -z "$clack" ] && ok "completion offers every command of --help (and after 'help')" ||
				bad "completion lacks commands:$clack"
			for c in report timeline batch compare summarize merge whatif; do
				want=$("$BIN" "$c" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
				got=$(bash -c ". '$st/opt/js/share/bash-completion/completions/jtlscope'
					COMP_WORDS=(jtlscope $c --); COMP_CWORD=2; _jtlscope; printf '%s\n' \"\${COMPREPLY[@]}\"" 2>/dev/null)
				lack=""
				for o in $want; do
					printf '%s\n' "$got" | grep -qx -- "$o" || lack="$lack $o"
				done
				[ -z "$lack" ] && ok "bash completion of '$c' has every option of its --help" ||
					bad "bash completion of '$c' lacks:$lack"
				zlack=""
				for o in $want; do
					grep -q -- "$o" "$st/opt/js/share/zsh/site-functions/_jtlscope" || zlack="$zlack $o"
				done
				[ -z "$zlack" ] && ok "zsh completion of '$c' names every option of its --help" ||
					bad "zsh completion lacks:$zlack"
			done
		fi
		if command -v zsh >/dev/null 2>&1; then
			zsh -n "$st/opt/js/share/zsh/site-functions/_jtlscope" && ok "zsh completion parses" || bad "zsh completion syntax"
		fi
		make -s uninstall DESTDIR="$st" PREFIX=/opt/js >/dev/null 2>&1
		left=$(find "$st" -type f | wc -l)
		[ "$left" -eq 0 ] && ok "make uninstall removes every installed file" || bad "make uninstall left $left files: $(find "$st" -type f)"
	else
		bad "make install failed: $(head -c 300 "$T/inst")"
	fi
fi

finish
