#!/bin/bash
# store_label_pg.sh - an error from a PostgreSQL control store names which
# store it is, as a SQLite store's names its file: "control store
# HOST:PORT/DBNAME" as libpq reports them once connected, and never the
# password (here in PGPASSWORD) or the rest of the conninfo.  The store is
# made read-only after its first run, so the next command that writes to
# it fails at the server.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"

cd "$T"
export PGPASSWORD=Pa55-store-label
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS label_ctl" -c "CREATE DATABASE label_ctl" >/dev/null
cat > sluice.json <<JSON
{ "control": "$SLUICE_TEST_PG dbname=label_ctl connect_timeout=9 application_name=label-app",
  "connections": { "wh": { "url": "sqlite:wh.db" } },
  "flows": [ { "name": "f", "steps": [
    { "name": "s", "kind": "sql", "connection": "wh", "sql": "SELECT 1" } ] } ] }
JSON
run_sluice run f --wait
assert_eq 0 "$RC" "a run on a writable store: $ERR"

psql -q -c "ALTER DATABASE label_ctl SET default_transaction_read_only = on" >/dev/null
run_sluice run f --wait
assert_eq 1 "$RC" "a run on a read-only store: $OUT"
assert_contains "$ERR" "control store 127.0.0.1:$PGPORT/label_ctl: " "the error names the store"
assert_contains "$ERR" "read-only transaction" "the server's reason"
for secret in Pa55-store-label password connect_timeout label-app "user=" "dbname="; do
	assert_not_contains "$ERR" "$secret" "the error of a read-only store"
done
echo "store_label_pg: ok"
