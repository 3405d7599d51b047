#!/bin/bash
# events_pg.sh - engines on a PostgreSQL control store wake on its events
# (LISTEN/NOTIFY), not on a short timer (issue 12 "Events without
# polling").  Two copies of one project share one control store, each
# with its engine; a console (`sluice monitor`) watches.
#   - both engines hold a LISTEN backend (pg_stat_activity);
#   - idle, the engines and the console cost the store under 1
#     transaction a second (polling cost about 40);
#   - a run queued without an event is started on a heartbeat;
#   - with A's engine gone, a run queued from A's shell starts on B's
#     engine within 2 s, although its safety poll is minutes away;
#   - after the server ends B's LISTEN session, B listens again and a run
#     queued then starts as fast.
set -eu
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
export PGOPTIONS=--client-min-messages=warning
psql -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS events_ctl" \
	-c "CREATE DATABASE events_ctl" >/dev/null
ctl() { psql -X -At -v ON_ERROR_STOP=1 -d events_ctl -c "$1"; }

for host in a b; do
	mkdir -p "$T/$host"
	cat > "$T/$host/sluice.json" <<JSON
{ "project": "events",
  "control": "$SLUICE_TEST_PG dbname=events_ctl",
  "connections": { "warehouse": { "url": "sqlite:warehouse.db" } },
  "flows": [ { "name": "tick", "steps": [
      { "name": "one", "kind": "sql", "connection": "warehouse", "sql": "SELECT 1" } ] } ] }
JSON
done

PIDS=()
stop_all() { local p; for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done; }
at_exit stop_all
start_worker() { # HOST
	(cd "$T/$1" && exec "$SLUICE" worker 2> "$T/worker-$1.log") &
	PIDS+=($!)
	eval "WPID_$1=$!"
	wait_until 20 grep -q ready "$T/worker-$1.log" || fail "worker $1 did not start: $(cat "$T/worker-$1.log")"
}
start_worker a
start_worker b
cd "$T/a"
console_start 120 40 xterm-256color monitor
console_keys 6                   # the runs view

listeners() { ctl "SELECT count(*) FROM pg_stat_activity WHERE datname = 'events_ctl'
	AND query ILIKE 'LISTEN%'"; }
listening() { [ "$(listeners)" -ge "$1" ]; }
# Two engines and the console.
wait_until 10 listening 3 ||
	fail "expected LISTEN backends of two engines and a console, saw $(listeners): $(ctl "SELECT query FROM pg_stat_activity WHERE datname = 'events_ctl'")"

# Idle: what start-up did reaches the statistics within 10 s; then count.
sleep 11
tx() { ctl "SELECT pg_stat_force_next_flush()" >/dev/null 2>&1 || true
       ctl "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'events_ctl'"; }
t0=$(tx); sleep 15; t1=$(tx)
n=$((t1 - t0 - 2))
[ "$n" -lt 15 ] || fail "idle engines and a console made $n store transactions in 15 s (want under 1 a second)"
echo "idle: $n transactions in 15 s"

started() { [ -n "$(ctl "SELECT 1 FROM runs WHERE id = $1 AND started_at IS NOT NULL")" ]; }
# A run queued with no event (as if its notification were lost): the
# engines' safety poll is minutes away, but their heartbeat (every 10 s)
# sees a run to claim and wakes them.
now_us() { echo $(( $(date +%s%N) / 1000 )); }
lost=$(ctl "INSERT INTO runs (flow, state, trigger_kind, created_at, updated_at)
	VALUES ('tick', 'PENDING', 'manual', $(now_us), $(now_us)) RETURNING id" | head -1)
wait_until 15 started "$lost" ||
	fail "a run queued without an event was not started within a heartbeat: $(ctl "SELECT state, worker FROM runs WHERE id = $lost")"
wait_until 10 eval '[ "$(ctl "SELECT state FROM runs WHERE id = $lost")" = COMPLETED ]' ||
	fail "run $lost: $(ctl "SELECT state, error FROM runs WHERE id = $lost")"

# queued_starts WHAT: a run queued from A's shell starts within 2 s.
queued_starts() {
	local id ms
	id=$(cd "$T/a" && "$SLUICE" run tick 2>/dev/null)
	wait_until 10 started "$id" ||
		fail "$1: run $id did not start"
	ms=$(ctl "SELECT (started_at - created_at) / 1000 FROM runs WHERE id = $id")
	echo "$1: run $id started after $ms ms on $(ctl "SELECT worker FROM runs WHERE id = $id")"
	[ "$ms" -lt 2000 ] || fail "$1: run $id started $ms ms after it was queued (want < 2000: an event)"
}
kill "$WPID_a"
wait "$WPID_a" 2>/dev/null || true
queued_starts "queued on A, B's engine"
queued_starts "again"
# The console, whose safety look is 30 s away, shows both runs done.
shown_done() { [ "$(console_screen | grep -c ' tick .*COMPLETED')" -ge 2 ]; }
wait_until 5 shown_done || fail "the console did not show the runs on an event: $(console_screen)"

# The server ends the LISTEN sessions: B's engine and the console listen again, and does not miss
# the next run.
ctl "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'events_ctl'
	AND query ILIKE 'LISTEN%'" >/dev/null
wait_until 10 listening 2 || fail "B's engine did not LISTEN again"
queued_starts "after the LISTEN session was ended"
console_stop
echo "events_pg: ok"
