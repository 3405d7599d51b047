#!/bin/bash
# retention_pg.sh - the control store's retention on a PostgreSQL store
# (see retention_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/retention_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS retention" -c "CREATE DATABASE retention" >/dev/null
CONTROL="$SLUICE_TEST_PG dbname=retention"
sq() { psql -At -F'|' -v ON_ERROR_STOP=1 -d retention -c "$1"; }
retention_checks
echo "ok: retention on PostgreSQL"
