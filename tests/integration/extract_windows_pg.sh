#!/bin/bash
# extract_windows_pg.sh - extract windows on a PostgreSQL source (the
# test's own server), whose column default writes New York's wall time
# (see extract_windows_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/extract_windows_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS extract_windows" -c "CREATE DATABASE extract_windows" >/dev/null
SRC_URL="$SLUICE_TEST_PG dbname=extract_windows"
src() { psql -At -v ON_ERROR_STOP=1 -d extract_windows -c "$1"; }
stamp_row() { src "INSERT INTO orders (id) VALUES ($1)" >/dev/null; }
newest() { src "SELECT max(last_updated) FROM orders"; }
src "CREATE TABLE orders (id int PRIMARY KEY, last_updated timestamp
     DEFAULT (now() AT TIME ZONE 'America/New_York'));
     CREATE INDEX ON orders (last_updated)" >/dev/null
run_windows
echo "ok: extract windows on a PostgreSQL source"
