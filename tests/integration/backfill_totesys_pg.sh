#!/bin/bash
# backfill_totesys_pg.sh - a backfill of the ToteSys warehouse on
# PostgreSQL (the test's own server) by the real binary (see
# backfill_totesys_lib.sh).
set -eu
DIALECT=postgresql
. "$SLUICE_SRCDIR/tests/integration/backfill_totesys_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS backfill_totesys" -c "CREATE DATABASE backfill_totesys" >/dev/null
WH_URL="$SLUICE_TEST_PG dbname=backfill_totesys"
q() { psql -At -F'|' -v ON_ERROR_STOP=1 -d backfill_totesys -c "$1"; }
backfill_totesys
echo "ok: ToteSys backfill on PostgreSQL"
