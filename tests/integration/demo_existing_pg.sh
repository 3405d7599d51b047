#!/bin/bash
# demo_existing_pg.sh - `sluice init --demo` beside a real ToteSys database, on
# PostgreSQL (the test's own server): see demo_existing_lib.sh.  Here
# "untouched" is pg_dump's schema and every table's rows.
. "$SLUICE_SRCDIR/tests/integration/demo_existing_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "no PostgreSQL server (run through make check)"

new_db() { psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $1" >/dev/null; }
url() { echo "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$1"; }
sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$1" >/dev/null; }
q() { psql -X -A -t -q -F'|' -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
load_fixture() { # NAME TABLE
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c "CREATE TEMP TABLE j (doc jsonb)" \
		-c "\\copy j FROM '$SLUICE_FIXTURES/$2.json'" \
		-c "INSERT INTO $2 SELECT (jsonb_populate_record(NULL::$2, doc)).* FROM j" >/dev/null
}
# (without pg_dump's \restrict lines, whose key is new in every dump)
schema_of() { pg_dump --schema-only --no-owner -d "$1" | grep -v '^\\\(un\)\?restrict '; }
dump_table() { psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c "COPY (SELECT * FROM \"$2\" ORDER BY 1) TO STDOUT"; }

run_demo_existing
echo "demo_existing_pg.sh: ok"
