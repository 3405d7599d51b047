#!/bin/bash
# terminals.sh - on every terminal type an operator is likely to have, at
# 80x24: the console starts, shows its header, and every view shows the
# store's data (a filled fixture, read-only); a run's detail opens and
# closes; it quits cleanly and leaves no frame under the shell prompt, also
# where there is no alternate screen (vt100, linux).  Without a project it
# still starts and says so.  TERM=dumb is refused as an unknown TERM is.
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
	# the store's path is long here: labels and user@host give way to it
	for field in "sluice" "con" "env: default" "sqlite:" "/.sluice/control.db"; do
		assert_contains "$header" "$field" "header on $term"
	done
	assert_contains "$(console_line 1)" "1 overview" "bar of views on $term"
	console_wait "PROBLEMS"
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
	after=$(console_screen)
	for frame in "READ-ONLY" "1 overview" "PROBLEMS" "following"; do
		assert_not_contains "$after" "$frame" "the last frame cleared on exit on $term"
	done
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

# ---- a terminal that cannot address the cursor, and one terminfo lacks ----------
exit_codes=()
for term in dumb no-such-terminal; do
	CONSOLE_SOCKET="$base_socket-$term"
	cd "$T/p"
	console_start 80 24 "$term"
	console_exited
	exit_codes+=("$CONSOLE_STATUS")
	screen=$(console_history | tr -d "\n")    # the message wraps at 80
	assert_contains "$screen" "TERM=$term" "the refusal names TERM=$term"
	assert_contains "$screen" "sluice shell" "the refusal points to sluice shell ($term)"
	console_stop
done
assert_contains "$screen" "not in the terminfo database" "unknown TERM"
[ "${exit_codes[0]}" != 0 ] || fail "TERM=dumb exited 0"
assert_eq "${exit_codes[1]}" "${exit_codes[0]}" "TERM=dumb exits as an unknown TERM does"
