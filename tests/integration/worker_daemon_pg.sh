# worker_daemon_pg.sh - the worker daemon on a PostgreSQL control store: a
# store it cannot reach is reported by `worker --detach` (exit 1, no
# daemon left), a queued run completes under it, `worker status` lists the
# run it has in flight, `worker stop --grace 1s` hands it back PENDING and
# says so, and after kill -9 a new start takes over and runs it.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS wd_ctl" -c "CREATE DATABASE wd_ctl" \
	-c "DROP DATABASE IF EXISTS wd_wh" -c "CREATE DATABASE wd_wh" >/dev/null

cd "$T"
project() { # CONTROL-DBNAME
	cat > sluice.json <<EOF2
{ "control": "$SLUICE_TEST_PG dbname=$1",
  "connections": { "wh": { "url": "$SLUICE_TEST_PG dbname=wd_wh" } },
  "flows": [
    { "name": "quick", "steps": [ { "name": "s", "kind": "sql", "connection": "wh", "sql": "SELECT 1" } ] },
    { "name": "slow", "steps": [ { "name": "s", "kind": "sql", "connection": "wh", "sql": "SELECT pg_sleep(600)" } ] } ] }
EOF2
}
state_of() { psql -At -d wd_ctl -c "SELECT state FROM runs WHERE id = $1"; }
run_is() { [ "$(state_of "$1")" = "$2" ]; }
at_exit kill_daemon

project wd_no_such_db
run_sluice worker --detach
assert_eq 1 "$RC" "start on a control store that does not exist"
assert_contains "$ERR" "wd_no_such_db"
run_sluice worker status
assert_eq 6 "$RC" "status after the failed start: $OUT"

project wd_ctl
run_sluice worker --detach --grace 30s
assert_eq 0 "$RC" "start: $ERR"
pid=$(daemon_pid)
assert_contains "$OUT" "worker started: pid $pid"
run_sluice run quick
wait_until 20 run_is "$OUT" COMPLETED || fail "the daemon did not run $OUT"

run_sluice run slow
slow=$OUT
wait_until 20 run_is "$slow" RUNNING || fail "slow did not start"
run_sluice worker status
assert_contains "$OUT" "runs in flight: 1 ($slow)"
run_sluice worker stop --grace 1s
assert_eq 0 "$RC" "stop: $ERR"
assert_contains "$OUT" "run $slow (slow): PENDING (handed back)"
assert_eq PENDING "$(state_of "$slow")"

# kill -9: the next start takes over (and runs the handed-back run).
run_sluice worker --detach
assert_eq 0 "$RC" "start again: $ERR"
old=$(daemon_pid)
wait_until 20 run_is "$slow" RUNNING || fail "the handed-back run did not start again"
kill -KILL "$old"
not_running() { run_sluice worker status; [ "$RC" = 6 ]; }
wait_until 10 not_running || fail "status after kill -9: $OUT"
run_sluice worker --detach
assert_eq 0 "$RC" "start after kill -9: $ERR"
[ "$(daemon_pid)" != "$old" ] || fail "the pid file still names the killed daemon"
run_sluice run quick
wait_until 20 run_is "$OUT" COMPLETED || fail "the new daemon did not run $OUT"
run_sluice worker stop --grace 1s
assert_eq 0 "$RC" "stop the new daemon"
