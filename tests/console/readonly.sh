#!/bin/bash
# readonly.sh - a read-only console changes nothing.  On a project with
# data, `sluice monitor` and `sluice --read-only` are each walked through
# every mutating key of every view (lists, and the pages they open) and
# every mutating command at the prompt (found by asking `sluice help` which
# commands change state, so a new command is covered without editing this
# test); each is refused with a message on the status line, and a digest
# of every row of the control store and of the warehouse is the same
# afterwards.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
fixture_project "$T/p"
cd "$T/p"
before=$(fixture_checksum "$T/p")
base_socket=$CONSOLE_SOCKET

# Every command that changes state, with arguments that would be valid.
mutating_commands() {
	"$SLUICE" help | sed -n 's/^  //p' | cut -c1-41 |
		awk '{ n = ""; for (i = 1; i <= NF && $i ~ /^[a-z][a-z-]*$/; i++)
			n = n (n ? " " : "") $i; if (n) print n }' |
	while read -r name; do
		"$SLUICE" help "$name" | grep -q "refused in read-only mode" || continue
		usage=$("$SLUICE" help "$name" | sed -n '1s/^usage: sluice //p')
		line=$name
		for word in ${usage#"$name"}; do
			case $word in
			FLOW) line+=" orders_etl" ;;
			RUN) line+=" 7" ;;
			PIPE) line+=" orders_pipe" ;;
			TASK|NAME) line+=" hourly" ;;
			TABLE) line+=" dim_staff" ;;
			DIR) line+=" $T/new" ;;
			esac
		done
		printf '%s\n' "$line"
	done
}

refused() { # KEY WHAT
	console_keys "$1"
	console_wait_line -1 "read-only mode: $2"
}

walk() {
	console_wait "READ-ONLY"
	console_keys 2; console_wait "LAST ERROR"
	refused p pause; refused u resume; refused f refresh; refused F "force reload"
	console_keys Enter; console_wait "Loads of orders_pipe"
	refused F "reload file"
	console_keys Escape
	console_keys 4; console_wait "FAILS ACTION"
	refused x execute; refused s suspend; refused u resume
	console_keys 5; console_wait "TRIGGERED BY"
	refused r run; refused B backfill
	console_keys 6; console_wait_line -1 "runs 1/14"
	console_keys j
	refused c cancel; refused R retry
	console_keys Enter; console_wait "TRANSITIONS"
	refused c cancel; refused R retry
	console_keys Escape
	console_keys 8; console_wait "DIFFERENCES"
	refused n next; refused a approve; refused d discard
	console_keys Enter; console_wait "PROCEDURE"
	refused n next; refused a approve; refused d discard
	console_keys C; console_wait "side by side"
	refused n next; refused a approve; refused d discard
	console_keys Escape; console_keys Escape
	# no mutating key is offered in the key bar
	console_keys 2; console_wait "LAST ERROR"
	assert_not_contains "$(console_line -2)" "pause" "key hints in read-only mode"
	local line n=0
	while read -r line; do
		console_keys :
		console_keys -l "$line"
		console_keys Enter
		console_wait_line -1 "read-only mode"
		n=$((n + 1))
	done < <(mutating_commands)
	[ "$n" -ge 8 ] || fail "only $n mutating commands found in sluice help"
	console_keys q
	console_exited
	assert_eq 0 "$CONSOLE_STATUS" "exit status"
	console_stop
}

CONSOLE_SOCKET=$base_socket-monitor
console_start 100 30 xterm-256color monitor
walk
assert_eq "$before" "$(fixture_checksum "$T/p")" "store and warehouse after sluice monitor"

CONSOLE_SOCKET=$base_socket-flag
console_start 100 30 xterm-256color --read-only
walk
assert_eq "$before" "$(fixture_checksum "$T/p")" "store and warehouse after sluice --read-only"
