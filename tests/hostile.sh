#!/bin/sh
# hostile.sh BIN - inputs from strangers: damaged, huge, nested, malicious.  The cases and their
# expected exit codes and messages are the case table tests/hostile.cases; large ones are
# generated here in a temp dir.  Then: output safety (adversarial strings through every report format), the
# capture parser on the damaged captures (build-replay/fuzz_pcap, when built), and valgrind
# memcheck over the demo inputs (normal build only; SKIP without valgrind).
# Prints "ok - ..." / "not ok - ..." per check and "N passed, N failed" at the end.
set -u
BIN=${1:-./jtlscope}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
. "$HERE/lib.sh"

case $BIN in
*-san) san=1 ;;
*) san=0 ;;
esac
RSS_MAX_KB=$((300 * 1024))
VMEM_KB=$((1024 * 1024))
HAVE_TIME=0
[ -x /usr/bin/time ] && HAVE_TIME=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# run OUT ERR ARGS... : BIN with a time limit, memory bounded (ulimit -v for the normal build;
# ASan reserves terabytes of address space, so the -san build is only measured).  Sets rc, rss.
run() {
	out=$1 err=$2
	shift 2
	if [ "$HAVE_TIME" = 1 ]; then
		(
			[ "$san" = 1 ] || ulimit -v "$VMEM_KB"
			exec /usr/bin/time -f '%M' -o "$T/rss" timeout 20 "$BIN" "$@"
		) >"$out" 2>"$err"
		rc=$?
		rss=$(tail -1 "$T/rss" 2>/dev/null | tr -cd '0-9')
	else
		(
			[ "$san" = 1 ] || ulimit -v "$VMEM_KB"
			exec timeout 20 "$BIN" "$@"
		) >"$out" 2>"$err"
		rc=$?
		rss=
	fi
	[ -n "$rss" ] || rss=0
}

# common failures: timeout, crash, sanitizer report, memory
sane() { # name
	if [ "$rc" = 124 ]; then
		bad "$1: timed out (20 s)"
	elif [ "$rc" -ge 128 ]; then
		bad "$1: killed by signal $((rc - 128)): $(tail -3 "$T/err" | tr '\n' ' ')"
	elif grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|Sanitizer' "$T/err"; then
		bad "$1: sanitizer: $(grep -m1 -E 'ERROR|runtime error' "$T/err")"
	elif [ "$rss" -gt "$RSS_MAX_KB" ]; then
		bad "$1: peak RSS $((rss / 1024)) MB > $((RSS_MAX_KB / 1024)) MB"
	else
		return 0
	fi
	return 1
}

# ---- generated inputs ----------------------------------------------------------------------
H="timeStamp,elapsed,label,responseCode,responseMessage,threadName,success,bytes"
gen() {
	# gzip bomb: 1 GiB of newlines around 256 CSV rows, as 256 gzip members of 4 MiB each (deflate
	# tops out near 1032:1, reached on long runs), plus one member with the header: ~1 MB on
	# disk.  Built by doubling, so it takes well under a second.
	printf '%s\n' "$H" | gzip -9 >"$T/bomb.csv.gz"
	{
		printf '1700000000000,5,bomb,200,OK,T 1-1,true,1\n'
		head -c 4194263 /dev/zero | tr '\0' '\n'
	} | gzip -9 >"$T/m0"
	i=0
	while [ $i -lt 8 ]; do
		cat "$T/m$i" "$T/m$i" >"$T/m$((i + 1))"
		rm -f "$T/m$i"
		i=$((i + 1))
	done
	cat "$T/m8" >>"$T/bomb.csv.gz"
	rm -f "$T/m8"

	{
		echo "$H"
		printf '1700000000000,5,'
		head -c 100000000 /dev/zero | tr '\0' 'a'
		printf ',200,OK,T 1-1,true,1\n1700000000001,5,after,200,OK,T 1-1,true,1\n'
	} >"$T/bigfield.csv"

	awk 'BEGIN { printf "timeStamp"; for (i = 1; i < 100000; i++) printf ",c%d", i; printf "\n1700000000000";
		for (i = 1; i < 100000; i++) printf ",x"; printf "\n" }' >"$T/columns.csv"

	awk 'BEGIN { print "<testResults version=\"1.2\">";
		for (i = 0; i < 10000; i++) printf "<sample t=\"1\" ts=\"1700000000000\" lb=\"x\">";
		for (i = 0; i < 10000; i++) printf "</sample>"; print "</testResults>" }' >"$T/deep.xml"

	echo "JTLSCOPE-SECRET-$$-MARKER" >"$T/secret.txt"
	printf '<?xml version="1.0"?>\n<!DOCTYPE testResults [<!ENTITY x SYSTEM "file://%s">]>\n<testResults version="1.2"><httpSample t="1" ts="1700000000000" s="true" lb="L&x;" rc="200"/></testResults>\n' \
		"$T/secret.txt" >"$T/xxe-secret.xml"

	{
		printf '<testResults version="1.2"><httpSample t="1" ts="1700000000000" s="true" rc="200" lb="'
		head -c 20000000 /dev/zero | tr '\0' 'a'
		printf '"/><httpSample t="1" ts="1700000000000" s="true" rc="200" lb="ok"/></testResults>\n'
	} >"$T/bigattr.xml"

	awk 'BEGIN { print "timeStamp,elapsed,label,responseCode,success";
		for (i = 0; i < 10000000; i++) printf "%d,5,L%d,200,true\n", 1700000000000 + i % 1000, i }' >"$T/labels.csv"
}
gen

