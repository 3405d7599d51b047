#!/bin/bash
# views.sh - every view shows the store's real data: a project filled by
# mkfixture (runs in every state, steps, transitions, a validation, task
# history, load history, a stream mirror, a worker, logs, backfills, a
# warehouse), opened with `sluice monitor` so that no engine changes it
# while we look.  Sorting, the `/` filter (state names match), Enter for
# details and Esc back, on the way.
#
# First every view at rest, driven by a script (SLUICE_CONSOLE_SCRIPT) and
# compared whole with golden screens at 80x24; then the same store in a
# wider terminal, by keys, for what moves (sorting, filtering, paging) and
# for what 80 columns cut off.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
fixture_project "$T/p"
cd "$T/p"

# ---- every view at rest, whole ---------------------------------------------------
console_script "$T/steps" \
	':save-screen overview.screen' \
	'2' ':save-screen pipes.screen' \
	'3' ':save-screen streams.screen' \
	'4' ':save-screen tasks.screen' \
	'5' ':save-screen flows.screen' \
	'6' ':save-screen runs.screen' \
	'/failed<Enter><Enter>' ':save-screen run.screen' \
	'G' ':save-screen run-end.screen' \
	'<Esc><Esc>8' ':save-screen backfills.screen' \
	'<Enter>' ':save-screen backfill.screen' \
	'G' ':save-screen backfill-end.screen' \
	'C' ':save-screen compare.screen' \
	':quit'
console_run_script 80 24 xterm-256color "$T/steps" monitor
# the rows per minute are counted in wall-clock minutes: the bars move
# when a minute starts between filling the store and drawing
console_assert_screen overview "$T/p/overview.screen" 's/^(ROWS\/MIN  )(\S+)/$1 . ("#" x length $2)/e'
console_assert_screen pipes "$T/p/pipes.screen"
console_assert_screen streams "$T/p/streams.screen"
console_assert_screen tasks "$T/p/tasks.screen"
console_assert_screen flows "$T/p/flows.screen"
# run 13 is still running: its time so far grows
console_assert_screen runs "$T/p/runs.screen" 's/\b\d+m\d\ds\b/"#" x length $&/e'
console_assert_screen run "$T/p/run.screen"
console_assert_screen run-end "$T/p/run-end.screen"
console_assert_screen backfills "$T/p/backfills.screen"
console_assert_screen backfill "$T/p/backfill.screen"
console_assert_screen backfill-end "$T/p/backfill-end.screen"
console_assert_screen compare "$T/p/compare.screen"
# two column names that differ only at their end stay two names when cut
cut_names=$(grep -o 'customer_b[^ ]*' "$T/p/compare.screen" | sort -u | wc -l)
assert_eq 2 "$cut_names" "distinct cut column names on the comparison page"

console_start 100 30 xterm-256color monitor
console_wait "READ-ONLY"

# ---- overview -------------------------------------------------------------------
console_wait "PROBLEMS"
assert_contains "$(console_screen)" "orders_pipe: unexpected end of JSON" "a failure, with its pipe"
assert_contains "$(console_screen)" "heartbeat" "engine line"

# ---- pipes, and a pipe's loads ----------------------------------------------------
console_keys 2
console_wait "LAST ERROR"
# the file's path cut in the middle: its name stays
assert_contains "$(console_screen)" "orders/2026/11… 1225010…000.json" "last error and file"
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
assert_contains "$(console_screen)" "on_orders" "watched by"

# ---- tasks, and a task's history ----------------------------------------------------
console_keys 4
console_wait "FAILS ACTION"
assert_contains "$(console_screen)" "every 1 hour" "schedule"
assert_contains "$(console_screen)" "run totesys_ware…" "action"
assert_contains "$(console_screen)" "every 1 minute w… -         4m ago    SKIPPED        0 run orders_etl" "a suspended task"
console_keys j Enter
console_wait "History of nightly"
assert_contains "$(console_screen)" "no such table: stg_staff" "task history error"
console_keys Enter
console_wait "Run 7"
console_keys Escape Escape

# ---- flows ----------------------------------------------------------------------------
console_keys 5
console_wait "TRIGGERED BY"
assert_contains "$(console_screen)" "order files into the war…" "description"
assert_contains "$(console_screen)" "lake files into the star…" "description"
console_keys Enter
console_wait "Runs of orders_etl"
assert_not_contains "$(console_screen)" "totesys_warehouse" "runs of one flow"
console_keys Escape

# ---- runs: sort, filter, detail ---------------------------------------------------------
console_keys 6
console_wait_line -1 "runs 1/14"
assert_contains "$(console_screen)" "      7 totesys_warehouse  FAILED     manual   15m ago      8.0s         0 dims: no such table: stg…" "a failed run's error"
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
assert_contains "$(console_screen)" "1 table: 12 changed, 3 new, 1 …" "differences"
console_keys Enter
console_wait "PROCEDURE"
assert_contains "$(console_screen)" "  dim_staff                  250       252         1         3        12       237   0.062" "the comparison's score"
console_keys C
console_wait "side by side"
assert_contains "$(console_screen)" "Jeremie.Franey@terrifictotes.com jeremie.franey@terrifictotes.com" "samples side by side"
console_keys Escape Escape

# ---- logs ----------------------------------------------------------------------------------
console_keys 9
console_wait "no such table: stg_staff"
assert_contains "$(console_line -1)" "following" "logs follow by default"

console_keys q
console_exited
assert_eq 0 "$CONSOLE_STATUS" "exit status"
