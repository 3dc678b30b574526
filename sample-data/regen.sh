#!/usr/bin/env bash
# regen.sh - regenerate jtlscope's bundled samples and known-answer fixtures with REAL
# Apache JMeter 2.13 (Debian 12 package) against local rate limiters on loopback.
#
# usage:  sudo sample-data/regen.sh [all|demo|known|RUN...]
#         RUN is one of: demo shared-token-bucket per-connection fixed-window-503 no-throttle
#         (default: all).  Needs root (tcpdump on lo, /etc/hosts entries for the demo).
#
#         sample-data/regen.sh --expected [all|demo|known|RUN...]
#         sample-data/regen.sh --check    [all|demo|known|RUN...]
#         No JMeter, no root, no servers: recompute EXPECTED.md from the COMMITTED data files
#         with tools/expected.py (--expected rewrites them, --check only compares and exits 1
#         on any difference).  Needs python3 and gzip only.
#
# Packages (Debian 12): jmeter jmeter-http openjdk-17-jdk-headless nginx-light|nginx tcpdump
# python3 gzip iproute2.  Set JTLSCOPE_INSTALL=1 to let the script apt-get them if missing.
#
# What it does, per run: starts its own servers on 127.0.0.0/8 only (nginx with its own
# prefix in a temp dir, never the system service; small python3 stdlib servers), captures the
# loopback traffic of that run with tcpdump, runs the committed .jmx plan with JMeter in
# non-GUI mode (every thread group is bounded by a loop count AND a scheduler duration; the
# JMeter process is also under `timeout`), checks that the outcome matches the design
# (tools/expected.py exits non-zero otherwise), and only then replaces the committed files
# (gzip -9 -n) and EXPECTED.md.  Everything it started is stopped and its temp dir removed on
# exit, including on error or Ctrl-C; the /etc/hosts lines it adds (marked "# jtlscope-regen")
# are removed again.  Runtime: demo ~1.5 min, known ~3 min, all ~4.5 min.
#
# Environment: JTLSCOPE_KEEP=1 keeps the temp dir (raw, un-gzipped outputs and logs).
#              JTLSCOPE_INSTALL=1 apt-get installs missing packages.
#              JMETER_HOME (default /usr/share/jmeter, Debian's layout).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
JMETER_HOME=${JMETER_HOME:-/usr/share/jmeter}
HOSTS_MARK="# jtlscope-regen"
HOSTS_LINES=$'127.0.0.1 api.ap-southeast-1.jtlscope.test '"$HOSTS_MARK"$'\n127.0.0.2 api.us-east-1.jtlscope.test '"$HOSTS_MARK"
PORTS="18080 18081 18082 18090 18091 18100"
JMETER_TIMEOUT=200   # seconds, hard cap per JMeter run (plans themselves end after <= 70 s)

log() { printf '[regen %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- cleanup machinery
WORK=""
PIDS=()          # every background process we started (stopped in reverse order)
HOSTS_ADDED=0

remove_hosts() {
	if [ -w /etc/hosts ] && grep -qF -- "$HOSTS_MARK" /etc/hosts; then
		local kept
		kept=$(grep -vF -- "$HOSTS_MARK" /etc/hosts || true)
		# rewrite in place (keeps the inode: works when /etc/hosts is a bind mount)
		printf '%s\n' "$kept" > /etc/hosts
	fi
}

stop_pid() {   # stop_pid PID [SIGNAL]: signal one process we started and wait for it
	local pid=$1 sig=${2:-TERM} i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -"$sig" "$pid" 2>/dev/null || true
	for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
	wait "$pid" 2>/dev/null || true
}

stop_all() {
	local i
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}"; done
	PIDS=()
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_all
	if [ "$HOSTS_ADDED" = 1 ]; then remove_hosts; fi
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ "${JTLSCOPE_KEEP:-0}" = 1 ]; then log "kept temp dir $WORK"; else rm -rf "$WORK"; fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- arguments
MODE=run
case "${1:-}" in
--expected) MODE=expected; shift ;;
--check) MODE=check; shift ;;
-h|--help) sed -n '2,38p' "$0"; exit 0 ;;
esac
RUNS=()
[ $# -gt 0 ] || set -- all
for a in "$@"; do
	case "$a" in
	all) RUNS+=(demo shared-token-bucket per-connection fixed-window-503 no-throttle) ;;
	demo) RUNS+=(demo) ;;
	known) RUNS+=(shared-token-bucket per-connection fixed-window-503 no-throttle) ;;
	shared-token-bucket|per-connection|fixed-window-503|no-throttle) RUNS+=("$a") ;;
	*) die "unknown run '$a' (all|demo|known|shared-token-bucket|per-connection|fixed-window-503|no-throttle)" ;;
	esac
