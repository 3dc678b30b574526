#!/usr/bin/env bash
# generate.sh - draw N limiter-lab scenarios from a seed and run each end to end (root).
#
# usage: sudo tests/lab/generate.sh --seed S --count N [--out DIR] [--start K] [--family F]
#                                   [--stop-on-failure]
#   --seed S      seed of the draw (python random.Random("S:index"))
#   --count N     number of scenarios: indexes K .. K+N-1; the family of index i is
#                 FAMILIES[i % 19] (tests/lab/scenarios.py), so N >= 19 covers every family
#   --out DIR     where the scenario folders go (default tests/lab/corpus); each is DIR/<id>/
#   --start K     first index (default 0)
#   --family F    run every index with family F instead (a family or a preset issue-1..issue-9)
#   --stop-on-failure  stop at the first scenario that fails (default: go on with the others)
# One scenario at a time (JMeter + nginx + the lab servers share 2 cores); each takes the
# scenario's load (<= 45 s) plus ~5-10 s.  Prints one line per scenario and, at the end, the
# list of folders written.  Exit 0 when every scenario ran, 1 when one or more failed (their
# folders are not written; the others are), 2 usage.
# Needs what run_scenario.py needs (JTLSCOPE_INSTALL=1 installs the Debian packages).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SEED="" COUNT="" OUT="$HERE/corpus" START=0 FAMILY="" KEEP_GOING=1
while [ $# -gt 0 ]; do
	case "$1" in
	--seed) SEED=$2; shift 2 ;;
	--count) COUNT=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--start) START=$2; shift 2 ;;
	--family) FAMILY=$2; shift 2 ;;
	--stop-on-failure) KEEP_GOING=0; shift ;;
	--keep-going) KEEP_GOING=1; shift ;;
	-h|--help) sed -n '2,18p' "$0"; exit 0 ;;
	*) echo "generate.sh: unknown argument '$1' (--help)" >&2; exit 2 ;;
	esac
done
[ -n "$SEED" ] && [ -n "$COUNT" ] || { echo "generate.sh: --seed and --count are required" >&2; exit 2; }
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=$(command -v python3); fi
mkdir -p "$OUT"
fail=0
done_ids=()
child=""
stop_child() {
	local sig=$1
	trap - INT TERM
	if [ -n "$child" ]; then kill -"$sig" "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi
	exit 130
}
trap 'stop_child INT' INT
trap 'stop_child TERM' TERM
for ((i = START; i < START + COUNT; i++)); do
	fam=()
	[ -z "$FAMILY" ] || fam=(--family "$FAMILY")
	id=$("$PY" "$HERE/scenarios.py" draw --seed "$SEED" --index "$i" "${fam[@]}" |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
	echo "[generate] $id" >&2
	# in the background so that a TERM/INT to this script reaches the scenario (which then
	# stops its servers and clients); run_scenario.py ignores nothing else
	"$PY" "$HERE/run_scenario.py" --seed "$SEED" --index "$i" "${fam[@]}" --out "$OUT" &
	child=$!
	rc=0
	wait "$child" || rc=$?
	child=""
	if [ "$rc" = 0 ]; then
		done_ids+=("$id")
	else
		fail=1
		echo "[generate] FAILED: $id" >&2
		[ "$KEEP_GOING" = 1 ] || break
	fi
done
printf '%s\n' "${done_ids[@]}"
exit "$fail"
