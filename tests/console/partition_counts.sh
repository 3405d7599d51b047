#!/bin/bash
# partition_counts.sh - the partition under the grid's cursor says what its
# run wrote and what the load's replacement of the partition deleted first
# (day 2 lost an order in the source: 4 written, 5 deleted).
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
mkdir -p "$T/p"
cd "$T/p"
cat >sluice.json <<'JSON'
{ "project": "counts",
  "connections": { "warehouse": { "url": "sqlite:warehouse.db" } },
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
sqlite3 warehouse.db "CREATE TABLE raw_orders (id integer primary key, day text, amount integer);
WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 10)
INSERT INTO raw_orders SELECT x, date('2024-01-01', '+' || ((x - 1) % 2) || ' days'), x * 10 FROM g;"
for d in 01 02; do
	run_sluice run daily day=2024-01-$d --wait
	assert_eq 0 "$RC" "day $d: $ERR"
done
sqlite3 warehouse.db "DELETE FROM raw_orders WHERE id = 4"
run_sluice backfill start daily --from 2024-01-01 --to 2024-01-02 --reprocess all
assert_eq 0 "$RC" "start: $ERR"
for step in suspend rebuild; do
	run_sluice backfill next daily
	assert_eq 0 "$RC" "next $step: $ERR"
done

console_script "$T/steps" '8' '<Enter>' ':save-screen day1.screen' \
	']' ':save-screen day2.screen' ':quit'
console_run_script 100 40 xterm-256color "$T/steps" monitor
day1=$(console_mask <"$T/p/day1.screen")
day2=$(console_mask <"$T/p/day2.screen")
printf '%s\n' "$day1" | grep -Eq '2024-01-01 COMPLETED  run [0-9]+  5 written, 5 deleted first' ||
	fail "day 1's counts are not under the grid: $day1"
printf '%s\n' "$day2" | grep -Eq '2024-01-02 COMPLETED  run [0-9]+  4 written, 5 deleted first' ||
	fail "day 2's counts are not under the grid: $day2"
echo "ok: a partition's rows written and deleted in the grid"
