#!/bin/sh
# tests/merge/run.sh BIN - `summarize` per load generator, then `merge`, gives the same throttle
# analysis as one pass over all the files: verdict, onset, load at onset, limiter (model,
# parameters, intervals), scope and Retry-After compliance - the whole report.json, in fact,
# except the "merged" block.  Split runs:
#   - the lab's per-client-host runs (tests/lab/corpus/s[12]-06-*: two real JMeter generators
#     against nginx limit_req keyed by client address): scope "per-client-host" from summaries;
#   - the bundled demo (sample-data/demo) split into 5 generators by thread (Hostname gen1..5),
#     and into 2; each also mapped with GNU parallel (--sshlogin :) and a Dask LocalCluster;
#   - five synthetic generators of 58 000 requests each (scope per-client-host);
#   - merging merged summaries (associativity);
#   - beyond the bound: a part with more requests before its first rejection than the replay
#     ring keeps (REPLAY_PRE_MAX) - the merged report says how many requests were dropped.
# Prints "ok - ..." / "not ok - ..." and "N passed, N failed".
set -u
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-./jtlscope}
case $BIN in /*) ;; *) BIN=$(pwd)/${BIN#./} ;; esac
ROOT=$(pwd)
GEN=$ROOT/build/tools/genarchive
PY=$(command -v python3 || true)
if [ -z "$PY" ] || [ ! -x "$BIN" ] || [ ! -x "$GEN" ]; then
	bad "needs python3, $BIN and $GEN (make all tools)"
	finish
fi
cd "$T" || exit 1

# same.py ONE MERGED [SCOPE]: the reports agree on everything but the "merged" block; the
# throttle section is there, the merge lost nothing; SCOPE: the scope both must find.
cat >same.py <<'EOF'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
diff = []
def walk(x, y, p):
    if type(x) != type(y):
        diff.append("%s: %.120r != %.120r" % (p, x, y))
    elif isinstance(x, dict):
        for k in sorted(set(x) | set(y)):
            walk(x.get(k), y.get(k), p + "." + k)
    elif isinstance(x, list):
        if len(x) != len(y):
            diff.append("%s: %d != %d items" % (p, len(x), len(y)))
        for i, (u, v) in enumerate(zip(x, y)):
            walk(u, v, "%s[%d]" % (p, i))
    elif x != y:
        diff.append("%s: %.120r != %.120r" % (p, x, y))
for k in sorted(set(a) | set(b)):
    if k != "merged":
        walk(a.get(k), b.get(k), k)
t = b.get("throttle")
assert t is not None, "no throttle section in the merged report"
assert b["merged"]["throttle_analysis"] is True and b["merged"]["replay_dropped"] == 0, b["merged"]
assert a["throttle"]["detected"], "the run was not throttled: the test would prove little"
if len(sys.argv) > 3:
    assert t["scope"] == sys.argv[3], "scope %r" % t["scope"]
if diff:
    print("\n".join(diff[:20]))
    sys.exit(1)
print("verdict %s, onset %s, model %s, scope %s" % (t["finding"], t["onset"].get("offset_s") if isinstance(t.get("onset"), dict) else None,
      t["limit"].get("model") if isinstance(t.get("limit"), dict) else None, t["scope"]))
EOF

# split.py IN OUTPREFIX N: a CSV JTL split by thread into N generators, Hostname genK
cat >split.py <<'EOF'
import csv, gzip, sys, zlib
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
op = gzip.open if src.endswith(".gz") else open
with op(src, "rt", newline="") as f:
    r = csv.reader(f)
    head = next(r)
    ti, hi = head.index("threadName"), head.index("Hostname")
    files = [open("%s%d.csv" % (out, k + 1), "w", newline="") for k in range(n)]
    ws = [csv.writer(x, lineterminator="\n") for x in files]
    for w in ws:
        w.writerow(head)
    for row in r:
        k = zlib.crc32(row[ti].encode()) % n
        row[hi] = "gen%d" % (k + 1)
        ws[k].writerow(row)
    for x in files:
        x.close()
EOF

# equal NAME SCOPE FILES...: one pass, then summarize each + merge, compared
equal() {
	name=$1
	scope=$2
	shift 2
	"$BIN" report -q --format json "$@" >one.json 2>/dev/null
	rm -rf sums && mkdir sums
	i=0
	for f in "$@"; do
		i=$((i + 1))
		"$BIN" summarize -q "$f" -o "sums/$(printf %02d $i).json" || bad "$name: summarize $f"
	done
	"$BIN" merge --format json sums/*.json >merged.json 2>merge.err
	if [ -n "$scope" ]; then
		check "$name: merge equals one pass (scope $scope)" "$PY" same.py one.json merged.json "$scope"
	else
		check "$name: merge equals one pass" "$PY" same.py one.json merged.json
	fi
}

# --- two real generators, one host each ---------------------------------------------------
for s in s1-06-nginx-client-host s2-06-nginx-client-host; do
	C=$ROOT/tests/lab/corpus/$s
	if [ -f "$C/gen1.csv.gz" ]; then
		equal "$s (2 generators)" per-client-host "$C/gen1.csv.gz" "$C/gen2.csv.gz"
	else
		bad "$s: missing $C/gen1.csv.gz"
	fi
done

# --- the bundled demo split into 5 and 2 generators ----------------------------------------
DEMO=$ROOT/sample-data/demo/demo.csv.gz
"$PY" split.py "$DEMO" demo5- 5
"$PY" split.py "$DEMO" demo2- 2
equal "demo split across 5 generators" "" demo5-1.csv demo5-2.csv demo5-3.csv demo5-4.csv demo5-5.csv
cp one.json demo5-one.json
equal "demo split across 2 generators" "" demo2-1.csv demo2-2.csv

# five synthetic generators at once (genarchive, thread names prefixed per generator), 58 000
# rows each: 255 650 requests reach the replay store, close to REPLAY_MAX (262 144)
for p in 1 2 3 4 5; do
	"$GEN" --limit 40 --seconds 600 --threads 100 --t0 1700000000000 $((900 + p)) |
		sed "s/,Users /,g$p Users /" >big$p.jtl
done
equal "5 synthetic generators of 58 000 requests" per-client-host big1.jtl big2.jtl big3.jtl big4.jtl big5.jtl

# associativity: (1+2) + (3+4+5)
for k in 1 2 3 4 5; do "$BIN" summarize -q demo5-$k.csv -o d5-$k.json; done
"$BIN" merge -q --summary d12.json d5-1.json d5-2.json >/dev/null 2>&1
"$BIN" merge -q --summary d345.json d5-3.json d5-4.json d5-5.json >/dev/null 2>&1
"$BIN" merge --format json d12.json d345.json >assoc.json 2>/dev/null
check "merging merged summaries equals one pass (5 generators as 2 + 3)" "$PY" same.py demo5-one.json assoc.json

# GNU parallel (local only: --sshlogin : is this machine)
if ! command -v parallel >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq parallel >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq parallel >/dev/null 2>&1; }
fi
if command -v parallel >/dev/null 2>&1 && parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
	mkdir -p gp
	parallel --will-cite --sshlogin : -j 2 "$BIN" summarize -q {} -o gp/{/.}.json ::: \
		demo5-1.csv demo5-2.csv demo5-3.csv demo5-4.csv demo5-5.csv 2>gp.err
	"$BIN" merge --format json gp/demo5-1.json gp/demo5-2.json gp/demo5-3.json gp/demo5-4.json \
		gp/demo5-5.json >gp-merged.json 2>/dev/null
	check "GNU parallel --sshlogin : summarize of 5 generators, then merge, equals one pass" \
		"$PY" same.py demo5-one.json gp-merged.json
else
	skip "GNU parallel not installed and cannot be installed here"
fi

# Dask distributed (Debian python3-distributed), a LocalCluster: tests/lib/dask.sh
. "$ROOT/tests/lib/dask.sh"
dask_merge 180 "$BIN" dask-merged.json demo5-1.csv demo5-2.csv demo5-3.csv demo5-4.csv demo5-5.csv
case $? in
0) check "Dask LocalCluster map(summarize) of 5 generators + merge equals one pass" \
	"$PY" same.py demo5-one.json dask-merged.json ;;
2) skip "python3-distributed (Dask) not installed and cannot be installed here" ;;
*) bad "dask run failed: $(tail -5 dask.out)" ;;
esac

# --- beyond the bound: the loss is counted and said ----------------------------------------
"$GEN" --limit 3 --seconds 20 --threads 10 41 >early.jtl
"$GEN" --seconds 600 --threads 100 42 >quiet.jtl
rows=$(($(wc -l <quiet.jtl) - 1))
"$BIN" summarize -q early.jtl -o early.json && "$BIN" summarize -q quiet.jtl -o quiet.json
"$BIN" merge --format json early.json quiet.json >lossy.json 2>/dev/null
"$BIN" merge early.json quiet.json >lossy.txt 2>/dev/null
check "a part beyond the replay ring: the merge counts the $((rows - 32768)) dropped requests" "$PY" -c "
import json
m = json.load(open('lossy.json'))['merged']
assert m['throttle_analysis'] is True, m
assert m['replay_dropped'] == $rows - 32768, m
assert 'dropped %d requests' % m['replay_dropped'] in m['note'], m['note']"
check "... and the text report says so" grep -q "dropped $((rows - 32768)) requests before the merge" lossy.txt

# --- refusals -------------------------------------------------------------------------------
"$BIN" summarize -q --region-by hostname demo5-1.csv -o byhost.json
"$BIN" merge byhost.json d5-2.json >/dev/null 2>m.err
rc=$?
check "summaries grouped by another --region-by are refused (exit 3)" sh -c "[ $rc -eq 3 ] && grep -q 'region-by' m.err"
"$PY" -c "
import json
d = json.load(open('d5-1.json')); s = d['throttle_state']['data']
d['throttle_state']['data'] = s[:len(s) // 2 * 4 // 4 // 4 * 4]
json.dump(d, open('cut-state.json', 'w'))"
"$BIN" merge cut-state.json >/dev/null 2>m.err
rc=$?
check "a cut throttle state: exit 3, a clear message" sh -c "[ $rc -eq 3 ] && grep -q 'throttle_state' m.err"
finish
