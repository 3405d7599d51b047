# faults_run_pg.sh - `sluice run FLOW --wait` in the foreground (no worker)
# while its control store restarts.
#
# The control store is a PostgreSQL server of the test's own, stopped the
# way a crash stops it (pg_ctl stop -m immediate) while the run's first
# step works on the warehouse, then started again on the same port:
#   - back within seconds: the run carries on and COMPLETES (exit 0), and
#     stderr says it was the control store, named, that was lost and back;
#   - away longer than --store-timeout: the command gives up with exit 1,
#     saying the control store (named) is out of reach, not that a step or
#     a data check failed; the run is recovered later, its reason saying
#     the foreground process is gone.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/pg.sh"

[ -n "${SLUICE_TEST_PG:-}" ] || fail "no PostgreSQL server (run through make check)"
pg_extra_start STORE || fail "cannot start the control store's server"
at_exit "pg_extra_stop STORE"
psql -X -q -h 127.0.0.1 -p "$PG_STORE_PORT" -U sluice -d postgres -c "CREATE DATABASE ctl" >/dev/null
psql -X -q -d postgres -c "CREATE DATABASE wh" >/dev/null

cd "$T"
cat > sluice.json <<EOF
{ "control": "$PG_STORE_CONNINFO dbname=ctl",
  "connections": { "warehouse": { "url": "$SLUICE_TEST_PG dbname=wh" } },
  "flows": [
    { "name": "slow",
      "steps": [
        { "name": "work", "kind": "sql", "connection": "warehouse",
          "sql": "CREATE TABLE IF NOT EXISTS done(run bigint); SELECT pg_sleep(3); INSERT INTO done VALUES (:run_id)" },
        { "name": "check", "kind": "validate", "connection": "warehouse", "table": "done",
          "needs": ["work"], "checks": [ { "type": "row_count", "min": 1 } ] } ] } ] }
EOF
run_sluice check
assert_eq 0 "$RC" "check: $OUT $ERR"
NAME="control store $PG_STORE_CONNINFO dbname=ctl"

# Start the run; once its first step is running, crash the store for
# SECONDS.  Leaves the command's stdout, stderr and status in OUT, ERR, RC.
run_through_outage() { # SECONDS [OPTIONS...]
	local down=$1 pid i
	shift
	"$SLUICE" run slow --wait "$@" > out.txt 2> err.txt &
	pid=$!
	for i in $(seq 1 100); do
		grep -q "step work: RUNNING" err.txt && break
		sleep 0.1
	done
	grep -q "step work: RUNNING" err.txt || fail "the run did not start: $(cat err.txt)"
	pg_extra_crash STORE || fail "cannot stop the store"
	sleep "$down"
	pg_extra_restart STORE || fail "the store did not start again"
	set +e
	wait "$pid"
	RC=$?
	set -e
	OUT=$(cat out.txt)
	ERR=$(cat err.txt)
	printf -- '--- run %s through %ss without its store (%s): exit %s\n%s\n' \
		"$OUT" "$down" "${*:-no options}" "$RC" "$ERR"
}

# Back within seconds: the run goes on.
run_through_outage 2
assert_eq 0 "$RC" "exit status through a short outage: $ERR"
assert_contains "$ERR" "run $OUT COMPLETED"
assert_contains "$ERR" "$NAME lost: "
assert_contains "$ERR" "$NAME is back "
assert_not_contains "$ERR" "step check: FAILED"
assert_eq 1 "$(psql -X -tA -d wh -c "SELECT count(*) FROM done WHERE run = $OUT")" \
	"rows the run wrote"

# Away too long: the command says so and gives up.
run_through_outage 6 --store-timeout 2s
assert_eq 1 "$RC" "exit status when the store stays away: $ERR"
assert_contains "$ERR" "run $OUT: gave up following it: $NAME is unreachable"
assert_not_contains "$ERR" "step check: FAILED"
assert_not_contains "$ERR" "step work: FAILED"
# The store is back; whoever looks next recovers the run and says why.
run_sluice run slow --wait
assert_eq 0 "$RC" "the next run: $ERR"
reason=$(psql -X -tA -h 127.0.0.1 -p "$PG_STORE_PORT" -U sluice -d ctl -c \
	"SELECT reason FROM run_transitions WHERE run_id = $(head -1 out.txt) AND to_state = 'CRASHED'")
assert_contains "$reason" "exited (pid "
echo "faults_run_pg: ok"
