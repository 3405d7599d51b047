#!/bin/bash
# demo_pg.sh - the demo on PostgreSQL: `init --demo --source URL
# --warehouse URL` creates the ToteSys tables (indexed on last_updated) and
# the star schema in the servers' databases, writes the PostgreSQL SQL
# files, is deterministic there too, refuses to clobber an existing demo
# without --force; the simulator works against a PostgreSQL source; and
# the three flows run there: the fact table and the order lines fill up.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
# This tree's template, even where an older sluice is installed.
export SLUICE_DATADIR=$SLUICE_SRCDIR/data
[ -n "${SLUICE_TEST_PG:-}" ] || fail "no PostgreSQL server (run through make check)"
cd "$T"

for db in demo_src demo_wh demo_src2 demo_wh2 demo_one; do
	psql -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db" >/dev/null
done
# A conninfo for the source, a URL for the warehouse: both forms work.
SRC="host=$PGHOST port=$PGPORT user=$PGUSER dbname=demo_src"
WH="postgresql://$PGUSER@$PGHOST:$PGPORT/demo_wh"

q() { # DB SQL: one value
	psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

tables="address counterparty currency department design payment_type sales_order staff"
dump() { # DB: every source table's rows in key order
	local t
	for t in $tables; do
		echo "== $t"
		psql -X -q -d "$1" -c "COPY (SELECT * FROM $t ORDER BY 1) TO STDOUT"
	done
}

run_sluice init --demo pg --source "$SRC" --warehouse "$WH" --seed 5
assert_eq 0 "$RC" "init on PostgreSQL ($ERR)"
assert_contains "$OUT" "2000 sales orders, seed 5"
grep -q 'extract(year FROM d)' pg/sql/stage_totesys.sql || fail "a PostgreSQL warehouse got the SQLite SQL"
grep -q 'bigserial' pg/sql/warehouse_schema.sql || fail "warehouse schema is not PostgreSQL's"
[ ! -e pg/data/source.db ] || fail "a SQLite source was made anyway"
grep -q "\"url\": \"$SRC\"" pg/sluice.json || fail "sluice.json does not name the source"

run_sluice -C pg check
assert_eq 0 "$RC" "check ($OUT)"
assert_not_contains "$OUT" "warning" "check output"

assert_eq 2000 "$(q demo_src "SELECT count(*) FROM sales_order")" "sales orders on PostgreSQL"
for t in $tables; do
	idx=$(q demo_src "SELECT count(*) FROM pg_indexes WHERE tablename = '$t'
		AND indexdef LIKE '%(last_updated)%'")
	assert_eq 1 "$idx" "index on $t.last_updated"
done
assert_eq "numeric(10,2)" "$(q demo_src "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
	WHERE attrelid = 'sales_order'::regclass AND attname = 'unit_price'")" "unit_price's type"
assert_eq "timestamp without time zone" "$(q demo_src "SELECT format_type(atttypid, atttypmod)
	FROM pg_attribute WHERE attrelid = 'staff'::regclass AND attname = 'last_updated'")" \
	"last_updated's type"
for t in dim_date dim_staff dim_location dim_currency dim_design dim_counterparty \
	fact_sales_order fact_order_line; do
	assert_eq 0 "$(q demo_wh "SELECT count(*) FROM $t")" "rows in $t"
done

# ---- deterministic on PostgreSQL as well ------------------------------------------------------
run_sluice init --demo pg2 --seed 5 \
	--source "host=$PGHOST port=$PGPORT user=$PGUSER dbname=demo_src2" \
	--warehouse "postgresql://$PGUSER@$PGHOST:$PGPORT/demo_wh2"
assert_eq 0 "$RC" "second init ($ERR)"
assert_eq "$(dump demo_src | sha256sum)" "$(dump demo_src2 | sha256sum)" "two demos with seed 5"

# ---- an existing demo is not clobbered ----------------------------------------------------------
before=$(dump demo_src | sha256sum)
run_sluice init --demo other --source "$SRC" --seed 6
assert_eq 1 "$RC" "init over a PostgreSQL source that has the demo"
assert_contains "$ERR" "already has the demo's tables"
assert_eq "$before" "$(dump demo_src | sha256sum)" "the refused init changed the source"
[ ! -e other/sluice.json ] || fail "a refused init wrote sluice.json"
run_sluice init --demo other --warehouse "$WH"
assert_eq 1 "$RC" "init over a PostgreSQL warehouse that has the demo"
assert_contains "$ERR" "the warehouse"
run_sluice init --demo pg2 --force --seed 6 \
	--source "host=$PGHOST port=$PGPORT user=$PGUSER dbname=demo_src2" \
	--warehouse "postgresql://$PGUSER@$PGHOST:$PGPORT/demo_wh2"
assert_eq 0 "$RC" "init --force on PostgreSQL ($ERR)"
[ "$before" != "$(dump demo_src2 | sha256sum)" ] || fail "--force kept the old rows"

# One database can be both source and warehouse: their tables do not clash.
ONE="host=$PGHOST port=$PGPORT user=$PGUSER dbname=demo_one"
run_sluice init --demo one --source "$ONE" --warehouse "$ONE"
assert_eq 0 "$RC" "source and warehouse in one database ($ERR)"
assert_eq 2000 "$(q demo_one "SELECT count(*) FROM sales_order")" "orders in the shared database"
assert_eq 0 "$(q demo_one "SELECT count(*) FROM fact_sales_order")" "facts in the shared database"
run_sluice init --demo one --force --seed 9 --source "$ONE" --warehouse "$ONE"
assert_eq 0 "$RC" "--force on the shared database ($ERR)"

# ---- the simulator against PostgreSQL -------------------------------------------------------------
run_sluice -C pg demo simulate --rounds 2 --interval 0
assert_eq 0 "$RC" "simulate ($ERR)"
assert_eq 2 "$(q demo_src "SELECT rounds FROM demo_simulator")" "rounds"
new=$(q demo_src "SELECT count(*) FROM sales_order WHERE sales_order_id > 2000")
[ "$new" -ge 2 ] || fail "only $new new sales orders"

# ---- the flows on PostgreSQL -------------------------------------------------------------------------
# An extract's window ends its lag (2 s) before the run starts, so rows the
# simulator stamped a moment ago wait for a run that starts after that.
sleep 3
cd pg
run_sluice run totesys_ingest --wait
assert_eq 0 "$RC" "totesys_ingest ($ERR)"
run_sluice run totesys_warehouse --wait
assert_eq 0 "$RC" "totesys_warehouse ($ERR)"
facts=$(q demo_wh "SELECT count(*) FROM fact_sales_order")
[ "$facts" -ge 2002 ] || fail "fact_sales_order has $facts rows"
# The staging tables have the star's types: a fresh demo drifts nothing.
assert_eq 0 "$(sqlite3 .sluice/control.db "SELECT count(*) FROM schema_changes")" \
	"schema changes in a fresh demo"
assert_eq "character varying" "$(q demo_wh "SELECT data_type FROM information_schema.columns
	WHERE table_name = 'dim_currency' AND column_name = 'currency_code'")" "dim_currency.currency_code"
assert_eq 0 "$(q demo_wh "SELECT count(*) FROM fact_sales_order f
	LEFT JOIN dim_staff s ON s.staff_id = f.sales_staff_id
	LEFT JOIN dim_date d ON d.date_id = f.agreed_delivery_date
	WHERE s.staff_id IS NULL OR d.date_id IS NULL")" "facts without their dimensions"
assert_eq "British Pound" "$(q demo_wh "SELECT currency_name FROM dim_currency
	WHERE currency_code = 'GBP'")" "currency names"
run_sluice pipe refresh orders_pipe
assert_eq 0 "$RC" "orders pipe ($ERR)"
run_sluice run orders_etl --wait
assert_eq 0 "$RC" "orders_etl ($ERR)"
lines=$(q demo_wh "SELECT count(*) FROM fact_order_line")
[ "$lines" -ge 2 ] || fail "fact_order_line has $lines rows"
run_sluice show streams --json
assert_contains "$OUT" '"pending_rows":0' "the stream after orders_etl"
echo "demo_pg.sh: ok"