# gzip bomb ratio as generated
bsz=$(wc -c <"$T/bomb.csv.gz")
if [ $((1073741824 / bsz)) -gt 1000 ]; then
	ok "gzip bomb ratio $((1073741824 / bsz)):1"
else
	bad "gzip bomb ratio only $((1073741824 / bsz)):1"
fi

# ---- the table: tests/hostile.cases ---------------------------------------------------------
D=$HERE/data/hostile
case_run() { run "$@" </dev/null; case_note=", $((rss / 1024)) MB"; }
case_sane() { sane "$1"; }
case_table "$HERE/hostile.cases"

# nothing of a file named by an external entity may reach the output
run "$T/out" "$T/err" report "$T/xxe-secret.xml"
if grep -q -F "JTLSCOPE-SECRET-$$-MARKER" "$T/out" "$T/err"; then
	bad "external entity: secret file content in the output"
else
	ok "external entity: local file not read into the output"
fi
hn=$(cat /etc/hostname 2>/dev/null)
run "$T/out" "$T/err" report "$HERE/data/hostile/xxe-hostname.xml"
if [ -n "$hn" ] && grep -q -F "L$hn" "$T/out" "$T/err"; then
	bad "external entity: /etc/hostname content in the output"
else
	ok "external entity: /etc/hostname not expanded"
fi
rm -f "$T/bomb.csv.gz" "$T/bigfield.csv" "$T/columns.csv" "$T/bigattr.xml" "$T/labels.csv"

# ---- exit codes not covered above: usage and output errors ---------------------------------
run "$T/out" "$T/err" report --bogus "$HERE/data/hostile/cr-only.csv"
[ "$rc" = 2 ] && ok "usage error exits 2" || bad "usage error: exit $rc, want 2"
(
	[ "$san" = 1 ] || ulimit -v "$VMEM_KB"
	exec timeout 20 "$BIN" report "$HERE/data/hostile/cr-only.csv"
) >/dev/full 2>"$T/err"
rc=$?
if [ "$rc" = 5 ] && grep -q "cannot write" "$T/err"; then
	ok "output error (/dev/full) exits 5"
else
	bad "output error (/dev/full): exit $rc, want 5 ($(head -c 200 "$T/err"))"
fi

# ---- output safety: adversarial strings through every report format ------------------------
# Labels, thread names, URLs, codes and messages carrying terminal escapes, markup, table and
# shell metacharacters, a spreadsheet formula, a newline and invalid UTF-8.
ESC=$(printf '\033')
{
	echo "timeStamp,elapsed,label,responseCode,responseMessage,threadName,success,failureMessage,URL,bytes"
	printf '1700000000000,5,%s[31mRED%s[0m,%s[2J,%s]0;title%s,T%s[1m 1-1,false,%s[5mblink,http://h/%s[31m,1\n' \
		"$ESC" "$ESC" "$ESC" "$ESC" "$(printf '\007')" "$ESC" "$ESC" "$ESC"
	printf '1700000001000,6,<script>alert(31337)</script>,<b>500</b>,<img src=x onerror=alert(1)>,"T|x 1-1",false,"MDPIPE|X `id` $(id)",http://h/<script>,1\n'
	printf "1700000002000,7,=cmd|' /C calc'!A0,=1+1,+SUM(A1),@evil 1-1,false,-2+3,=HYPERLINK(\"http://x\"),1\n"
	printf '1700000003000,8,"multi\nline label",429,"line1\r\nline2",T 1-2,false,"a\nb",http://h/a,1\n'
	printf '1700000004000,9,bad\377\376utf8\300\257,\355\240\200,\302\233[31mC1,T\200 1-3,true,,http://h/\377,1\n'
	printf '1700000005000,9,back`tick`\\backslash,200,OK,T 1-4,true,,http://h/%%0a,1\n'
} >"$T/adv.csv"

formats=$("$BIN" report --help 2>&1 | sed -n 's/.*--format LIST[[:space:]]*\([a-z,]*\).*/\1/p' | head -1)
[ -n "$formats" ] || formats=text,json
mkdir -p "$T/rep"
run "$T/out" "$T/err" report -q -o "$T/rep" -f "$formats" "$T/adv.csv"
if sane "output safety: report -f $formats" && [ "$rc" = 0 ]; then
	ok "output safety: report -f $formats (exit 0)"
