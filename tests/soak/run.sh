#!/bin/sh
# tests/soak/run.sh BIN - long runs cost what their rows cost, not their duration.
#
# ROWS samples (build/tools/gensoak, tests/tools/gensoak.c: 50..400 threads, one
# throttling episode an hour, completion order) spread over 1 h and over 7 days.  Before the
# series grew by doubling and coarsened in place, 200 000 such rows over 7 days did not finish
# in 120 s (every new bucket copied the whole series) and 12 h took 55 s and 145 MB.  Checked:
#   - the 7-day report finishes within LIMIT_S (default 30 s; it takes well under 1 s here),
#     and in at most 64 MB peak RSS when GNU time is installed;
#   - its series is as fine as ANALYSIS_MAX_BUCKETS allows (the smallest bucket_ms * 2^k whose
#     span fits) and says what was asked (bucket_requested_ms);
#   - the JSON states the throttle grids' resolution (throttle.resolution: widths and notes);
#   - counts are the rows' whatever the duration (samples, throttled, labels as for 1 h) and
#     the throttling is found;
#   - summarize + merge of the 7-day file gives the same series as the one pass.
# Prints "ok - ..." / "not ok - ..." and "N passed, N failed".  About 3 s.
set -u
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-./jtlscope}
GEN=build/tools/gensoak
ROWS=${ROWS:-100000}
LIMIT_S=${LIMIT_S:-30}
if [ ! -x "$GEN" ] || [ ! -x "$BIN" ]; then
	bad "needs $BIN and $GEN (make all tools)"
	finish
fi
PY=$(command -v python3 || true)
if [ -z "$PY" ]; then
	bad "python3 is needed to check the outputs"
	finish
fi
CAP=$(sed -n 's/^#define ANALYSIS_MAX_BUCKETS \([0-9]*\).*/\1/p' analyzer/analysis.h)

for d in 1h 7d; do
	if ! "$GEN" "$ROWS" "$d" >"$T/soak-$d.csv" 2>"$T/soak-$d.gen"; then
		bad "gensoak $ROWS $d failed"
		finish
	fi
done

# report the 7-day file under a time bound (and GNU time for the peak RSS when it is there)
TIMECMD=""
[ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1 && TIMECMD="/usr/bin/time -f %e_%M -o $T/time.txt"
start=$(date +%s)
# shellcheck disable=SC2086 # TIMECMD is a command prefix, split on purpose
timeout "$LIMIT_S" $TIMECMD "$BIN" report -q "$T/soak-7d.csv" --format json -o "$T/r7d" \
	>"$T/r7d.out" 2>&1
rc=$?
secs=$(($(date +%s) - start))
if [ "$rc" = 124 ]; then
	bad "7-day soak of $ROWS rows: not finished within $LIMIT_S s (cost follows the duration)"
	finish
elif [ "$rc" != 0 ]; then
	bad "7-day soak of $ROWS rows: exit $rc: $(head -c 400 "$T/r7d.out")"
	finish
fi
ok "7-day soak of $ROWS rows reported in about $secs s (bound $LIMIT_S s)"
case $BIN in
*-san) TIMECMD="" ;; # AddressSanitizer's shadow memory is not the program's
esac
if [ -n "$TIMECMD" ] && [ -s "$T/time.txt" ]; then
	kb=$(sed 's/.*_//' "$T/time.txt")
	if [ "$kb" -le 65536 ]; then
		ok "7-day soak peak RSS $((kb / 1024)) MB <= 64 MB"
	else
		bad "7-day soak peak RSS $((kb / 1024)) MB > 64 MB"
	fi
else
	ok "# SKIP peak RSS: GNU time not installed, or a sanitizer build"
fi

if ! "$BIN" report -q "$T/soak-1h.csv" --format json -o "$T/r1h" >"$T/r1h.out" 2>&1; then
	bad "1-hour soak: $(head -c 400 "$T/r1h.out")"
	finish
fi
if ! "$BIN" summarize -q "$T/soak-7d.csv" -o "$T/s7d.json" >"$T/s7d.out" 2>&1 ||
	! "$BIN" merge "$T/s7d.json" -f json -o "$T/m7d" >"$T/m7d.out" 2>&1; then
	bad "7-day summarize + merge: $(head -c 400 "$T/s7d.out" "$T/m7d.out")"
	finish
fi

"$PY" - "$T" "$CAP" "$ROWS" >"$T/py.out" 2>&1 <<'EOF'
import json, sys
T, cap, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = []
def check(name, cond, why=""):
    out.append(("ok - " if cond else "not ok - ") + name + ("" if cond else ": " + why))
r7 = json.load(open(T + "/r7d/report.json"))
r1 = json.load(open(T + "/r1h/report.json"))
gen = dict(l.split() for l in open(T + "/soak-7d.gen"))
s = r7["series"]
span = s[-1]["ts_ms"] - s[0]["ts_ms"] + r7["bucket_ms"]
w = r7["bucket_ms"]
check("7-day series holds at most %d buckets (%d)" % (cap, len(s)), len(s) <= cap, str(len(s)))
check("7-day series width %d ms is the finest that fits" % w,
      w % 1000 == 0 and (w // 1000) & (w // 1000 - 1) == 0 and (w // 2) * cap < span,
      "span %d ms" % span)
check("7-day series says the width asked for (bucket_requested_ms 1000)",
      r7.get("bucket_requested_ms") == 1000, str(r7.get("bucket_requested_ms")))
check("1-hour series keeps 1 s buckets and says nothing of widening",
      r1["bucket_ms"] == 1000 and "bucket_requested_ms" not in r1, str(r1["bucket_ms"]))
res = r7["throttle"].get("resolution")
check("7-day throttle.resolution states the grid widths",
      bool(res) and res["fine_ms"] > 100 and res["keys_ms"] > 1000 and res["latency_ms"] > 1000,
      json.dumps(res))
check("7-day throttle.resolution notes name the span",
      bool(res) and len(res["notes"]) == 3 and all("7.0 d" in n for n in res["notes"]),
      json.dumps(res and res["notes"]))
check("samples and throttled are the rows' (%d, %s)" % (rows, gen["throttled"]),
      r7["total"]["count"] == rows and r7["throttle"]["throttled"] == int(gen["throttled"])
      and r7["throttle"]["samples"] == rows,
      "%s %s" % (r7["total"]["count"], r7["throttle"]["throttled"]))
lab = lambda r: [(l["label"], l["count"]) for l in r["labels"]]
check("labels and their counts as over 1 hour", lab(r7) == lab(r1), "%s vs %s" % (lab(r7), lab(r1)))
o = r7["throttle"]["onset"]
ep = int(gen["episodes"])
# the onset grid is coarse over 7 days (throttle.resolution): sparse episodes can merge or
# fall below the sustained-throttling bar, so only a plausible count is required
check("7-day throttling detected (%d episodes found, %d generated)" % (o.get("episodes") or 0, ep),
      r7["throttle"]["detected"] and 1 <= (o.get("episodes") or 0) <= ep + 1, json.dumps(o)[:300])
m = json.load(open(T + "/m7d/report.json"))
check("7-day summarize + merge: the same series as one pass",
      m["series"] == s and m["bucket_ms"] == w, "%d vs %d buckets" % (len(m["series"]), len(s)))
print("\n".join(out))
EOF
py=$?
cat "$T/py.out"
tally "$T/py.out"
[ $py = 0 ] || bad "checks crashed (python exit $py)"
finish
