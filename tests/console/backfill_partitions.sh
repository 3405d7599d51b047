#!/bin/bash
# backfill_partitions.sh - a partitioned backfill in the console: the
# backfill's page shows the partition grid (one letter a partition,
# coloured by state) with counts by state, [ and ] move the cursor, and o
# opens the run of the partition under it.  Whole screen at 80x24.  The
# runs view names each run's partition, and / finds a partition's runs.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
mkdir -p "$T/p"
cd "$T/p"
cat >sluice.json <<'JSON'
{ "project": "grid",
  "connections": { "warehouse": { "url": "sqlite:warehouse.db" } },
  "flows": [
    { "name": "daily_sales", "concurrency": 2,
      "params": { "day": { "type": "date" } },
      "partition": { "param": "day", "grain": "day", "column": "day" },
      "steps": [
        { "name": "check", "kind": "sql", "connection": "warehouse",
          "sql": "SELECT abs(CASE WHEN EXISTS (SELECT 1 FROM poison WHERE day = :day) THEN -9223372036854775807 - 1 ELSE 1 END)" },
        { "name": "load", "kind": "load", "connection": "warehouse", "needs": ["check"],
          "from": { "query": "SELECT day, count(*) AS orders FROM raw_orders WHERE day = :day GROUP BY day" },
          "table": "daily_sales", "mode": "merge", "key": ["day"] } ] } ] }
JSON
sqlite3 warehouse.db "CREATE TABLE raw_orders (id integer primary key, day text);
CREATE TABLE poison (day text); INSERT INTO poison VALUES ('2024-03-05');
WITH RECURSIVE g(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM g WHERE x < 29)
INSERT INTO raw_orders SELECT x + 1, date('2024-03-01', '+' || (x % 12) || ' days') FROM g;"
# Days 9 and 10 completed before: --reprocess none skips them.
for d in 09 10; do
	run_sluice run daily_sales day=2024-03-$d --wait
	assert_eq 0 "$RC" "run of day $d: $ERR"
done
run_sluice backfill start daily_sales --from 2024-03-01 --to 2024-03-12 --max-active 2
assert_eq 0 "$RC" "start: $ERR"
run_sluice backfill next daily_sales
assert_eq 0 "$RC" "suspend: $ERR"
run_sluice backfill next daily_sales
assert_eq 1 "$RC" "rebuild with day 5 failing"

console_script "$T/steps" \
	'8' '<Enter>' ']]]]' ':save-screen grid.screen' \
	'o' ':save-screen grid-run.screen' \
	'<Esc><Esc>6' '/2024-03-05<Enter>' ':save-screen runs-partition.screen' \
	':quit'
console_run_script 80 24 xterm-256color "$T/steps" monitor
console_assert_screen backfill-partitions "$T/p/grid.screen"
grid=$(console_mask <"$T/p/grid.screen")
assert_contains "$grid" "2024-03-01    CCCCFCCC--CC" "one cell a partition, by state"
assert_contains "$grid" "C completed 9  F failed 1  - skipped 2" "counts by state"
run5=$("$SLUICE" show runs --partition 2024-03-05 --json | json_squeeze | grep -o '"id":[0-9]*' | head -n 1 | cut -d: -f2)
assert_contains "$(cat "$T/p/grid-run.screen")" "Run $run5  daily_sales  FAILED" "o opens the partition's run"
# At 80 columns the partition is cut ("daily_sales 2024-…"); the filter
# still finds the one run of 2024-03-05 among the 12.
rows=$(grep -E '^ +[0-9]+ daily_sales' "$T/p/runs-partition.screen") ||
	fail "no run listed: $(cat "$T/p/runs-partition.screen")"
assert_eq 1 "$(wc -l <<<"$rows")" "/2024-03-05 keeps one run: $rows"
assert_contains "$rows" " $run5 daily_sales 2024-" "the runs view names the run's partition"
echo "ok: the partition grid"
