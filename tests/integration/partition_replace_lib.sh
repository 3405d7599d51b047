#!/bin/bash
# partition_replace_lib.sh - a load with "partition_column" replaces its
# run's partition, written once for SQLite (partition_replace.sh) and
# PostgreSQL (partition_replace_pg.sh).  The caller sets WH_URL, q (runs
# SQL on the warehouse) and RAW_SQL (raw_orders: 5 orders a day over 3
# days, ids 1-15, day 1 + (id - 1) % 3) and calls partition_replace.
#
#   - a partition run again after its source lost a row: the row is gone
#     from the target (merge and append loads), the other days untouched,
#     the run's summary says how many rows were deleted first;
#   - a load that fails after the delete (rows outside its partition)
#     leaves the partition's old rows;
#   - a partitioned backfill (two partitions at a time, into one table)
#     of a day whose source lost a row: the
#     comparison counts the day's rows in both tables, and after approval
#     the row is gone;
#   - a partition_column the target lacks, or in a flow with no partition:
#     clear errors naming the file, line and key.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

P=$T/replace
mkdir -p "$P"
cd "$P"

write_project() { # WHERE (the source's filter)
	cat >sluice.json <<JSON
{ "project": "replace",
  "connections": { "warehouse": { "url": "$WH_URL" } },
  "flows": [
    { "name": "daily",
      "params": { "day": { "type": "date" } },
      "partition": { "param": "day", "grain": "day", "start": "2024-01-01" },
      "steps": [
        { "name": "orders", "kind": "load", "connection": "warehouse",
          "from": { "query": "SELECT id, day, amount FROM raw_orders WHERE $1" },
          "table": "orders_by_day", "mode": "merge", "key": ["id"],
          "partition_column": "day" },
        { "name": "log", "kind": "load", "connection": "warehouse", "needs": ["orders"],
          "from": { "query": "SELECT id, day, amount FROM raw_orders WHERE $1" },
          "table": "orders_log", "key": ["id"], "partition_column": "day" } ] },
    { "name": "bad_column",
      "params": { "day": { "type": "date" } },
      "partition": { "param": "day", "grain": "day" },
      "steps": [
        { "name": "orders", "kind": "load", "connection": "warehouse",
          "from": { "query": "SELECT id, amount FROM raw_orders WHERE day = :day" },
          "table": "orders_no_day", "mode": "merge", "key": ["id"],
          "partition_column": "day" } ] } ] }
JSON
}

day_rows() { # TABLE DAY
	q "SELECT count(*) FROM $1 WHERE CAST(day AS TEXT) LIKE '$2%'"
}

