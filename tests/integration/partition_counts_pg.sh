#!/bin/bash
# partition_counts_pg.sh - rows a partition's replacement deleted, with a
# PostgreSQL warehouse (see partition_counts_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/partition_counts_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS partition_counts" -c "CREATE DATABASE partition_counts" >/dev/null
WH_URL="$SLUICE_TEST_PG dbname=partition_counts"
RAW_SQL="CREATE TABLE raw_orders (id integer primary key, day date, amount integer);
INSERT INTO raw_orders SELECT g, DATE '2024-01-01' + ((g - 1) % 2), g * 10 FROM generate_series(1, 10) g;"
q() { psql -At -F'|' -v ON_ERROR_STOP=1 -d partition_counts -c "$1"; }
partition_counts
echo "ok: partition counts on PostgreSQL"
