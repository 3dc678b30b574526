#!/bin/sh
# tests/capture/run.sh - the capture parser against tshark on the bundled public captures.
#
# Run from the repository root after `make tools` (uses build/tools/capdump; CAPDUMP=... to
# override, CAPTURE_DATA=... for another capture folder).  For every capture in
# ../shared/data/pcap it compares, with tshark's output saved in verify/<name>.txt (TShark
# 4.0.17) and, when tshark is installed, with live tshark:
#   - TCP connections (tshark -z conv,tcp rows / tcp.stream count)
#   - HTTP requests, and responses by status code (tshark http.request / http.response.code;
#     jtlscope's interim 1xx count is added to its final codes, as tshark lists every 1xx)
#   - WebSocket frames and TLS ClientHellos where tshark saw any.
# Where PROVENANCE.md documents tshark being wrong, jtlscope's answer is asserted instead and
# the reason is given next to it (see expect()).  Then each capture's event listing is diffed
# against tests/capture/expected/<name>.events (UPDATE=1 rewrites them), a gzipped copy must
# give the same counters, and ./jtlscope timeline (when built) is run on one capture per format.
#
# Prints "ok - ..." / "not ok - ..." per check and ends with "N passed, N failed".
set -u

DATA=${CAPTURE_DATA:-../shared/data/pcap}
CAPDUMP=${CAPDUMP:-build/tools/capdump}
EXPECTED=tests/capture/expected
UPDATE=${UPDATE:-0}
. "$(dirname "$0")/../lib.sh"
tmp=$T
not_ok() { bad "$@"; }
check() {  # description got want
	if [ "$2" = "$3" ]; then ok "$1: $2"; else not_ok "$1: got '$2', want '$3'"; fi
}

if [ ! -x "$CAPDUMP" ]; then
	echo "not ok - $CAPDUMP not built (run: make tools)"
	echo "0 passed, 1 failed"
	exit 1
fi
if [ ! -d "$DATA" ]; then
	echo "not ok - capture folder $DATA not found"
	echo "0 passed, 1 failed"
	exit 1
fi

# Value of a counter in a capdump output file (0 when absent).
val() { awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' "$2"; }
# "code N" lines plus "interim N" as 100, normalised to "200x3 404x1" sorted by code.
our_codes() {
	awk '$1 == "code" { c[$2] += $3 } $1 == "interim" && $2 > 0 { c[100] += $2 }
	     END { for (k in c) print k "x" c[k] }' "$1" | sort -n | tr '\n' ' ' | sed 's/ $//'
}
# Normalise "405x8 400x30 200x5" (any order, any spacing) to sorted form.
norm_codes() { printf '%s\n' $1 | grep x | sort -n | tr '\n' ' ' | sed 's/ $//'; }
# A field of the saved profile line: prof FIELD FILE
prof() { sed -n 's/.*| tcpstreams=/tcpstreams=/p' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
saved_codes() { sed -n 's/.*codes=\[\([^]]*\)\].*/\1/p' "$1"; }

# expect SOURCE NAME: start from tshark's numbers (t_conn t_req t_codes t_ws t_ch) and correct
# the cases where tshark is known to be wrong, setting w_conn w_req w_codes w_ws w_ch.
expect() {
	w_conn=$t_conn w_req=$t_req w_codes=$t_codes w_ws=$t_ws w_ch=$t_ch
	case "$2" in
	suricata-verify__firewall-88-default-accept-tx-pipeline__input)
		# True pipelining: frame 4 carries "GET /bar/" and "GET /foo/".  The saved profile
		# counts request *frames* (1); tshark -2 even pairs both requests with frame 6.
		# jtlscope reports two requests, paired in order with the two 200s.
		[ "$1" = saved ] && w_req=2 ;;
	arkime__wireshark-retrans)
		# Two of the four 200 responses were retransmitted whole (fast retransmissions,
		# frames 42 and 86): tshark dissects each copy as a response (200x6); TCP
		# reassembly drops the duplicates, so four requests get four responses.
		w_codes="200x4" ;;
	zeek__http__206_example_b)
		# tshark's reassembly reports 52 "New fragment overlaps old data" on the first
		# connection and never dissects its first 206 (frame 5: Content-Range 0-816895,
		# Content-Length 816896, complete once the retransmissions are in).  jtlscope
		# reassembles it whole, so the first connection has 2 exchanges (206, 206) and
		# the second 1: 206x3.  Checked below: the first body is 816896 bytes, complete.
		w_codes="206x3" ;;
	zeek__http__methods)
		# tshark recognises only 27 of the 49 requests as HTTP: the others use odd or
		# non-ASCII methods, or no space/version ("OPTIONSHTTP/1.1").  Every connection
		# got an HTTP answer (49 responses, the codes match), so each is one request.
		w_req=49 ;;
	zeek__websocket__two-binary-fragments)
		# The saved count is packets with a WebSocket layer (6); frame 13 carries two
		# frames (a binary fragment and its continuation).  Live tshark's
		# websocket.opcode list gives 7 frames, as jtlscope does.
		[ "$1" = saved ] && w_ws=7 ;;
	esac
}

