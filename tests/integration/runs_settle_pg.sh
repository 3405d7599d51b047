#!/bin/bash
# runs_settle_pg.sh - runs that must not skip their work, with a
# PostgreSQL warehouse (see runs_settle_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/runs_settle_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 -d postgres \
	-c "DROP DATABASE IF EXISTS runs_settle" -c "CREATE DATABASE runs_settle" >/dev/null
WH_URL="$SLUICE_TEST_PG dbname=runs_settle"
SLOW_SQL="SELECT pg_sleep(CASE WHEN to_regclass('slow_flag') IS NULL THEN 0 ELSE 0.2 END) FROM generate_series(1, 1000)"
q() { PGOPTIONS=--client-min-messages=warning psql -qAt -F'|' -v ON_ERROR_STOP=1 -d runs_settle -c "$1"; }
runs_settle_all
echo "ok: runs settle on PostgreSQL"