partition_replace() {
	write_project "day = :day"
	q "$RAW_SQL"
	run_sluice check
	assert_eq 0 "$RC" "check: $OUT $ERR"
	for d in 01 02 03; do
		run_sluice run daily day=2024-01-$d --wait
		assert_eq 0 "$RC" "day $d: $ERR"
	done
	for t in orders_by_day orders_log; do
		for d in 01 02 03; do
			assert_eq 5 "$(day_rows $t 2024-01-$d)" "$t: day $d loaded"
		done
	done

	# The source loses order 5 (day 2): its partition run again replaces
	# the day; order 5 goes, days 1 and 3 keep their rows.
	q "DELETE FROM raw_orders WHERE id = 5"
	run_sluice run daily day=2024-01-02 --wait
	assert_eq 0 "$RC" "day 2 again: $ERR"
	for t in orders_by_day orders_log; do
		assert_eq 0 "$(q "SELECT count(*) FROM $t WHERE id = 5")" "$t: the lost row is gone"
		assert_eq 4 "$(day_rows $t 2024-01-02)" "$t: day 2 holds the source's 4 rows, once"
		assert_eq 5 "$(day_rows $t 2024-01-01)" "$t: day 1 untouched"
		assert_eq 5 "$(day_rows $t 2024-01-03)" "$t: day 3 untouched"
	done
	run_id=$("$SLUICE" show runs --flow daily -n 1 --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
	run_sluice logs --run "$run_id"
	assert_contains "$OUT" "partition 2024-01-02 replaced: 5 rows deleted first" \
		"the run's log says what it deleted"

	# A load that fails after its delete leaves the day's old rows: a
	# source that reads past its day loads rows of other partitions.
	q "DELETE FROM raw_orders WHERE id = 8"
	write_project "day >= :day"
	run_sluice run daily day=2024-01-02 --wait
	assert_eq 1 "$RC" "a load with rows outside its partition fails"
	run_sluice show run "$((run_id + 1))"
	assert_contains "$OUT" "rows loaded have a day outside partition 2024-01-02"
	assert_eq 1 "$(q "SELECT count(*) FROM orders_by_day WHERE id = 8")" \
		"the failed load left the old row"
	assert_eq 4 "$(day_rows orders_by_day 2024-01-02)" "the failed load left day 2 as it was"
	assert_eq 5 "$(day_rows orders_by_day 2024-01-03)" "and day 3"

	# A backfill of days 1-3 after order 3 (day 3) was lost: the
	# comparison counts day 3's rows in both tables; approval removes it.
	write_project "day = :day"
	q "DELETE FROM raw_orders WHERE id = 3"
	run_sluice backfill start daily --from 2024-01-01 --to 2024-01-03 --reprocess all --max-active 2
	assert_eq 0 "$RC" "start: $ERR"
	for step in suspend rebuild validate compare; do
		run_sluice backfill next daily
		assert_eq 0 "$RC" "next $step: $ERR"
	done
	json=$("$SLUICE" backfill status daily --json | json_squeeze)
	assert_contains "$json" '{"table":"orders_by_day","rows_current":5,"rows_backfill":4}' \
		"day 3's rows in both tables"
	assert_contains "$json" '{"table":"orders_log","rows_current":4,"rows_backfill":3}' \
		"day 2's rows in both tables (order 8)"
	run_sluice backfill approve daily --yes
	assert_eq 0 "$RC" "approve: $ERR"
	run_sluice backfill next daily
	assert_eq 0 "$RC" "resume: $ERR"
	for t in orders_by_day orders_log; do
		assert_eq 0 "$(q "SELECT count(*) FROM $t WHERE id IN (3, 5, 8)")" \
			"$t: the lost rows are gone after the backfill"
		assert_eq 5 "$(day_rows $t 2024-01-01)" "$t: day 1 after the backfill"
		assert_eq 3 "$(day_rows $t 2024-01-02)" "$t: day 2 after the backfill"
		assert_eq 4 "$(day_rows $t 2024-01-03)" "$t: day 3 after the backfill"
	done

	# A target without the column: the run fails, naming where it is set.
	q "CREATE TABLE orders_no_day (id integer, amount integer)"
	run_sluice run bad_column day=2024-01-01 --wait
	assert_eq 1 "$RC" "a partition_column the target lacks"
	run_sluice show run "$("$SLUICE" show runs --flow bad_column -n 1 --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')"
	assert_contains "$OUT" "partition_column: table orders_no_day has no column \"day\""
	line=$(grep -n '"partition_column": "day" } \] } \] }' sluice.json | cut -d: -f1)
	assert_contains "$OUT" "sluice.json:$line:"
	assert_eq 0 "$(q "SELECT count(*) FROM orders_no_day")" "nothing loaded"

	# In a flow without a partition: refused by check, at the key.
	sed -i 's/"partition": { "param": "day", "grain": "day" },//' sluice.json
	run_sluice check
	[ "$RC" -ne 0 ] || fail "check passed a partition_column in an unpartitioned flow"
	assert_contains "$OUT$ERR" "sluice.json:$line:"
	assert_contains "$OUT$ERR" "flow bad_column has no \"partition\""
}
