#!/bin/bash
# invariants.sh - the seeded random scenario of invariants_lib.sh with a
# SQLite source and warehouse: no COMPLETED run loses or doubles a row.
set -eu
BACKEND=sqlite
TS_TYPE=text
. "$SLUICE_SRCDIR/tests/integration/invariants_lib.sh"
src_url() { echo "sqlite:$T/src_$1.db"; }
wh_url() { echo "sqlite:$T/wh.db"; }
new_control() { :; }     # every control store is the default .sluice/control.db
ctl_sql_url() { fail "no control store URLs on SQLite"; }
src_exec() { sqlite3 -bail -cmd '.timeout 10000' "$T/src_$1.db" "$2" >/dev/null; }
src_late() { # PROJ SQL SECONDS
	sqlite3 -bail "$T/src_$1.db" >/dev/null <<SQL
.timeout 10000
BEGIN IMMEDIATE;
$2;
.shell sleep $3
COMMIT;
SQL
}
wh_exec() { sqlite3 -bail -cmd '.timeout 10000' "$T/wh.db" "$1" >/dev/null; }
wh_query() { sqlite3 -bail -cmd '.timeout 10000' "$T/wh.db" "$1"; }
invariants_main
echo "ok: invariants held on SQLite (SEED=$SEED)"