compare() {  # SOURCE NAME OURFILE
	expect "$1" "$2"
	check "$2: TCP connections vs $1 tshark" "$(val connections "$3")" "$w_conn"
	check "$2: HTTP requests vs $1 tshark" "$(val requests "$3")" "$w_req"
	check "$2: HTTP responses by code vs $1 tshark" "$(our_codes "$3")" "$w_codes"
	if [ "${w_ws:-0}" != 0 ]; then
		check "$2: WebSocket frames vs $1 tshark" "$(val ws_frames "$3")" "$w_ws"
	fi
	if [ "${w_ch:-0}" != 0 ]; then
		check "$2: TLS connections vs $1 tshark ClientHellos" "$(val tls_connections "$3")" "$w_ch"
	fi
}

have_tshark=0
command -v tshark >/dev/null 2>&1 && have_tshark=1
[ $have_tshark = 1 ] || echo "# tshark not installed: comparing with the saved output only"

for f in "$DATA"/*.pcap "$DATA"/*.pcapng; do
	[ -f "$f" ] || continue
	b=$(basename "$f")
	name=${b%.*}
	out="$tmp/$name.txt"
	if ! "$CAPDUMP" "$f" >"$out" 2>"$tmp/$name.err"; then
		not_ok "$name: capdump failed: $(head -n 1 "$tmp/$name.err")"
		continue
	fi
	v="$DATA/verify/$name.txt"
	if [ -f "$v" ]; then
		t_conn=$(grep -c '<->' "$v")
		t_req=$(prof req "$v")
		t_codes=$(norm_codes "$(saved_codes "$v")")
		t_ws=$(prof ws "$v")
		t_ch=$(prof CH "$v")
		compare saved "$name" "$out"
	else
		not_ok "$name: no saved tshark output $v"
	fi
	if [ $have_tshark = 1 ]; then
		t_conn=$(tshark -r "$f" -q -z conv,tcp 2>/dev/null | grep -c '<->')
		t_req=$(tshark -r "$f" -Y http.request -T fields -e http.request.method 2>/dev/null |
			tr ',' '\n' | grep -c .)
		t_codes=$(norm_codes "$(tshark -r "$f" -Y http.response -T fields \
			-e http.response.code 2>/dev/null | tr ',' '\n' | grep . | sort -n | uniq -c |
			awk '{ printf "%sx%s ", $2, $1 }')")
		t_ws=$(tshark -r "$f" -Y websocket -T fields -e websocket.opcode 2>/dev/null |
			tr ',' '\n' | grep -c .)
		t_ch=$(tshark -r "$f" -Y 'tls.handshake.type == 1' -T fields -e frame.number \
			2>/dev/null | grep -c .)
		compare live "$name" "$out"
	fi

	# Facts PROVENANCE.md states about single captures.
	case "$name" in
	zeek__http__1000-requests-one-dropped-response)
		check "$name: the request whose response was not captured is incomplete" \
			"$(val incomplete "$out")" 1 ;;
	zeek__http__zero-length-bodies-with-drops)
		# 7 requests and 8 responses: one request was lost in the capture (the server
		# ACKs bytes never seen); its response is reported without a request.
		check "$name: responses without a captured request" "$(val incomplete "$out")" 1
		check "$name: holes (3 lost segments)" "$(val holes "$out")" 3 ;;
	zeek__communityid__tcp)
		check "$name: snaplen 96 cuts 3 frames" "$(val truncated_packets "$out")" 3
		check "$name: the cut exchange is reported incomplete" "$(val incomplete "$out")" 1 ;;
	arkime__wireshark-retrans)
		r=$(val retransmissions "$out")
		if [ "$r" -gt 0 ]; then ok "$name: retransmissions counted ($r)"; else
			not_ok "$name: no retransmissions counted"; fi ;;
	zeek__http__206_example_b)
		check "$name: zero windows" "$(val zero_windows "$out")" 57
		first=$("$CAPDUMP" -e "$f" | awk '$2 == "http" && /#1 / { print; exit }')
		case "$first" in
		*status=206*body=816896*) ok "$name: first 206 body complete (816896 bytes)" ;;
		*) not_ok "$name: first 206 not complete: $first" ;;
		esac ;;
	zeek__http-vlan-0 | zeek__http-qinq-0)
		check "$name: VLAN-tagged packets decoded" "$(val vlan_packets "$out")" 14 ;;
	esac

	# Golden event listing (the 1000-request trace is covered by its counters).
	case "$name" in
	zeek__http__1000-requests-one-dropped-response) ;;
	*)
		"$CAPDUMP" -t "$f" >"$tmp/$name.events" 2>&1
		golden "$name: events" "$tmp/$name.events" "$EXPECTED/$name.events" ;;
	esac
done

# Synthetic fixtures (tests/data/capture, made by gen_fixtures.c there): the throttle
# cases no public capture has.  Counters are asserted, tshark agrees where installed, and the
# event listings are golden files like the public ones.
FIX=tests/data/capture
for name in throttle-http throttle-ws hostile; do
	f="$FIX/$name.pcap"
	if [ ! -f "$f" ]; then
		not_ok "fixture $f missing"
		continue
	fi
	out="$tmp/fixture-$name.txt"
	"$CAPDUMP" "$f" >"$out" 2>&1
	"$CAPDUMP" -t "$f" >"$tmp/fixture-$name.events" 2>&1
	case "$name" in
	throttle-http)
		check "fixture $name: connections" "$(val connections "$out")" 4
		check "fixture $name: responses by code" "$(our_codes "$out")" "200x30 429x30 503x1"
		n=$(grep -c 'status=429.*retry-after=60$' "$tmp/fixture-$name.events")
		check "fixture $name: 429s carrying Retry-After: 60" "$n" 30
		if [ $have_tshark = 1 ]; then
			t=$(norm_codes "$(tshark -r "$f" -Y http.response -T fields 				-e http.response.code 2>/dev/null | sort -n | uniq -c |
				awk '{ printf "%sx%s ", $2, $1 }')")
			check "fixture $name: codes vs live tshark" "$(our_codes "$out")" "$t"
		fi ;;
	throttle-ws)
		check "fixture $name: WebSocket frames" "$(val ws_frames "$out")" 22
		n=$(grep -c 's>c op=1 .*"code":429' "$tmp/fixture-$name.events")
		check "fixture $name: server text frames signalling 429" "$n" 5
		if [ $have_tshark = 1 ]; then
			# the upgrade is on port 443, so tshark has to be told it is HTTP
			t=$(tshark -r "$f" -d tcp.port==443,http -Y websocket -T fields 				-e websocket.opcode 2>/dev/null | tr ',' '\n' | grep -c .)
			check "fixture $name: frames vs live tshark" "$(val ws_frames "$out")" "$t"
		fi ;;
	hostile)
		check "fixture $name: one 429 exchange" "$(our_codes "$out")" "429x1"
		if tr -d '\n' <"$tmp/fixture-$name.events" | LC_ALL=C grep -q "$(printf '[\001-\037]')"; then
			not_ok "fixture $name: control bytes reached capdump's output"
		else
			ok "fixture $name: control bytes escaped in capdump's output"
		fi ;;
	esac
	golden "fixture $name: events" "$tmp/fixture-$name.events" "$EXPECTED/fixture-$name.events"
done

# gzip is detected by content: a gzipped capture gives the same counters.
g="$DATA/zeek__http__100-continue.pcap"
if [ -f "$g" ] && command -v gzip >/dev/null 2>&1; then
	gzip -c "$g" >"$tmp/100-continue.pcap.gz"
	"$CAPDUMP" "$g" >"$tmp/plain.txt" 2>&1
	"$CAPDUMP" "$tmp/100-continue.pcap.gz" >"$tmp/gz.txt" 2>&1
	if cmp -s "$tmp/plain.txt" "$tmp/gz.txt"; then ok "gzipped capture gives the same counters"
	else not_ok "gzipped capture differs"; fi
fi

# Bad inputs: one line naming the file, exit status 3.
printf 'not a capture' >"$tmp/garbage.pcap"
head -c 10 "$DATA/zeek__http__get.pcap" >"$tmp/short.pcap"
for bad in garbage short; do
	"$CAPDUMP" "$tmp/$bad.pcap" >/dev/null 2>"$tmp/$bad.err"
	rc=$?
	msg=$(cat "$tmp/$bad.err")
	case "$rc:$msg" in
	3:*"'$tmp/$bad.pcap'"*) ok "$bad capture rejected: $msg" ;;
	*) not_ok "$bad capture: exit $rc, message '$msg'" ;;
	esac
done

# The timeline command, when ./jtlscope has it.
if [ -x ./jtlscope ] && ./jtlscope timeline --help >/dev/null 2>&1; then
	w="$DATA/zeek__http__websocket.pcap"
	./jtlscope timeline "$w" >"$tmp/tl.txt" 2>&1
	check "timeline text exit status" $? 0
	if grep -q 'ws frame' "$tmp/tl.txt"; then ok "timeline text lists WebSocket frames"
	else not_ok "timeline text has no WebSocket frames"; fi
	./jtlscope timeline --format json "$w" >"$tmp/tl.json" 2>&1
	check "timeline json exit status" $? 0
	if command -v python3 >/dev/null 2>&1; then
		if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["connections"]) == 1' \
			"$tmp/tl.json" 2>/dev/null; then ok "timeline json parses, 1 connection"
		else not_ok "timeline json does not parse"; fi
	fi
	./jtlscope timeline --format csv --connection c1 "$w" >"$tmp/tl.csv" 2>&1
	check "timeline csv header" "$(head -n 1 "$tmp/tl.csv")" \
		"connection_id,connection,t_ms,utc,event,dir,detail"
	./jtlscope timeline --format yaml "$w" >/dev/null 2>&1
	check "timeline bad --format exit status" $? 2
	./jtlscope timeline "$tmp/garbage.pcap" >/dev/null 2>&1
	check "timeline bad capture exit status" $? 3
	for fmt in text csv; do
		./jtlscope timeline --format $fmt "$FIX/hostile.pcap" >"$tmp/hostile.$fmt" 2>&1
		if tr -d '\n' <"$tmp/hostile.$fmt" | LC_ALL=C grep -q "$(printf '[\001-\037]')"; then
			not_ok "timeline $fmt: control bytes from the capture reached the output"
		else
			ok "timeline $fmt: control bytes from the capture escaped"
		fi
	done
	if LC_ALL=C grep -q ',[=+@-]' "$tmp/hostile.csv" || LC_ALL=C grep -q ',"[=+@-]' "$tmp/hostile.csv"; then
		not_ok "timeline csv: a cell starts with a formula character"
	else
		ok "timeline csv: no cell starts with = + - @"
	fi
	# --tls-keylog: decrypted HTTP in the timeline and the report; a missing key log is an
	# input error; a key log with bad lines is counted, not fatal
	./jtlscope timeline --tls-keylog tests/data/tls/keylog.keys --connection c1 \
		tests/data/tls/keylog.pcap.gz >"$tmp/tl-k.txt" 2>"$tmp/tl-k.err"
	check "timeline --tls-keylog: decrypted requests shown" \
		"$(grep -c 'request sent .*GET /v2/' "$tmp/tl-k.txt")" 15
	./jtlscope timeline --tls-keylog /nonexistent.keys tests/data/tls/keylog.pcap.gz >/dev/null 2>&1
	check "timeline --tls-keylog missing file exit status" $? 3
	./jtlscope report -q --tls-keylog /nonexistent.keys tests/data/tls/keylog.pcap.gz >/dev/null 2>&1
	check "report --tls-keylog missing file exit status" $? 3
	{ echo "CLIENT_RANDOM zz 00"; cat tests/data/tls/keylog.keys; } >"$tmp/bad.keys"
	./jtlscope report --format json --tls-keylog "$tmp/bad.keys" tests/data/tls/keylog.pcap.gz \
		>"$tmp/rk.json" 2>"$tmp/rk.err"
	check "report --tls-keylog with a bad line: exit status" $? 0
	check "report --tls-keylog: bad line counted on stderr" "$(grep -c '1 bad (skipped)' "$tmp/rk.err")" 1
	check "report --tls-keylog: decrypted codes in the JSON" \
		"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["capture"]; print(d["codes"].get("200"), d["codes"].get("429"), d["tls_decrypted"])' "$tmp/rk.json")" \
		"85 35 8"
else
	echo "# ./jtlscope timeline not available: timeline checks skipped"
fi

# Real TLS captures (tests/data/tls, made by tests/capture/tls/make_fixtures.sh; see its
# README).  JMeter over HTTPS without keys: one encrypted exchange per JTL sample, and the
# type-23 record count tshark saw.  Python with a key log: decrypted requests and codes equal
# tshark's with the same key log (saved in keylog.tshark.txt, and live when tshark is here).
TLSD=tests/data/tls
tls_saved() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$2"; }
if [ -f "$TLSD/jmeter-https.pcap.gz" ] && [ -f "$TLSD/keylog.pcap.gz" ]; then
	"$CAPDUMP" "$TLSD/jmeter-https.pcap.gz" >"$tmp/tls-j.txt" 2>&1
	saved="$TLSD/jmeter-https.tshark.txt"
	check "tls jmeter-https: encrypted exchanges = JTL samples" "$(val tls_exchanges "$tmp/tls-j.txt")" \
		"$(tls_saved jtl_samples "$saved")"
	check "tls jmeter-https: TCP connections vs tshark" "$(val connections "$tmp/tls-j.txt")" \
		"$(tls_saved tcp_streams "$saved")"
	# tshark's type-23 records include the TLS 1.3 encrypted handshake (4 server, 1 client
	# per connection); jtlscope's tls_appdata counts records after the handshake
	nconn=$(val connections "$tmp/tls-j.txt")
	check "tls jmeter-https: application records vs tshark (handshake records removed)" \
		"$(val tls_appdata "$tmp/tls-j.txt")" \
		"$(( $(tls_saved records23_dst "$saved") + $(tls_saved records23_src "$saved") - 5 * nconn ))"
	"$CAPDUMP" -k "$TLSD/keylog.keys" "$TLSD/keylog.pcap.gz" >"$tmp/tls-k.txt" 2>&1
	saved="$TLSD/keylog.tshark.txt"
	check "tls keylog: decrypted requests vs tshark" "$(val requests "$tmp/tls-k.txt")" \
		"$(tls_saved requests "$saved")"
	check "tls keylog: codes vs tshark" "$(our_codes "$tmp/tls-k.txt")" \
		"$(norm_codes "$(tls_saved codes "$saved")")"
	check "tls keylog: connections decrypted" "$(val tls_decrypted "$tmp/tls-k.txt")" \
		"$(val connections "$tmp/tls-k.txt")"
	check "tls keylog: records failing authentication" "$(val tls_decrypt_failed "$tmp/tls-k.txt")" 0
	if command -v tshark >/dev/null 2>&1; then
		gzip -dc "$TLSD/keylog.pcap.gz" >"$tmp/keylog.pcap"
		t=$(norm_codes "$(tshark -r "$tmp/keylog.pcap" -o "tls.keylog_file:$TLSD/keylog.keys" \
			-Y http.response -T fields -e http.response.code 2>/dev/null | sort -n | uniq -c |
			awk '{ print $2 "x" $1 }')")
		check "tls keylog: codes vs live tshark" "$(our_codes "$tmp/tls-k.txt")" "$t"
	fi
	"$CAPDUMP" "$TLSD/keylog.pcap.gz" >"$tmp/tls-k0.txt" 2>&1
	check "tls keylog without the key log: encrypted exchanges = requests" \
		"$(val tls_exchanges "$tmp/tls-k0.txt")" "$(tls_saved requests "$saved")"
	# WSS with permessage-deflate: frames and in-band 429s vs tshark, exchanges vs the server
	"$CAPDUMP" -e -k "$TLSD/wss.keys" "$TLSD/wss.pcap.gz" >"$tmp/tls-w.events" 2>&1
	"$CAPDUMP" -k "$TLSD/wss.keys" "$TLSD/wss.pcap.gz" >"$tmp/tls-w.txt" 2>&1
	saved="$TLSD/wss.tshark.txt"
	ops=$(tls_saved ws_opcodes "$saved")
	tw=0; for o in $ops; do tw=$((tw + ${o#*x})); done
	check "tls wss: WebSocket frames (decrypted) vs tshark" "$(val ws_frames "$tmp/tls-w.txt")" "$tw"
	check "tls wss: messages inflated" "$(val ws_inflated "$tmp/tls-w.txt")" "$(echo "$ops" | tr ' ' '\n' | sed -n 's/^1x//p')"
	check "tls wss: in-band 429 exchanges vs tshark's 429 texts" \
		"$(grep -c 'ws-exchange.* status=429 .*retry-after=1' "$tmp/tls-w.events")" "$(tls_saved ws_text_429 "$saved")"
	truth=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["admitted"] + d["rejected"], d["pushes"])' "$TLSD/wss.truth.json")
	check "tls wss: exchanges = client messages the server decided on" "$(val ws_exchanges "$tmp/tls-w.txt")" "${truth% *}"
	check "tls wss: pushes = the server's agent messages" "$(val ws_pushes "$tmp/tls-w.txt")" "${truth#* }"
else
	not_ok "TLS captures missing in $TLSD"
fi

# Ring-buffer files concatenated out of time order (mergecap -a in name order).  A generated
# run (build/tools/genpcap: 40 keep-alive connections) is copied 8 times, each copy shifted
# 1 h further, and the copies concatenated newest first: every copy must count as itself (its
# connections and exchanges once, same 4-tuples), one time segment per copy, no idle-eviction
# storm, and memory that of one copy, not of eight.  Then the run cut into 4 ring files by
# time and concatenated as 3 4 1 2: 2 segments, connections cut only at the two seams.
GENPCAP=${GENPCAP:-build/tools/genpcap}
if [ -x "$GENPCAP" ] && command -v mergecap >/dev/null 2>&1 && command -v editcap >/dev/null 2>&1; then
	"$GENPCAP" --profile keepalive 1 40 >"$tmp/run.pcap" 2>"$tmp/run.counts"
	gc=$(val connections "$tmp/run.counts")
	ge=$(val exchanges "$tmp/run.counts")
	files=""
	for k in 7 6 5 4 3 2 1 0; do
		editcap -t $((k * 3600)) "$tmp/run.pcap" "$tmp/copy$k.pcap" >/dev/null 2>&1
		files="$files $tmp/copy$k.pcap"
	done
	# shellcheck disable=SC2086
	mergecap -a -F pcap -w "$tmp/copies.pcap" $files 2>/dev/null
	"$CAPDUMP" "$tmp/run.pcap" >"$tmp/run.txt" 2>&1
	"$CAPDUMP" "$tmp/copies.pcap" >"$tmp/copies.txt" 2>&1
	check "mergecap -a of 8 shifted copies: one run gives the generator's connections" \
		"$(val connections "$tmp/run.txt")" "$gc"
	check "mergecap -a of 8 shifted copies: connections" "$(val connections "$tmp/copies.txt")" $((8 * gc))
	check "mergecap -a of 8 shifted copies: exchanges" "$(val exchanges "$tmp/copies.txt")" $((8 * ge))
	check "mergecap -a of 8 shifted copies: segments" "$(val segments "$tmp/copies.txt")" 8
	check "mergecap -a of 8 shifted copies: idle evictions" "$(val idle_evictions "$tmp/copies.txt")" 0
	check "mergecap -a of 8 shifted copies: incomplete exchanges" "$(val incomplete "$tmp/copies.txt")" 0
	if [ -x /usr/bin/time ]; then
		r1=$(/usr/bin/time -f %M "$CAPDUMP" "$tmp/run.pcap" 2>&1 >/dev/null | tail -n 1)
		r8=$(/usr/bin/time -f %M "$CAPDUMP" "$tmp/copies.pcap" 2>&1 >/dev/null | tail -n 1)
		if [ "$r8" -le $((r1 + 4096)) ]; then
			ok "mergecap -a of 8 shifted copies: peak RSS $r8 KB, one copy $r1 KB"
		else
			not_ok "mergecap -a of 8 shifted copies: peak RSS $r8 KB, one copy $r1 KB (memory grows with copies)"
		fi
	fi
	first=$(sed -n 's/^first_us //p' "$tmp/run.counts")
	last=$(sed -n 's/^last_us //p' "$tmp/run.counts")
	q=$(( (last - first) / 4000000 + 1 ))   # seconds per ring file
	editcap -i "$q" "$tmp/run.pcap" "$tmp/ring.pcap" >/dev/null 2>&1
	set -- $(ls "$tmp"/ring_*.pcap 2>/dev/null | sort)
	if [ $# -ge 4 ]; then
		mergecap -a -F pcap -w "$tmp/rotated.pcap" "$3" "$4" "$1" "$2" 2>/dev/null
		"$CAPDUMP" "$tmp/rotated.pcap" >"$tmp/rotated.txt" 2>&1
		check "mergecap -a of ring files 3 4 1 2: segments" "$(val segments "$tmp/rotated.txt")" 2
		rc=$(val connections "$tmp/rotated.txt")
		if [ "$rc" -ge "$gc" ] && [ "$rc" -le $((gc + 2 * 40)) ]; then
			ok "mergecap -a of ring files 3 4 1 2: $rc connections ($gc, plus at most those open at the 2 seams)"
		else
			not_ok "mergecap -a of ring files 3 4 1 2: $rc connections, want $gc..$((gc + 80))"
		fi
	else
		not_ok "editcap -i did not cut the run into 4 ring files ($# files)"
	fi
else
	not_ok "mergecap/editcap or $GENPCAP missing: ring-buffer concatenation not tested"
fi

finish
