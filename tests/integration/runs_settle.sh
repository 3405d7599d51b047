#!/bin/bash
# runs_settle.sh - runs that must not skip their work, with a SQLite
# warehouse (see runs_settle_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/runs_settle_lib.sh"
WH_URL="sqlite:$P/wh.db"
SLOW_SQL="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < CASE WHEN EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'slow_flag') THEN 2000000000 ELSE 1 END) SELECT count(*) FROM c"
q() { sqlite3 -cmd ".timeout 5000" "$P/wh.db" "$1"; }
runs_settle_all
echo "ok: runs settle on SQLite"
