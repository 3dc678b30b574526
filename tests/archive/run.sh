#!/bin/sh
# tests/archive/run.sh BIN - archives: batch over a generated archive of 50+ runs (index
# contents, escaping, failed runs, capture pairing, the cache), summarize + merge equal to one
# pass (also mapped with GNU parallel and with a Dask LocalCluster), compare of two known runs,
# the --fail-on gate's exit codes and JUnit XML.
#
# The archive is generated here by build/tools/genarchive (tests/tools/genarchive.c; every run
# deterministic for its seed) plus hand-made broken files; captures are copied from
# ../shared/data/pcap/ when present.  Prints "ok - ..." / "not ok - ..." and "N passed, N failed".
set -u
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-./jtlscope}
case $BIN in /*) ;; *) BIN=$(pwd)/${BIN#./} ;; esac
GEN=$(pwd)/build/tools/genarchive
PCAPS=$(cd .. && pwd)/shared/data/pcap
PY=$(command -v python3 || true)
if [ ! -x "$GEN" ] || [ ! -x "$BIN" ]; then
	bad "needs $BIN and $GEN (make all tools)"
	finish
fi
if [ -z "$PY" ]; then
	bad "python3 is needed to check the outputs"
	finish
fi

# --- the archive -----------------------------------------------------------------------------
A=$T/archive
cd "$T" || exit 1
i=1
while [ $i -le 50 ]; do
	d=archive/2024-0$(( (i - 1) / 10 + 1 ))/day$(( i % 3 ))
	mkdir -p "$d"
	lim=""
	[ $((i % 3)) -eq 0 ] && lim="--limit 4"
	if [ $((i % 5)) -eq 0 ]; then
		# shellcheck disable=SC2086
		"$GEN" --xml $lim --seconds 30 --threads 20 $i >"$d/results-$i.jtl"
	elif [ $((i % 4)) -eq 1 ]; then
		# shellcheck disable=SC2086
		"$GEN" --gzip $lim --seconds 30 --threads 20 $i >"$d/run-$i.csv.gz"
	else
		# shellcheck disable=SC2086
		"$GEN" $lim --seconds 30 --threads 20 $i >"$d/run-$i.jtl"
	fi
	i=$((i + 1))
done
mkdir -p archive/broken archive/pair-stem archive/pair-only archive/unpaired
"$GEN" --gzip --seconds 30 --threads 12 900 | head -c 3000 >archive/broken/truncated.jtl.gz
printf '\001\002\003garbage\000\377' >archive/broken/garbage.jtl
: >archive/broken/empty.jtl
"$GEN" --xml --seconds 10 --threads 4 901 | head -c 5000 >archive/broken/cut-short.xml
# decoys: not results, never listed
printf '# notes\n' >archive/README.md
printf 'name,value\na,1\n' >archive/2024-01/notes.csv
printf '<?xml version="1.0"?>\n<jmeterTestPlan version="1.2"></jmeterTestPlan>\n' >archive/2024-01/plan.jmx
printf '{"schema":"jtlscope-report/1"}\n' >archive/2024-01/old-report.json
# captures: same stem; the folder's only JTL; a folder with two JTLs and no matching stem
"$GEN" --limit 2 --seconds 20 --threads 8 902 >archive/pair-stem/run-a.jtl
"$GEN" --seconds 20 --threads 8 903 >archive/pair-stem/run-b.jtl
"$GEN" --seconds 20 --threads 8 904 >archive/pair-only/results.jtl
"$GEN" --seconds 20 --threads 8 905 >archive/unpaired/x.jtl
"$GEN" --seconds 20 --threads 8 906 >archive/unpaired/y.jtl
have_pcap=0
if [ -f "$PCAPS/zeek__http__get.pcap" ]; then
	have_pcap=1
	cp "$PCAPS/zeek__http__get.pcap" archive/pair-stem/run-a.pcap
	gzip -c "$PCAPS/zeek__http__get.pcap" >archive/pair-only/capture.pcapng.gz.bin
	cp "$PCAPS/zeek__http__get.pcap" archive/unpaired/z.pcap
fi
# files named to provoke the index: a CSV formula and HTML markup in the path
"$GEN" --seconds 10 --threads 4 907 >'=1+2.jtl'
"$GEN" --seconds 10 --threads 4 908 >'<b>x.jtl'
nruns=$((50 + 4 + 5 + 2))

# --- batch -----------------------------------------------------------------------------------
start=$(date +%s)
"$BIN" batch archive '=1+2.jtl' '<b>x.jtl' -o out -j 2 >batch.out 2>batch.err
rc=$?
secs=$(($(date +%s) - start))
[ $rc -eq 3 ] && ok "batch over $nruns runs exits 3 (some runs are broken) in ${secs} s" ||
	bad "batch exit $rc, want 3: $(tail -5 batch.err)"
for f in index.md index.html index.csv index.json .jtlscope-cache.json; do
	[ -s "out/$f" ] && ok "batch wrote $f" || bad "batch did not write $f"
done
grep -q "^\[$nruns/$nruns\] " batch.err && ok "progress lines count to [$nruns/$nruns]" ||
	bad "progress lines: $(tail -3 batch.err)"
grep -q 'ok [0-9.]* s$' batch.err && ok "progress lines say 'ok N.N s'" || bad "no 'ok N s' progress line"

cat >check_index.py <<'EOF'
import gzip, json, os, sys
idx = json.load(open("out/index.json"))
runs = {r["path"]: r for r in idx["runs"]}
want_runs, have_pcap = int(sys.argv[1]), sys.argv[2] == "1"
errs = []
def need(c, msg):
    if not c:
        errs.append(msg)
need(idx["schema"] == "jtlscope-batch-index/1", "schema")
need(len(runs) == want_runs, "runs: %d, want %d: %s" % (len(runs), want_runs, sorted(runs)))
for decoy in ("archive/README.md", "archive/2024-01/notes.csv", "archive/2024-01/plan.jmx",
              "archive/2024-01/old-report.json"):
    need(decoy not in runs, "decoy listed: " + decoy)
def samples(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rb") as f:
        data = f.read()
    return data.count(b"<httpSample ") if b"<testResults" in data[:200] else data.count(b"\n") - 1
for i in range(1, 51):
    p = [k for k in runs if k.split("/")[-1] in ("results-%d.jtl" % i, "run-%d.csv.gz" % i, "run-%d.jtl" % i)]
    need(len(p) == 1, "run %d: %s" % (i, p))
    if len(p) != 1:
        continue
    r = runs[p[0]]
    need(r["status"] == "ok" and r["exit"] == 0 and r["error"] is None, "run %d status %s" % (i, r))
    need(r["samples"] == samples(p[0]), "run %d samples %s != %s" % (i, r["samples"], samples(p[0])))
    need(r["start"].startswith("2023-11-") and 29 < r["duration_s"] < 31, "run %d window %s %s" % (i, r["start"], r["duration_s"]))
    need(r["p95_ms"] and r["p95_ms"] > 0 and r["error_pct"] is not None, "run %d p95/error" % i)
    need(r["throttle_analysis"] is True, "run %d throttle analysis" % i)
    if i % 3 == 0:
        need(r["onset_offset_s"] is not None and 0 <= r["onset_offset_s"] < 30, "run %d onset %s" % (i, r["onset_offset_s"]))
        need(r["onset_threads"] and r["onset_threads"] > 0, "run %d onset threads" % i)
        need(r["throttled_pct"] > 1, "run %d throttled %s" % (i, r["throttled_pct"]))
        need(r["regions_throttled"] == ["ap-southeast-1"], "run %d regions %s" % (i, r["regions_throttled"]))
        need(r["limiter_model"] not in (None, "unknown"), "run %d model %s" % (i, r["limiter_model"]))
        if r["limiter_rate_per_s"] is not None:
            need(2 <= r["limiter_rate_per_s"] <= 6, "run %d limit %s (4/s set)" % (i, r["limiter_rate_per_s"]))
    else:
        need(r["onset_offset_s"] is None and r["throttled_pct"] == 0 and r["regions_throttled"] == [],
             "run %d should not be throttled: %s" % (i, r))
tr = runs.get("archive/broken/truncated.jtl.gz", {})
need(tr.get("status") == "failed" and tr.get("exit") == 3 and "truncated gzip" in (tr.get("error") or ""), "truncated: %s" % tr)
ga = runs.get("archive/broken/garbage.jtl", {})
need(ga.get("status") == "failed" and "unknown format" in (ga.get("error") or ""), "garbage: %s" % ga)
em = runs.get("archive/broken/empty.jtl", {})
need(em.get("status") == "failed" and em.get("exit") == 3 and "empty" in (em.get("error") or ""), "empty: %s" % em)
need("archive/broken/cut-short.xml" in runs, "cut-short.xml not listed")
need(idx["totals"]["runs"] == want_runs and idx["totals"]["failed"] >= 2, "totals %s" % idx["totals"])
if have_pcap:
    need(runs["archive/pair-stem/run-a.jtl"]["captures"] == ["archive/pair-stem/run-a.pcap"], "stem pairing: %s" % runs["archive/pair-stem/run-a.jtl"]["captures"])
    need(runs["archive/pair-stem/run-b.jtl"]["captures"] == [], "run-b got a capture")
    need(runs["archive/pair-only/results.jtl"]["captures"] == ["archive/pair-only/capture.pcapng.gz.bin"], "only-JTL pairing (content, not name)")
    need(idx["unpaired_captures"] == ["archive/unpaired/z.pcap"], "unpaired: %s" % idx["unpaired_captures"])
    a = runs["archive/pair-stem/run-a.jtl"]
    need(a["status"] == "ok" or "capture" in (a["error"] or ""), "paired run: %s" % a)
    need(a["onset_offset_s"] is not None, "paired run lost its JTL analysis: %s" % a)
for name in ("=1+2.jtl", "<b>x.jtl"):
    need(name in runs and runs[name]["status"] == "ok", "explicit file %s" % name)
    d = os.path.join("out", runs[name]["report"])
    need(os.path.isfile(os.path.join(d, "report.json")), "no report.json in " + d)
for r in runs.values():
    need(r["report"].startswith("runs/") and "/" not in r["report"][5:-1] and ".." not in r["report"], "folder " + r["report"])
if errs:
    print("\n".join(errs[:15]))
    sys.exit(1)
EOF
check "index.json: every run, its numbers, failed runs, decoys ignored, captures paired" \
	"$PY" check_index.py "$nruns" "$have_pcap"

check "index.csv: a cell starting with = is neutralised" "$PY" -c "
import csv
rows = list(csv.reader(open('out/index.csv', newline='')))
assert \"'=1+2.jtl\" in [r[0] for r in rows], [r[0] for r in rows][-3:]
assert not any(c.startswith(('=', '+', '@')) for r in rows for c in r)"
check "index.csv: one row per run" test "$(($(wc -l <out/index.csv) - 1))" -eq "$nruns"
check "index.html: paths escaped" grep -q '&lt;b&gt;x.jtl' out/index.html
check "index.html: no raw markup from input" sh -c '! grep -q "<b>x.jtl" out/index.html'
check "index.html: self-contained (no external references)" sh -c '! grep -Eq "<script|src=\"http|href=\"http|<link" out/index.html'
check "index.md: one table row per run" test "$(grep -c '^| \[' out/index.md)" -eq "$nruns"
check "index.md: markup escaped" grep -q '&lt;b&gt;x.jtl' out/index.md
check "a failed run's error is in the index" grep -q 'truncated gzip' out/index.csv

# --- the cache -------------------------------------------------------------------------------
cp out/index.json index.first.json
"$BIN" batch archive '=1+2.jtl' '<b>x.jtl' -o out -j 2 >/dev/null 2>batch2.err
check "re-run: every run cached" test "$(grep -c ' cached (' batch2.err)" -eq "$nruns"
check "re-run: the same index" cmp -s index.first.json out/index.json
touch archive/2024-01/day1/run-1.csv.gz
f=archive/2024-01/day2/run-2.jtl
tail -1 "$f" >>"$f"
"$BIN" batch archive '=1+2.jtl' '<b>x.jtl' -o out -j 2 >/dev/null 2>batch3.err
check "changed content: that run only is analysed again" test "$(grep -c ' cached (' batch3.err)" -eq $((nruns - 1))
check "changed content: the run re-analysed is the changed one" grep -q "run-2.jtl ... ok" batch3.err
check "touched but unchanged (same hash): still cached" grep -q "run-1.csv.gz ... cached" batch3.err
"$BIN" batch archive -o out -q --force >/dev/null 2>batch4.err
check "--force and -q: nothing cached, nothing printed" test ! -s batch4.err
"$BIN" batch archive/2024-01 -o out1 --bucket 5s -q >/dev/null 2>&1
check "report options pass through (--bucket 5s)" "$PY" -c "
import json,glob
fs=glob.glob('out1/runs/*/report.json'); assert len(fs)==10, fs
assert all(json.load(open(f))['bucket_ms']==5000 for f in fs)"
"$BIN" batch archive/2024-01 -o out1 --bucket 5parsecs >/dev/null 2>b.err
rc=$?
check "a bad passed-through option is refused once, exit 2" sh -c "[ $rc -eq 2 ] && grep -q 'bad duration' b.err"
"$BIN" batch -o out1 >/dev/null 2>b.err
check "batch without inputs: exit 2" test $? -eq 2
"$BIN" batch archive >/dev/null 2>b.err
check "batch without -o: exit 2" test $? -eq 2

