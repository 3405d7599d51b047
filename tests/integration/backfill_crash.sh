#!/bin/bash
# backfill_crash.sh - the real binary killed between and inside backfill
# steps on SQLite, then continued (see backfill_crash_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/backfill_crash_lib.sh"
WH_URL="sqlite:warehouse.db"
SLOW_SQL="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < CASE WHEN EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'slow_flag') THEN :n ELSE 1 END) SELECT count(*) FROM c"
SLOW_N=20000000
RAW_SQL="CREATE TABLE raw_orders (id integer primary key, customer text);
WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 50)
INSERT INTO raw_orders SELECT x, 'customer ' || x FROM g;"
q() { sqlite3 -cmd ".timeout 5000" "$P/warehouse.db" "$1"; }
crash_backfill
echo "ok: backfill steps killed and continued on SQLite"
