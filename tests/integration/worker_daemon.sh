# worker_daemon.sh - `sluice worker --detach` as an operator uses it: it
# returns once the daemon is up (pid, log), a second start is refused
# (exit 5, naming the live one), `worker status` reports it and the runs
# it has in flight, a queued run completes under it, `worker stop --grace`
# drains (the unfinished run handed back PENDING, said by stop), a daemon
# killed with -9 leaves no stale lock (the next start takes over), a store
# that cannot be opened is reported by the starting command, and the log
# is written and rotated (3 old ones kept).
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

cd "$T"
ENDLESS="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
cat > sluice.json <<EOF2
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "flows": [
    { "name": "quick", "steps": [
        { "name": "s", "kind": "sql", "connection": "wh",
          "sql": "CREATE TABLE IF NOT EXISTS q(x int); INSERT INTO q VALUES (1)" } ] },
    { "name": "slow", "steps": [
        { "name": "spin", "kind": "sql", "connection": "wh",
          "sql": "CREATE TABLE IF NOT EXISTS s(x int); INSERT INTO s VALUES (1); $ENDLESS" } ] } ] }
EOF2

state_of() { sqlite3 .sluice/control.db "SELECT state FROM runs WHERE id = $1"; }
run_is() { [ "$(state_of "$1")" = "$2" ]; }
at_exit kill_daemon
# Alive and not a zombie (an init that does not reap leaves those).
alive() { case "$(ps -o stat= -p "$1" 2>/dev/null)" in ""|Z*) return 1 ;; esac; }

# ---- a store that cannot be opened: the start says why, nothing stays.
run_sluice --control sqlite:"$T"/sluice.json/control.db worker --detach
assert_eq 1 "$RC" "start with a store that cannot be opened"
assert_contains "$ERR" "sluice.json/control.db"
run_sluice worker status
assert_eq 6 "$RC" "status after a failed start"

# ---- start: returns when up, with the pid and the log.
start=$(date +%s%N)
run_sluice worker --detach --grace 5s --log-max 2048
assert_eq 0 "$RC" "worker --detach: $ERR"
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
pid=$(daemon_pid)
assert_contains "$OUT" "worker started: pid $pid, log $T/.sluice/worker.log"
alive "$pid" || fail "the daemon $pid is not alive"
echo "worker --detach returned in ${took_ms} ms"
# Its own session, no terminal, stdin from /dev/null.
sid=$(ps -o sid= -p "$pid" | tr -d ' ')
[ "$sid" != "$(ps -o sid= -p $$ | tr -d ' ')" ] || fail "the daemon shares the test's session"
assert_eq "?" "$(ps -o tty= -p "$pid" | tr -d ' ')" "the daemon's terminal"
assert_eq /dev/null "$(readlink /proc/"$pid"/fd/0)" "the daemon's stdin"

# ---- a second start finds the live one.
run_sluice worker --detach
assert_eq 5 "$RC" "second start"
assert_contains "$ERR" "a worker already runs for this project: pid $pid"
assert_eq "$pid" "$(daemon_pid)" "pid file after the refused start"

# ---- status.
run_sluice worker status
assert_eq 0 "$RC" "status"
assert_contains "$OUT" "worker: running"
assert_contains "$OUT" "pid: $pid"
assert_contains "$OUT" "host: $(hostname)"
assert_contains "$OUT" "log: $T/.sluice/worker.log"
assert_contains "$OUT" "runs in flight: 0"

# ---- a queued run completes under the daemon.
run_sluice run quick
assert_eq 0 "$RC" "queued run"
quick=$OUT
wait_until 20 run_is "$quick" COMPLETED || fail "the daemon did not run $quick ($(state_of "$quick"))"
assert_contains "$(sqlite3 .sluice/control.db "SELECT worker FROM runs WHERE id = $quick")" ":$pid:"

# ---- the log is rotated past --log-max, keeping 3 old ones.
for i in $(seq 1 12); do run_sluice run quick; done
completed_are() { [ "$(sqlite3 .sluice/control.db "SELECT count(*) FROM runs WHERE state = 'COMPLETED'")" = "$1" ]; }
wait_until 30 completed_are 13 ||
	fail "the daemon did not run them all"
[ -s .sluice/worker.log.1 ] || fail "the log was not rotated: $(ls -l .sluice)"
[ ! -e .sluice/worker.log.4 ] || fail "more than 3 old logs kept"
for f in .sluice/worker.log .sluice/worker.log.1; do
	[ "$(stat -c %s "$f")" -lt 4096 ] || fail "$f grew past the limit: $(stat -c %s "$f")"
done
assert_contains "$(cat .sluice/worker.log*)" "flow:quick: run"

# ---- stop drains: the slow run is handed back, stop says so.
run_sluice run slow
slow=$OUT
wait_until 20 run_is "$slow" RUNNING || fail "slow run did not start"
run_sluice worker status
assert_contains "$OUT" "runs in flight: 1 ($slow)"
start=$(date +%s%N)
run_sluice worker stop --grace 1s
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_eq 0 "$RC" "stop: $ERR"
assert_contains "$OUT" "worker pid $pid stopped"
assert_contains "$OUT" "run $slow (slow): PENDING (handed back)"
[ "$took_ms" -lt 5000 ] || fail "stop --grace 1s took ${took_ms} ms (the start's grace was 5s)"
assert_eq PENDING "$(state_of "$slow")" "the slow run after stop"
alive "$pid" && fail "the daemon $pid still runs after stop"
[ ! -e .sluice/worker.pid ] || fail "the pid file is left after a clean stop"
run_sluice worker status
assert_eq 6 "$RC" "status after stop"
assert_contains "$OUT" "worker: not running"
run_sluice worker stop
assert_eq 6 "$RC" "stop with none running"
sqlite3 .sluice/control.db "UPDATE runs SET state = 'CANCELLED' WHERE id = $slow"

# ---- kill -9: no stale lock; the next start takes over.
run_sluice worker --detach
assert_eq 0 "$RC" "start again: $ERR"
old=$(daemon_pid)
kill -KILL "$old"
dead() { ! alive "$1"; }
wait_until 10 dead "$old" || fail "kill -9 did not end $old"
[ -e .sluice/worker.pid ] || fail "the test needs a stale pid file"
# The lock goes when the last of its threads has exited (the leader shows
# as a zombie a little earlier).
not_running() { run_sluice worker status; [ "$RC" = 6 ]; }
wait_until 10 not_running || fail "status after kill -9 (the pid file is stale): $OUT"
run_sluice worker --detach
assert_eq 0 "$RC" "start after kill -9: $ERR"
new=$(daemon_pid)
[ "$new" != "$old" ] || fail "the pid file still names the killed daemon"
run_sluice run quick
wait_until 20 run_is "$OUT" COMPLETED || fail "the new daemon did not run $OUT"
run_sluice worker stop
assert_eq 0 "$RC" "stop the new daemon"
