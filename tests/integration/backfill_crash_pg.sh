#!/bin/bash
# backfill_crash_pg.sh - the real binary killed between and inside backfill
# steps with a PostgreSQL warehouse, then continued (see
# backfill_crash_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/backfill_crash_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS backfill_crash" -c "CREATE DATABASE backfill_crash" >/dev/null
WH_URL="$SLUICE_TEST_PG dbname=backfill_crash"
SLOW_SQL="SELECT pg_sleep(CASE WHEN to_regclass('slow_flag') IS NULL THEN 0 ELSE :n / 1000.0 END)"
SLOW_N=30000
RAW_SQL="CREATE TABLE raw_orders (id integer primary key, customer text);
INSERT INTO raw_orders SELECT g, 'customer ' || g FROM generate_series(1, 50) g;"
q() { psql -At -F'|' -v ON_ERROR_STOP=1 -d backfill_crash -c "$1"; }
crash_backfill
echo "ok: backfill steps killed and continued on PostgreSQL"
