#!/bin/bash
# totesys_steps_pg.sh - the ToteSys star schema built on PostgreSQL by the
# real binary (the test's own server): pipes into raw tables, sql and load
# steps into the star, validate.
set -eu
DIALECT=postgresql
. "$SLUICE_SRCDIR/tests/integration/totesys_steps_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS totesys_steps" \
	-c "CREATE DATABASE totesys_steps" >/dev/null
WH_URL="$SLUICE_TEST_PG dbname=totesys_steps"
q() { psql -At -F'|' -v ON_ERROR_STOP=1 -d totesys_steps -c "$1"; }
run_totesys
echo "ok: ToteSys star schema on PostgreSQL"
