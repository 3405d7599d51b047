#!/bin/bash
# run_wait.sh - Ctrl-C on `run --wait` with a live worker, on a SQLite
# control store and warehouse (see run_wait_lib.sh), and a follower whose
# worker dies under it.
set -eu
. "$SLUICE_SRCDIR/tests/integration/run_wait_lib.sh"
CONTROL=
EXTRA_FLOWS=
WH_URL=sqlite:wh.db
SLOW_SQL="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
store_idle() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=0.2, isolation_level=None)
c.execute("BEGIN IMMEDIATE"); c.execute("ROLLBACK")' "$T/.sluice/control.db" 2>/dev/null
}
wait_cases

# ---- the worker dies under a followed run: once no engine has been alive
# for the lease (30 s) the follower says so and exits 1, instead of
# waiting forever for an outcome nobody will produce.
follow_in_background slow spin
kill -KILL "$WPID"
wait "$WPID" 2>/dev/null || true
t0=$(date +%s)
timeout 120 tail --pid="$FG" -f /dev/null ||
	fail "the follower still waited 120s after its worker died: $(tail -3 "$T/fg.err")"
set +e; wait "$FG"; rc=$?; set -e
took=$(( $(date +%s) - t0 ))
assert_eq 1 "$rc" "exit status when no engine is left"
assert_contains "$(cat "$T/fg.err")" "no engine has been alive for 30s to go on with run $ID (RUNNING)"
[ "$took" -ge 25 ] || fail "the follower gave up after ${took}s, before the lease"
echo "run_wait: ok"
