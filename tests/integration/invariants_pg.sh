#!/bin/bash
# invariants_pg.sh - the seeded random scenario of invariants_lib.sh with a
# PostgreSQL source and warehouse (the test's own server): no COMPLETED run
# loses or doubles a row.
set -eu
BACKEND=pg
TS_TYPE=timestamp
. "$SLUICE_SRCDIR/tests/integration/invariants_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
export PGOPTIONS=--client-min-messages=warning
for db in inv_src_a inv_src_b inv_wh; do
	psql -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
done
src_url() { echo "$SLUICE_TEST_PG dbname=inv_src_$1"; }
wh_url() { echo "$SLUICE_TEST_PG dbname=inv_wh"; }
# Every other generation of the first project, and the second project, keep
# their runs in a PostgreSQL control store: a switch is also SQLite to
# PostgreSQL and back.
new_control() { # TAG
	case "$1" in
	a*[02468]) return 0 ;;
	esac
	psql -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE inv_ctl_$1" >/dev/null
	echo "$SLUICE_TEST_PG dbname=inv_ctl_$1"
}
ctl_sql_url() { # URL SQL
	psql -At -F'|' -v ON_ERROR_STOP=1 -d "${1##*dbname=}" -c "$2"
}
src_exec() { psql -q -v ON_ERROR_STOP=1 -d "inv_src_$1" -c "$2" >/dev/null; }
src_late() { # PROJ SQL SECONDS
	psql -q -v ON_ERROR_STOP=1 -d "inv_src_$1" >/dev/null <<SQL
BEGIN;
$2;
SELECT pg_sleep($3);
COMMIT;
SQL
}
wh_exec() { psql -q -v ON_ERROR_STOP=1 -d inv_wh -c "$1" >/dev/null; }
wh_query() { psql -At -F'|' -v ON_ERROR_STOP=1 -d inv_wh -c "$1"; }
invariants_main
echo "ok: invariants held on PostgreSQL (SEED=$SEED)"
