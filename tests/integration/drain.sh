#!/bin/bash
# drain.sh - a worker's drain on a SQLite control store and warehouse (see
# drain_lib.sh), and a console hosting the engine hung up on twice.
set -eu
. "$SLUICE_SRCDIR/tests/integration/drain_lib.sh"
CONTROL=
WA_URL=sqlite:wa.db
WB_URL=sqlite:wb.db
SLOW_SQL="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
rows_in_s() { echo $(( $(sqlite3 "$T/wa.db" "SELECT count(*) FROM s") + $(sqlite3 "$T/wb.db" "SELECT count(*) FROM s") )); }
workers_count() { sqlite3 "$T/.sluice/control.db" 'SELECT count(*) FROM workers'; }
drain_cases

# ---- a console hosting the engine is hung up on, and hung up on again
# during its drain (10 s of grace): the process ends, the runs are handed
# back, not left RUNNING.
. "$SLUICE_SRCDIR/tests/lib/console.sh"
console_start 100 30 xterm
both_spinning
CPID=$(console_pid)
t0=$(date +%s)
kill -HUP "$CPID"
sleep 0.5
kill -HUP "$CPID"
console_exited 8
handed_back "" "$A" "$B"
echo "drain: ok"
