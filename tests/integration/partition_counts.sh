#!/bin/bash
# partition_counts.sh - rows a partition's replacement deleted, on SQLite
# (see partition_counts_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/partition_counts_lib.sh"
WH_URL="sqlite:warehouse.db"
RAW_SQL="CREATE TABLE raw_orders (id integer primary key, day text, amount integer);
WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 10)
INSERT INTO raw_orders SELECT x, date('2024-01-01', '+' || ((x - 1) % 2) || ' days'), x * 10 FROM g;"
q() { sqlite3 -cmd ".timeout 5000" "$P/warehouse.db" "$1"; }
partition_counts
echo "ok: partition counts on SQLite"
