#!/bin/bash
# terminals.sh - the console starts, shows its header, opens a view and
# quits cleanly on every terminal type an operator is likely to have.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
cd "$T"

base_socket=$CONSOLE_SOCKET
for term in xterm-256color xterm screen tmux-256color vt100 linux; do
	CONSOLE_SOCKET="$base_socket-$term"    # a fresh tmux server each
	console_start 80 24 "$term"
	console_wait "OPERATOR"
	header=$(console_line 0)
	for field in "sluice" "project: (none)" "env: default" "store: (none)" "@"; do
		assert_contains "$header" "$field" "header on $term"
	done
	assert_contains "$(console_line 1)" "1 overview" "bar of views on $term"

	console_keys 6
	console_wait "TRIGGER"
	assert_contains "$(console_screen)" "no runs to show" "runs view on $term"
	assert_contains "$(console_line -1)" "runs 0/0" "status line on $term"
	console_keys 2
	console_wait "LAST FILE"

	console_keys q
	console_exited
	assert_eq 0 "$CONSOLE_STATUS" "exit status on $term"
	console_stop
done