# --- gate ------------------------------------------------------------------------------------
"$BIN" batch archive/2024-01 archive/2024-02 -o outg -q --fail-on 'throttled>1%' --fail-on 'p95>10s' \
	--junit junit.xml >/dev/null 2>gate.err
rc=$?
check "batch --fail-on met by throttled runs: exit 6" test $rc -eq 6
check "batch JUnit: one testsuite per run, failures = throttled runs" "$PY" -c "
import xml.etree.ElementTree as ET, json
root = ET.parse('junit.xml').getroot()
assert root.tag == 'testsuites', root.tag
suites = root.findall('testsuite')
assert len(suites) == 20, len(suites)
idx = json.load(open('outg/index.json'))
thr = sum(1 for r in idx['runs'] if r['throttled_pct'] and r['throttled_pct'] > 1)
fails = root.findall('.//failure')
assert len(fails) == thr == int(root.get('failures')), (len(fails), thr)
assert all('throttled' in f.get('message') for f in fails)
assert len(root.findall('.//testcase')) == 40
assert all(s.get('name').startswith('archive/') for s in suites)
assert all(r['gate'] in ('pass', 'fail') for r in idx['runs'])"
"$BIN" batch archive/2024-01 -o outg -q --fail-on 'p95>>8' >/dev/null 2>gate.err
rc=$?
check "bad --fail-on: exit 2 and a clear message" sh -c "[ $rc -eq 2 ] && grep -q \"fail-on 'p95>>8': expected a number after '>'\" gate.err"

