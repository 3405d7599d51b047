#!/bin/bash
# identity_pg.sh - exactly-once records name their control store, on
# PostgreSQL warehouses, switching to a PostgreSQL control store (see
# identity_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/identity_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"

pg_db() { # NAME: a new database
	PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 -d postgres \
		-c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
}
new_wh() { # NAME
	WH_DB="identity_$1"
	pg_db "$WH_DB"
	WH_URL="$SLUICE_TEST_PG dbname=$WH_DB"
}
q() { psql -qAt -F'|' -v ON_ERROR_STOP=1 -d "$WH_DB" -c "$1"; }
pg_db identity_control
OTHER_CONTROL="$SLUICE_TEST_PG dbname=identity_control"
other_cq() { psql -At -v ON_ERROR_STOP=1 -d identity_control -c "$1"; }

identity_all
echo "ok: identity on PostgreSQL"
