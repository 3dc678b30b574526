#!/bin/sh
# verdict.sh BIN - the headline, the verdict's wording, the stand-alone Markdown (text
# timeline, charts linked not embedded), the JSON agreeing with the verdict, the threads chart
# and --tz, through the real binary on the bundled demo run, the assertion-failure CSV and
# dst.csv (gen_dst.py: a run across the start of daylight saving time in Europe/Berlin).
# Prints "ok - ..."/"not ok - ..." lines and "N passed, N failed"; exit 1 when anything failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-./jtlscope}
case $bin in /*) ;; *) bin=$root/${bin#./} ;; esac
cd "$root" || exit 1
. "$here/../lib.sh"
w=$T
has() { grep -qF -- "$2" "$1"; }
hasnt() { ! grep -qF -- "$2" "$1"; }

xml=sample-data/demo/demo.xml.gz
csv=sample-data/demo/demo.csv.gz
H='Throttled from +33 s in ap-southeast-1 by a shared 20 req/s limit; clients ignored Retry-After: 60'

"$bin" report -q --format text "$xml" >"$w/x.txt" 2>"$w/err"
check "text report of the demo exits 0" test $? -eq 0
check "text: the headline is the line after VERDICT" sh -c "grep -A1 '^VERDICT\$' '$w/x.txt' | tail -1 | grep -qxF '$H'"
"$bin" report -q --format json "$xml" >"$w/x.json"
check "json: throttle.headline is the same line" python3 -c "
import json,sys; d=json.load(open('$w/x.json')); sys.exit(d['throttle']['headline'] != '$H')"
"$bin" report -q --format md --charts none "$xml" >"$w/x.md"
check "md: the headline in bold right under ## Verdict" sh -c "sed -n 5p '$w/x.md' | grep -qxF '**$H**'"
"$bin" report -q --format html --charts none "$xml" >"$w/x.html"
check "html: the headline in p.headline" has "$w/x.html" "<p class=\"headline\"><strong>$H</strong></p>"

# the verdict paragraph: short sentences, no statistics (they are in the tables), nothing twice
python3 - "$w/x.json" >"$w/sent" <<'PY'
import json, re, sys
v = json.load(open(sys.argv[1]))['throttle']['verdict']
bad = [w for w in ('score', 'dispersion', 'AUC', 'decisions wrong', 'skill', 'CV ') if w in v]
sents = [s for s in re.split(r'(?<=[.:])\s+(?=[A-Z0-9])', v) if s]
longest = max(len(s.split()) for s in sents)
dup = len(sents) != len(set(sents))
print(len(sents), longest, bad, dup)
sys.exit(1 if bad or longest > 30 or dup else 0)
PY
check "verdict: sentences of at most 30 words, no score/dispersion/AUC/skill, none repeated ($(cat "$w/sent"))" test $? -eq 0
check "md: the statistics are in the Limiter evidence row" sh -c "grep '^| Limiter evidence |' '$w/x.md' | grep -q 'dispersion' && grep '^| Limiter evidence |' '$w/x.md' | grep -q 'AUC'"
check "text: the AUC is in the SCOPE table" sh -c "grep -A1 '^SCOPE' '$w/x.txt' | grep -q AUC"

# CSV: no headers, said in a sentence, and how to save them
"$bin" report -q --format text "$csv" >"$w/c.txt"
check "csv: headline says Retry-After was not recorded" sh -c "grep -A1 '^VERDICT\$' '$w/c.txt' | tail -1 | grep -qF 'Retry-After not recorded (CSV)'"
tr '\n' ' ' <"$w/c.txt" >"$w/c1.txt"
check "csv: 'CSV results keep no response headers, so whether clients honoured Retry-After cannot be judged.'" \
	has "$w/c1.txt" "CSV results keep no response headers, so whether clients honoured Retry-After cannot be judged."
check "csv: advice names jmeter.save.saveservice.responseHeaders=true with XML" \
	has "$w/c1.txt" "save XML results with response headers (jmeter.save.saveservice.output_format=xml and jmeter.save.saveservice.responseHeaders=true)."
check "xml: no CSV wording" hasnt "$w/x.txt" "CSV"

# no throttling, assertion failures: the headline names them
"$bin" report -q --format json tests/data/errors/assertions.csv >"$w/a.json"
check "no throttling: headline names the dominant failure" python3 -c "
import json,sys; h=json.load(open('$w/a.json'))['throttle']['headline']
sys.exit(h != 'No throttling in 400 samples; 30 % failed, mostly: The operation lasted too long')"

check "no throttling: the verdict names the failures and the most frequent one" python3 -c "
import json,sys; v=json.load(open('$w/a.json'))['throttle']['verdict']
sys.exit('121 samples (30 %) failed for reasons other than throttling. The most frequent failure (104 of them): The operation lasted too long' not in v)"

# WebSocket in-band throttling (a capture): said so, one connection in the singular
"$bin" report -q --format text tests/data/capture/throttle-ws.pcap >"$w/ws.txt" 2>/dev/null
check "websocket: headline 'Throttled in-band (WebSocket) from +10 s'" sh -c "grep -A1 '^VERDICT\$' '$w/ws.txt' | tail -1 | grep -q '^Throttled in-band (WebSocket) from +10 s by a limiter of unknown kind'"
tr '\n' ' ' <"$w/ws.txt" >"$w/ws1.txt"
check "websocket: '1 connection was sending' (no group: not 'to it')" has "$w/ws1.txt" "1 connection was sending 0.50 req/s then"
# a rising latency is shown with the percentile that rose
"$bin" report -q --format json sample-data/known/shared-token-bucket/*.xml.gz >"$w/k.json"
check "latency 'rose' cites a percentile that went up" python3 -c "
import json,re,sys; v=json.load(open('$w/k.json'))['throttle']['verdict']
m=re.search(r'rose before the onset \\(p[59][05] ([0-9.]+) → ([0-9.]+) ms\\)', v)
sys.exit(not m or float(m.group(2)) <= float(m.group(1)))"

# stand-alone Markdown: a text timeline, charts as links
mkdir -p "$w/md"
"$bin" report -q --format md,json --charts svg -o "$w/md" "$xml" >/dev/null 2>&1
check "md: no embedded image (a report attached alone has no broken image)" hasnt "$w/md/report.md" "!["
check "md: a sparkline of the throttled share" sh -c "grep -A2 '^## Throttled over time' '$w/md/report.md' | grep -q '^\`[▁▂▃▄▅▆▇█ ]*\`'"
check "md: the onset second in the timeline table" sh -c "grep -q '^| 01:17:19 | [0-9]* | [0-9]* | [0-9.]* | onset |' '$w/md/report.md'"
if command -v gnuplot >/dev/null 2>&1; then
	check "md: charts linked as extra files" has "$w/md/report.md" "- [Throughput by outcome (requests per second)](charts/throughput.svg)"
	check "threads chart: the verdict's group and its onset count" sh -c "grep -q 'Threads sending to ap-southeast-1' '$w/md/charts/threads.svg' && grep -q '43 threads sending in the 6 s before the onset' '$w/md/charts/threads.svg'"
else
	ok "# SKIP gnuplot not installed: chart links and threads chart not checked"
fi

# JSON agrees with the verdict and the md key numbers
check "json: throttle.onset is the verdict's group (threads, time)" python3 -c "
import json,re,sys; d=json.load(open('$w/x.json'))['throttle']
v=d['verdict']; o=d['onset']
sys.exit(not (d['group']=='ap-southeast-1' and ('%d threads were sending' % o['threads']) in v))"
check "md: Threads at onset = throttle.onset.threads" sh -c "grep -q '^| Threads at onset | 43 sending' '$w/x.md'"
check "json: samples.throttled = throttle.throttled" python3 -c "
import json,sys; d=json.load(open('$w/x.json')); sys.exit(d['samples']['throttled'] != d['throttle']['throttled'])"

# --tz: every wall-clock time in the zone, named next to it
"$bin" report -q --tz Asia/Singapore --format text "$xml" >"$w/s.txt"
check "--tz Asia/Singapore: text header in Singapore time" has "$w/s.txt" "2026-11-28 09:16:46.602 -> 2026-11-28 09:17:57.639 +08 (Asia/Singapore) (1m11s)"
check "--tz Asia/Singapore: verdict onset 09:17:19 +08" has "$w/s.txt" "Throttling began at 09:17:19 +08 (+33 s)"
check "--tz Asia/Singapore: region table onset" has "$w/s.txt" "09:17:19 +32.9s"
"$bin" report -q --tz Asia/Singapore --format md --charts none "$xml" >"$w/s.md"
check "--tz Asia/Singapore: md onset with the zone" has "$w/s.md" "| Throttle onset | 2026-11-28 09:17:19.550 +08 (Asia/Singapore) (+32.9 s) |"
check "--tz Asia/Singapore: md timeline table names the zone" has "$w/s.md" "| Second, +08 (Asia/Singapore) |"
"$bin" report -q --tz Asia/Singapore --format html --charts none "$xml" >"$w/s.html"
check "--tz Asia/Singapore: html header" has "$w/s.html" "2026-11-28 09:16:46.602 → 2026-11-28 09:17:57.639 +08 (Asia/Singapore) (1m11s)"
if command -v gnuplot >/dev/null 2>&1; then
	# every chart's data on the same zone-shifted time axis: the drawing is the UTC one, only
	# the tick labels (09:17:00 instead of 01:17:00) and the axis title change
	mkdir -p "$w/sc"
	"$bin" report -q --tz Asia/Singapore --format md --charts svg -o "$w/sc" "$xml" >/dev/null 2>&1
	for c in throughput codes label-latency label-tps threads; do
		check "--tz Asia/Singapore: chart $c drawn as in UTC, ticks in Singapore time" sh -c "
			grep -q '>09:17:00<' '$w/sc/charts/$c.svg' && ! grep -q '>01:17:00<' '$w/sc/charts/$c.svg' &&
			grep -v '<text\|</text\|tspan' '$w/sc/charts/$c.svg' >'$w/sc/$c.s' &&
			grep -v '<text\|</text\|tspan' '$w/md/charts/$c.svg' >'$w/sc/$c.u' && cmp -s '$w/sc/$c.s' '$w/sc/$c.u'"
	done
fi
"$bin" report -q --tz +05:30 --format text "$xml" >"$w/o.txt"
check "--tz +05:30: a fixed offset" has "$w/o.txt" "2026-11-28 06:46:46.602 -> 2026-11-28 06:47:57.639 +05:30 (1m11s)"
TZ=America/New_York "$bin" report -q --format text "$xml" >"$w/env.txt"
check "without --tz: UTC whatever TZ says (deterministic)" sh -c "cmp -s '$w/env.txt' '$w/x.txt'"
"$bin" report -q --tz Asia/Singapore --format json "$xml" >"$w/s.json"
check "--tz: JSON keeps epoch ms (same onset.ts_ms)" python3 -c "
import json,sys; a=json.load(open('$w/x.json')); b=json.load(open('$w/s.json'))
sys.exit(a['throttle']['onset']['ts_ms'] != b['throttle']['onset']['ts_ms'])"
if [ -f /usr/share/zoneinfo/Europe/Berlin ]; then
	"$bin" report -q --tz Europe/Berlin --format text tests/reports/dst.csv >"$w/b.txt"
	check "--tz Europe/Berlin across DST: each end keeps its own offset" has "$w/b.txt" "2026-03-29 01:59:30.000 +01 -> 2026-03-29 03:00:29.978 +02 (Europe/Berlin)"
	check "--tz Europe/Berlin: onset at 03:00:00 +02, the second before at 01:59:59" sh -c "grep -q 'Throttling began at 03:00:00 +02' '$w/b.txt' && grep -q '^  01:59:59 .*' '$w/b.txt' && grep -q '^  03:00:00 .*<- onset' '$w/b.txt'"
	"$bin" report -q --tz Europe/Berlin --format md --charts none tests/reports/dst.csv >"$w/b.md"
	check "--tz Europe/Berlin: md test window" has "$w/b.md" "| Test window | 2026-03-29 01:59:30.000 +01 → 2026-03-29 03:00:29.978 +02 (Europe/Berlin) (60.0 s) |"
	"$bin" report -q --tz Europe/Berlin --format text tests/reports/dst.csv >"$w/b2.txt"
	check "--tz: the same output twice" cmp -s "$w/b.txt" "$w/b2.txt"
else
	ok "# SKIP no tzdata: DST not checked"
fi
# the other commands that show wall-clock times honour --tz the same way
"$bin" compare --tz Asia/Singapore "$csv" "$xml" >"$w/cmp.txt" 2>/dev/null
check "compare --tz Asia/Singapore: each run's window in Singapore time, zone named" sh -c "test \$(grep -cxF '             2026-11-28 09:16:46.602 -> 2026-11-28 09:17:57.639 +08 (Asia/Singapore)' '$w/cmp.txt') -eq 2"
"$bin" compare -f md --tz Asia/Singapore "$csv" "$xml" >"$w/cmp.md" 2>/dev/null
check "compare -f md --tz: the window column" has "$w/cmp.md" "| baseline | $csv | 2026-11-28 09:16:46.602 → 2026-11-28 09:17:57.639 +08 (Asia/Singapore) |"
"$bin" compare "$csv" "$xml" >"$w/cmpu.txt" 2>/dev/null
check "compare without --tz: UTC" has "$w/cmpu.txt" "             2026-11-28 01:16:46.602 -> 2026-11-28 01:17:57.639 UTC"
"$bin" compare -f json --tz Asia/Singapore "$csv" "$xml" >"$w/cmp.json" 2>/dev/null
check "compare json: time_zone named, first_ts_ms in epoch ms" python3 -c "
import json,sys; d=json.load(open('$w/cmp.json')); a=json.load(open('$w/x.json'))
sys.exit(not (d['time_zone']=='Asia/Singapore' and d['baseline']['first_ts_ms'] > 1.7e12))"
"$bin" summarize -q -o "$w/part.json" "$xml" 2>/dev/null
"$bin" merge --tz Asia/Singapore "$w/part.json" >"$w/mg.txt" 2>/dev/null
check "merge --tz Asia/Singapore: header and verdict in Singapore time" sh -c "grep -qF '2026-11-28 09:16:46.602 -> 2026-11-28 09:17:57.639 +08 (Asia/Singapore) (1m11s)' '$w/mg.txt' && grep -qF 'Throttling began at 09:17:19 +08' '$w/mg.txt'"
"$bin" merge -f json --tz Asia/Singapore "$w/part.json" >"$w/mg.json" 2>/dev/null
check "merge -f json --tz: time_zone named" python3 -c "
import json,sys; sys.exit(json.load(open('$w/mg.json'))['time_zone'] != 'Asia/Singapore')"
"$bin" merge "$w/part.json" >"$w/mgu.txt" 2>/dev/null
check "merge without --tz: UTC" has "$w/mgu.txt" "2026-11-28 01:16:46.602 -> 2026-11-28 01:17:57.639 UTC (1m11s)"
"$bin" merge --tz Mars/Olympus "$w/part.json" >/dev/null 2>"$w/mgbad.err"
check "merge --tz with an unknown zone: exit 2 and a message" sh -c "test $? -eq 2 && grep -q 'Mars/Olympus' '$w/mgbad.err'"
mkdir -p "$w/arch"
cp "$xml" "$w/arch/"
"$bin" batch -q -j1 -f json --tz Asia/Singapore "$w/arch" -o "$w/bo" >/dev/null 2>&1
check "batch --tz Asia/Singapore: index start column in Singapore time, the zone in its head" sh -c "
	grep -q '^| run | status | start (Asia/Singapore) |' '$w/bo/index.md' && grep -q '| ok | 2026-11-28 09:16:46.602 |' '$w/bo/index.md' &&
	grep -q ',ok,2026-11-28 09:16:46.602,' '$w/bo/index.csv' && grep -q '>start (Asia/Singapore)<' '$w/bo/index.html'"
check "batch --tz: each run's report gets the zone, index.json keeps UTC" python3 -c "
import json,glob,sys; i=json.load(open('$w/bo/index.json')); r=json.load(open(glob.glob('$w/bo/runs/*/report.json')[0]))
sys.exit(not (r['time_zone']=='Asia/Singapore' and i['runs'][0]['start']=='2026-11-28 01:16:46.602'))"
"$bin" batch -q -j1 -f json "$w/arch" -o "$w/bu" >/dev/null 2>&1
check "batch without --tz: start (UTC)" sh -c "grep -q '^run,status,start (UTC),' '$w/bu/index.csv' && grep -q ',ok,2026-11-28 01:16:46.602,' '$w/bu/index.csv'"
if command -v gnuplot >/dev/null 2>&1; then
	# the index's trend chart: start times on the axis in the zone (a second run 3 h later)
	mkdir -p "$w/arch2"
	cp "$xml" "$w/arch2/"
	python3 -c "
