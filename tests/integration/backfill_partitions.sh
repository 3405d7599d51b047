#!/bin/bash
# backfill_partitions.sh - partitioned backfills on SQLite (see
# backfill_partitions_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/backfill_partitions_lib.sh"
WH_URL="sqlite:warehouse.db"
# Slow while slow_flag exists; fails (integer overflow) on a poisoned day.
SLOW_SQL="SELECT abs(CASE WHEN EXISTS (SELECT 1 FROM poison WHERE day = :day) THEN -9223372036854775807 - 1 ELSE 1 END) + (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < CASE WHEN EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'slow_flag') THEN :n ELSE 1 END) SELECT count(*) FROM c)"
RAW_SQL="CREATE TABLE raw_orders (id integer primary key, day text, amount integer);
WITH RECURSIVE g(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM g WHERE x < 49)
INSERT INTO raw_orders SELECT x + 1, date('2024-01-01', '+' || (x % 10) || ' days'), x * 10 FROM g;"
MORE_DAYS_SQL="INSERT INTO raw_orders SELECT id + 1000, date(day, '+10 days'), amount FROM raw_orders WHERE id < 1000"
q() { sqlite3 -cmd ".timeout 5000" "$P/warehouse.db" "$1"; }
partitioned_backfills
echo "ok: partitioned backfills on SQLite"
