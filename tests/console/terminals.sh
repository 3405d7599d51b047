#!/bin/bash
# terminals.sh - on every terminal type an operator is likely to have, at
# 80x24: the console starts, shows its header, and every view shows the
# store's data (a filled fixture, read-only); a run's detail opens and
# closes; it quits cleanly.  Without a project it still starts and says so.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
fixture_project "$T/p"
mkdir "$T/empty"

base_socket=$CONSOLE_SOCKET
for term in xterm-256color xterm screen tmux-256color vt100 linux; do
	CONSOLE_SOCKET="$base_socket-$term"    # a fresh tmux server each
	cd "$T/p"
	console_start 80 24 "$term" monitor
	console_wait "READ-ONLY"
	header=$(console_line 0)
	for field in "sluice" "project: console" "env: default" "store: sqlit" "@"; do
		assert_contains "$header" "$field" "header on $term"
	done
	assert_contains "$(console_line 1)" "1 overview" "bar of views on $term"
	console_wait "RECENT FAILURES"
	console_keys 2; console_wait "returns_pipe"
	console_keys 3; console_wait "orders_stream"
	console_keys 4; console_wait "on_orders"
	console_keys 5; console_wait "TRIGGERED BY"
	console_keys 6; console_wait_line -1 "runs 1/14"
	assert_contains "$(console_screen)" "FAILED" "runs view on $term"
	console_keys /; console_keys -l failed; console_keys Enter
	console_wait_line -1 "filter"
	console_keys Enter
	console_wait "Run 7  totesys_warehouse  FAILED"
	console_keys G
	console_wait "TRANSITIONS"
	console_keys q
	console_wait_gone "TRANSITIONS"
	console_keys 7; console_wait "dim_staff"
	console_keys 8; console_wait "DIFFERENCES"
	console_keys 9; console_wait_line -1 "following"
	console_keys q
	console_exited
	assert_eq 0 "$CONSOLE_STATUS" "exit status on $term"
	console_stop

	CONSOLE_SOCKET="$base_socket-$term-none"
	cd "$T/empty"
	console_start 80 24 "$term"
	console_wait "No control store is open"
	assert_contains "$(console_line 0)" "project: (none)" "header without a project on $term"
	console_keys q
	console_exited
	assert_eq 0 "$CONSOLE_STATUS" "exit status without a project on $term"
	console_stop
done
