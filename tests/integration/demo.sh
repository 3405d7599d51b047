#!/bin/bash
# demo.sh - `sluice init --demo` writes a complete project that checks
# clean; the generator is deterministic (same seed, same bytes in every
# table; another seed, other data); the source has the ToteSys columns
# and the real rows, indexed on last_updated; --rows sizes it; an existing
# demo is never overwritten without --force; `demo simulate` changes the
# source and drops order files, the same way for the same seed.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
# This tree's template, even where an older sluice is installed.
export SLUICE_DATADIR=$SLUICE_SRCDIR/data
cd "$T"

tables="address counterparty currency department design payment_type sales_order staff"

# One line per table: name and SHA-256 of all its rows in key order.
checksums() { # DB
	local t
	for t in $tables; do
		printf '%s %s\n' "$t" "$(sqlite3 "$1" "SELECT * FROM $t ORDER BY 1" | sha256sum | cut -c1-64)"
	done
}

count() { # DB TABLE
	sqlite3 "$1" "SELECT count(*) FROM $2"
}

# ---- a demo, checked ----------------------------------------------------------------
run_sluice init --demo a --seed 7
assert_eq 0 "$RC" "init exit status"
assert_contains "$OUT" "created the ToteSys demo in a" "init summary"
assert_contains "$OUT" "2000 sales orders, seed 7" "init summary"
for f in sluice.json README.md sql/warehouse_schema.sql sql/stage_totesys.sql \
	sql/transform_orders.sql sql/analyze.sql data/source.db data/warehouse.db; do
	[ -f "a/$f" ] || fail "init did not write $f"
done
[ -d a/lake/orders ] || fail "init did not make the lake's orders/ folder"
grep -q "strftime('%w'" a/sql/stage_totesys.sql || fail "SQLite warehouse got other SQL"

run_sluice -C a check
assert_eq 0 "$RC" "check exit status ($OUT)"
assert_contains "$OUT" "sluice.json: ok (2 connections, 9 pipes, 1 stream, 4 tasks, 4 flows)"
assert_not_contains "$OUT" "warning" "check output"

assert_eq 2000 "$(count a/data/source.db sales_order)" "sales orders"

# The warehouse has the star schema, empty.
for t in dim_date dim_staff dim_location dim_currency dim_design dim_counterparty \
	fact_sales_order fact_order_line; do
	assert_eq 0 "$(count a/data/warehouse.db $t)" "rows in $t"
done

# ---- the ToteSys schema and rows ------------------------------------------------------
for t in $tables; do
	want=$(head -1 "$SLUICE_FIXTURES/$t.json" | grep -o '"[a-z_0-9]*": ' | tr -d '": ' | sort)
	got=$(sqlite3 a/data/source.db "SELECT name FROM pragma_table_info('$t')" | sort)
	assert_eq "$want" "$got" "columns of $t"
	plan=$(sqlite3 a/data/source.db \
		"EXPLAIN QUERY PLAN SELECT * FROM $t WHERE last_updated > '2024-01-01'")
	assert_contains "$plan" "USING INDEX" "plan of an incremental extract of $t"
done
assert_eq "6826 Herzog Via|Avon|New Patienceburgh|Turkey" \
	"$(sqlite3 a/data/source.db "SELECT address_line_1, district, city, country FROM address WHERE address_id = 1")" \
	"address 1 is the real one"
assert_eq "Irving|O'Keefe|3" \
	"$(sqlite3 a/data/source.db "SELECT first_name, last_name, department_id FROM staff WHERE staff_id = 17")" \
	"staff 17 is the real one"
assert_eq "GBP USD EUR" "$(sqlite3 a/data/source.db "SELECT group_concat(currency_code, ' ')
	FROM (SELECT currency_code FROM currency ORDER BY currency_id)")" "currencies"
assert_eq 2022-11-03 "$(sqlite3 a/data/source.db "SELECT substr(min(created_at), 1, 10) FROM sales_order")" \
	"history starts with the real data"
