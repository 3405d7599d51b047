# sqlite_busy.sh - a SQLite warehouse whose write lock another process
# holds for 8 s, longer than SQLite's usual 5 s busy timeout.  Writers
# wait for it instead of failing with "database is locked": a `pipe
# refresh` on the command line and a worker's flow step both succeed once
# the lock is free.  Meanwhile they say what they wait for: the refresh on
# stderr, the step in the log, as its state detail (show run), and in the
# console's run detail; the detail goes once the wait is over.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/sqlite_lock.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"

cd "$T"
mkdir -p lake/orders/2024/01/01
cat > sluice.json <<'EOF'
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "pipes": [ { "name": "orders", "path": "orders/", "pattern": "*.ndjson",
               "connection": "wh", "table": "raw_orders", "document": "doc",
               "columns": [ { "name": "order_id", "type": "integer" },
                            { "name": "amount", "type": "numeric(8,2)" } ],
               "poll": "1h" } ],
  "flows": [ { "name": "w", "steps": [
      { "name": "ins", "kind": "sql", "connection": "wh",
        "sql": "CREATE TABLE IF NOT EXISTS w(x int); INSERT INTO w VALUES (1)" } ] } ] }
EOF
sqlite3 wh.db "CREATE TABLE keep(x int)"
run_json() { "$SLUICE" show run "$1" --json | json_squeeze; }
WAITING="waiting for the write lock on $T/wh.db (wh), which another connection holds"
LOGGED="wh: waiting for the write lock on $T/wh.db, which another connection holds"
detail_is() { # RUN TEXT (squeezed as run_json squeezes)
	case "$(run_json "$1")" in *"\"detail\":\"$(printf "%s" "$2" | json_squeeze)\""*) return 0 ;; esac
	return 1
}

"$SLUICE" worker --workers 2 2> worker.log &
WPID=$!
stop_worker() { kill -TERM "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null; return 0; }
at_exit stop_worker
wait_until 20 grep -q 'ready' worker.log || fail "worker did not start: $(cat worker.log)"
sleep 1                     # its scheduler's first look at the pipe: nothing

lock_hold wh.db
# The file comes now, so that the worker's own poll of the pipe (when it
# started) found nothing, and the refresh below is the one that loads it.
printf '{"order_id": 1, "amount": 10.5}\n{"order_id": 2, "amount": 20}\n' \
	> lake/orders/2024/01/01/a.ndjson
t0=$(date +%s)
"$SLUICE" pipe refresh orders > refresh.out 2> refresh.err &
REFRESH=$!
run_sluice run w
ID=$OUT

# ---- past the old 5 s limit, both still wait.
sleep 6.5
kill -0 "$REFRESH" 2>/dev/null ||
	fail "pipe refresh stopped waiting for the lock: $(cat refresh.out refresh.err)"
assert_eq RUNNING "$(run_json "$ID" | sed -n 's/^{"id":[0-9]*,"flow":"w","state":"\([A-Z]*\)".*/\1/p')" \
	"run $ID while the lock is held"
assert_contains "$(cat refresh.err)" "$LOGGED"
wait_until 10 detail_is "$ID" "$WAITING" ||
	fail "the step does not say what it waits for: $(run_json "$ID")"
run_sluice show run "$ID"
assert_contains "$OUT" "ins                      RUNNING"
assert_contains "$OUT" "$WAITING"
run_sluice logs --run "$ID"
assert_contains "$OUT" "$LOGGED"

# ---- the console's run detail shows it.
console_start 160 30 xterm monitor
console_keys 6
console_wait "runs 1/1"
console_keys Enter
console_wait "Run $ID  w  RUNNING"
console_wait "$WAITING"

# ---- the lock goes (after 8 s): both succeed, and say so.
while [ $(( $(date +%s) - t0 )) -lt 8 ]; do sleep 0.2; done
lock_release
set +e; wait "$REFRESH"; rc=$?; set -e
took=$(( $(date +%s) - t0 ))
assert_eq 0 "$rc" "pipe refresh once the lock was free: $(cat refresh.err)"
[ "$took" -ge 8 ] || fail "the refresh ended after ${took}s, before the lock went"
assert_contains "$(cat refresh.out)" "1 file loaded"

assert_eq 2 "$(sqlite3 wh.db 'SELECT count(*) FROM raw_orders')" "rows loaded by the refresh"
run_completed() { case "$(run_json "$ID")" in *'"state":"COMPLETED"'*) return 0 ;; esac; return 1; }
wait_until 20 run_completed || fail "run $ID after the lock went: $(run_json "$ID")"
assert_eq 1 "$(sqlite3 wh.db 'SELECT count(*) FROM w')" "rows of the step"
assert_contains "$(run_json "$ID")" '"step":"ins","state":"COMPLETED"'
assert_not_contains "$(run_json "$ID")" "waiting for the write lock" "the step after the wait"
run_sluice logs --run "$ID"
assert_contains "$OUT" "wh: got the write lock on $T/wh.db after waiting"
console_wait "Run $ID  w  COMPLETED"
console_wait_gone "$WAITING"
echo "sqlite_busy: ok"
