#!/bin/bash
# backfill_failed_checks.sh - a check of severity error fails the rebuild's
# run; the backfill's status (text and JSON) then shows that check in its
# validation, as it shows checks that passed or warned, for a whole-flow
# rebuild and for a partitioned one (each failed partition's check, with
# its partition).  `show run` of the rebuild lists it too.
set -eu
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
cd "$T"
cat >sluice.json <<'JSON'
{ "project": "checks",
  "connections": { "warehouse": { "url": "sqlite:warehouse.db" } },
  "flows": [
    { "name": "whole",
      "steps": [
        { "name": "load", "kind": "load", "connection": "warehouse",
          "from": { "table": "raw_orders" }, "table": "orders", "mode": "merge", "key": ["id"] },
        { "name": "check", "kind": "validate", "connection": "warehouse", "table": "orders",
          "needs": ["load"],
          "checks": [ { "type": "accepted_values", "name": "no negative amounts",
                        "column": "amount", "values": ["10", "20", "30"] } ] } ] },
    { "name": "daily",
      "params": { "day": { "type": "date" } },
      "partition": { "param": "day", "grain": "day", "start": "2024-01-01" },
      "steps": [
        { "name": "load", "kind": "load", "connection": "warehouse",
          "from": { "query": "SELECT id, day, amount FROM raw_orders WHERE day = :day" },
          "table": "daily_orders", "mode": "merge", "key": ["id"] },
        { "name": "check", "kind": "validate", "connection": "warehouse",
          "table": "daily_orders", "needs": ["load"],
          "checks": [ { "type": "accepted_values", "name": "no negative amounts",
                        "column": "amount", "values": ["10", "20", "30"] } ] } ] } ] }
JSON
q() { sqlite3 -cmd ".timeout 5000" warehouse.db "$1"; }
q "CREATE TABLE raw_orders (id integer primary key, day text, amount integer);
   INSERT INTO raw_orders VALUES (1, '2024-01-01', 10), (2, '2024-01-02', 20), (3, '2024-01-03', 30);"
run_sluice run whole --wait
assert_eq 0 "$RC" "whole: $ERR"
for d in 01 02 03; do
	run_sluice run daily day=2024-01-$d --wait
	assert_eq 0 "$RC" "day $d: $ERR"
done

# The source turns bad: the rebuild's check of severity error fails it.
q "UPDATE raw_orders SET amount = -5 WHERE id = 2"

run_sluice backfill start whole
assert_eq 0 "$RC" "start whole: $ERR"
run_sluice backfill next whole
assert_eq 0 "$RC" "suspend: $ERR"
run_sluice backfill next whole
assert_eq 1 "$RC" "the rebuild fails on its check"
run_sluice backfill status whole
assert_contains "$OUT" "validation (the rebuild failed on these): 1 check, 1 failed (error), 0 failed (warn)"
assert_contains "$OUT" "    check no negative amounts: 1 violation (error)"
json=$("$SLUICE" backfill status whole --json | json_squeeze)
assert_contains "$json" '"check":"no negative amounts","severity":"error","passed":false,"violations":1,"sample":' \
	"the failed check in the status's JSON"
rebuild_run=$(printf '%s' "$json" | grep -o '"rebuild":{[^}]*"run_id":[0-9]*' | grep -o '[0-9]*$')
run_sluice show run "$rebuild_run"
assert_contains "$OUT" "VALIDATION: 1 check, 1 failed"

# Fixed, the rebuild runs again: the failed rebuild's checks are gone.
q "UPDATE raw_orders SET amount = 20 WHERE id = 2"
run_sluice backfill next whole
assert_eq 0 "$RC" "the rebuild again: $ERR"
run_sluice backfill status whole
assert_not_contains "$OUT" "the rebuild failed on these" "a stale failed check"
run_sluice backfill discard whole --yes
assert_eq 0 "$RC" "discard: $ERR"
run_sluice backfill next whole
assert_eq 0 "$RC" "resume: $ERR"

# Partitioned: day 2's run fails its check, and day 3's (the check reads
# the whole table); the status names each failed partition's check.
q "UPDATE raw_orders SET amount = -5 WHERE id = 2"
run_sluice backfill start daily --from 2024-01-01 --to 2024-01-03 --reprocess all
assert_eq 0 "$RC" "start daily: $ERR"
run_sluice backfill next daily
assert_eq 0 "$RC" "suspend daily: $ERR"
run_sluice backfill next daily
assert_eq 1 "$RC" "a partition fails its check"
assert_contains "$ERR" "2 of 3 partitions failed: 2024-01-02 (run 8 FAILED), 2024-01-03"
run_sluice backfill status daily
assert_contains "$OUT" "validation (the rebuild failed on these): 2 checks, 2 failed (error), 0 failed (warn)"
assert_contains "$OUT" "    2024-01-02 check no negative amounts: 1 violation (error)"
assert_contains "$OUT" "    2024-01-03 check no negative amounts: 1 violation (error)"
echo "ok: a failed error check shows in the backfill's validation"
