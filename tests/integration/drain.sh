#!/bin/bash
# drain.sh - a worker's drain on a SQLite control store and warehouse (see
# drain_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/drain_lib.sh"
CONTROL=
WA_URL=sqlite:wa.db
WB_URL=sqlite:wb.db
SLOW_SQL="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
rows_in_s() { echo $(( $(sqlite3 "$T/wa.db" "SELECT count(*) FROM s") + $(sqlite3 "$T/wb.db" "SELECT count(*) FROM s") )); }
workers_count() { sqlite3 "$T/.sluice/control.db" 'SELECT count(*) FROM workers'; }
drain_cases
echo "drain: ok"
