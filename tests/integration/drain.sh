#!/bin/bash
# drain.sh - a worker's drain on a SQLite control store and warehouse (see
# drain_lib.sh), and a console hung up on twice: it ends at once, the runs
# go on under the worker daemon it started, and that daemon's drain
# (`worker stop`) hands them back.
set -eu
. "$SLUICE_SRCDIR/tests/integration/drain_lib.sh"
CONTROL=
WA_URL=sqlite:wa.db
WB_URL=sqlite:wb.db
SLOW_SQL="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
rows_in_s() { echo $(( $(sqlite3 "$T/wa.db" "SELECT count(*) FROM s") + $(sqlite3 "$T/wb.db" "SELECT count(*) FROM s") )); }
workers_count() { sqlite3 "$T/.sluice/control.db" 'SELECT count(*) FROM workers'; }
drain_cases

# ---- a console is hung up on, and hung up on again: the console ends at
# once; the engine is the worker daemon the console started, which the
# hang-ups do not reach: the runs stay RUNNING until its own drain.
. "$SLUICE_SRCDIR/tests/lib/console.sh"
console_start 100 30 xterm
both_spinning
daemon=$(sed -n 1p .sluice/worker.pid)
CPID=$(console_pid)
kill -HUP "$CPID"
sleep 0.5
kill -HUP "$CPID" 2>/dev/null || true
console_exited 2
both_spinning
run_sluice worker stop --grace 1s
assert_eq 0 "$RC" "worker stop: $ERR"
assert_contains "$OUT" "worker pid $daemon stopped"
handed_back "" "$A" "$B"
echo "drain: ok"
