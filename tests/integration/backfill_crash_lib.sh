# backfill_crash_lib.sh - the procedure survives its process: every step
# is a command of its own (stopping between steps, killed or not, leaves
# only the store behind), and the real binary killed (SIGKILL) inside the
# rebuild is picked up by `backfill next`; shared by
# backfill_crash.sh (SQLite) and backfill_crash_pg.sh (PostgreSQL).
#
# The flow has a SQL step that is slow (the parameter n says how slow)
# while a table named slow_flag exists, so ordinary runs are quick and the
# backfill's rebuild, started with a large n, gives us time to kill it in
# the middle; the flag goes before `next` runs the step again.  The caller
# sets WH_URL, SLOW_SQL, SLOW_N, RAW_SQL and q.

. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

P=$T/crash

make_crash_project() {
	mkdir -p "$P"
	cat >"$P/sluice.json" <<JSON
{ "project": "crash",
  "connections": { "warehouse": { "url": "$WH_URL" } },
  "tasks": [ { "name": "often", "schedule": "every 1 minute", "flow": "orders" } ],
  "flows": [ { "name": "orders",
    "params": { "n": { "type": "int", "default": 1 } },
    "steps": [
      { "name": "slow", "kind": "sql", "connection": "warehouse", "sql": "$SLOW_SQL" },
      { "name": "load", "kind": "load", "connection": "warehouse", "needs": ["slow"],
        "from": { "query": "$1" }, "table": "fact_orders", "mode": "merge", "key": ["id"] },
      { "name": "check", "kind": "validate", "connection": "warehouse", "table": "fact_orders",
        "needs": ["load"], "checks": [ { "type": "row_count", "min": 1 } ] } ] } ] }
JSON
}

# Wait until the status of the backfill mentions $1.
wait_status() {
	local i
	for i in $(seq 1 300); do
		run_sluice backfill status orders
		case "$OUT" in *"$1"*) return 0 ;; esac
		sleep 0.05
	done
	fail "status never showed '$1'; last: $OUT"
}

crash_backfill() {
	make_crash_project "SELECT id, customer FROM raw_orders"
	cd "$P"
	q "$RAW_SQL"
	run_sluice run orders --wait
	[ "$RC" = 0 ] || fail "first run failed ($RC): $OUT $ERR"
	make_crash_project "SELECT id, customer, upper(customer) AS shout FROM raw_orders"

	# After start and after suspend the process is gone: the backfill
	# waits where it stood and `next`, from another process, goes on.
	"$SLUICE" backfill start orders "n=$SLOW_N" >/dev/null &
	wait $! || fail "start failed"
	run_sluice backfill status orders
	assert_contains "$OUT" "step plan WAITING"
	run_sluice backfill next orders
	assert_contains "$OUT" "step suspend WAITING"

	# Killed inside the rebuild, while its slow step runs.
	q "CREATE TABLE slow_flag (x integer)"
	"$SLUICE" backfill next orders >"$T/killed.out" 2>&1 &
	local pid=$!
	wait_status "slow RUNNING"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	q "DROP TABLE slow_flag"
	run_sluice backfill status orders
	assert_contains "$OUT" "step rebuild WORKING"
	assert_contains "$OUT" "(gone: 'next' runs the step again)"
	local first_run
	first_run=$(printf '%s\n' "$OUT" | sed -n 's/^  rebuild: run \([0-9]*\) RUNNING.*/\1/p')
	[ -n "$first_run" ] || fail "no running rebuild run in: $OUT"
	# A reader may look, but not move it.
	run_sluice --read-only backfill next orders
	assert_eq 4 "$RC" "read-only next: $ERR"

	run_sluice backfill next orders
	[ "$RC" = 0 ] || fail "next after the kill failed ($RC): $OUT $ERR"
	assert_contains "$ERR" "interrupted: the process running step rebuild is gone"
	assert_contains "$ERR" "run $first_run was left RUNNING by"
	assert_contains "$OUT" "step rebuild WAITING"
	run_sluice show run "$first_run"
	assert_contains "$OUT" "CRASHED"
	run_sluice backfill status orders --json
	assert_contains "$OUT" '"note":"interrupted"'

	# The remaining steps go on, each from a new process.
	run_sluice backfill next orders
	assert_contains "$OUT" "step validate WAITING"
	run_sluice backfill next orders
	assert_contains "$OUT" "step compare WAITING"
	run_sluice backfill status orders
	assert_contains "$OUT" "column shout: 50 changed, added"
	assert_contains "$OUT" "changed 50, unchanged 0"

	# Approve, and the process ends before the resume: `next` resumes.
	run_sluice backfill approve orders --yes
	assert_eq 0 "$RC" "approve: $ERR"
	assert_eq 50 "$(q 'SELECT count(shout) FROM fact_orders')" "swapped in"
	run_sluice backfill next orders
	assert_contains "$OUT" "step resume COMPLETED"
	run_sluice show tasks
	assert_contains "$OUT" "STARTED"
}
