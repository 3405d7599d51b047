#!/bin/bash
# backfill_partitions_pg.sh - partitioned backfills with a PostgreSQL
# warehouse (see backfill_partitions_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/backfill_partitions_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS backfill_parts" -c "CREATE DATABASE backfill_parts" >/dev/null
WH_URL="$SLUICE_TEST_PG dbname=backfill_parts"
# Slow while slow_flag exists; fails (bigint out of range) on a poisoned day.
SLOW_SQL="SELECT abs(CASE WHEN EXISTS (SELECT 1 FROM poison WHERE day = CAST(:day AS date)) THEN -9223372036854775807 - 1 ELSE 1 END) + (SELECT 0 FROM pg_sleep(CASE WHEN to_regclass('slow_flag') IS NULL THEN 0 ELSE :n / 1000000.0 END))"
RAW_SQL="CREATE TABLE raw_orders (id integer primary key, day date, amount integer);
INSERT INTO raw_orders SELECT g + 1, DATE '2024-01-01' + (g % 10), g * 10 FROM generate_series(0, 49) g;"
MORE_DAYS_SQL="INSERT INTO raw_orders SELECT id + 1000, day + 10, amount FROM raw_orders WHERE id < 1000"
q() { psql -At -F'|' -v ON_ERROR_STOP=1 -d backfill_parts -c "$1"; }
partitioned_backfills
echo "ok: partitioned backfills on PostgreSQL"
