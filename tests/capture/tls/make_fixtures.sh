#!/bin/bash
# make_fixtures.sh - the real TLS captures in tests/data/tls/ (run as root, from the repository
# root; takes about a minute).  Everything runs on 127.0.0.1 port 18500 and stops by itself.
#
#   1. a self-signed certificate (openssl req), nginx (nginx.conf.in: TLS 1.2 + 1.3, one shared
#      limit_req bucket of 20 r/s, burst 10, 429 + Retry-After: 1);
#   2. jmeter-https: Debian's JMeter 2.13 (plan.jmx: 10 threads, 5 r/s each for <= 25 s, HTTPS,
#      keep-alive, HttpClient4) with tcpdump -i lo -s 0: jmeter-https.pcap.gz + the JTL
#      (jmeter-https.csv.gz, jmeter-https.xml.gz).  JMeter writes no key log.
#   3. keylog: client.py (Python ssl, keylog_filename) over TLS 1.3 and TLS 1.2 ECDHE AES-128-GCM,
#      AES-256-GCM and ChaCha20-Poly1305: keylog.pcap.gz + keylog.keys (NSS key log) +
#      keylog.client.json (what the client saw);
#   4. tshark's counts of both (with the key log for the second): *.tshark.txt;
#   5. wss: wss_pair.py (python3-websockets 10.4 from Debian, server and clients over TLS with
#      permessage-deflate, Genesys Web Messaging-shaped answers, a shared 20/s burst 10 bucket,
#      in-band 429 + retryAfter) on port 18501: wss.pcap.gz, wss.keys, wss.truth.json (the
#      server's decisions), wss.tshark.txt.
#   6. wss6: the same pair as issue 10's case 6 (50 connections, one message every 2 s for 20 s,
#      shared bucket 20/s burst 10) on port 18502: wss-case6.pcap.gz, .keys, .truth.json.
# Parts: make_fixtures.sh [jmeter] [keylog] [wss] [wss6] (default: all four).
set -euo pipefail
PARTS=" ${*:-jmeter keylog wss wss6} "
want() { case "$PARTS" in *" $1 "*) return 0 ;; esac; return 1; }
ROOT=$(pwd)
HERE=$ROOT/tests/capture/tls
DEST=${DEST:-$ROOT/tests/data/tls}
JMETER_HOME=${JMETER_HOME:-/usr/share/jmeter}
PORT=18500
WORK=$(mktemp -d /tmp/jtlscope-tls.XXXXXX)
PIDS=()
log() { printf '[tls %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
stop_all() { local i; for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}"; done; PIDS=(); }
cleanup() { stop_all; if [ "${KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
start_bg() { local logf=$1; shift; "$@" > "$logf" 2>&1 & PIDS+=($!); }
wait_port() {
	local i
	for i in $(seq 1 100); do ss -Hltn "( sport = :$1 )" | grep -q "127.0.0.1:$1" && return 0; sleep 0.1; done
	echo "nothing listens on $1" >&2; exit 1
}
start_tcpdump() {
	local i
	start_bg "$1.log" tcpdump -i lo -n -s 0 -U -Z root -w "$1" "tcp port $PORT"
	for i in $(seq 1 50); do grep -q 'listening on' "$1.log" 2>/dev/null && return 0; sleep 0.1; done
	echo "tcpdump did not start" >&2; exit 1
}
stop_tcpdump() { sleep 1; stop_pid "${PIDS[${#PIDS[@]}-1]}"; unset 'PIDS[${#PIDS[@]}-1]'; }

mkdir -p "$WORK/www/v2" "$WORK/nginx/logs" "$WORK/nginx/tmp" "$WORK/launcher" "$DEST"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=api.tls.jtlscope.test" \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2> /dev/null
python3 - "$WORK/www/v2" <<'PY'
import json, sys
d = sys.argv[1]
json.dump({"results": [{"id": i, "name": "item %d" % i, "score": i * 7 % 13} for i in range(20)]},
          open(d + "/search", "w"))
json.dump({"items": [{"id": i, "sku": "SKU-%05d" % i} for i in range(80)]}, open(d + "/items", "w"))
PY
sed "s|@DIR@|$WORK|g" "$HERE/nginx.conf.in" > "$WORK/nginx/nginx.conf"
chmod -R 755 "$WORK"
nginx -t -q -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log"
start_bg "$WORK/nginx/stderr.log" nginx -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log"
wait_port $PORT

if want jmeter; then
	javac -d "$WORK/launcher" -cp "$JMETER_HOME/bin/ApacheJMeter.jar" "$ROOT/sample-data/tools/JtlscopeJMeterLauncher.java"
	start_tcpdump "$WORK/jmeter.pcap"
	log "JMeter over HTTPS (<= 25 s)"
	( cd "$WORK" && timeout -k 10 120 java -Xms256m -Xmx512m -Djmeter.home="$JMETER_HOME" \
		-Djava.awt.headless=true -cp "$JMETER_HOME/bin/ApacheJMeter.jar:$WORK/launcher" \
		JtlscopeJMeterLauncher -n -t "$HERE/plan.jmx" -j "$WORK/jmeter.log" \
		-Jjtlscope.csv="$WORK/results.csv" -Jjtlscope.xml="$WORK/results.xml" \
		-Jjmeterengine.nongui.port=0 -Jsummariser.interval=10 > "$WORK/jmeter.out" 2>&1 )
	stop_tcpdump
	[ -s "$WORK/results.csv" ] || { tail "$WORK/jmeter.out" >&2; exit 1; }
	gzip -9 -n -c "$WORK/jmeter.pcap" > "$DEST/jmeter-https.pcap.gz"
	gzip -9 -n -c "$WORK/results.csv" > "$DEST/jmeter-https.csv.gz"
	gzip -9 -n -c "$WORK/results.xml" > "$DEST/jmeter-https.xml.gz"
	{
		echo "# tshark $(tshark -v 2>/dev/null | head -1 | awk '{print $3}'): records of type 23 (opaque_type for 1.3, handshake included) by server port direction, TCP streams; JTL codes"
		echo "tcp_streams $(tshark -r "$WORK/jmeter.pcap" -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l)"
		for d in dst src; do
			echo "records23_$d $(tshark -r "$WORK/jmeter.pcap" -d tcp.port==$PORT,tls -Y "tcp.${d}port == $PORT" -T fields -E occurrence=a -e tls.record.opaque_type -e tls.record.content_type 2>/dev/null | tr ',\t' '\n\n' | grep -c '^23$')"
		done
		python3 -c 'import csv, collections, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
c = collections.Counter(r["responseCode"] for r in rows)
print("jtl_samples", len(rows))
print("jtl_codes", " ".join("%sx%d" % kv for kv in sorted(c.items())))' "$WORK/results.csv"
		echo "server_log $(awk '{print $8}' "$WORK/nginx/logs/access.log" | sort | uniq -c | awk '{printf "%sx%s ", $2, $1}')"
	} > "$DEST/jmeter-https.tshark.txt"
	sleep 3   # let the limiter's bucket refill between the runs
fi

if want keylog; then
JLINES=$(wc -l < "$WORK/nginx/logs/access.log")
start_tcpdump "$WORK/keylog.pcap"
log "Python client with a key log"
timeout 60 python3 "$HERE/client.py" $PORT "$WORK/keylog.keys" "$DEST/keylog.client.json"
stop_tcpdump
gzip -9 -n -c "$WORK/keylog.pcap" > "$DEST/keylog.pcap.gz"
cp "$WORK/keylog.keys" "$DEST/keylog.keys"
{
	echo "# tshark $(tshark -v 2>/dev/null | head -1 | awk '{print $3}') -o tls.keylog_file:keylog.keys: HTTP requests, responses by code, TCP streams"
	echo "tcp_streams $(tshark -r "$WORK/keylog.pcap" -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l)"
	echo "requests $(tshark -r "$WORK/keylog.pcap" -o "tls.keylog_file:$WORK/keylog.keys" -Y http.request -T fields -e http.request.method 2>/dev/null | tr ',' '\n' | grep -c .)"
	echo "codes $(tshark -r "$WORK/keylog.pcap" -o "tls.keylog_file:$WORK/keylog.keys" -Y http.response -T fields -e http.response.code 2>/dev/null | tr ',' '\n' | sort | uniq -c | awk '{printf "%sx%s ", $2, $1}')"
} > "$DEST/keylog.tshark.txt"
echo "server_log $(tail -n +$((JLINES + 1)) "$WORK/nginx/logs/access.log" | awk '{print $8}' | sort | uniq -c | awk '{printf "%sx%s ", $2, $1}')" >> "$DEST/keylog.tshark.txt"
cp "$WORK/nginx/logs/access.log" "$WORK/access.log"
gzip -9 -n -c "$WORK/access.log" > "$DEST/server-access.log.gz"
fi

if want wss; then
	/usr/bin/python3 -c 'import websockets' 2>/dev/null || { echo "wss needs python3-websockets (apt-get install python3-websockets)" >&2; exit 1; }
	PORT=18501
	start_tcpdump "$WORK/wss.pcap"
	log "WSS with permessage-deflate (8 s)"
	timeout 60 /usr/bin/python3 "$HERE/wss_pair.py" $PORT "$WORK/cert.pem" "$WORK/key.pem" \
		"$WORK/wss.keys" "$DEST/wss.truth.json"
	stop_tcpdump
	gzip -9 -n -c "$WORK/wss.pcap" > "$DEST/wss.pcap.gz"
	cp "$WORK/wss.keys" "$DEST/wss.keys"
	tk() { tshark -r "$WORK/wss.pcap" -o "tls.keylog_file:$WORK/wss.keys" -d tcp.port==$PORT,tls "$@" 2>/dev/null; }
	{
		echo "# tshark $(tshark -v 2>/dev/null | head -1 | awk '{print $3}') -o tls.keylog_file:wss.keys -d tcp.port==$PORT,tls: WebSocket frames by opcode, text messages with an in-band 429, TCP streams"
		echo "tcp_streams $(tk -T fields -e tcp.stream | sort -u | wc -l)"
		echo "ws_opcodes $(tk -Y websocket -T fields -e websocket.opcode | tr ',' '\n' | sort -n | uniq -c | awk '{printf "%sx%s ", $2, $1}')"
		echo "ws_text_429 $(tk -Y websocket.payload.text -T fields -e websocket.payload.text | grep -c '"code": 429')"
		echo "ws_client_text $(tk -Y 'websocket.payload.text && tcp.dstport == '$PORT -T fields -e websocket.payload.text | grep -c 'onMessage')"
	} > "$DEST/wss.tshark.txt"
fi

if want wss6; then
	PORT=18502
	start_tcpdump "$WORK/wss6.pcap"
	log "WSS, issue 10 case 6 (20 s)"
	WSS_CLIENTS=50 WSS_PERIOD=2 WSS_DURATION=20 timeout 90 /usr/bin/python3 "$HERE/wss_pair.py" $PORT \
		"$WORK/cert.pem" "$WORK/key.pem" "$WORK/wss6.keys" "$DEST/wss-case6.truth.json"
	stop_tcpdump
	gzip -9 -n -c "$WORK/wss6.pcap" > "$DEST/wss-case6.pcap.gz"
	cp "$WORK/wss6.keys" "$DEST/wss-case6.keys"
fi
log "done: $(cd "$DEST" && du -bc ./* | tail -1 | cut -f1) bytes in ${DEST#"$ROOT"/}"
