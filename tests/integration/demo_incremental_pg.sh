#!/bin/bash
# demo_incremental_pg.sh - the demo's warehouse flow on PostgreSQL stages
# only what is new, keeps surrogate keys, writes nothing when nothing is
# new, and a backfill rebuilds it identical (see demo_incremental_lib.sh).
. "$SLUICE_SRCDIR/tests/integration/demo_incremental_lib.sh"
export SLUICE_DATADIR=$SLUICE_SRCDIR/data
[ -n "${SLUICE_TEST_PG:-}" ] || fail "no PostgreSQL server (run through make check)"
export PGOPTIONS=--client-min-messages=warning
cd "$T"
for db in incr_src incr_wh; do
	psql -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db" >/dev/null
done
run_sluice init --demo demo --rows 500 --seed 11 \
	--source "host=$PGHOST port=$PGPORT user=$PGUSER dbname=incr_src" \
	--warehouse "host=$PGHOST port=$PGPORT user=$PGUSER dbname=incr_wh"
assert_eq 0 "$RC" "init ($ERR)"
P=$T/demo
# A failed run fails for good here, rather than waiting out its retry.
sed -i 's/"retries": { "count": 1, "delay": "10s" }/"retries": { "count": 0 }/' "$P/sluice.json"
q() { psql -X -A -t -q -F'|' -v ON_ERROR_STOP=1 -d incr_wh -c "$1"; }
src_q() { psql -X -A -t -q -v ON_ERROR_STOP=1 -d incr_src -c "$1"; }
SOON_SQL="(now() AT TIME ZONE 'UTC') + interval '10 seconds'"
NOW_SQL="(now() AT TIME ZONE 'UTC')"
block_fact() {
	q "CREATE FUNCTION test_block_fact() RETURNS trigger LANGUAGE plpgsql AS
	   \$\$BEGIN RAISE EXCEPTION 'test: fact_sales_order is blocked'; END\$\$;
	   CREATE TRIGGER test_block_fact BEFORE INSERT ON fact_sales_order
	   FOR EACH ROW EXECUTE FUNCTION test_block_fact()"
}
unblock_fact() { q "DROP TRIGGER test_block_fact ON fact_sales_order; DROP FUNCTION test_block_fact()"; }
demo_incremental
echo "ok: the demo warehouse on PostgreSQL is incremental"
