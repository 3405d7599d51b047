#!/bin/bash
# show_table_pg.sh - column notes and schema changes in `sluice show table`
# with a PostgreSQL warehouse (see show_table_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/integration/show_table_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS show_table" -c "CREATE DATABASE show_table" >/dev/null
WH_URL="$SLUICE_TEST_PG dbname=show_table"
show_table_case
echo "ok: show table's notes and schema changes on PostgreSQL"
