#!/bin/bash
# sqlite_lock_wait.sh - a SQLite connection's lock_wait: a step whose
# warehouse file another process keeps locked fails after the connection's
# 2s, naming the lock and the wait, instead of waiting the default 10
# minutes; the lock's holder loses nothing and the step wrote nothing.
# A bad lock_wait is refused by `sluice check` at its file, line and key.
set -eu
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/sqlite_lock.sh"

cd "$T"
project() { # LOCK_WAIT (JSON text)
	cat > sluice.json <<EOF
{ "connections": { "wh": { "url": "sqlite:wh.db",
                           "lock_wait": $1 } },
  "flows": [ { "name": "w", "steps": [
      { "name": "ins", "kind": "sql", "connection": "wh",
        "sql": "INSERT INTO w VALUES (1)" } ] } ] }
EOF
}

# ---- bad values: where, and what.
project '"0s"'
run_sluice check
assert_eq 1 "$RC" "check of lock_wait 0s"
assert_contains "$ERR$OUT" "sluice.json:2:41: connections.wh.lock_wait: lock_wait must be at least 1ms and at most 24h"
project '"soon"'
run_sluice check
assert_eq 1 "$RC" "check of lock_wait soon"
assert_contains "$ERR$OUT" "sluice.json:2:41: connections.wh.lock_wait: \"soon\" is not a duration"
project '"2d"'
run_sluice check
assert_eq 1 "$RC" "check of lock_wait 2d"
assert_contains "$ERR$OUT" "connections.wh.lock_wait: lock_wait must be at least 1ms and at most 24h"
project 30
run_sluice check
assert_eq 1 "$RC" "check of lock_wait 30"
assert_contains "$ERR$OUT" "connections.wh.lock_wait"

# On PostgreSQL it means nothing, and check says so.
cat > pg.json <<EOF
{ "connections": { "wh": { "url": "postgresql://nobody@127.0.0.1:1/x", "lock_wait": "5s" } } }
EOF
run_sluice --project pg.json check
assert_eq 0 "$RC" "check of lock_wait on PostgreSQL: $ERR$OUT"
assert_contains "$ERR$OUT" "pg.json:1:26: warning: connections.wh: lock_wait has no effect on a PostgreSQL connection"

# ---- 2s: the step gives up after about that, saying why.
project '"2s"'
run_sluice check
assert_eq 0 "$RC" "check of lock_wait 2s: $ERR$OUT"
sqlite3 wh.db "CREATE TABLE w(x int)"
lock_hold wh.db
t0=$(date +%s%N)
run_sluice run w
took_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
assert_eq 1 "$RC" "the run while the lock is held: $OUT $ERR"
echo "the run failed after ${took_ms}ms"
[ "$took_ms" -ge 2000 ] && [ "$took_ms" -lt 30000 ] ||
	fail "the step gave up after ${took_ms}ms, not after its lock_wait of 2s"
want="gave up waiting for the write lock on $T/wh.db after 2.0s (another connection held it)"
assert_contains "$ERR" "$want" "the run's error"
run_sluice show run "$OUT" --json
assert_contains "$OUT" "$want" "show run"
lock_release
assert_eq 0 "$(sqlite3 wh.db 'SELECT count(*) FROM w')" "rows the failed step wrote"

# ---- the lock free: the same step runs.
run_sluice run w
assert_eq 0 "$RC" "the run once the lock is free: $ERR"
assert_eq 1 "$(sqlite3 wh.db 'SELECT count(*) FROM w')" "rows of the step"
echo "sqlite_lock_wait: ok"
