#!/bin/bash
# complete.sh - Tab at the prompt completes command words and the names
# of the project's objects where a command expects them (flows, pipes,
# tasks, tables), and run ids from the store; several candidates are
# listed in the key bar.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
fixture_project "$T/p"
cd "$T/p"

console_start 100 30 xterm-256color monitor
console_wait "READ-ONLY"

complete() { # TYPED EXPECTED-LINE
	console_keys :
	console_keys -l "$1"
	console_keys Tab
	console_wait_line -1 ":$2"
	console_keys Escape
	console_wait "q quit"
}

complete "sho" "show"
complete "show ta" "show ta"          # ambiguous: tables, table, task-history
complete "run ord" "run orders_etl"
complete "pipe refresh o" "pipe refresh orders_pipe"
complete "show table d" "show table dim_staff"
complete "cancel 1" "cancel 1"        # ambiguous: the ids listed below

console_keys :
console_keys -l "pipe pause "
console_keys Tab
console_wait_line -2 "orders_pipe  returns_pipe"
console_keys Escape
console_wait "q quit"

console_keys :
console_keys -l "cancel 1"
console_keys Tab
console_wait_line -2 "1  10  11  12  13  14"
console_keys Escape
console_wait "q quit"

console_keys :
console_keys -l "retry 7"
console_keys Tab
console_wait_line -1 ":retry 7"
console_keys Escape
console_wait "q quit"

console_keys q
console_exited
assert_eq 0 "$CONSOLE_STATUS" "exit status"
