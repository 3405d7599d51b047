#!/bin/bash
# run_wait_pg.sh - Ctrl-C on `run --wait` with a live worker, on a
# PostgreSQL control store and warehouse (see run_wait_lib.sh), and the
# case that only a server lets us stage exactly: the run COMPLETES after
# the cancel was asked for, and the follower reports that (exit 0).
#
# Staging it: the step waits for an advisory lock this test holds; the
# test locks the worker's row in `workers`, so the worker's supervisor,
# which notices cancel requests, hangs in its next heartbeat; Ctrl-C then
# moves the run to CANCELLING unseen, the lock is released, the step
# commits and the run goes CANCELLING -> COMPLETED.
set -eu
. "$SLUICE_SRCDIR/tests/integration/run_wait_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS wait_ctl" -c "CREATE DATABASE wait_ctl" \
	-c "DROP DATABASE IF EXISTS wait_wh" -c "CREATE DATABASE wait_wh" >/dev/null
CONTROL="\"control\": \"$SLUICE_TEST_PG dbname=wait_ctl\","
WH_URL="$SLUICE_TEST_PG dbname=wait_wh"
SLOW_SQL="SELECT pg_sleep(600)"
EXTRA_FLOWS=', { "name": "gated", "steps": [
        { "name": "gate", "kind": "sql", "connection": "wh",
          "sql": "SELECT pg_advisory_xact_lock(4242); CREATE TABLE IF NOT EXISTS passed(x int); INSERT INTO passed VALUES (1)" } ] }'
store_idle() {
	[ "$(psql -At -d wait_ctl -c "SELECT count(*) FROM pg_stat_activity
		WHERE datname = 'wait_ctl' AND pid <> pg_backend_pid()
		AND state LIKE 'idle in transaction%'")" = 0 ]
}
wait_cases

# A psql session the test drives line by line through a FIFO.
session_open() { # NAME DB
	mkfifo "$T/$1.in"
	psql -q -At -v ON_ERROR_STOP=1 -d "$2" < "$T/$1.in" > "$T/$1.out" 2>&1 &
	eval "exec {${1}_fd}>\"\$T/$1.in\""
}
session_send() { local fd="${1}_fd"; printf '%s\n' "$2" >&"${!fd}"; }
session_close() { local fd="${1}_fd"; eval "exec ${!fd}>&-"; }
q_ctl() { psql -At -d wait_ctl -c "$1"; }

session_open gate wait_wh
session_send gate "SELECT pg_advisory_lock(4242);"
gate_held() {
	[ "$(psql -At -d wait_wh -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
		AND objid = 4242 AND granted")" = 1 ]
}
wait_until 20 gate_held || fail "the test's session did not take the advisory lock: $(cat "$T/gate.out")"
follow_in_background gated gate
session_open hold wait_ctl
session_send hold "BEGIN; SELECT id FROM workers FOR UPDATE;"
heartbeat_blocked() {
	[ "$(q_ctl "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
		AND query LIKE 'UPDATE workers%'")" -ge 1 ]
}
wait_until 20 heartbeat_blocked || fail "the worker's heartbeat never waited for the row lock: $(cat "$T/hold.out"; q_ctl "SELECT state, wait_event_type, left(query, 60) FROM pg_stat_activity")"
kill -INT "$FG"
wait_until 10 run_is "$ID" CANCELLING || fail "run $ID: $(run_state "$ID")"
session_send gate "SELECT pg_advisory_unlock(4242);"
session_close gate
set +e; wait "$FG"; rc=$?; set -e
session_send hold "COMMIT;"
session_close hold
assert_eq COMPLETED "$(run_state "$ID")" "run $ID, cancelled too late"
assert_eq 0 "$rc" "exit status of a run that completed after Ctrl-C"
assert_contains "$(cat "$T/fg.err")" "cancel of run $ID requested; waiting for its outcome"
assert_contains "$(cat "$T/fg.err")" "run $ID COMPLETED in"
assert_eq 1 "$(psql -At -d wait_wh -c 'SELECT count(*) FROM passed')" "rows of the completed step"
echo "run_wait_pg: ok"
