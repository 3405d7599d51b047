# engine_run.sh - `sluice run` with no engine alive (it runs the run itself),
# parameters, failures, retry, cancel, the show commands and logs, as a
# user would type them.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

cd "$T"
cat > sluice.json <<'EOF'
{ "connections":{ "wh":{ "url":"sqlite:wh.db" } },
  "flows":[
    { "name":"load", "params":{ "n":{ "type":"int", "default":2 } },
      "steps":[
        { "name":"make", "kind":"sql", "connection":"wh",
          "sql":"CREATE TABLE IF NOT EXISTS t(x int)" },
        { "name":"fill", "kind":"sql", "connection":"wh", "needs":["make"],
          "sql":"INSERT INTO t SELECT value FROM generate_series(1, :n)" } ] },
    { "name":"plain", "steps":[
        { "name":"make", "kind":"sql", "connection":"wh",
          "sql":"CREATE TABLE IF NOT EXISTS p(x int); INSERT INTO p VALUES (1)" } ] },
    { "name":"broken", "steps":[
        { "name":"oops", "kind":"sql", "connection":"wh",
          "sql":"SELECT * FROM no_such_table" } ] } ] }
EOF

# generate_series may be missing from the SQLite build: use a recursive CTE.
sed -i 's/SELECT value FROM generate_series(1, :n)/WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) SELECT i FROM s/' sluice.json

run_sluice check
assert_eq 0 "$RC" "check exit"

# No engine: the command does the run itself and reports it.
run_sluice run load --param n=5
assert_eq 0 "$RC" "run exit"
assert_eq 1 "$OUT" "run id"
assert_contains "$ERR" "no engine is running: running run 1 here"
assert_contains "$ERR" "step fill: COMPLETED"
assert_contains "$ERR" "run 1 COMPLETED"
assert_eq 5 "$(sqlite3 wh.db 'SELECT count(*) FROM t')" "rows loaded"

# KEY=VALUE after the flow works too; --wait is accepted.
run_sluice run load n=3 --wait
assert_eq 0 "$RC" "run with a positional parameter"
assert_eq 8 "$(sqlite3 wh.db 'SELECT count(*) FROM t')" "rows after run 2"

# A bad parameter fails the run before it starts, naming it.
run_sluice run load --param n=lots
assert_eq 1 "$RC" "bad parameter exit"
assert_eq 3 "$OUT" "the failed run still has an id"
assert_contains "$ERR" 'parameter "n"'
run_sluice show run 3 --json
assert_contains "$OUT" '"state":"FAILED"'
assert_contains "$OUT" '"from":"PENDING"'
assert_not_contains "$OUT" '"to":"RUNNING"'

run_sluice run load --param colour=red
assert_eq 1 "$RC" "unknown parameter exit"
assert_contains "$ERR" 'no parameter "colour"'

run_sluice run nosuch
assert_eq 2 "$RC" "unknown flow exit"
assert_contains "$ERR" 'no flow named "nosuch"'

# A failing run exits 1 with its error.
run_sluice run broken
assert_eq 1 "$RC" "failed run exit"
assert_contains "$ERR" "no_such_table"
failed=$OUT

# retry makes a new run pointing at the old one.
run_sluice retry "$failed"
assert_eq 1 "$RC" "retry of a failing flow fails again"
child=$(printf '%s\n' "$OUT" | head -1)
run_sluice show run "$child" --json
assert_contains "$OUT" "\"parent_run\":$failed"
assert_contains "$OUT" '"trigger":"retry"'

run_sluice retry 999
assert_eq 2 "$RC" "retry of a missing run"

# show runs: filters and JSON.
run_sluice show runs --flow load --state completed
assert_eq 0 "$RC"
assert_contains "$OUT" "COMPLETED"
assert_not_contains "$OUT" "FAILED"
run_sluice show runs --state nonsense
assert_eq 2 "$RC" "bad state filter"
assert_contains "$ERR" "unknown run state 'nonsense'"
run_sluice show runs --json --limit 2
assert_eq 0 "$RC"
[ "$(printf '%s' "$OUT" | grep -o '"flow":' | wc -l)" = 2 ] || fail "--limit 2 gave: $OUT"

run_sluice show run 1
assert_contains "$OUT" "run 1  flow load  COMPLETED"
assert_contains "$OUT" "fill"
assert_contains "$OUT" "PENDING    -> RUNNING"

run_sluice show flows
assert_contains "$OUT" "load"
assert_contains "$OUT" "broken"
run_sluice show flows --json
assert_contains "$OUT" '"name":"plain"'

# logs: the runs' records are in the store.
run_sluice logs --run 1
assert_eq 0 "$RC"
assert_contains "$OUT" "run 1: RUNNING -> COMPLETED"
run_sluice logs --run 1 --json --level warn
assert_eq 0 "$RC"
assert_not_contains "$OUT" "COMPLETED"
run_sluice logs --level loud
assert_eq 2 "$RC"

# logs -f follows new records and stops on a signal.
"$SLUICE" logs -f --json > follow.out 2>&1 &
fpid=$!
sleep 0.5
run_sluice run plain
assert_eq 0 "$RC"
# logs -f prints the records already there first (run 1's among them):
# look for this run's own.
wait_until 10 grep -q "\"message\":\"run $OUT: RUNNING -> COMPLETED" follow.out ||
	fail "logs -f did not show the new run $OUT: $(cat follow.out)"
kill -INT "$fpid"
wait "$fpid" || fail "logs -f did not stop cleanly"

# cancel: a queued run is cancelled at once; a finished one cannot be.
run_sluice cancel 1
assert_eq 1 "$RC" "cancel of a finished run"
assert_contains "$ERR" "already finished"

# Read-only mode refuses every mutating command.
run_sluice --read-only run load
assert_eq 4 "$RC" "read-only run"
assert_contains "$ERR" "read-only"
run_sluice --read-only show runs
assert_eq 0 "$RC" "read-only show"
echo "engine_run: ok"
