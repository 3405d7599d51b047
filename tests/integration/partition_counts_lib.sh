#!/bin/bash
# partition_counts_lib.sh - what a partition's replacement deleted, beside
# what it wrote, in a run and in a backfill's partitions, written once for
# SQLite (partition_counts.sh) and PostgreSQL (partition_counts_pg.sh).
# The caller sets WH_URL, q (runs SQL on the warehouse) and RAW_SQL
# (raw_orders: 5 orders a day over 2 days, ids 1-10, day 1 + (id - 1) % 2).
#
#   - a day run again deletes the day's 5 rows first: `show run` says so,
#     its --json has "rows_deleted": 5 (a first run's is 0);
#   - a backfill of both days after the source lost a row of day 2: `backfill
#     status` lists each partition's rows written and deleted, its --json
#     carries both as numbers, per partition, in the rebuild's totals and
#     in the comparison, and the comparison's text says them too.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

P=$T/counts
mkdir -p "$P"
cd "$P"

write_project() {
	cat >sluice.json <<JSON
{ "project": "counts",
  "connections": { "warehouse": { "url": "$WH_URL" } },
  "flows": [
    { "name": "daily",
      "params": { "day": { "type": "date" } },
      "partition": { "param": "day", "grain": "day", "start": "2024-01-01" },
      "steps": [
        { "name": "orders", "kind": "load", "connection": "warehouse",
          "from": { "query": "SELECT id, day, amount FROM raw_orders WHERE day = :day" },
          "table": "orders_by_day", "mode": "merge", "key": ["id"],
          "partition_column": "day" } ] } ] }
JSON
}

assert_match() { # TEXT EXTENDED-REGEX
	grep -Eq -- "$2" <<<"$1" || fail "no line matches /$2/ in:
$1"
}

jget() { # PYTHON-EXPRESSION over the JSON on stdin as j
	python3 -c "import json,sys; j=json.load(sys.stdin); print(json.dumps($1))"
}

# The project, its source, and a run of each day.
load_days() {
	write_project
	q "$RAW_SQL"
	for d in 01 02; do
		run_sluice run daily day=2024-01-$d --wait
		assert_eq 0 "$RC" "day $d: $ERR"
	done
}

# Order 4 (day 2) lost, then a backfill of both days rebuilt (also used by
# tests/console/partition_counts.sh): day 1 writes 5 rows, day 2 writes 4,
# each deleting its day's 5 first.
rebuild_both_days() {
	q "DELETE FROM raw_orders WHERE id = 4"
	run_sluice backfill start daily --from 2024-01-01 --to 2024-01-02 --reprocess all
	assert_eq 0 "$RC" "start: $ERR"
	for step in suspend rebuild; do
		run_sluice backfill next daily
		assert_eq 0 "$RC" "next $step: $ERR"
	done
}

partition_counts() {
	load_days
	first=$("$SLUICE" show runs --flow daily -n 1 --json | jget 'j[0]["id"]')
	assert_eq 0 "$("$SLUICE" show run "$first" --json | jget 'j["rows_deleted"]')" \
		"a first run of a day deleted nothing"

	# Day 1 again: its 5 rows go first, then come back.
	run_sluice run daily day=2024-01-01 --wait
	assert_eq 0 "$RC" "day 1 again: $ERR"
	again=$("$SLUICE" show runs --flow daily -n 1 --json | jget 'j[0]["id"]')
	assert_eq 5 "$("$SLUICE" show run "$again" --json | jget 'j["rows_deleted"]')" \
		"show run --json: the rows the replacement deleted"
	run_sluice show run "$again"
	assert_contains "$OUT" "5 in, 5 out, 5 deleted replacing partition 2024-01-01"

	# A backfill of both days after order 4 (day 2) was lost.
	rebuild_both_days
	run_sluice backfill status daily
	assert_eq 0 "$RC" "status: $ERR"
	assert_match "$OUT" "2024-01-01 +COMPLETED +run [0-9]+, 5 rows written, 5 deleted first"
	assert_match "$OUT" "2024-01-02 +COMPLETED +run [0-9]+, 4 rows written, 5 deleted first"
	json=$("$SLUICE" backfill status daily --json)
	assert_eq "[[5, 5], [4, 5]]" "$(jget '[[p["rows_out"], p["rows_deleted"]] for p in j["partitions"]["list"]]' <<<"$json")" \
		"status --json: rows written and deleted per partition"
	assert_eq "[9, 10]" "$(jget '[j["rebuild"]["rows_written"], j["rebuild"]["rows_deleted"]]' <<<"$json")" \
		"status --json: the rebuild's totals"
	for step in validate compare; do
		run_sluice backfill next daily
		assert_eq 0 "$RC" "next $step: $ERR"
	done
	json=$("$SLUICE" backfill status daily --json)
	assert_eq "[[5, 5], [4, 5]]" "$(jget '[[p["rows_written"], p["rows_deleted"]] for p in j["compare"]["partitions"]]' <<<"$json")" \
		"the comparison's partitions: rows written and deleted"
	run_sluice backfill status daily
	assert_match "$OUT" "partition 2024-01-02: run [0-9]+ COMPLETED, 4 rows written, 5 deleted first; orders_by_day 5 rows now, 4 rebuilt"
	run_sluice backfill discard daily --yes
	assert_eq 0 "$RC" "discard: $ERR"
}
