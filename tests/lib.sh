# tests/lib.sh - the prologue every shell suite sources (see tests/README.md):
#
#     . "$(dirname "$0")/lib.sh"         in tests/*.sh
#     . "$(dirname "$0")/../lib.sh"      in tests/*/run.sh and tests/*/*.sh
#
# Source it before any `cd` (it finds nothing itself, but $0 must still name the suite).  It sets
#   T           a private temp dir (jtlscope-SUITE.XXXXXX), removed at exit unless KEEP is set
#   pass, fail  the counters
# and defines
#   ok NAME, bad NAME, skip NAME    one line each: "ok - NAME", "not ok - NAME", "ok - # SKIP NAME"
#   check NAME COMMAND...           ok when COMMAND succeeds, else bad with its output's head
#   expect NAME RC PATTERN -- COMMAND...
#                                   run COMMAND (stdout in $T/out, stderr in $T/err): ok when it
#                                   exits RC and stderr matches PATTERN (grep BRE; "" = any)
#   golden NAME GOT WANT            GOT equals the golden file WANT byte for byte;
#                                   UPDATE=1 rewrites WANT instead
#   tally LOG                       add the ok / not ok lines of a sub-check's log to the counters
#   case_table FILE                 run every case of a case table (format: tests/README.md)
#   finish                          print "N passed, N failed" and exit 1 when anything failed
# CHECK_PREFIX, when set before a check, starts its name (tests/whatif/run.sh: "whatif: ").
# shellcheck shell=sh

t_suite=$(basename "$0" .sh)
[ "$t_suite" = run ] && t_suite=$(basename "$(dirname "$0")")
T=$(mktemp -d "${TMPDIR:-/tmp}/jtlscope-$t_suite.XXXXXX") || exit 1
[ -n "${KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok - ${CHECK_PREFIX:-}$*"; }
bad() { fail=$((fail + 1)); echo "not ok - ${CHECK_PREFIX:-}$*"; }
skip() { pass=$((pass + 1)); echo "ok - # SKIP ${CHECK_PREFIX:-}$*"; }

check() { # NAME command... : ok when the command succeeds
	t_name=$1
	shift
	if "$@" >"$T/check.out" 2>&1; then ok "$t_name"; else bad "$t_name: $(head -c 800 "$T/check.out")"; fi
}

expect() { # NAME WANT_RC STDERR_PATTERN -- command...
	t_name=$1 t_want=$2 t_pat=$3
	shift 4
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" != "$t_want" ]; then
		bad "$t_name: exit $rc, want $t_want ($(head -c 300 "$T/err"))"
	elif [ -n "$t_pat" ] && ! grep -q -e "$t_pat" "$T/err"; then
		bad "$t_name: stderr lacks '$t_pat': $(head -c 300 "$T/err")"
	else
		ok "$t_name"
	fi
}

golden() { # NAME GOT WANT
	if [ "${UPDATE:-0}" = 1 ]; then
		mkdir -p "$(dirname "$3")"
		cp "$2" "$3"
		ok "$1: written to $3"
	elif [ ! -f "$3" ]; then
		bad "$1: no $3 (run with UPDATE=1)"
	elif cmp -s "$2" "$3"; then
		ok "$1: same bytes as $3"
	else
		bad "$1: differs from $3:"
		diff "$3" "$2" | head -20 | sed 's/^/#   /'
	fi
}

tally() { # LOG
	pass=$((pass + $(grep -c '^ok ' "$1" || true)))
	fail=$((fail + $(grep -c '^not ok ' "$1" || true)))
}

finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}

# ---- case tables -----------------------------------------------------------------------------
# A suite may redefine, after sourcing this file:
#   case_run OUT ERR ARGS...   how a case runs (default: "$BIN" ARGS, stdin /dev/null); sets rc,
#                              and may set case_note (added to the ok line, e.g. ", 12 MB")
#   case_sane NAME             checks every case must pass first (timeout, crash, memory); it
#                              reports its own failure and returns 1 (default: none)
t_trim() { sed 's/^[[:space:]]*//; s/[[:space:]]*$//'; }
case_run() {
	t_out=$1 t_err=$2
	shift 2
	"$BIN" "$@" </dev/null >"$t_out" 2>"$t_err"
	rc=$?
}
case_sane() { :; }

case_table() { # FILE
	grep -v -e '^#' -e '^[[:space:]]*$' "$1" >"$T/cases"
	while IFS='|' read -r c_name c_codes c_epat c_opat c_args; do
		c_name=$(printf '%s\n' "$c_name" | t_trim)
		c_codes=$(printf '%s\n' "$c_codes" | tr -d ' \t')
		c_epat=$(printf '%s\n' "$c_epat" | t_trim | sed "s|\\\$T|$T|g")
		c_opat=$(printf '%s\n' "$c_opat" | t_trim | sed "s|\\\$T|$T|g")
		eval "set -- $c_args"
		case_note=
		case_run "$T/out" "$T/err" "$@"
		case_sane "$c_name" || continue
		case ",$c_codes," in
		*",$rc,"*) ;;
		*)
			bad "$c_name: exit $rc, want $c_codes ($(head -c 300 "$T/err" | tr '\n' ' '))"
			continue
			;;
		esac
		if [ -n "$c_epat" ] && ! grep -q -E -e "$c_epat" "$T/err"; then
			bad "$c_name: stderr lacks /$c_epat/: $(head -c 300 "$T/err" | tr '\n' ' ')"
		elif [ "${c_opat#=}" != "$c_opat" ]; then
			ok "$c_name (exit $rc$case_note)"
			golden "$c_name" "$T/out" "$(printf '%s\n' "${c_opat#=}" | t_trim)"
		elif [ -n "$c_opat" ] && ! grep -q -E -e "$c_opat" "$T/out"; then
			bad "$c_name: stdout lacks /$c_opat/: $(head -c 300 "$T/out" | tr '\n' ' ')"
		else
			ok "$c_name (exit $rc$case_note)"
		fi
	done <"$T/cases"
}
