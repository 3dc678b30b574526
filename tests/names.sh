#!/bin/sh
# names.sh - the naming rule of docs/design-notes.md ("Names"): every symbol that
# build/libjtlscope.a exports begins with a prefix its object may use.  For an object built
# from DIR/STEM.c the allowed prefixes are
#   STEM_    the file                         (reports/report_md.c: report_md_...)
#   WORD_    the first word of STEM, the family of files it belongs to   (report_md.c: report_)
#   SUB_     the subsystem folder, when DIR is a folder inside a layer  (parsers/capture: capture_)
#   P_       a subsystem's private header SUB/P_int.h                   (cap_int.h: cap_)
#   T_       a `struct T {` defined in DIR/STEM.h, or in any header of the subsystem folder
#            (struct strbuf in common/util.h: strbuf_)
# and common/util.c's out-of-memory wrappers keep git's names (xmalloc xcalloc xrealloc xgrow
# xstrdup xstrndup xasprintf): the one place an allocation failure aborts.
#
#   sh tests/names.sh [LIB]         "ok - names: ..." or "not ok - names: ..." and one
#                                   "#   DIR/STEM.o SYMBOL" line per symbol without its prefix
#   sh tests/names.sh --list [LIB]  only the "DIR/STEM.o SYMBOL" lines (count them with wc -l)
set -u
cd "$(dirname "$0")/.." || exit 1
list=0
if [ "${1:-}" = --list ]; then
	list=1
	shift
fi
lib=${1:-build/libjtlscope.a}
if [ ! -f "$lib" ]; then
	echo "not ok - names: $lib not built (make $lib)"
	exit 1
fi
LAYERS="common parsers analyzer reports"
XALLOC="xmalloc xcalloc xrealloc xgrow xstrdup xstrndup xasprintf"

structs() { # FILE...: the T of every `struct T {` at the start of a line
	sed -n 's/^struct \([A-Za-z_][A-Za-z0-9_]*\) {.*/\1/p' "$@" 2>/dev/null
}

prefixes() { # SRC (DIR/STEM.c): the allowed prefixes, one a line, without the underscore
	dir=${1%/*}
	stem=${1##*/}
	stem=${stem%.c}
	echo "$stem"
	echo "${stem%%_*}"
	structs "$dir/$stem.h"
	case " $LAYERS " in
	*" $dir "*) ;;
	*)
		echo "${dir##*/}"
		for h in "$dir"/*_int.h; do
			[ -f "$h" ] || continue
			h=${h##*/}
			echo "${h%_int.h}"
		done
		structs "$dir"/*.h
		;;
	esac
}

bad=$(mktemp "${TMPDIR:-/tmp}/names.XXXXXX")
trap 'rm -f "$bad"' EXIT
total=0
# "member.o:" lines start an object; "ADDR T NAME" lines are its defined global symbols
nm -g --defined-only "$lib" 2>/dev/null | {
	obj=
	while read -r a b c; do
		case $a in
		*.o:)
			obj=${a%:}
			src=$(find $LAYERS -name "${obj%.o}.c" 2>/dev/null)
			case $src in
			*" "* | *"
"*) echo "? $obj: more than one source ($src)" >&2 ;;
			esac
			pre=$(prefixes "$src" | sort -u)
			continue
			;;
		esac
		sym=${c:-$b}
		[ -n "$sym" ] && [ -n "$obj" ] || continue
		total=$((total + 1))
		case " $XALLOC " in
		*" $sym "*) [ "$src" = common/util.c ] && continue ;;
		esac
		ok=0
		for p in $pre; do
			case $sym in
			"${p}_"*) ok=1 && break ;;
			esac
		done
		[ $ok = 1 ] || echo "${src%.c}.o $sym" >>"$bad"
	done
	echo "$total" >"$bad.total"
}
total=$(cat "$bad.total")
rm -f "$bad.total"
n=$(wc -l <"$bad")
if [ $list = 1 ]; then
	cat "$bad"
	exit 0
fi
if [ "$n" -eq 0 ]; then
	echo "ok - names: all $total exported symbols of $lib carry their module's prefix"
	exit 0
fi
echo "not ok - names: $n of $total exported symbols of $lib lack their module's prefix (docs/design-notes.md, Names)"
sed 's/^/#   /' "$bad"
exit 1
