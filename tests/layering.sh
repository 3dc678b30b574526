#!/bin/sh
# layering.sh - the layering rules of docs/design-notes.md, one grep each.  A rule holds when
# its grep prints nothing.  Prints "ok - ..." / "not ok - ..." per rule and "N passed, N failed".
set -u
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.." || exit 1
rule() { # NAME, then the grep command; the rule holds when it prints nothing
	name=$1
	shift
	out=$("$@" 2>/dev/null)
	if [ -z "$out" ]; then
		pass=$((pass + 1))
		echo "ok - layering: $name"
	else
		fail=$((fail + 1))
		echo "not ok - layering: $name"
		echo "$out" | head -10 | sed 's/^/#   /'
	fi
}
C='--include=*.c --include=*.h'
# drop matches on comment lines (" * ...", "/* ...", "// ...")
NC="grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)'"

rule "parsers/ includes no analyzer/, reports/ or cli/ header" \
	grep -rnE $C '#include "(analyzer|reports|cli)/' parsers
rule "analyzer/ includes no reports/ or cli/ header" \
	grep -rnE $C '#include "(reports|cli)/' analyzer
rule "reports/ includes no cli/ header" \
	grep -rnE $C '#include "cli/' reports
rule "common/ includes no other layer" \
	grep -rnE $C '#include "(parsers|analyzer|reports|cli)/' common
# JSON is read and written at the edges only: reports/ (writers, report_read.c, the summary
# codec summary_json.c) and cli/.
rule "no cJSON in analyzer/" \
	grep -rln $C -e 'cjson/cJSON.h' -e 'cJSON_' analyzer
rule "no exit() in the library (common parsers analyzer reports)" \
	sh -c "grep -rnE $C '(^|[^_a-z])_?exit\(' common parsers analyzer reports | $NC"
rule "no exit() in cli/ outside main.c's return and batch.c's forked child (_exit)" \
	sh -c "grep -rnE $C '(^|[^_a-z])_?exit\(' cli | $NC | grep -v '^cli/batch\.c:.*_exit(127)'"
# abort(): util_oom (common/util.c) and five named paths (impossible sizes, PCRE2 objects)
rule "abort() only in util_oom and the five named places (common/util.h)" \
	sh -c "grep -rn $C 'abort()' common parsers analyzer reports cli | $NC | grep -vE '^(common/util\.c|analyzer/analysis\.c|analyzer/region\.c|analyzer/throttle/throttle\.c|analyzer/throttle/containers\.c):'"
rule "libjtlscope.a is built without cli/ (Makefile LIB_SRC)" \
	sh -c "grep -n '^LIB_SRC' Makefile | grep 'cli/'"

finish
