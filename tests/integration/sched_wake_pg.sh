#!/bin/bash
# sched_wake_pg.sh - an event that comes while the scheduler is busy with a
# tick is acted on when the tick ends, not at the scheduler's next timer
# (up to 15 s later on a listening engine).
#
# The test holds a lock on the store's task_history table and sends the
# store's event: the tick that looks at the tasks' history waits on the
# lock in the middle; meanwhile `task execute two` queues a request,
# whose event wakes the engine during that tick.  When the lock goes, the
# task must run at once (it takes about 0.1-0.3 s).  The old scheduler
# slept until its next timer or another event (its own heartbeat, the
# lease renewal: seconds away, whatever the phase), so five rounds catch
# it nearly always.
set -eu
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
export PGOPTIONS=--client-min-messages=warning
psql -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS wake_ctl" \
	-c "CREATE DATABASE wake_ctl" >/dev/null
ctl() { psql -X -At -v ON_ERROR_STOP=1 -d wake_ctl -c "$1"; }

cd "$T"
mkdir sql
echo "INSERT INTO fired VALUES ('two')" > sql/two.sql
sqlite3 wh.db "CREATE TABLE fired(task text)"
cat > sluice.json <<JSON
{ "project": "wake",
  "control": "$SLUICE_TEST_PG dbname=wake_ctl",
  "connections": { "wh": { "url": "sqlite:wh.db" } },
  "tasks": [
    { "name": "two", "schedule": "every 1 hour", "sql": "sql/two.sql", "connection": "wh" } ] }
JSON

"$SLUICE" worker --workers 1 2> w.log &
WPID=$!
stop_worker() { kill "$WPID" 2>/dev/null || true; }
at_exit stop_worker
wait_until 20 grep -q 'is the scheduler now' w.log || fail "worker did not lead: $(cat w.log)"
listening() { [ "$(ctl "SELECT count(*) FROM pg_stat_activity WHERE datname = 'wake_ctl'
	AND query ILIKE 'LISTEN%'")" -ge 1 ]; }
wait_until 10 listening || fail "the engine does not LISTEN"

lock_waiters() { ctl "SELECT count(*) FROM pg_stat_activity WHERE datname = 'wake_ctl'
	AND wait_event_type = 'Lock'"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

for round in 1 2 3 4 5; do
	psql -X -q -d wake_ctl -c "BEGIN" -c "LOCK TABLE task_history IN ACCESS EXCLUSIVE MODE" \
		-c "SELECT pg_sleep(2)" -c "COMMIT" >/dev/null &
	LOCKPID=$!
	wait_until 5 eval '[ -n "$(ctl "SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
		WHERE c.relname = '"'task_history'"' AND l.mode = '"'AccessExclusiveLock'"' AND l.granted")" ]' ||
		fail "round $round: the lock was not taken"
	# The event a run or task change sends (an empty payload: "look at
	# everything"): the scheduler's tick now waits on the lock.
	ctl "NOTIFY sluice_store" >/dev/null
	wait_until 5 eval '[ "$(lock_waiters)" -ge 1 ]' || fail "round $round: the tick did not reach the lock"
	"$SLUICE" task execute two > two.out 2>&1 &
	TWOPID=$!
	wait "$LOCKPID"
	released=$(now_ms)
	wait_until 20 eval '[ "$(sqlite3 wh.db "SELECT count(*) FROM fired")" = '"$round"' ]' ||
		fail "round $round: the task did not run: $(cat w.log)"
	late=$(( $(now_ms) - released ))
	wait "$TWOPID" || fail "round $round: task execute two: $(cat two.out)"
	echo "round $round: the task ran $late ms after the lock went"
	[ "$late" -lt 1500 ] ||
		fail "round $round: a request queued during a tick ran $late ms after the tick could end (want < 1500: not at the next timer)"
done
echo "sched_wake_pg: ok"