# --- summarize + merge -----------------------------------------------------------------------
mkdir -p parts
p=1
while [ $p -le 5 ]; do
	"$GEN" --limit 3 --seconds 20 --threads 10 --t0 $((1700000000000 + p * 20000)) $((500 + p)) >parts/p$p.jtl
	p=$((p + 1))
done
gzip -k parts/p5.jtl && rm parts/p5.jtl
PARTS="parts/p1.jtl parts/p2.jtl parts/p3.jtl parts/p4.jtl parts/p5.jtl.gz"
# shellcheck disable=SC2086
"$BIN" report --format json $PARTS >single.json 2>/dev/null
for f in $PARTS; do "$BIN" summarize -q "$f" -o "$f.sum.json" || bad "summarize $f"; done
"$BIN" merge --format json parts/*.sum.json >merged.json 2>merge.err
check "merge exits 0" test $? -eq 0
cat >same.py <<'EOF'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
order = sys.argv[3] if len(sys.argv) > 3 else "same"
diff = []
for k in sorted(set(a) | set(b)):
    if k == "merged":
        continue
    x, y = a.get(k), b.get(k)
    if k == "inputs" and order == "any":
        x, y = sorted(x, key=lambda i: i["path"]), sorted(y, key=lambda i: i["path"])
    if x != y:
        diff.append("%s: %.200s != %.200s" % (k, x, y))
assert "throttle" in a and "throttle" in b, "throttle section"
assert b["merged"]["throttle_analysis"] is True and b["merged"]["replay_dropped"] == 0
assert a["samples"]["total"] > 0 and a["samples"]["throttled"] > 0
if diff:
    print("\n".join(diff)); sys.exit(1)
EOF
check "merge of 5 summaries equals one pass (counts, percentiles, series, inputs)" "$PY" same.py single.json merged.json
"$BIN" merge -o mdir --format text,json,md,html,csv parts/*.sum.json -q 2>/dev/null
check "merge writes every format into a folder" sh -c 'for f in report.txt report.json report.md report.html series.csv labels.csv; do test -s mdir/$f || exit 1; done'
check "merged text report says the throttle analysis ran on the merged state" grep -q 'run on the merged throttle state' mdir/report.txt
check "merged html report says so too" grep -q 'run on the merged throttle state' mdir/report.html
"$BIN" merge --summary all.sum.json -q parts/p1.jtl.sum.json parts/p2.jtl.sum.json >/dev/null 2>&1
"$BIN" merge --format json all.sum.json parts/p3.jtl.sum.json parts/p4.jtl.sum.json parts/p5.jtl.gz.sum.json >merged2.json 2>/dev/null
check "merging merged summaries is associative" "$PY" same.py single.json merged2.json
"$BIN" summarize -q --bucket 5s parts/p1.jtl -o b5.json
"$BIN" merge b5.json parts/p2.jtl.sum.json >/dev/null 2>m.err
rc=$?
check "summaries made with other --bucket are refused (exit 3)" sh -c "[ $rc -eq 3 ] && grep -q 'different --bucket' m.err"
"$BIN" merge single.json >/dev/null 2>m.err
rc=$?
check "a report is not a summary (exit 3)" sh -c "[ $rc -eq 3 ] && grep -q 'a report, not a summary' m.err"
head -c 700 parts/p1.jtl.sum.json >cut.json
"$BIN" merge cut.json >/dev/null 2>m.err
rc=$?
check "a cut summary: exit 3, not valid JSON" sh -c "[ $rc -eq 3 ] && grep -q 'not valid JSON' m.err"
"$BIN" merge --format json --fail-on 'p95>1ms' --fail-on 'onset<300s' --junit mj.xml parts/*.sum.json >/dev/null 2>m.err
rc=$?
check "merge --fail-on: exit 6; onset from the merged throttle state" "$PY" -c "
import xml.etree.ElementTree as ET
assert $rc == 6, $rc
r = ET.parse('mj.xml').getroot()
assert r.get('failures') == '2' and r.get('skipped') == '0', ET.tostring(r)"

# GNU parallel (local only: --sshlogin : is this machine)
if ! command -v parallel >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq parallel >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq parallel >/dev/null 2>&1; }
fi
if command -v parallel >/dev/null 2>&1 && parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
	mkdir -p gp
	# shellcheck disable=SC2086
	parallel --will-cite --sshlogin : -j 2 "$BIN" summarize -q {} -o gp/{/}.json ::: $PARTS 2>gp.err
	"$BIN" merge --format json gp/*.json >gp-merged.json 2>/dev/null
	check "GNU parallel --sshlogin : summarize, then merge, equals one pass" "$PY" same.py single.json gp-merged.json any
else
	skip "GNU parallel not installed and cannot be installed here"
fi

# Dask distributed (Debian python3-distributed), a LocalCluster: tests/lib/dask.sh
. "${GEN%/build/tools/genarchive}/tests/lib/dask.sh"
# shellcheck disable=SC2086
dask_merge 120 "$BIN" dask-merged.json $PARTS
case $? in
0) check "Dask LocalCluster map(summarize) + merge equals one pass" "$PY" same.py single.json dask-merged.json any ;;
2) skip "python3-distributed (Dask) not installed and cannot be installed here" ;;
*) bad "dask run failed: $(tail -5 dask.out)" ;;
esac

# --- compare ---------------------------------------------------------------------------------
"$GEN" --seconds 30 --threads 20 700 >base.jtl
"$GEN" --limit 4 --seconds 30 --threads 20 700 >cand.jtl
"$BIN" compare --format json base.jtl cand.jtl >cmp.json 2>cmp.err
check "compare exits 0" test $? -eq 0
check "compare: counts, significance, onset, newly throttled regions" "$PY" -c "
import json
c = json.load(open('cmp.json'))
assert c['schema'] == 'jtlscope-compare/1'
t = c['labels'][0]
assert t['label'] == 'TOTAL' and t['count']['delta'] == 0, t['count']
assert t['error_pct']['significant'] is True and t['error_pct']['z'] > 1.96, t['error_pct']
assert [l['label'] for l in c['labels'][1:]] == ['Inbox', 'Login', 'Send message']
for l in c['labels']:
    for k in ('p50_ms', 'p95_ms', 'p99_ms', 'throughput_per_s'):
        assert 'note' in l[k] and 'delta_pct' in l[k]
th = c['throttle']
assert th['available'] and th['baseline_detected'] is False and th['candidate_detected'] is True, th
assert th['regions_newly_throttled'] == ['ap-southeast-1'], th
assert th['regions_no_longer_throttled'] == []
assert th['onset_offset_s']['baseline'] is None and th['onset_offset_s']['candidate'] is not None
assert th['onset_offset_s']['note'].startswith('NEW')
assert th['limit']['candidate_rate_per_s'] is None or 2 <= th['limit']['candidate_rate_per_s'] <= 6"
"$BIN" compare base.jtl base.jtl >same.txt 2>/dev/null
check "compare a run with itself: percentiles within histogram error, errors not significant" \
	sh -c 'grep -q "within histogram error" same.txt && grep -q "not significant" same.txt && ! grep -q "SLOWER" same.txt'
"$BIN" compare cand.jtl base.jtl >rev.txt 2>/dev/null
check "compare text: regions no longer throttled" grep -q 'regions no longer throttled: ap-southeast-1' rev.txt
"$BIN" report -q -o rb --format json base.jtl && "$BIN" report -q -o rc --format json cand.jtl
"$BIN" compare --format md rb rc/report.json >cmp.md 2>/dev/null
check "compare takes report folders and report.json; md output" grep -q '^| TOTAL | samples |' cmp.md
"$PY" -c "import json; d = json.load(open('parts/p1.jtl.sum.json')); d.pop('throttle_state'); json.dump(d, open('old.sum.json', 'w'))"
"$BIN" compare old.sum.json cand.jtl >cs.txt 2>/dev/null
check "compare a summary without throttle state: no throttle analysis on that side" grep -q 'baseline has no throttle analysis' cs.txt
"$BIN" compare parts/p1.jtl.sum.json cand.jtl >cs2.txt 2>/dev/null
check "compare a summary: its throttle state is analysed" sh -c '! grep -q "baseline has no throttle analysis" cs2.txt'

"$BIN" compare --fail-on 'errors>5%' --fail-on 'label:Login:p95>10s' --junit cj.xml base.jtl cand.jtl >/dev/null 2>c.err
rc=$?
check "compare --fail-on on the candidate: exit 6, JUnit" "$PY" -c "
import xml.etree.ElementTree as ET
assert $rc == 6, $rc
r = ET.parse('cj.xml').getroot()
assert r.get('tests') == '2' and r.get('failures') == '1'
f = r.find('.//failure'); assert 'errors' in f.get('message') and '%' in f.text, f.text"
"$BIN" compare base.jtl >/dev/null 2>c.err
check "compare with one input: exit 2" test $? -eq 2
"$BIN" compare base.jtl missing.jtl >/dev/null 2>c.err
check "compare with a missing input: exit 3" test $? -eq 3

# --- report options passed through: batch's table agrees with report's usage ----------------
# every option report's usage shows with a VALUE word must take its value when batch passes it
# on (cli/report_opts.c), and every other one must not
tbl_bad=""
for o in $("$BIN" report --help | grep -o -- '--[a-z0-9-]* [A-Z]' | cut -d' ' -f1 | sort -u); do
	case $o in --output|--format|--fail-on|--junit) continue ;; esac
	"$BIN" batch -q -o "$T/opt-out" "$o" >"$T/opt.err" 2>&1
	grep -q "needs a value" "$T/opt.err" || tbl_bad="$tbl_bad $o"
done
for o in $("$BIN" report --help | grep -o -- '--[a-z0-9-]*  ' | cut -d' ' -f1 | sort -u); do
	case $o in --help|--quiet) continue ;; esac
	"$BIN" batch -q -o "$T/opt-out" "$o" >"$T/opt.err" 2>&1
	grep -q "needs a value" "$T/opt.err" && tbl_bad="$tbl_bad $o(flag)"
done
if [ -z "$tbl_bad" ]; then ok "batch: report's value options from the table match report's usage"
else bad "batch: report options the table gets wrong:$tbl_bad"; fi

# --- discovery uses the CSV reader's delimiter detector (quotes respected) --------------------
# a header-less ';' JTL whose labels hold more commas (inside quotes) than the line has ';'
mkdir -p "$T/quoted"
{
	echo '1700000000000;12;"GET /a,b,c,d,e,f,g,h,i,j";200;true'
	echo '1700000001000;15;"GET /a,b,c,d,e,f,g,h,i,j";200;true'
} >"$T/quoted/semi.csv"
echo 'name,size,colour,weight,height,depth' >"$T/quoted/other.csv"
"$BIN" batch -q -j 1 -o "$T/quoted-out" "$T/quoted" >/dev/null 2>&1
n=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(",".join(r["path"].rsplit("/",1)[1] for r in d["runs"]))' "$T/quoted-out/index.json" 2>/dev/null)
if [ "$n" = "semi.csv" ]; then ok "batch: a quoted ';' JTL is found, a non-JMeter CSV is not"
else bad "batch: runs found in the quoted folder: '$n' (want semi.csv)"; fi

# --- trends: a limit change between runs is flagged at the run where it happened ---------------
# four daily runs (start times one day apart), 50 threads (about 43 requests/s offered) against
# a token bucket on one region of 5/s, 5/s, 10/s, 10/s: the admitted-rate interval of the third does not
# overlap the second's
trend() { # DIR LIMIT...
	td=$1
	shift
	mkdir -p "$td"
	k=0
	for lim in "$@"; do
		"$GEN" --limit "$lim" --seconds 120 --threads 50 --t0 $((1704067200000 + k * 86400000)) \
			$((k + 70)) >"$td/day$k.jtl"
		k=$((k + 1))
	done
}
trend "$T/trend-change" 5 5 10 10
trend "$T/trend-same" 5 5 5
for w in change same; do
	"$BIN" batch -q -j 2 -o "$T/trend-$w-out" "$T/trend-$w" >/dev/null 2>&1
done
flags() { "$PY" -c 'import json,sys
d=json.load(open(sys.argv[1]))
rs=sorted(d["runs"],key=lambda r:r["start_ms"] or 0)
if any(r["limiter_rate_low"] is None for r in rs): print("a run without a rate interval")
else: print(",".join(r["path"].rsplit("/",1)[1] for r in rs if r["limit_changed"]))' "$1" 2>&1; }
f=$(flags "$T/trend-change-out/index.json")
if [ "$f" = "day2.jtl" ]; then ok "batch trends: the limit change 5/s -> 10/s is flagged at the third run"
else bad "batch trends: runs flagged '$f' (want day2.jtl)"; fi
f=$(flags "$T/trend-same-out/index.json")
if [ -z "$f" ]; then ok "batch trends: the same limit in every run flags nothing"
else bad "batch trends: runs flagged '$f' with an unchanged limit"; fi
if grep -q "limit changed" "$T/trend-change-out/index.md" && grep -q "limit changed" "$T/trend-change-out/index.html" &&
	grep -q "limit changed" "$T/trend-change-out/index.csv" &&
	[ "$(grep -c '| ok |.*| limit changed |' "$T/trend-change-out/index.md")" -eq 1 ] &&
	grep -q 'admitted /s \[interval\]' "$T/trend-change-out/index.md" &&
	grep day2 "$T/trend-change-out/index.md" | grep -Eq ' 10\.[0-9]+ \\\[[0-9.]+, [0-9.]+\\\] \| limit changed \| shared \|'; then
	ok "batch trends: md/html/csv show the admitted rate with its interval, the flag and the scope"
else bad "batch trends: the md/html/csv index lacks the rate interval, the flag or the scope: $(grep day2 "$T/trend-change-out/index.md")"; fi

if command -v gnuplot >/dev/null 2>&1; then
	if [ -s "$T/trend-change-out/index-trends.svg" ] && grep -q '<svg' "$T/trend-change-out/index.html" &&
		grep -q '](index-trends.svg)' "$T/trend-change-out/index.md" &&
		grep -q 'limit changed' "$T/trend-change-out/index-trends.svg"; then
		ok "batch trends: the chart over time is inlined in index.html and linked from index.md"
	else bad "batch trends: no trend chart in the index"; fi
else skip "batch trends chart: gnuplot is not installed"; fi

finish
