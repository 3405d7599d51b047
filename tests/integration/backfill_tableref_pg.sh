#!/bin/bash
# backfill_tableref_pg.sh - {{table:NAME}} in a backfill on PostgreSQL (see
# backfill_tableref_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/backfill_tableref_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS tableref" -c "CREATE DATABASE tableref" >/dev/null
WH_URL="$SLUICE_TEST_PG dbname=tableref"
q() { psql -At -F'|' -v ON_ERROR_STOP=1 -d tableref -c "$1"; }
tableref_backfill
echo "ok: {{table:NAME}} reads the rebuilt table in a backfill on PostgreSQL"
