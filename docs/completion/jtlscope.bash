# bash completion for jtlscope(1).  Installed by `make install` as
# $(PREFIX)/share/bash-completion/completions/jtlscope.  The option lists mirror each
# command's --help (tests/install.sh checks that every option in --help is here).

_jtlscope()
{
	local cur prev cmd
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	local commands="report timeline batch compare summarize merge whatif help"
	local common="--bucket --throttle-codes --throttle-pattern --region-map --region-by
		--delimiter --columns --timestamp-format --tz --sub-results --strict
		--no-503-retry-after --apdex-satisfied --apdex-tolerated"

	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=( $(compgen -W "$commands -V --version -h --help" -- "$cur") )
		return
	fi
	cmd=${COMP_WORDS[1]}

	case $prev in
	-f|--format)
		case $cmd in
		timeline) COMPREPLY=( $(compgen -W "text json csv" -- "$cur") ) ;;
		compare) COMPREPLY=( $(compgen -W "text json md" -- "$cur") ) ;;
		whatif) COMPREPLY=( $(compgen -W "text md json html" -- "$cur") ) ;;
		*) COMPREPLY=( $(compgen -W "text json md html csv" -- "$cur") ) ;;
		esac
		return ;;
	--charts)
		COMPREPLY=( $(compgen -W "svg png none" -- "$cur") ); return ;;
	--region-by)
		COMPREPLY=( $(compgen -W "url-host hostname thread-group label" -- "$cur") ); return ;;
	--policy)
		COMPREPLY=( $(compgen -W "none honour-retry-after backoff=exp pace=" -- "$cur") ); return ;;
	-o|--output)
		COMPREPLY=( $(compgen -d -- "$cur") ); return ;;
	--region-map|--tls-keylog|--junit|--summary)
		COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
	--bucket|--throttle-codes|--throttle-pattern|--delimiter|--columns|--timestamp-format|\
	--tz|--fail-on|--jobs|-j|--connection|--apdex-satisfied|--apdex-tolerated|\
	--users|--pace|--ramp|--duration|--seed|--loops|--retry-after)
		return ;;
	esac

	local opts
	case $cmd in
	report) opts="-o --output -f --format --charts --stamp -q --quiet --fail-on --junit
		--tls-keylog -h --help $common" ;;
	timeline) opts="--format --connection --tls-keylog --tz -h --help" ;;
	batch) opts="-o --output -j --jobs -f --format --force --fail-on --junit -q --quiet
		-h --help --charts $common" ;;
	compare) opts="-o --output -f --format --fail-on --junit -q --quiet -h --help $common" ;;
	summarize) opts="-o --output -q --quiet -h --help $common" ;;
	merge) opts="-o --output -f --format --charts --stamp --tz --fail-on --junit --summary
		-q --quiet -h --help" ;;
	whatif) opts="--policy --users --pace --ramp --retry-after --loops --duration --open-loop
		--seed -f --format -o --output -q --quiet -h --help $common" ;;
	help)
		if [ "$COMP_CWORD" -eq 2 ]; then
			COMPREPLY=( $(compgen -W "report timeline batch compare summarize merge whatif" -- "$cur") )
		fi
		return ;;
	*) return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
	else
		COMPREPLY=( $(compgen -f -- "$cur") )
	fi
}
complete -o filenames -F _jtlscope jtlscope