else
	[ "$rc" = 0 ] || bad "output safety: report -f $formats: exit $rc ($(head -c 300 "$T/err"))"
fi
run "$T/stdout.txt" "$T/err" report -q "$T/adv.csv"
[ "$rc" = 0 ] && ok "output safety: text to stdout (exit 0)" || bad "output safety: text to stdout: exit $rc"

# text: no raw ESC, no C0 control other than TAB/LF, no CR, no C1 (U+0080..U+009F), valid UTF-8
for f in "$T/stdout.txt" "$T"/rep/*.txt; do
	[ -f "$f" ] || continue
	n=$(basename "$f")
	if tr -d '\n\t' <"$f" | LC_ALL=C grep -q '[[:cntrl:]]'; then
		bad "output safety: $n has a raw control byte: $(LC_ALL=C grep -n '[[:cntrl:]]' "$f" | head -2 | od -c | head -3 | tr '\n' ' ')"
	elif LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$f"; then
		bad "output safety: $n has a C1 control character"
	elif command -v python3 >/dev/null && ! python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$f" 2>/dev/null; then
		bad "output safety: $n is not valid UTF-8"
	else
		ok "output safety: $n inert (no control bytes, valid UTF-8)"
	fi
done

# json: parses, valid UTF-8, no lone surrogates, and the labels survive as data
for f in "$T"/rep/*.json; do
	[ -f "$f" ] || continue
	n=$(basename "$f")
	if ! command -v python3 >/dev/null; then
		skip "output safety: $n (python3 absent)"
		continue
	fi
	if python3 - "$f" <<'EOF' 2>"$T/pyerr"; then
import json, sys
raw = open(sys.argv[1], "rb").read()
doc = json.loads(raw.decode("utf-8"))           # strict UTF-8, strict JSON
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            walk(k); walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
    elif isinstance(v, str):
        v.encode("utf-8")                        # a lone surrogate (\ud800) fails here
walk(doc)
text = json.dumps(doc, ensure_ascii=False)
assert "<script>alert(31337)</script>" in text, "adversarial label lost"
EOF
		ok "output safety: $n parses, valid UTF-8, labels kept as data"
	else
		bad "output safety: $n: $(tail -1 "$T/pyerr")"
	fi
done

# other formats, when report writes them (checked on whatever files appear in the directory)
for f in "$T"/rep/*; do
	[ -f "$f" ] || continue
	n=$(basename "$f")
	case $n in
	*.html | *.htm)
		if grep -q -F '<script>alert(31337)' "$f" || grep -q -F '<img src=x' "$f"; then
			bad "output safety: $n has unescaped markup from the input"
		elif LC_ALL=C grep -q "$ESC" "$f"; then
			bad "output safety: $n has a raw ESC"
		else
			ok "output safety: $n escapes markup"
		fi
		;;
	*.md)
		if grep -q -F 'MDPIPE|X' "$f" || grep -q -F '<script>alert' "$f" || LC_ALL=C grep -q "$ESC" "$f"; then
			bad "output safety: $n has an unescaped | or markup or ESC from the input"
		else
			ok "output safety: $n escapes table cells"
		fi
		;;
	*.csv)
		if grep -q -E '(^|[,;])"?(=|\+|@)' "$f"; then
			bad "output safety: $n has a formula cell: $(grep -m1 -E '(^|[,;])"?(=|\+|@)' "$f")"
		elif LC_ALL=C grep -q "$ESC" "$f"; then
			bad "output safety: $n has a raw ESC"
		else
			ok "output safety: $n neutralises formulas"
		fi
		;;
	esac
done

# ---- the capture parser on the damaged captures (ASan+UBSan replay build) -------------------
if [ "$san" = 1 ]; then
	if [ -x "$ROOT/build-replay/fuzz_pcap" ]; then
		for f in "$HERE"/data/hostile/*.pcap "$HERE"/data/hostile/*.pcapng; do
			check "capture parser: $(basename "$f")" timeout 20 "$ROOT/build-replay/fuzz_pcap" "$f"
		done
	else
		skip "capture parser on damaged captures (build-replay/fuzz_pcap not built; make fuzz-replay)"
	fi
fi

# ---- valgrind memcheck over the demo inputs (normal build) ---------------------------------
if [ "$san" = 1 ]; then
	skip "valgrind (sanitizer build: run with the normal build)"
elif ! command -v valgrind >/dev/null; then
	skip "valgrind not installed"
else
	for f in "$ROOT/sample-data/demo/demo.csv.gz" "$ROOT/sample-data/demo/demo.xml.gz"; do
		[ -f "$f" ] || continue
		check "valgrind memcheck: $(basename "$f")" timeout 120 valgrind -q --error-exitcode=99 \
			--leak-check=full --errors-for-leak-kinds=definite "$BIN" report -q -o "$T/vg" -f "$formats" "$f"
	done
fi

finish
