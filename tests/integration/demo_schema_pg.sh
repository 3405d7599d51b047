#!/bin/bash
# demo_schema_pg.sh - the demo's warehouse schema is one schema: `init
# --demo` with a SQLite warehouse and with a PostgreSQL one makes the same
# tables, with the same columns, types, NOT NULLs and keys (integers are
# bigint on PostgreSQL, the one spelling that differs), and the fact's
# record number is assigned on insert on both.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
export SLUICE_DATADIR=$SLUICE_SRCDIR/data
[ -n "${SLUICE_TEST_PG:-}" ] || fail "no PostgreSQL server (run through make check)"
cd "$T"
psql -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE schema_wh" >/dev/null

run_sluice init --demo lite --rows 10
assert_eq 0 "$RC" "init with a SQLite warehouse ($ERR)"
run_sluice init --demo pg --rows 10 --warehouse "$SLUICE_TEST_PG dbname=schema_wh"
assert_eq 0 "$RC" "init with a PostgreSQL warehouse ($ERR)"

# The tables the warehouse schema makes, as `show tables --json` sees them.
TABLES="dim_date dim_staff dim_location dim_currency dim_design dim_counterparty
	fact_sales_order fact_order_line stg_order_lines stg_totesys_mark"
schema() { # DIR
	"$SLUICE" -C "$1" show tables --json | python3 -c '
import json, sys
wanted = sys.argv[1].split()
for t in sorted(json.load(sys.stdin), key=lambda t: t["name"]):
    if not t["exists"] or t["name"] not in wanted:
        continue
    for c in t["columns"]:
        ty = "integer" if c["type"] == "bigint" else c["type"]
        print(t["name"], c["name"], ty, "NOT NULL" if c["not_null"] else "",
              "KEY" if c["primary_key"] else "")
' "$TABLES"
}
schema lite >lite.txt || fail "show tables on the SQLite demo"
schema pg >pg.txt || fail "show tables on the PostgreSQL demo"
grep -q '^dim_currency currency_code ' lite.txt || fail "no dim_currency in $(cat lite.txt)"
grep -q '^fact_sales_order sales_record_id integer NOT NULL KEY' lite.txt ||
	fail "fact_sales_order has no record number: $(grep fact_sales_order lite.txt)"
diff -u lite.txt pg.txt >schema.diff || fail "the warehouse differs between dialects:
$(cat schema.diff)"
assert_eq 10 "$(cut -d' ' -f1 lite.txt | sort -u | wc -l)" "tables the schema makes"

# The record number is assigned on insert, on both.
row="(7, '2024-01-02', '10:00:00', '2024-01-02', '10:00:00', 1, 1, 3, 2.50, 1, 1,
      '2024-01-09', '2024-01-10', 1)"
cols="sales_order_id, created_date, created_time, last_updated_date, last_updated_time,
      sales_staff_id, counterparty_id, units_sold, unit_price, currency_id, design_id,
      agreed_payment_date, agreed_delivery_date, agreed_delivery_location_id"
for i in 1 2; do
	sqlite3 lite/data/warehouse.db "INSERT INTO fact_sales_order ($cols) VALUES $row" ||
		fail "insert into the SQLite fact"
	psql -q -v ON_ERROR_STOP=1 -d schema_wh -c "INSERT INTO fact_sales_order ($cols) VALUES $row" ||
		fail "insert into the PostgreSQL fact"
done
assert_eq "1 2" "$(sqlite3 lite/data/warehouse.db "SELECT sales_record_id FROM fact_sales_order ORDER BY 1" | xargs)" \
	"SQLite record numbers"
assert_eq "1 2" "$(psql -X -A -t -q -d schema_wh -c "SELECT sales_record_id FROM fact_sales_order ORDER BY 1" | xargs)" \
	"PostgreSQL record numbers"

# The flows number their rows by the raw row each version was first read
# from; the hand-made rows above would take those numbers.
sqlite3 lite/data/warehouse.db "DELETE FROM fact_sales_order"
psql -q -v ON_ERROR_STOP=1 -d schema_wh -c "DELETE FROM fact_sales_order"

# The flows run on it as they are: the warehouse flow runs the same file
# first, and its loads find nothing to widen.
for d in lite pg; do
	run_sluice -C $d run totesys_ingest --wait
	assert_eq 0 "$RC" "totesys_ingest on $d ($ERR)"
	run_sluice -C $d run totesys_warehouse --wait
	assert_eq 0 "$RC" "totesys_warehouse on $d ($ERR)"
	schema $d >$d.after.txt
	diff -u $d.txt $d.after.txt >$d.diff || fail "the flows changed the $d warehouse:
$(cat $d.diff)"
done
echo "ok: one warehouse schema on SQLite and PostgreSQL"
