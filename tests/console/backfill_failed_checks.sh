#!/bin/bash
# backfill_failed_checks.sh - a check of severity error failed a
# partitioned rebuild's runs: the backfill's page shows it in its
# VALIDATION section (marked as the rebuild's, with the partition, its
# violations and a sample row), not only the runs' own pages.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
mkdir -p "$T/p"
cd "$T/p"
cat >sluice.json <<'JSON'
{ "project": "checks",
  "connections": { "warehouse": { "url": "sqlite:warehouse.db" } },
  "flows": [
    { "name": "daily",
      "params": { "day": { "type": "date" } },
      "partition": { "param": "day", "grain": "day", "start": "2024-01-01" },
      "steps": [
        { "name": "load", "kind": "load", "connection": "warehouse",
          "from": { "query": "SELECT id, day, amount FROM raw_orders WHERE day = :day" },
          "table": "daily_orders", "mode": "merge", "key": ["id"] },
        { "name": "check", "kind": "validate", "connection": "warehouse",
          "table": "daily_orders", "needs": ["load"],
          "checks": [ { "type": "accepted_values", "name": "known amounts",
                        "column": "amount", "values": ["10", "20", "30"] } ] } ] } ] }
JSON
sqlite3 warehouse.db "CREATE TABLE raw_orders (id integer primary key, day text, amount integer);
INSERT INTO raw_orders VALUES (1, '2024-01-01', 10), (2, '2024-01-02', 20), (3, '2024-01-03', 30);"
for d in 01 02 03; do
	run_sluice run daily day=2024-01-$d --wait
	assert_eq 0 "$RC" "day $d: $ERR"
done
sqlite3 warehouse.db "UPDATE raw_orders SET amount = 20 WHERE id = 1; UPDATE raw_orders SET amount = -5 WHERE id = 3"
run_sluice backfill start daily --from 2024-01-01 --to 2024-01-03 --reprocess all
assert_eq 0 "$RC" "start: $ERR"
run_sluice backfill next daily
assert_eq 0 "$RC" "suspend: $ERR"
run_sluice backfill next daily
assert_eq 1 "$RC" "day 3 fails its check"

console_script "$T/steps" '8' '<Enter>' ':save-screen page.screen' ':quit'
console_run_script 100 50 xterm-256color "$T/steps" monitor
page=$(console_mask <"$T/p/page.screen")
assert_contains "$page" "VALIDATION  1 check, 1 failed" "the section counts the failed check"
assert_contains "$page" "the rebuild's run failed on these checks" "marked as the rebuild's"
printf '%s\n' "$page" | grep -Eq 'FAILED +1 +2024-01-03 check: known amounts' ||
	fail "the failed check is not on the page: $page"
assert_contains "$page" "amount=-5" "a sample row of the failure"
echo "ok: a failed error check on the backfill's page"