done

run_dir() { if [ "$1" = demo ]; then echo "$HERE/demo"; else echo "$HERE/known/$1"; fi; }

if [ "$MODE" != run ]; then
	if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=$(command -v python3); fi
	WORK=$(mktemp -d /tmp/jtlscope-expected.XXXXXX)
	status=0
	for r in "${RUNS[@]}"; do
		d=$(run_dir "$r")
		mkdir -p "$WORK/$r"
		gzip -dc "$d/$r.csv.gz" > "$WORK/$r/results.csv"
		gzip -dc "$d/$r.xml.gz" > "$WORK/$r/results.xml"
		[ ! -f "$d/$r.pcap.gz" ] || gzip -dc "$d/$r.pcap.gz" > "$WORK/$r/capture.pcap"
		[ ! -f "$d/server-access.log.gz" ] || gzip -dc "$d/server-access.log.gz" > "$WORK/$r/server-access.log"
		[ ! -f "$d/jmeter-console.txt" ] || cp "$d/jmeter-console.txt" "$WORK/$r/jmeter.out"
		"$PY" "$HERE/tools/expected.py" "$r" "$WORK/$r" > "$WORK/$r/EXPECTED.md" || { status=1; continue; }
		if [ "$MODE" = expected ]; then
			cp "$WORK/$r/EXPECTED.md" "$d/EXPECTED.md"
			log "$r: EXPECTED.md rewritten from the committed data"
		elif diff -u "$d/EXPECTED.md" "$WORK/$r/EXPECTED.md" >&2; then
			log "$r: EXPECTED.md matches the committed data"
		else
			log "$r: EXPECTED.md differs from what the committed data give"
			status=1
		fi
	done
	exit "$status"
fi

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" = 0 ] || die "run as root (tcpdump on lo, /etc/hosts): sudo $0 $*"

