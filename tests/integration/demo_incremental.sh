#!/bin/bash
# demo_incremental.sh - the demo's warehouse flow on SQLite stages only what
# is new, keeps surrogate keys, writes nothing when nothing is new, and a
# backfill rebuilds it identical (see demo_incremental_lib.sh).
. "$SLUICE_SRCDIR/tests/integration/demo_incremental_lib.sh"
export SLUICE_DATADIR=$SLUICE_SRCDIR/data
cd "$T"
run_sluice init --demo demo --rows 500 --seed 11
assert_eq 0 "$RC" "init ($ERR)"
P=$T/demo
# A failed run fails for good here, rather than waiting out its retry.
sed -i 's/"retries": { "count": 1, "delay": "10s" }/"retries": { "count": 0 }/' "$P/sluice.json"
q() { sqlite3 -cmd ".timeout 5000" "$P/data/warehouse.db" "$1"; }
src_q() { sqlite3 -cmd ".timeout 5000" "$P/data/source.db" "$1"; }
SOON_SQL="strftime('%Y-%m-%d %H:%M:%f', 'now', '+10 seconds')"
NOW_SQL="strftime('%Y-%m-%d %H:%M:%f', 'now')"
block_fact() {
	q "CREATE TRIGGER test_block_fact BEFORE INSERT ON fact_sales_order
	   BEGIN SELECT RAISE(ABORT, 'test: fact_sales_order is blocked'); END"
}
unblock_fact() { q "DROP TRIGGER test_block_fact"; }
demo_incremental
echo "ok: the demo warehouse on SQLite is incremental"
