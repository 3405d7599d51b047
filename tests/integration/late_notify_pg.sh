#!/bin/bash
# late_notify_pg.sh - the late_run notification of a run marked LATE by its
# claim, on a PostgreSQL control store (see late_notify_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/late_notify_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS late_ctl" -c "CREATE DATABASE late_ctl" >/dev/null
CONTROL="\"control\": \"$SLUICE_TEST_PG dbname=late_ctl\","
store_sql() { PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-d "$SLUICE_TEST_PG dbname=late_ctl" -c "$1" >/dev/null; }
late_notify_cases
echo "late_notify_pg: ok"
