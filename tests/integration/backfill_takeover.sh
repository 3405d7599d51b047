#!/bin/bash
# backfill_takeover.sh - a partitioned rebuild started with no engine runs
# its partitions in an engine of its own, which takes only the backfill's
# pool (backfill_ID).  Killed with a run still waiting there, the rebuild
# is taken up by 'next' after an engine came up: the waiting run goes to
# the pool the live engine serves, and every partition completes (it
# waited forever in backfill_ID before).
set -eu
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
cd "$T"
# Slow while slow_flag exists; concurrency 1, so that of two runs the
# backfill submits, one waits (PENDING) in the pool.
SLOW_SQL="SELECT (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < CASE WHEN EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'slow_flag') THEN 100000000 ELSE 1 END) SELECT count(*) FROM c)"
cat >sluice.json <<JSON
{ "project": "takeover",
  "connections": { "warehouse": { "url": "sqlite:warehouse.db" } },
  "flows": [
    { "name": "daily", "concurrency": 1,
      "params": { "day": { "type": "date" } },
      "partition": { "param": "day", "grain": "day", "start": "2024-01-01" },
      "steps": [
        { "name": "load", "kind": "load", "connection": "warehouse",
          "from": { "query": "SELECT id, day, amount FROM raw_orders WHERE day = :day" },
          "table": "daily_orders", "mode": "merge", "key": ["id"] },
        { "name": "work", "kind": "sql", "connection": "warehouse", "needs": ["load"],
          "sql": "$SLOW_SQL" } ] } ] }
JSON
q() { sqlite3 -cmd ".timeout 5000" warehouse.db "$1"; }
store() { sqlite3 -cmd ".timeout 5000" .sluice/control.db "$1"; }
q "CREATE TABLE raw_orders (id integer primary key, day text, amount integer);
   INSERT INTO raw_orders VALUES (1, '2024-01-01', 10), (2, '2024-01-02', 20),
   (3, '2024-01-03', 30), (4, '2024-01-04', 40);"
run_sluice run daily day=2024-01-01 --wait
assert_eq 0 "$RC" "day 1: $ERR"

q "CREATE TABLE slow_flag (x integer)"
run_sluice backfill start daily --from 2024-01-01 --to 2024-01-04 --reprocess all --max-active 2
assert_eq 0 "$RC" "start: $ERR"
run_sluice backfill next daily
assert_eq 0 "$RC" "suspend: $ERR"
"$SLUICE" backfill next daily >"$T/first.out" 2>&1 &
pid=$!
one_waits() {
	[ "$(store "SELECT count(*) FROM runs WHERE pool LIKE 'backfill_%' AND state = 'PENDING'")" -ge 1 ] &&
	[ "$(store "SELECT count(*) FROM runs WHERE pool LIKE 'backfill_%' AND state = 'RUNNING'")" -ge 1 ]
}
wait_until 60 one_waits || fail "no run waiting in the backfill's pool: $(cat "$T/first.out")"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
q "DROP TABLE slow_flag"

# An engine comes up; the rebuild is taken up by a new process.
"$SLUICE" worker --workers 2 --grace 2s 2>"$T/worker.log" &
wpid=$!
trap 'kill "$wpid" 2>/dev/null || true' EXIT
engine_up() { [ "$(store "SELECT count(*) FROM workers WHERE pid = $wpid")" -ge 1 ]; }
wait_until 30 engine_up || fail "the engine did not come up: $(cat "$T/worker.log")"
set +e
OUT=$(timeout 60 "$SLUICE" backfill next daily 2>&1)
RC=$?
set -e
assert_eq 0 "$RC" "the rebuild taken over with an engine up: $OUT"
assert_not_contains "$OUT" "no engine is running" "the live engine was not seen"
assert_contains "$OUT" "moved from backfill_1 to no pool, which serves this rebuild now"
assert_eq 0 "$(store "SELECT count(*) FROM runs WHERE state IN ('PENDING', 'RUNNING')")" \
	"no run left waiting: $(store "SELECT id, state, pool FROM runs")"
for d in 01 02 03 04; do
	assert_eq 1 "$(store "SELECT count(*) FROM runs WHERE trigger_kind = 'backfill' AND partition_key = '2024-01-$d' AND state = 'COMPLETED'")" \
		"day $d completed: $(store "SELECT id, partition_key, state, pool FROM runs")"
done
kill "$wpid"
wait "$wpid" 2>/dev/null || true
trap - EXIT
echo "ok: a rebuild taken over by a live engine runs the partitions its own engine left waiting"