need_pkgs=()
command -v java    >/dev/null || need_pkgs+=(openjdk-17-jdk-headless)
command -v javac   >/dev/null || need_pkgs+=(openjdk-17-jdk-headless)
[ -f "$JMETER_HOME/bin/ApacheJMeter.jar" ] || need_pkgs+=(jmeter)
[ -f "$JMETER_HOME/lib/ext/ApacheJMeter_http.jar" ] || need_pkgs+=(jmeter-http)
command -v nginx   >/dev/null || [ -x /usr/sbin/nginx ] || need_pkgs+=(nginx)
command -v tcpdump >/dev/null || [ -x /usr/bin/tcpdump ] || need_pkgs+=(tcpdump)
command -v python3 >/dev/null || need_pkgs+=(python3)
command -v ss      >/dev/null || need_pkgs+=(iproute2)
if [ ${#need_pkgs[@]} -gt 0 ]; then
	if [ "${JTLSCOPE_INSTALL:-0}" = 1 ]; then
		log "installing: ${need_pkgs[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_pkgs[@]}"
	else
		die "missing packages: ${need_pkgs[*]} (apt-get install them, or set JTLSCOPE_INSTALL=1)"
	fi
fi
export PATH="$PATH:/usr/sbin:/sbin"
# Debian's own interpreter when present (a pyenv/venv shim on PATH can add seconds per start)
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=$(command -v python3); fi

for p in $PORTS; do
	if ss -Hltn "( sport = :$p )" | grep -q .; then
		die "TCP port $p is already in use on this machine (a previous run still alive?)"
	fi
done

WORK=$(mktemp -d /tmp/jtlscope-regen.XXXXXX)
chmod 755 "$WORK"
log "work dir $WORK"

# ---------------------------------------------------------------- XStream workaround
# Debian's JMeter 2.13 + XStream 1.4.20 cannot load ANY .jmx (ForbiddenClassException);
# tools/JtlscopeJMeterLauncher.java grants XStream permissions to SaveService before
# JMeter's own main runs.  Compiled fresh on every run.
mkdir -p "$WORK/launcher"
javac -nowarn -d "$WORK/launcher" -cp "$JMETER_HOME/bin/ApacheJMeter.jar" \
	"$HERE/tools/JtlscopeJMeterLauncher.java"

jmeter_run() {   # jmeter_run PLAN OUTDIR: writes OUTDIR/{results.csv,results.xml,jmeter.log,jmeter.out}
	local plan=$1 out=$2 rc=0 pid
	# in the background so that cleanup() can stop it; `timeout` passes TERM on to java
	( cd "$out" && exec timeout -k 10 "$JMETER_TIMEOUT" java -Xms256m -Xmx512m \
		-Djmeter.home="$JMETER_HOME" -Djava.awt.headless=true \
		-cp "$JMETER_HOME/bin/ApacheJMeter.jar:$WORK/launcher" JtlscopeJMeterLauncher \
		-n -t "$plan" -j "$out/jmeter.log" \
		-Jjtlscope.csv="$out/results.csv" -Jjtlscope.xml="$out/results.xml" \
		-Jjmeterengine.nongui.port=0 -Jsummariser.interval=10 \
		> "$out/jmeter.out" 2>&1 ) &
	pid=$!
	PIDS+=("$pid")
	wait "$pid" || rc=$?
	unset 'PIDS[${#PIDS[@]}-1]'
	if [ "$rc" != 0 ] || grep -q 'ForbiddenClassException\|Error in NonGUIDriver' "$out/jmeter.out" "$out/jmeter.log"; then
		tail -20 "$out/jmeter.out" >&2
		die "JMeter failed (rc=$rc) for $plan"
	fi
	[ -s "$out/results.csv" ] && [ -s "$out/results.xml" ] || die "JMeter wrote no results for $plan"
}

wait_port() {   # wait_port ADDR PORT: until something listens there (max 10 s)
	local i
	for i in $(seq 1 100); do
		if ss -Hltn "( sport = :$2 )" | grep -qF "$1:$2"; then return 0; fi
		sleep 0.1
	done
	die "nothing listening on $1:$2"
}

start_bg() {   # start_bg LOGFILE CMD...: start in background, remember the pid
	local logf=$1; shift
	"$@" > "$logf" 2>&1 &
	PIDS+=($!)
}

start_nginx() {   # start_nginx CONF RUNDIR
	local conf=$1 dir=$2/nginx
	mkdir -p "$dir/logs" "$dir/tmp"
	chmod -R 755 "$dir"
	cp "$conf" "$dir/nginx.conf"
	nginx -t -q -p "$dir/" -c "$dir/nginx.conf" -e "$dir/logs/error.log"
	start_bg "$dir/logs/stderr.log" nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/logs/error.log"
}

start_tcpdump() {   # start_tcpdump OUT.pcap FILTER
	local out=$1 filter=$2 i
	start_bg "$out.log" tcpdump -i lo -n -s 512 -U -Z root -w "$out" "$filter"
	for i in $(seq 1 50); do grep -q 'listening on' "$out.log" 2>/dev/null && return 0; sleep 0.1; done
	die "tcpdump did not start: $(cat "$out.log")"
}

finish_run() {   # finish_run NAME RUNDIR DESTDIR: stop servers, check, install outputs
	local name=$1 run=$2 dest=$3
	sleep 1          # let the last responses reach the capture
	stop_all         # tcpdump (last started) is stopped first: reverse order
	cp "$run/nginx/logs/access.log" "$run/server-access.log" 2>/dev/null || true
	"$PY" "$HERE/tools/expected.py" "$name" "$run" > "$run/EXPECTED.md" \
		|| die "$name: the run does not match its design (see above); committed files left unchanged"
	mkdir -p "$dest"
	gzip -9 -n -c "$run/results.csv" > "$dest/$name.csv.gz"
	gzip -9 -n -c "$run/results.xml" > "$dest/$name.xml.gz"
	if [ -s "$run/capture.pcap" ]; then gzip -9 -n -c "$run/capture.pcap" > "$dest/$name.pcap.gz"; fi
	if [ -s "$run/server-access.log" ]; then gzip -9 -n -c "$run/server-access.log" > "$dest/server-access.log.gz"; fi
	cp "$run/EXPECTED.md" "$dest/EXPECTED.md"
	# JMeter's console (summariser every 10 s) minus logkit's start-up chatter
	grep -vE '^(INFO|WARN|DEBUG) ' "$run/jmeter.out" | sed "s|$HERE/|sample-data/|g" \
		> "$dest/jmeter-console.txt" || true
	log "$name: installed into ${dest#"$HERE"/}: $(cd "$dest" && du -bc ./*.gz | tail -1 | cut -f1) bytes gzipped"
}

# ---------------------------------------------------------------- runs
run_demo() {
	local run=$WORK/demo
	mkdir -p "$run"
	[ -w /etc/hosts ] || die "/etc/hosts is not writable"
	remove_hosts
	HOSTS_ADDED=1
	[ -z "$(tail -c1 /etc/hosts)" ] || echo >> /etc/hosts
	printf '%s\n' "$HOSTS_LINES" >> /etc/hosts
	getent hosts api.us-east-1.jtlscope.test | grep -q '^127\.0\.0\.2' || die "/etc/hosts entry not effective"
	start_bg "$run/upstream.log" "$PY" "$HERE/tools/upstream.py" 18090 18091
	start_nginx "$HERE/demo/nginx.conf" "$run"
	wait_port 127.0.0.1 18090; wait_port 127.0.0.1 18091
	wait_port 127.0.0.1 18080; wait_port 127.0.0.2 18080
	start_tcpdump "$run/capture.pcap" 'tcp port 18080'
	log "demo: JMeter run (~75 s): ap-southeast-1 50 threads, us-east-1 30 threads"
	jmeter_run "$HERE/demo/demo.jmx" "$run"
	finish_run demo "$run" "$HERE/demo"
	remove_hosts
	HOSTS_ADDED=0
}

run_nginx_known() {   # run_nginx_known NAME PORT
	local name=$1 port=$2 run=$WORK/$1
	mkdir -p "$run"
	start_bg "$run/upstream.log" "$PY" "$HERE/tools/upstream.py" 18090
	start_nginx "$HERE/known/$name/nginx.conf" "$run"
	wait_port 127.0.0.1 18090; wait_port 127.0.0.1 "$port"
	start_tcpdump "$run/capture.pcap" "tcp port $port"
	log "$name: JMeter run"
	jmeter_run "$HERE/known/$name/plan.jmx" "$run"
	finish_run "$name" "$run" "$HERE/known/$name"
}

run_fixed_window() {
	local name=fixed-window-503 run=$WORK/fixed-window-503
	mkdir -p "$run/nginx/logs"
	# limiter parameters are in known/fixed-window-503/limiter.conf (key=value)
	local port limit window
	port=$(sed -n 's/^port=//p' "$HERE/known/$name/limiter.conf")
	limit=$(sed -n 's/^limit=//p' "$HERE/known/$name/limiter.conf")
	window=$(sed -n 's/^window=//p' "$HERE/known/$name/limiter.conf")
	start_bg "$run/limiter.stderr" "$PY" "$HERE/tools/fixed_window_server.py" \
		--port "$port" --limit "$limit" --window "$window" --log "$run/nginx/logs/access.log"
	wait_port 127.0.0.1 "$port"
	start_tcpdump "$run/capture.pcap" "tcp port $port"
	log "$name: JMeter run"
	jmeter_run "$HERE/known/$name/plan.jmx" "$run"
	finish_run "$name" "$run" "$HERE/known/$name"
}

for r in "${RUNS[@]}"; do
	case "$r" in
	demo) run_demo ;;
	shared-token-bucket) run_nginx_known shared-token-bucket 18081 ;;
	no-throttle) run_nginx_known no-throttle 18081 ;;
	per-connection) run_nginx_known per-connection 18082 ;;
	fixed-window-503) run_fixed_window ;;
	esac
done
log "done: ${RUNS[*]}"
