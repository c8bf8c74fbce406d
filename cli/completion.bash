# bash completion for inspect(1): its commands, each command's options
# (read from `inspect COMMAND --help`, so they are always the installed
# binary's own), and PIDs for the PID argument, with each process's
# command name shown beside it; typing part of a command name completes
# to its PID.

# the PIDs whose PID starts with $1 or whose command name contains it
_inspect_pids()
{
	local cur=$1 d pid comm
	local -a pids=() shown=()
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		[ "$pid" = "$$" ] && continue
		comm=$(cat "$d/comm" 2>/dev/null) || continue
		if [[ $pid == "$cur"* || ( -n $cur && $comm == *"$cur"* ) ]]; then
			pids+=("$pid")
			shown+=("$pid ($comm)")
		fi
	done
	# one match is inserted as it is; several are listed with their
	# names (bash inserts their common prefix, which the names end)
	if [ ${#pids[@]} -le 1 ]; then
		COMPREPLY=("${pids[@]}")
	else
		COMPREPLY=("${shown[@]}")
	fi
}

_inspect()
{
	local cur prev cmd i opts
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		stack | top | count | list) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	case $prev in
	--color | --colour) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
	--by) COMPREPLY=($(compgen -W "total kind name group function status" -- "$cur")); return ;;
	--pprof | --baseline) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--tid)
		local t tids=()
		for ((i = 1; i < COMP_CWORD; i++)); do
			[[ ${COMP_WORDS[i]} =~ ^[0-9]+$ ]] && t=${COMP_WORDS[i]}
		done
		[ -n "$t" ] && tids=($(ls "/proc/$t/task" 2>/dev/null))
		COMPREPLY=($(compgen -W "${tids[*]}" -- "$cur"))
		return ;;
	esac
	# an option that takes a value gets no completion for it here
	if [[ $prev == --* && -n $cmd ]] &&
		"${COMP_WORDS[0]}" "$cmd" --help 2>/dev/null | grep -qE "^ +$prev [A-Z]"; then
		return
	fi
	if [[ $cur == -* ]]; then
		if [ -n "$cmd" ]; then
			opts=$("${COMP_WORDS[0]}" "$cmd" --help 2>/dev/null | grep -oE "^ +--[a-z-]+" |
				tr -d " ")
		else
			opts="--help --version"
		fi
		COMPREPLY=($(compgen -W "$opts --help" -- "$cur"))
		return
	fi
	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "stack top count list" -- "$cur"))
		[ ${#COMPREPLY[@]} -gt 0 ] && return
	fi
	[ "$cmd" = list ] && return
	_inspect_pids "$cur"
}
complete -F _inspect inspect
