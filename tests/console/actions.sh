#!/bin/bash
# actions.sh - acting from the console, through the command layer, with
# the engine running in the console: a run started from a form built from
# the flow's parameters (checked before anything is sent), a cancel that
# asks first with the focus on Cancel, a retry, a task suspended and
# resumed, a pipe paused and resumed, a backfill discarded and finished.  What changed is read back from the
# store by the views themselves.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
fixture_project "$T/p"
cd "$T/p"

# The id a command answered with, on the status line.
answered_id() {
	local i first
	for i in $(seq 1 200); do
		# "run 15: retry of run 7"
		first=$(console_line -1 | awk '$1 == "run" { sub(":", "", $2); print $2 }')
		case $first in
		''|*[!0-9]*) sleep 0.05 ;;
		*) printf '%s\n' "$first"; return 0 ;;
		esac
	done
	fail "no run id on the status line: $(console_line -1)"
}

console_start 100 30 xterm-256color
console_wait "OPERATOR"

# ---- a run from the parameter form ----------------------------------------------------------
console_keys 5
console_wait "TRIGGERED BY"
console_keys j r
console_wait "Run totesys_warehouse"
assert_contains "$(console_screen)" "full (bool)" "a field per parameter, with its type"
assert_contains "$(console_screen)" "label (text)*" "a required parameter"
console_keys Tab                       # to "since"
console_keys C-u
console_keys -l "2020-13-45"
console_keys Enter
console_wait "is not a"
assert_contains "$(console_screen)" "Run totesys_warehouse" "the form stays open"
console_keys C-u
console_keys -l "2021-01-01"
console_keys Enter
console_wait "label (text): a value is required"
console_keys -l "from the console"     # the focus is on the field at fault
console_keys Enter
console_wait_gone "Run totesys_warehouse"
# `run` answers with the new run's id (the engine's scheduler may start
# other runs meanwhile, so the id is read, not assumed)
id=$(answered_id)
console_keys :
console_keys -l "runs $id"
console_keys Enter Enter          # select it, open it
console_wait "Run $id  totesys_warehouse"
assert_contains "$(console_screen)" '"since":"2021-01-01"' "the parameter sent"
assert_contains "$(console_screen)" '"label":"from the console"' "a value with spaces"
assert_contains "$(console_screen)" "trigger    " "trigger line"
console_keys Escape

# ---- cancel asks first; Enter means Cancel -------------------------------------------------------
console_keys :
console_keys -l "runs 13"
console_keys Enter Enter
console_wait "Run 13  orders_etl  RUNNING"
console_keys c
console_wait "Confirm: cancel 13"
console_keys Enter
console_wait "not confirmed: nothing was done"
assert_contains "$(console_screen)" "Run 13  orders_etl  RUNNING" "still running"
console_keys c
console_wait "Confirm: cancel 13"
console_keys y
console_wait "Run 13  orders_etl  CANCEL"
console_keys Escape

# ---- retry a failed run --------------------------------------------------------------------------
console_keys :
console_keys -l "runs 7"
console_keys Enter Enter
console_wait "Run 7  totesys_warehouse  FAILED"
console_keys R
id=$(answered_id)
console_keys Escape
console_keys :
console_keys -l "runs $id"
console_keys Enter Enter          # select it, open it
console_wait "Run $id  totesys_warehouse"
assert_contains "$(console_screen)" "retry of run 7" "the retry's parent"
console_keys Escape

# ---- a task suspended and resumed -------------------------------------------------------------------
console_keys 4
console_wait "FAILS ACTION"
console_keys s
console_wait "Confirm: task suspend hourly"
console_keys y
console_wait "hourly           SUSPENDED"
console_keys u
console_wait "hourly           STARTED"

# ---- a pipe paused and resumed -------------------------------------------------------------------------
console_keys 2
console_wait "LAST ERROR"
console_keys p
console_wait "orders_pipe    PAUSED"
console_keys u
console_wait_gone "orders_pipe    PAUSED"

# ---- reloading a file asks first ----------------------------------------------------------------------------
console_keys Enter
console_wait "Loads of orders_pipe"
console_keys F
console_wait "Confirm: pipe refresh orders_pipe --force --file"
console_keys Escape
console_wait "not confirmed: nothing was done"
console_keys Escape

# ---- a backfill discarded, then taken to its end ----------------------------------------------
console_keys 8
console_wait "DIFFERENCES"
console_keys Enter
console_wait "PROCEDURE"
console_keys d
console_wait "Confirm: backfill discard totesys_warehouse --yes"
console_keys Enter
console_wait "not confirmed: nothing was done"
assert_contains "$(console_screen)" "WAITING at compare" "nothing discarded"
console_keys d
console_wait "Confirm: backfill discard"
console_keys y
console_wait "step discard WAITING; next: resume the tasks"    # its answer, on a page
console_keys q
console_wait "WAITING at discard"
console_keys n                       # resume the tasks, in the background
console_wait "DISCARDED at resume" 30
assert_contains "$(console_screen)" "✓ discard  ✓ resume" "the procedure, discarded"
console_keys Escape

console_keys q
console_exited 30
assert_eq 0 "$CONSOLE_STATUS" "exit status"
