#!/bin/bash
# load_path_pg.sh - a load's path in the run's log, on PostgreSQL: two
# conninfos of one database (another application name) are one database,
# another database on the same server is not (see load_path_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/load_path_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS path_wh" -c "CREATE DATABASE path_wh" \
	-c "DROP DATABASE IF EXISTS path_other" -c "CREATE DATABASE path_other" >/dev/null
WH_URL="$SLUICE_TEST_PG dbname=path_wh"
SAME_URL="$SLUICE_TEST_PG dbname=path_wh application_name=same"
OTHER_URL="$SLUICE_TEST_PG dbname=path_other"
q_wh() { psql -X -q -At -v ON_ERROR_STOP=1 -d path_wh -c "$1"; }
q_other() { psql -X -q -At -v ON_ERROR_STOP=1 -d path_other -c "$1"; }
path_cases
echo "load_path_pg: ok"