import gzip,csv,io
r=list(csv.reader(io.StringIO(gzip.open('$csv','rt',newline='').read())))
w=io.StringIO(); c=csv.writer(w, lineterminator='\n'); c.writerow(r[0])
for row in r[1:]:
    row[0]=str(int(row[0])+3*3600*1000); c.writerow(row)
gzip.open('$w/arch2/later.csv.gz','wt',newline='').write(w.getvalue())"
	"$bin" batch -q -j1 -f json --tz Asia/Singapore "$w/arch2" -o "$w/b2s" >/dev/null 2>&1
	"$bin" batch -q -j1 -f json "$w/arch2" -o "$w/b2u" >/dev/null 2>&1
	check "batch --tz: trend chart ticks in Singapore time (09:00-12:30, UTC 01:00-04:30), zone in the title" sh -c "
		grep -q '>09:00<' '$w/b2s/index-trends.svg' && grep -q '>12:00<' '$w/b2s/index-trends.svg' &&
		! grep -q '>02:00<' '$w/b2s/index-trends.svg' && grep -q 'Runs over time (start, Asia/Singapore)' '$w/b2s/index-trends.svg' &&
		grep -q '>02:00<' '$w/b2u/index-trends.svg' && ! grep -q '>10:00<' '$w/b2u/index-trends.svg' &&
		grep -q 'Runs over time (start, UTC)' '$w/b2u/index-trends.svg' && grep -q '>2026-11-28<' '$w/b2u/index-trends.svg'"
fi
"$bin" batch -q --tz Mars/Olympus "$w/arch" -o "$w/bbad" >/dev/null 2>"$w/bbad.err"
check "batch --tz with an unknown zone: exit 2 and a message" sh -c "test $? -eq 2 && grep -q 'Mars/Olympus' '$w/bbad.err'"
"$bin" report -q --tz Mars/Olympus "$xml" >"$w/bad.txt" 2>"$w/bad.err"
check "--tz with an unknown zone: exit 2 and a message" sh -c "test $? -eq 2 && grep -q 'Mars/Olympus' '$w/bad.err'"

finish
