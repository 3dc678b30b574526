#!/bin/sh
# tests/whatif/run.sh BIN - `jtlscope whatif` end to end on the bundled runs: exit codes,
# the JSON contract (docs/whatif.md), the other formats.  Prints TAP-style ok / not ok lines.
set -u
BIN=${1:-./jtlscope}
. "$(dirname "$0")/../lib.sh"
CHECK_PREFIX="whatif: "
rc_is() { # name want command...
	n=$1 w=$2
	shift 2
	expect "$n" "$w" "" -- "$@"
}
DEMO=sample-data/demo/demo.csv.gz

rc_is "no input is a usage error" 2 "$BIN" whatif
rc_is "bad policy is a usage error" 2 "$BIN" whatif --policy backoff=linear "$DEMO"
rc_is "bad --users is a usage error" 2 "$BIN" whatif --users 0 "$DEMO"
rc_is "stdin is refused (read twice)" 2 "$BIN" whatif -
rc_is "open loop refuses retry policies" 2 "$BIN" whatif --open-loop --policy honour-retry-after "$DEMO"
rc_is "missing input" 3 "$BIN" whatif -q "$T/nope.csv"
rc_is "--help" 0 "$BIN" whatif --help

rc_is "an unthrottled run: limiter unknown, exit 1" 1 "$BIN" whatif -q sample-data/known/no-throttle/no-throttle.csv.gz
grep -q "Limiter unknown: nothing predicted" "$T/out" && ok "unknown limiter said" || bad "unknown limiter not said"
rc_is "unknown limiter, json" 1 "$BIN" whatif -q -f json sample-data/known/no-throttle/no-throttle.csv.gz
python3 -c "
import json,sys
t=json.load(open(sys.argv[1]))
assert t['schema']=='jtlscope-whatif/1' and t['limiter']['known'] is False and t['scenarios']==[], t
" "$T/out" && ok "unknown limiter json: no scenario" || bad "unknown limiter json"

rc_is "demo, json" 0 "$BIN" whatif -q -f json "$DEMO"
python3 -c "
import json,sys
t=json.load(open(sys.argv[1]))
s={x['name']:x for x in t['scenarios']}
rep=s['replay (recorded arrivals)']
# the model check: the fitted limiter refuses the recorded arrivals the run saw refused (5 %)
assert abs(rep['throttled']['v']-t['recorded']['throttled'])<=0.05*t['recorded']['throttled'], rep
none=s['none (as recorded)']; ra=s['honour-retry-after']
assert ra['throttled']['v']<none['throttled']['v'], (ra, none)
for x in t['scenarios']:
    for k in ('requests','accepted','throttled','accepted_per_s'):
        assert x[k]['lo']<=x[k]['v']<=x[k]['hi'], (x['name'],k,x[k])
assert any(x['policy']=='pace' and x['throttled']['v']==0 for x in t['scenarios'])
assert t['safe_load']['max_users']['v']>0 and t['advice']
" "$T/out" && ok "demo json: model check, ranges, honour < none, pacing under the rate" || bad "demo json contract"
cp "$T/out" "$T/a.json"
"$BIN" whatif -q -f json "$DEMO" >"$T/b.json" 2>/dev/null
cmp -s "$T/a.json" "$T/b.json" && ok "deterministic" || bad "two runs differ"
"$BIN" whatif -q -f json --seed 3 "$DEMO" >"$T/c.json" 2>/dev/null
cmp -s "$T/a.json" "$T/c.json" && bad "--seed changes nothing" || ok "--seed changes the draws"

rc_is "a named load" 0 "$BIN" whatif -q -f json --users 30 --pace 2s --ramp 30s "$DEMO"
python3 -c "
import json,sys
t=json.load(open(sys.argv[1]))
u=[x for x in t['scenarios'] if x['load']['users']==30]
assert u and all(x['load']['pace_s']==2 for x in u), t['scenarios']
assert t['safe_load']['pace_s']==2
" "$T/out" && ok "--users/--pace in every policy's scenario" || bad "named load"

rc_is "md" 0 "$BIN" whatif -q -f md "$DEMO"
grep -q "^| scenario |" "$T/out" && ok "md table" || bad "md table"
rc_is "html" 0 "$BIN" whatif -q -f html -o "$T/w.html" "$DEMO"
grep -q "<svg" "$T/w.html" && grep -q "<polyline" "$T/w.html" && ok "html chart" || bad "html chart"
rc_is "unwritable output" 5 "$BIN" whatif -q -o "$T/no/such/dir/x" "$DEMO"
# a hostile file name reaches the JSON as valid UTF-8 and the HTML escaped
H="$T/<b>$(printf '\033')x.csv.gz"
cp "$DEMO" "$H"
rc_is "hostile path" 0 "$BIN" whatif -q -f json "$H"
python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$T/out" && ok "hostile path: json parses" || bad "hostile path json"
"$BIN" whatif -q -f text "$H" | grep -q "$(printf '\033')" && bad "escape byte in text" || ok "hostile path: text clean"

finish
