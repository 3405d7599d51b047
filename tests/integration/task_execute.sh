#!/bin/bash
# task_execute.sh - `sluice task execute` of a SQL task (one that starts no
# run) against a real engine: the SQL runs, and the operator reads "task
# NAME executed", not the engine's bare result echoed after it ("executed:
# executed", issue 16).  A flow task still names the run it started.
set -eu
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

cd "$T"
mkdir sql
echo "CREATE TABLE IF NOT EXISTS swept(x int); INSERT INTO swept VALUES (1)" > sql/sweep.sql
cat > sluice.json <<'JSON'
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "flows": [ { "name": "quick", "steps": [ { "name": "s", "kind": "sql", "connection": "wh",
      "sql": "SELECT 1" } ] } ],
  "tasks": [
    { "name": "sweep", "schedule": "every 1 hour", "sql": "sql/sweep.sql", "connection": "wh" },
    { "name": "hourly", "schedule": "every 1 hour", "flow": "quick" } ] }
JSON

"$SLUICE" worker --workers 1 --grace 1s 2> w.log &
WPID=$!
kill_worker() { kill -KILL "$WPID" 2>/dev/null || true; }
at_exit kill_worker
wait_until 20 grep -q 'ready' w.log || fail "worker did not start: $(cat w.log)"

run_sluice task execute sweep
assert_eq 0 "$RC" "task execute sweep: $ERR"
assert_eq "task sweep executed" "$OUT" "what the operator reads"
# The worker says when the SQL file has run; only then is the table read,
# so that sqlite3 does not make wh.db (or read it) while the worker opens it.
wait_until 20 grep -q 'task:sweep: SQL file \(ran\|failed\)' w.log ||
	fail "the task's SQL did not run: $(cat w.log)"
swept=$(sqlite3 wh.db 'SELECT count(*) FROM swept' 2>&1) || true
assert_eq 1 "$swept" "rows the task's SQL inserted (worker log: $(cat w.log); files: $(ls -la))"

run_sluice task execute hourly
assert_eq 0 "$RC" "task execute hourly: $ERR"
assert_contains "$OUT" 'task hourly executed: {"run":' "a flow task names its run"
echo "ok: task execute says what happened"
