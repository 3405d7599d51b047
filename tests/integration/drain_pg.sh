#!/bin/bash
# drain_pg.sh - a worker's drain on a PostgreSQL control store and
# warehouse (see drain_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/drain_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS drain_ctl" -c "CREATE DATABASE drain_ctl" \
	-c "DROP DATABASE IF EXISTS drain_wa" -c "CREATE DATABASE drain_wa" \
	-c "DROP DATABASE IF EXISTS drain_wb" -c "CREATE DATABASE drain_wb" >/dev/null
CONTROL="\"control\": \"$SLUICE_TEST_PG dbname=drain_ctl\","
WA_URL="$SLUICE_TEST_PG dbname=drain_wa"
WB_URL="$SLUICE_TEST_PG dbname=drain_wb"
SLOW_SQL="SELECT pg_sleep(600)"
rows_in_s() { echo $(( $(psql -At -d drain_wa -c "SELECT count(*) FROM s") + $(psql -At -d drain_wb -c "SELECT count(*) FROM s") )); }
workers_count() { psql -At -d drain_ctl -c 'SELECT count(*) FROM workers'; }
drain_cases
echo "drain_pg: ok"
