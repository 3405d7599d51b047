#!/bin/bash
# partition_replace_pg.sh - a load's partition_column with a PostgreSQL
# warehouse (see partition_replace_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/partition_replace_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS partition_replace" -c "CREATE DATABASE partition_replace" >/dev/null
WH_URL="$SLUICE_TEST_PG dbname=partition_replace"
RAW_SQL="CREATE TABLE raw_orders (id integer primary key, day date, amount integer);
INSERT INTO raw_orders SELECT g, DATE '2024-01-01' + ((g - 1) % 3), g * 10 FROM generate_series(1, 15) g;"
q() { psql -At -F'|' -v ON_ERROR_STOP=1 -d partition_replace -c "$1"; }
partition_replace
echo "ok: partition replace on PostgreSQL"
