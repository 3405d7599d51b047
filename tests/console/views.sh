#!/bin/bash
# views.sh - every view shows the store's real data: a project filled by
# mkfixture (runs in every state, steps, transitions, a validation, task
# history, load history, a stream mirror, a worker, logs, backfills, a
# warehouse), opened with `sluice monitor` so that no engine changes it
# while we look.  Sorting, the `/` filter (state names match), Enter for
# details and Esc back, on the way.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
here="$SLUICE_SRCDIR/tests/console"
fixture_project "$T/p"
cd "$T/p"

console_start 100 30 xterm-256color monitor
console_wait "READ-ONLY"

# ---- overview -------------------------------------------------------------------
console_wait "RECENT FAILURES"
console_expect "$here/overview.screen"
assert_contains "$(console_screen)" "heartbeat" "engine line"

# ---- pipes, and a pipe's loads ----------------------------------------------------
console_keys 2
console_wait "LAST ERROR"
console_expect "$here/pipes.screen"
console_keys Enter
console_wait "Loads of orders_pipe"
assert_contains "$(console_screen)" "LOAD_FAILED" "load history"
assert_contains "$(console_screen)" "unexpected end of JSON" "first error"
console_keys j Enter
console_wait "at line 3, column 17"
assert_contains "$(console_screen)" "status        LOAD_FAILED" "the failed load's detail"
console_keys Escape Escape
console_wait "r reload"

# ---- streams --------------------------------------------------------------------
console_keys 3
console_wait "WATCHED BY"
console_expect "$here/streams.screen"

# ---- tasks, and a task's history ----------------------------------------------------
console_keys 4
console_wait "FAILS ACTION"
console_expect "$here/tasks.screen"
console_keys j Enter
console_wait "History of nightly"
assert_contains "$(console_screen)" "no such table: stg_staff" "task history error"
console_keys Enter
console_wait "Run 7"
console_keys Escape Escape

# ---- flows ----------------------------------------------------------------------------
console_keys 5
console_wait "TRIGGERED BY"
console_expect "$here/flows.screen"
console_keys Enter
console_wait "Runs of orders_etl"
assert_not_contains "$(console_screen)" "totesys_warehouse" "runs of one flow"
console_keys Escape

# ---- runs: sort, filter, detail ---------------------------------------------------------
console_keys 6
console_wait_line -1 "runs 1/14"
console_expect "$here/runs.screen"
console_keys /
console_keys -l failed
console_keys Enter
console_wait "1/1 of 1"
assert_contains "$(console_screen)" "dims: no such table" "filtered by state"
assert_not_contains "$(console_screen)" "COMPLETED" "filtered by state"
console_keys Escape          # the selection stays on run 7
console_wait_line -1 "runs 8/14"
console_keys '>'            # sort by FLOW
console_wait "by FLOW"
assert_contains "$(console_line 3)" "orders_etl" "sorted by flow"
console_keys I
console_wait "by FLOW▼"
assert_contains "$(console_line 3)" "totesys_warehouse" "sorted by flow, reversed"
console_keys '<' I          # back to newest first
console_wait "by ID▼"
console_keys 6
console_keys /
console_keys -l failed
console_keys Enter Enter
console_wait "Run 7  totesys_warehouse  FAILED"
console_expect "$here/run.screen"
console_keys G
console_wait "RUNNING → FAILED  step failed"
assert_contains "$(console_screen)" "PENDING → RUNNING" "transitions"
console_keys Escape
console_keys Escape

# ---- tables and a preview ---------------------------------------------------------------
console_keys 7
console_wait "CONNECTION"
assert_contains "$(console_screen)" "250" "row count from show tables"
console_keys /
console_keys -l dim_staff
console_keys Enter Enter
console_wait "Table dim_staff"
console_wait "Surname001"
assert_contains "$(console_line 2)" "staff_id" "column names stay on top"
assert_contains "$(console_line 3)" "integer" "types under them"
console_keys G ' '           # past the first page: the next one
console_wait "Surname101"
assert_contains "$(console_line 2)" "staff_id" "header on the second page"
console_keys c
console_wait "work address, lower case"
console_keys Escape Escape

# ---- backfills, one backfill, its comparison ---------------------------------------------
console_keys 8
console_wait "DIFFERENCES"
console_expect "$here/backfills.screen"
console_keys Enter
console_wait "PROCEDURE"
console_expect "$here/backfill.screen"
console_keys C
console_wait "side by side"
console_expect "$here/compare.screen"
console_keys Escape Escape

# ---- logs ----------------------------------------------------------------------------------
console_keys 9
console_wait "no such table: stg_staff"
assert_contains "$(console_line -1)" "following" "logs follow by default"

console_keys q
console_exited
assert_eq 0 "$CONSOLE_STATUS" "exit status"
