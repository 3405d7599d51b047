#!/bin/bash
# schedule_pg.sh - run --at, LATE, typed parameters and MISSED ticks on a
# PostgreSQL control store and warehouse (see schedule_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/schedule_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS sched_ctl" -c "CREATE DATABASE sched_ctl" \
	-c "DROP DATABASE IF EXISTS sched_wh" -c "CREATE DATABASE sched_wh" >/dev/null
CONTROL="\"control\": \"$SLUICE_TEST_PG dbname=sched_ctl\","
WH_URL="$SLUICE_TEST_PG dbname=sched_wh"
schedule_cases
echo "schedule_pg: ok"
