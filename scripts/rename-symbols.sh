#!/bin/sh
# rename-symbols.sh - apply scripts/rename-symbols.map to the tree (issue 11, step 4: names).
#
#   sh scripts/rename-symbols.sh [MAP]      from the top of a git work tree
#
# Rewrites the tracked *.c and *.h files under common parsers analyzer reports cli tests fuzz
# bench (not tests/golden) and the identifiers in README.md and docs/*.md.  Every check runs
# before anything changes: the script refuses to run when a NEW name already occurs in the
# code beside its OLD one (it would merge two different symbols), when two lines give one NEW
# name, when a NEW name is another line's OLD one, or when a file rename's target exists
# beside its source.
# A line whose OLD is gone and whose NEW is present is already applied and skipped, so running
# the script twice is a no-op.  It prints what it did; build and test afterwards.
set -eu
top=$(git rev-parse --show-toplevel)
cd "$top"
map=${1:-scripts/rename-symbols.map}
[ -f "$map" ] || { echo "rename-symbols: no map '$map'" >&2; exit 2; }
DIRS="common parsers analyzer reports cli tests fuzz bench"

code_files() { # tracked C sources and headers of the dirs, and the docs
	git ls-files -- $DIRS | grep -E '\.[ch]$' | grep -v '^tests/golden/' || true
	git ls-files -- README.md 'docs/*.md'
}
path_files() { # where a file's path may be written: the code, docs, build and test scripts
	code_files
	git ls-files -- Makefile 'fuzz/*.mk' '*.sh' | grep -v '^tests/golden/' || true
}
has_word() { # WORD: some file of code_files (code and docs) holds the identifier WORD
	code_files | xargs grep -lw -- "$1" 2>/dev/null | grep -q .
}
in_code() { # WORD: some .c or .h file holds the identifier WORD (a docs mention is no symbol)
	code_files | grep -E '\.[ch]$' | xargs grep -lw -- "$1" 2>/dev/null | grep -q .
}

# ---- read and check the whole map first ------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rename-symbols.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/ids"     # OLD NEW to rename
: >"$tmp/folds"   # OLD NEW to fold
: >"$tmp/files"   # OLD NEW to move
: >"$tmp/news"
: >"$tmp/olds"
err=0
skipped=0
sed -e 's/#.*//' "$map" | while read -r a b c; do
	[ -n "$a" ] || continue
	kind=id
	case $a in
	file:) kind=file a=$b b=$c c= ;;
	fold:) kind=fold a=$b b=$c c= ;;
	esac
	if [ -z "$b" ] || [ -n "$c" ]; then
		echo "rename-symbols: bad map line: $a $b $c" >&2
		exit 1
	fi
	echo "$a" >>"$tmp/olds"
	[ $kind = fold ] || echo "$b" >>"$tmp/news"
	echo "$kind $a $b"
done >"$tmp/lines" || exit 2

dup=$(sort "$tmp/news" | uniq -d)
[ -z "$dup" ] || { echo "rename-symbols: more than one line renames to: $dup" >&2; err=1; }
sort -u "$tmp/news" >"$tmp/news.s"
sort -u "$tmp/olds" >"$tmp/olds.s"
chain=$(comm -12 "$tmp/news.s" "$tmp/olds.s")
[ -z "$chain" ] || { echo "rename-symbols: a NEW name is also an OLD name: $chain" >&2; err=1; }

while read -r kind old new; do
	case $kind in
	file)
		o=0 n=0
		[ -e "$old" ] && o=1
		[ -e "$new" ] && n=1
		if [ $o = 1 ] && [ $n = 1 ]; then
			echo "rename-symbols: refusing: both $old and $new exist" >&2
			err=1
		elif [ $o = 1 ]; then
			echo "$old $new" >>"$tmp/files"
		elif [ $n = 1 ]; then
			skipped=$((skipped + 1))
		else
			echo "rename-symbols: neither $old nor $new exists" >&2
			err=1
		fi
		;;
	fold)
		if ! in_code "$new"; then
			echo "rename-symbols: refusing to fold $old into $new: $new does not exist" >&2
			err=1
		elif in_code "$old"; then
			echo "$old $new" >>"$tmp/folds"
		else
			skipped=$((skipped + 1))
		fi
		;;
	id)
		o=0 n=0
		in_code "$old" && o=1
		in_code "$new" && n=1
		if [ $o = 1 ] && [ $n = 1 ]; then
			echo "rename-symbols: refusing: $new already exists beside $old:" >&2
			code_files | grep -E '\.[ch]$' | xargs grep -nw -- "$new" 2>/dev/null | head -3 | sed 's/^/    /' >&2
			err=1
		elif [ $o = 1 ] || has_word "$old"; then
			echo "$old $new" >>"$tmp/ids"
		elif [ $n = 1 ]; then
			skipped=$((skipped + 1))
		else
			echo "rename-symbols: note: neither $old nor $new occurs (line kept for other trees)" >&2
		fi
		;;
	esac
