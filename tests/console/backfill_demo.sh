#!/bin/bash
# backfill_demo.sh - a whole backfill driven from the console, on the demo:
# the transform gains a column, the operator starts a backfill from the
# flows view, steps it through suspend, rebuild, validate and compare in the
# backfills view, reads the comparison page (the new column changed in every
# staff row, nothing else changed), approves it in a dialog whose default
# is Cancel, and resumes the tasks.  The warehouse is checked afterwards.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
cd "$T"

run_sluice init --demo demo --seed 11
assert_eq 0 "$RC" "init ($ERR)"
cd demo
sleep 3                       # past the extract lag: every generated row is due
run_sluice run totesys_ingest --wait
assert_eq 0 "$RC" "ingest ($ERR)"
run_sluice run totesys_warehouse --wait
assert_eq 0 "$RC" "warehouse ($ERR)"
staff=$(sqlite3 data/warehouse.db "SELECT count(*) FROM dim_staff")
[ "$staff" -gt 0 ] || fail "dim_staff is empty"

# The console runs the engine with its scheduler: an ingest tick (every
# 30 s) would make the warehouse task run the edited transform before the
# backfill suspends it, and dim_staff would gain the new column by drift.
# The operator holds the extract first; the backfill itself suspends and
# resumes the flow's own trigger, the warehouse task.
run_sluice task suspend ingest
assert_eq 0 "$RC" "suspend ingest ($ERR)"

# The new business rule.
sed -i '0,/^       s.email_address$/s//       s.email_address, upper(s.last_name) AS last_name_upper/' \
	sql/stage_totesys.sql
grep -q last_name_upper sql/stage_totesys.sql || fail "the transform was not edited"

# The row of FLOW in the backfills list has STEP and STATE.
backfill_at() { # STEP STATE
	console_screen | grep -Eq "totesys_warehouse +$1 +$2"
}
wait_backfill_at() { # STEP STATE [SECONDS]
	wait_until "${3:-60}" backfill_at "$1" "$2" || {
		console_screen >&2
		fail "the backfill did not reach $1 $2"
	}
}

console_start 120 32 xterm-256color
console_wait "OPERATOR"

# ---- start it from the flows view ---------------------------------------------------
console_keys 5
console_wait "totesys_warehouse"
console_keys /
console_keys -l "totesys_warehouse"
console_keys Enter
console_keys B
console_wait "backfill start totesys_warehouse"
console_keys Enter                      # the default is Cancel
console_wait "not confirmed: nothing was done"
console_keys B
console_wait "backfill start totesys_warehouse"
console_keys y
console_keys 8
wait_backfill_at plan WAITING 30

# ---- one step at a time, each waiting for the operator ------------------------------
for step in suspend rebuild validate compare; do
	console_keys n
	wait_backfill_at "$step" WAITING 120
done
assert_eq SUSPENDED "$("$SLUICE" show tasks --json | json_squeeze |
	grep -o '"name":"warehouse","state":"[A-Z_]*"' | grep -o '[A-Z_]*"$' | tr -d '"')" \
	"the warehouse task (it triggers the flow) while the backfill runs"

# ---- the comparison, a page of its own -------------------------------------------------
console_keys Enter
console_wait "Backfill"
console_keys C
console_wait "last_name_upper" 20
screen=$(console_screen)
assert_contains "$screen" "dim_staff" "the comparison page"
printf '%s\n' "$screen" | grep -Eq '^ +last_name_upper +[1-9][0-9]* *$' ||
	fail "the comparison does not count last_name_upper changed: $screen"
printf '%s\n' "$screen" | grep -Eq '^ +email_address +0 *$' ||
	fail "the comparison counts changes in an untouched column: $screen"
console_keys /                          # the samples, further down the page
console_keys -l "FRANEY"
console_keys Enter
console_wait "FRANEY"
console_keys Escape
console_keys Escape
console_wait "totesys_warehouse"

# ---- approve: asks first, defaults to Cancel ---------------------------------------------
console_keys a
console_wait "backfill approve totesys_warehouse"
console_keys Escape
console_wait_gone "backfill approve totesys_warehouse --yes"
wait_backfill_at compare WAITING 5
console_keys a
console_wait "backfill approve totesys_warehouse"
console_keys y
console_wait "step approve WAITING; next: resume the tasks" 60    # its answer, on a page
assert_contains "$(console_screen)" "dim_staff swapped in (the previous table kept as dim_staff_old)"
console_keys q
wait_backfill_at approve WAITING 10
console_keys n
wait_backfill_at resume COMPLETED 60

# ---- what the warehouse holds now -------------------------------------------------------------
cols=$(sqlite3 data/warehouse.db "SELECT group_concat(name) FROM pragma_table_info('dim_staff')")
assert_contains "$cols" "last_name_upper" "dim_staff's columns"
assert_eq "$staff" "$(sqlite3 data/warehouse.db "SELECT count(*) FROM dim_staff_old")" \
	"the previous dim_staff kept as dim_staff_old"
assert_eq 0 "$(sqlite3 data/warehouse.db \
	"SELECT count(*) FROM dim_staff WHERE last_name_upper IS NOT upper(last_name)")" \
	"every staff row has the new column filled"
assert_eq STARTED "$("$SLUICE" show tasks --json | json_squeeze |
	grep -o '"name":"warehouse","state":"[A-Z_]*"' | grep -o '[A-Z_]*"$' | tr -d '"')" \
	"the warehouse task after resume"

console_keys q
console_exited 15
assert_eq 0 "$CONSOLE_STATUS" "the console's exit status"
