#!/bin/bash
# workers_pg.sh - work pools and show workers on a PostgreSQL control
# store (see workers_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/workers_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS workers_ctl" -c "CREATE DATABASE workers_ctl" >/dev/null
CONTROL="\"control\": \"$SLUICE_TEST_PG dbname=workers_ctl\","
pools_cases
echo "workers_pg: ok"