bad=$(sqlite3 a/data/source.db "SELECT count(*) FROM sales_order WHERE last_updated < created_at
	OR unit_price < 2 OR unit_price > 4 OR agreed_delivery_date NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
	OR staff_id NOT IN (SELECT staff_id FROM staff) OR design_id NOT IN (SELECT design_id FROM design)
	OR counterparty_id NOT IN (SELECT counterparty_id FROM counterparty)
	OR agreed_delivery_location_id NOT IN (SELECT address_id FROM address)")
assert_eq 0 "$bad" "sales orders with impossible values or dangling references"

# ---- determinism ------------------------------------------------------------------------
run_sluice init --demo b --seed 7
assert_eq 0 "$RC" "second init"
assert_eq "$(checksums a/data/source.db)" "$(checksums b/data/source.db)" \
	"two demos with seed 7"
run_sluice init --demo c --seed 8
assert_eq 0 "$RC" "init with seed 8"
a_sums=$(checksums a/data/source.db)
c_sums=$(checksums c/data/source.db)
for t in address design sales_order; do
	[ "$(grep "^$t " <<<"$a_sums")" != "$(grep "^$t " <<<"$c_sums")" ] ||
		fail "$t is the same with seeds 7 and 8"
done
# Reference tables are the real ones whatever the seed.
for t in currency department payment_type; do
	assert_eq "$(grep "^$t " <<<"$a_sums")" "$(grep "^$t " <<<"$c_sums")" "$t across seeds"
done

# ---- --rows --------------------------------------------------------------------------------
run_sluice init --demo small --rows 500 --seed 3
assert_eq 0 "$RC" "init --rows 500"
assert_eq 500 "$(count small/data/source.db sales_order)" "sales orders with --rows 500"
run_sluice init --demo big --rows 50000 --seed 3
assert_eq 0 "$RC" "init --rows 50000"
assert_eq 50000 "$(count big/data/source.db sales_order)" "sales orders with --rows 50000"
assert_eq 25 "$(count big/data/source.db staff)" "staff grow with the orders"
for bad_rows in 0 -5 abc 1e6 100000001; do
	run_sluice init --demo bad --rows "$bad_rows"
	assert_eq 2 "$RC" "--rows $bad_rows"
	assert_contains "$ERR" "--rows" "message for --rows $bad_rows"
done
[ ! -e bad ] || fail "a refused init left a directory behind"
run_sluice init --demo bad --seed -1
assert_eq 2 "$RC" "--seed -1"
run_sluice init --rows 5 plain
assert_eq 2 "$RC" "--rows without --demo"

# ---- never overwrite without --force ----------------------------------------------------------
before=$(checksums a/data/source.db)
run_sluice init --demo a --seed 9
assert_eq 1 "$RC" "init over an existing demo"
assert_contains "$ERR" "a/sluice.json exists; pass --force"
assert_eq "$before" "$(checksums a/data/source.db)" "the refused init changed the source"

# A demo whose sluice.json went missing still has data: refused too.
rm b/sluice.json
run_sluice init --demo b --seed 9
assert_eq 1 "$RC" "init over a demo's leftovers"
assert_contains "$ERR" "b already holds a demo's data"
[ ! -e b/sluice.json ] || fail "a refused init wrote sluice.json"

run_sluice init --demo a --seed 9 --force
assert_eq 0 "$RC" "init --force ($ERR)"
[ "$before" != "$(checksums a/data/source.db)" ] || fail "--force kept the old data"
run_sluice -C a check
assert_eq 0 "$RC" "check after --force"

# ---- URLs ---------------------------------------------------------------------------------------
run_sluice init --demo pw --warehouse "postgresql://etl:hunter22@127.0.0.1/wh"
assert_eq 2 "$RC" "a password in the URL"
assert_contains "$ERR" "--warehouse: a password in the URL is not allowed: every local user can read a command line (ps)"
assert_not_contains "$ERR$OUT" "hunter22" "output"
run_sluice init --demo pw --source "mysql://x"
assert_eq 2 "$RC" "an unknown URL"
[ ! -e pw/sluice.json ] || fail "a refused init wrote sluice.json"
run_sluice init --demo elsewhere --source "sqlite:other/src.db"
assert_eq 1 "$RC" "a SQLite source in a missing directory"
mkdir other
run_sluice init --demo elsewhere --source "sqlite:other/src.db"
assert_eq 0 "$RC" "a SQLite source elsewhere ($ERR)"
assert_eq 2000 "$(count other/src.db sales_order)" "orders in the other source"
grep -q "\"sqlite:$T/other/src.db\"" elsewhere/sluice.json ||
	fail "sluice.json does not name the source by its absolute path"

# ---- read-only --------------------------------------------------------------------------------
run_sluice --read-only init --demo ro
assert_eq 4 "$RC" "init in read-only mode"
[ ! -e ro ] || fail "read-only init wrote something"

# ---- the simulator ----------------------------------------------------------------------------
run_sluice init --demo s1 --seed 11
run_sluice init --demo s2 --seed 11
for d in s1 s2; do
	run_sluice -C $d demo simulate --rounds 3 --interval 0
	assert_eq 0 "$RC" "simulate in $d ($ERR)"
	assert_contains "$OUT" "round 3:" "simulator output"
done
assert_eq 3 "$(sqlite3 s1/data/source.db "SELECT rounds FROM demo_simulator")" "rounds done"
new=$(sqlite3 s1/data/source.db "SELECT count(*) FROM sales_order WHERE sales_order_id > 2000")
[ "$new" -ge 3 ] || fail "3 rounds made only $new new sales orders"
recent=$(sqlite3 s1/data/source.db "SELECT count(*) FROM sales_order WHERE last_updated > '2025-01-01'")
[ "$recent" -gt "$new" ] || fail "no sales order was amended ($recent recent, $new new)"
# The same seed changes the same things (but at the clock's time).
same_changes() { # DB
	sqlite3 "$1" "SELECT sales_order_id, design_id, staff_id, counterparty_id, units_sold,
		unit_price, currency_id, agreed_delivery_location_id FROM sales_order
		WHERE last_updated > '2025-01-01' ORDER BY 1"
	sqlite3 "$1" "SELECT * FROM staff WHERE staff_id > 20 ORDER BY 1" | cut -d'|' -f1-5
}
assert_eq "$(same_changes s1/data/source.db)" "$(same_changes s2/data/source.db)" \
	"simulated changes with the same seed"
files=$(find s1/lake/orders -type f -name '*.json' | wc -l)
assert_eq 3 "$files" "order files dropped"
doc() { # DIR: the documents without their times
	find "$1/lake/orders" -type f -name '*.json' | sort | xargs cat |
		sed 's/"placed_at":"[^"]*"//'
}
assert_eq "$(doc s1)" "$(doc s2)" "order documents with the same seed"
doc s1 | head -1 | grep -q '"products":\[{"sku":"TOTE-' || fail "an order without products"
find s1/lake/orders -type f | grep -Eq '^s1/lake/orders/[0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{12}\.json$' ||
	fail "order files are not keyed orders/YYYY/MM/DD/HHMMSSffffff.json"
[ -z "$(find s1/lake -name '.*')" ] || fail "a temporary file was left in the lake"

run_sluice --read-only -C s1 demo simulate --once
assert_eq 4 "$RC" "simulate in read-only mode"
run_sluice -C s1 --env audit demo simulate --once
assert_eq 4 "$RC" "simulate in the read-only environment"
run_sluice -C s1 demo simulate --once --rounds 2
assert_eq 2 "$RC" "--once with --rounds"
run_sluice -C s1 demo simulate --once --interval soon
assert_eq 2 "$RC" "a bad interval"
assert_eq 3 "$(sqlite3 s1/data/source.db "SELECT rounds FROM demo_simulator")" \
	"refused simulations changed nothing"

# Not a demo: a clear message, nothing written.
run_sluice init plain
assert_eq 0 "$RC" "plain init"
run_sluice -C plain check
assert_eq 0 "$RC" "check of a plain init ($OUT)"
run_sluice -C plain demo simulate --once
assert_eq 1 "$RC" "simulate outside a demo"
assert_contains "$ERR" "no connection named \"source\""

# ---- running on: interrupted, it finishes its round ------------------------------------------
"$SLUICE" -C s1 demo simulate --interval 100ms >sim.out 2>&1 &
pid=$!
wait_until 10 grep -q "round 6:" sim.out || fail "the simulator did not keep going"
kill -INT "$pid"
wait "$pid" || fail "an interrupted simulator exited with $?"
last=$(tail -1 sim.out | sed 's/^round \([0-9]*\):.*/\1/')
assert_eq "$last" "$(sqlite3 s1/data/source.db "SELECT rounds FROM demo_simulator")" \
	"rounds recorded against rounds printed"
# ---- a dimension row changed inside the extract's lag ------------------------------------------
# Staff member 3 moves department just before the first ingest: the extract
# leaves that row for the next run (it is inside the lag), but takes the
# old orders that name it.  The warehouse run still COMPLETES: those
# orders wait in stg_fact_sales_order_waiting, check_facts warns, and the
# next runs bring the staff row and the held orders in.
run_sluice init --demo lagged --seed 7
cd lagged
sqlite3 data/source.db "UPDATE staff SET last_updated = strftime('%Y-%m-%d %H:%M:%f', 'now')
	WHERE staff_id = 3"
held=$(sqlite3 data/source.db "SELECT count(*) FROM sales_order WHERE staff_id = 3")
[ "$held" -gt 0 ] || fail "no order names staff member 3"
run_sluice run totesys_ingest --wait
assert_eq 0 "$RC" "first ingest ($ERR)"
run_sluice run totesys_warehouse --wait
assert_eq 0 "$RC" "warehouse with a dimension row still to come ($ERR)"
assert_contains "$ERR" "versions waiting for their dimensions failed" "the warning"
assert_eq "$held" "$(sqlite3 data/warehouse.db "SELECT count(*) FROM stg_fact_sales_order_waiting")" \
	"orders held back"
assert_eq $((2000 - held)) "$(sqlite3 data/warehouse.db "SELECT count(*) FROM fact_sales_order")" \
	"facts without the held orders"
sleep 3    # past the lag
run_sluice run totesys_ingest --wait
assert_eq 0 "$RC" "second ingest ($ERR)"
run_sluice run totesys_warehouse --wait
assert_eq 0 "$RC" "second warehouse run ($ERR)"
assert_not_contains "$ERR" "waiting for their dimensions" "warning after the row came"
assert_eq 2000 "$(sqlite3 data/warehouse.db "SELECT count(*) FROM fact_sales_order")" \
	"every order in the facts"
# The staging tables have the star's types: nothing drifted.
assert_eq 0 "$(sqlite3 .sluice/control.db "SELECT count(*) FROM schema_changes")" \
	"schema changes in a fresh demo"
cd ..

echo "demo.sh: ok"
