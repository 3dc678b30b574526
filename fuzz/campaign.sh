#!/bin/sh
# campaign.sh - run libFuzzer campaigns, one target after another, and fold what they find back
# into the corpora.   sh fuzz/campaign.sh SECONDS [TARGET...]   (default: every target)
#
# Per target: fuzz a scratch copy of fuzz/corpus/T for SECONDS with its dictionary (a crash ends
# that target's run; the campaign goes on with the next target), then `-merge=1` the scratch corpus into
# fuzz/corpus/T (only inputs that add coverage), and print one summary line from libFuzzer's final
# stats.  Crashes/timeouts/OOMs land in build-fuzz/artifacts/T/ - triage them into
# fuzz/regressions/T/ by hand.  Logs: build-fuzz/logs/T.log.
set -u
cd "$(dirname "$0")/.." || exit 1
secs=${1:?usage: campaign.sh SECONDS [TARGET...]}
shift
targets=${*:-$(ls fuzz/fuzz_*.c | sed 's,fuzz/fuzz_,,; s,\.c$,,')}
mkdir -p build-fuzz/logs
for t in $targets; do
	bin=build-fuzz/fuzz_$t
	[ -x "$bin" ] || { echo "$t: $bin missing (make fuzz)"; continue; }
	case $t in
	csv) dict=fuzz/dict/csv.dict; max=8192 ;;
	xml) dict=fuzz/dict/xml.dict; max=8192 ;;
	tcpstream|pcap|ratelimit) dict=fuzz/dict/http.dict; max=16384 ;;
	gate) dict=fuzz/dict/gate.dict; max=1024 ;;
	region) dict=fuzz/dict/region.dict; max=4096 ;;
	timestamp) dict=fuzz/dict/timestamp.dict; max=256 ;;
	frame) dict=; max=16384 ;;
	*) dict=; max=8192 ;;
	esac
	work=build-fuzz/work/$t
	art=build-fuzz/artifacts/$t
	rm -rf "$work"
	mkdir -p "$work" "$art"
	cp fuzz/corpus/$t/* "$work"/ 2>/dev/null
	log=build-fuzz/logs/$t.log
	"$bin" -max_total_time="$secs" -max_len=$max -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$art/" ${dict:+-dict=$dict} -print_final_stats=1 "$work" >"$log" 2>&1
	"$bin" -merge=1 -max_len=$max -timeout=10 -rss_limit_mb=2048 fuzz/corpus/$t "$work" \
		>"build-fuzz/logs/$t.merge.log" 2>&1
	stats=$(grep -E '^#[0-9]+' "$log" | tail -1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	echo "$t: runs=$runs | $stats | artifacts: $(ls "$art" | wc -l)"
done
