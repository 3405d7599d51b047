#!/bin/bash
# stream_before_pipe_pg.sh - a stream over a pipe's table before the pipe's
# first file, with a PostgreSQL warehouse (see stream_before_pipe_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/stream_before_pipe_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS stream_before_pipe" -c "CREATE DATABASE stream_before_pipe" >/dev/null
WH_URL="$SLUICE_TEST_PG dbname=stream_before_pipe"
q() { psql -At -v ON_ERROR_STOP=1 -d stream_before_pipe -c "$1"; }
stream_before_pipe
echo "stream_before_pipe_pg: ok"
