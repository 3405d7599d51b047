#!/bin/bash
# demo_live.sh - the demo comes alive by itself: a fresh demo, a headless
# engine (`sluice worker`) and the simulator, and within about a minute the
# tasks have fired on their own, runs of all three flows have COMPLETED,
# the pipes have LOADED files, the orders stream has filled and been
# consumed (its offset advanced), and the warehouse's fact tables have
# rows.  Nobody runs anything by hand.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
# This tree's template, even where an older sluice is installed.
export SLUICE_DATADIR=$SLUICE_SRCDIR/data
cd "$T"

run_sluice init --demo live --seed 3
assert_eq 0 "$RC" "init ($ERR)"
cd live

"$SLUICE" worker >worker.log 2>&1 &
worker=$!
"$SLUICE" demo simulate --interval 2s >simulate.log 2>&1 &
simulator=$!
stop_all() {
	kill -TERM "$simulator" "$worker" 2>/dev/null
	wait "$simulator" "$worker" 2>/dev/null
	return 0
}
at_exit stop_all

# show ... --json prints one "key":<tab>value pair a line.
completed() { # FLOW: runs of FLOW that COMPLETED
	"$SLUICE" show runs --flow "$1" --state COMPLETED --json 2>/dev/null |
		grep -o '"state":[[:space:]]*"COMPLETED"' | wc -l
}
alive() {
	[ "$(completed totesys_ingest)" -ge 1 ] &&
	[ "$(completed totesys_warehouse)" -ge 1 ] &&
	[ "$(completed orders_etl)" -ge 2 ]
}
# The ingest task fires every 30 s, the orders task every 15 s: a minute
# is plenty; 90 s is the limit.
if ! wait_until 90 alive; then
	tail -20 worker.log >&2
	"$SLUICE" show runs >&2
	fail "the demo did not come alive in 90 s"
fi

run_sluice show runs --json
OUT=$(json_squeeze <<<"$OUT")
assert_contains "$OUT" '"state":"COMPLETED"' "runs"
assert_not_contains "$OUT" '"state":"FAILED"' "runs"
assert_contains "$OUT" '"trigger":"task"' "runs started by tasks"

# A task's history records the outcome at the scheduler's next tick after
# its run ends, so give it a few seconds.
succeeded() { # TASK
	"$SLUICE" show task-history "$1" --json | json_squeeze | grep -q '"state":"SUCCEEDED"'
}
for task in ingest warehouse orders; do
	run_sluice show task-history "$task" --json
	assert_eq 0 "$RC" "task history of $task"
	wait_until 30 succeeded "$task" ||
		fail "history of task $task has no SUCCEEDED entry: $OUT"
done

run_sluice show pipes --json
assert_eq 0 "$RC" "show pipes"
loaded=$(grep -o '"files_loaded":[[:space:]]*[0-9]*' <<<"$OUT" | grep -o '[0-9]*$' |
	awk '{ n += $1 } END { print n + 0 }')
[ "$loaded" -ge 9 ] || fail "only $loaded files LOADED (every table's extract and order files)"
run_sluice show loads orders_pipe --json
OUT=$(json_squeeze <<<"$OUT")
assert_contains "$OUT" '"status":"LOADED"' "orders pipe history"

run_sluice show streams --json
offset=$(grep -o '"offset":[[:space:]]*"[0-9]*"' <<<"$OUT" | grep -o '[0-9]*"$' | tr -d '"')
[ -n "$offset" ] && [ "$offset" -gt 0 ] || fail "orders_stream did not advance: $OUT"

# Every seeded order reaches the fact table.  Not necessarily in the first
# warehouse run: an order the simulator amended in the extract's last two
# seconds (its lag) waits for the next ingest, 30 s later.
seeded_facts() {
	sqlite3 data/warehouse.db \
		"SELECT count(DISTINCT sales_order_id) FROM fact_sales_order WHERE sales_order_id <= 2000"
}
all_seeded() { [ "$(seeded_facts)" -eq 2000 ]; }
wait_until 75 all_seeded ||
	fail "fact_sales_order holds $(seeded_facts) of the 2000 seeded orders"
facts=$(sqlite3 data/warehouse.db "SELECT count(*) FROM fact_sales_order")
newer=$(sqlite3 data/warehouse.db "SELECT count(*) FROM fact_sales_order WHERE sales_order_id > 2000")
dims=$(sqlite3 data/warehouse.db "SELECT (SELECT count(*) FROM dim_staff) * (SELECT count(*) FROM dim_date)
	* (SELECT count(*) FROM dim_design) * (SELECT count(*) FROM dim_location)")
[ "$dims" -gt 0 ] || fail "a dimension is empty"
lines=$(sqlite3 data/warehouse.db "SELECT count(*) FROM fact_order_line")
[ "$lines" -gt 0 ] || fail "fact_order_line is empty"
echo "demo_live.sh: ok ($facts facts, $newer from the simulator, $lines order lines, offset $offset)"
