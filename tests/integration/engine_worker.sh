# engine_worker.sh - `sluice worker` as an operator runs it: runs queued for
# it and followed with --wait, task execute/suspend/resume, the SIGTERM
# drain (exit 0, the unfinished run handed back PENDING, its rows rolled
# back), a second signal that cuts the drain short (exit 0, handed back),
# a worker killed outright (the next engine records CRASHED), and Ctrl-C
# on a foreground `sluice run` (exit 3, CANCELLED).
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

cd "$T"
ENDLESS="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
cat > sluice.json <<EOF
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "flows": [
    { "name": "quick", "steps": [
        { "name": "s", "kind": "sql", "connection": "wh",
          "sql": "CREATE TABLE IF NOT EXISTS q(x int); INSERT INTO q VALUES (1)" } ] },
    { "name": "slow", "steps": [
        { "name": "setup", "kind": "sql", "connection": "wh",
          "sql": "CREATE TABLE IF NOT EXISTS s(x int)" },
        { "name": "spin", "kind": "sql", "connection": "wh", "needs": ["setup"],
          "sql": "INSERT INTO s VALUES (1), (2), (3); $ENDLESS" } ] } ],
  "tasks": [ { "name": "hourly", "schedule": "every 1 hour", "flow": "quick" } ] }
EOF

state_of() { # RUN -> state
	sqlite3 .sluice/control.db "SELECT state FROM runs WHERE id = $1"
}
run_is() { [ "$(state_of "$1")" = "$2" ]; }

# ---- Ctrl-C on a foreground run: cancelled, rolled back, exit 3.
"$SLUICE" run slow --wait > fg.out 2> fg.err &
fg=$!
wait_until 20 grep -q 'step spin: RUNNING' fg.err || fail "foreground run did not start: $(cat fg.err)"
kill -INT "$fg"
set +e; wait "$fg"; rc=$?; set -e
assert_eq 3 "$rc" "foreground run interrupted"
id=$(cat fg.out)
assert_eq CANCELLED "$(state_of "$id")" "interrupted run"
assert_eq 0 "$(sqlite3 wh.db 'SELECT count(*) FROM s')" "rows of the cancelled step"

# ---- a worker takes queued runs.
start_worker() { # LOG [ARGS...]
	local log=$1
	shift
	"$SLUICE" worker "$@" 2> "$log" &
	WPID=$!
	wait_until 20 grep -q 'ready' "$log" || fail "worker did not start: $(cat "$log")"
}
kill_worker() { kill -KILL "$WPID" 2>/dev/null || true; }
start_worker w1.log --workers 2 --grace 1s
at_exit kill_worker

run_sluice run quick --wait
assert_eq 0 "$RC" "run --wait with a live worker"
assert_not_contains "$ERR" "no engine is running"
assert_contains "$ERR" "COMPLETED"
worker=$(sqlite3 .sluice/control.db "SELECT worker FROM runs WHERE id = $OUT")
case "$worker" in foreground:*) fail "the run was not left to the worker ($worker)" ;; esac

run_sluice run quick
assert_eq 0 "$RC" "queued run"
wait_until 20 run_is "$OUT" COMPLETED || fail "the worker did not run $OUT"

run_sluice task execute hourly
assert_eq 0 "$RC" "task execute"
assert_contains "$OUT" 'task hourly executed: {"run":'
run_sluice show task-history hourly --json
assert_contains "$OUT" '"state":"'
run_sluice task suspend hourly
assert_eq 0 "$RC"
run_sluice show tasks
assert_contains "$OUT" "SUSPENDED"
run_sluice task resume hourly
run_sluice show tasks --json
assert_contains "$OUT" '"state":"STARTED"'
run_sluice task suspend nosuch
assert_eq 2 "$RC" "unknown task"

# ---- SIGTERM drains: the slow step is rolled back, the run is handed
# back (PENDING, same attempt) for another engine, the worker exits 0.
run_sluice run slow
slow=$OUT
# Either sign, polled together (the worker's log may not carry the
# transition at its log level; waiting out the first wait cost 20 s).
slow_started() {
	grep -q "run $slow: PENDING -> RUNNING\|run $slow: .*RUNNING" w1.log ||
		run_is "$slow" RUNNING
}
wait_until 40 slow_started || fail "slow run did not start"
sleep 0.3
kill -TERM "$WPID"
set +e; wait "$WPID"; rc=$?; set -e
assert_eq 0 "$rc" "worker exit after SIGTERM"
assert_eq PENDING "$(state_of "$slow")" "unfinished run after the drain"
assert_contains "$(sqlite3 .sluice/control.db "SELECT reason FROM runs WHERE id = $slow")" \
	"handed back by draining worker "
assert_eq 0 "$(sqlite3 wh.db 'SELECT count(*) FROM s')" "rows of the rolled-back step"
assert_eq 0 "$(sqlite3 .sluice/control.db 'SELECT count(*) FROM workers')" "workers left"

# ---- a second signal cuts the drain short and still hands the run back
# (drain.sh and drain_pg.sh try every order of signals).
start_worker w2.log --workers 1 --grace 30s
wait_until 20 run_is "$slow" RUNNING || fail "the second worker did not take run $slow"
sleep 0.3
kill -TERM "$WPID"
sleep 0.3
kill -TERM "$WPID"
set +e; wait "$WPID"; rc=$?; set -e
assert_eq 0 "$rc" "worker exit after a second signal"
assert_contains "$(cat w2.log)" "drain cut short"
assert_eq PENDING "$(state_of "$slow")" "handed back after a second signal"

# ---- a worker killed outright leaves its run RUNNING; the next engine
# finds its process gone and records CRASHED.
start_worker w3.log --workers 1 --grace 30s
wait_until 20 run_is "$slow" RUNNING || fail "the third worker did not take run $slow"
kill -KILL "$WPID"
wait "$WPID" 2>/dev/null || true
assert_eq RUNNING "$(state_of "$slow")" "left for recovery"
start_worker w4.log --workers 1 --grace 1s
wait_until 20 run_is "$slow" CRASHED || fail "run $slow was not recovered: $(state_of "$slow")"
run_sluice show run "$slow"
assert_contains "$OUT" "-> CRASHED"
kill -TERM "$WPID"
set +e; wait "$WPID"; rc=$?; set -e
assert_eq 0 "$rc" "fourth worker"

run_sluice worker --workers 0
assert_eq 2 "$RC" "usage"
echo "engine_worker: ok"
