#!/bin/bash
# stream_deletes_pg.sh - a deleted source row through normalize and merge,
# on PostgreSQL (see stream_deletes_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/stream_deletes_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS deletes_wh" -c "CREATE DATABASE deletes_wh" >/dev/null
WH_URL="$SLUICE_TEST_PG dbname=deletes_wh"
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d deletes_wh -c "$1"; }
deletes_cases
echo "stream_deletes_pg: ok"