done <"$tmp/lines"
[ $err = 0 ] || { echo "rename-symbols: nothing changed" >&2; exit 1; }

# ---- files: git mv, then #include lines and mentions of the path ---------------------------
while read -r old new; do
	git mv -- "$old" "$new"
	# "reports/escape.h" anywhere, and the bare "escape.h" where it is not part of a longer
	# name or path (comments such as "see escape.h")
	ob=${old##*/} nb=${new##*/}
	path_files | xargs grep -lF -- "$ob" 2>/dev/null | while read -r f; do
		OLD=$old NEW=$new OB=$ob NB=$nb perl -pi -e '
			s/\Q$ENV{OLD}\E(?!\w|\.\w)/$ENV{NEW}/g;
			s/(?<![\w\/.-])\Q$ENV{OB}\E(?!\w|\.\w)/$ENV{NB}/g;' "$f"
	done
	echo "moved $old -> $new"
done <"$tmp/files"

rename_ids() { # MAP FILES: rename each OLD of MAP ("OLD NEW" lines) in the FILES holding one
	cut -d' ' -f1 "$1" >"$tmp/pat"
	grep -lwF -f "$tmp/pat" -- $2 2>/dev/null >"$tmp/touch" || true
	[ -s "$tmp/touch" ] || return 0
	MAP=$1 xargs perl -pi -e '
		BEGIN {
			open my $m, "<", $ENV{MAP} or die;
			while (<$m>) { my ($o, $n) = split; $r{$o} = $n; }
			$re = join "|", map quotemeta, sort { length $b <=> length $a } keys %r;
		}
		s/\b($re)\b/$r{$1}/g;' <"$tmp/touch"
	echo "renamed $(wc -l <"$1") identifiers in $(wc -l <"$tmp/touch") files"
}

# ---- folds: drop OLD's definition and prototype, then its uses in the code become NEW -------
# (docs keep the old name: what they say about OLD is history, NEW is another function)
if [ -s "$tmp/folds" ]; then
	while read -r old new; do
		code_files | grep -E '\.[ch]$' | xargs grep -lw -- "$old" | while read -r f; do
			case $f in
			*.c) # a definition: a line naming OLD( that is not a statement, "{", body, "}"
				OLD=$old perl -0pi -e 's/\n[^\n;{}()]*\b\Q$ENV{OLD}\E\([^;{}]*\)\n\{\n.*?\n\}\n/\n/s' "$f" ;;
			*.h) # a one-line prototype
				OLD=$old perl -ni -e 'print unless /^[^;{}]*\b\Q$ENV{OLD}\E\([^\n]*\);/' "$f" ;;
			esac
		done
		echo "folded $old into $new"
	done <"$tmp/folds"
	rename_ids "$tmp/folds" "$(code_files | grep -E '\.[ch]$')"
fi

# ---- identifiers: one perl pass over the files (code and docs) holding any OLD --------------
[ -s "$tmp/ids" ] && rename_ids "$tmp/ids" "$(code_files)"
left=$(cut -d' ' -f1 "$tmp/ids" "$tmp/folds" | while read -r o; do
	code_files | grep -E '\.[ch]$' | xargs grep -lw -- "$o" >/dev/null 2>&1 && echo "$o"
done || true)
[ -z "$left" ] || { echo "rename-symbols: still present after the rename: $left" >&2; exit 1; }
echo "rename-symbols: done ($skipped lines already applied)"
