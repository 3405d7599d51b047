# demo_existing_lib.sh - `sluice init --demo` next to a real ToteSys
# database, shared by demo_existing.sh (SQLite) and demo_existing_pg.sh
# (PostgreSQL).
#
# init never replaces a table it did not create: a database holding the
# real ToteSys rows (tests/data/totesys) survives `init --demo --source URL
# --force` byte for byte, and so does a user's table that took the place
# of one of the demo's, or that has one of the demo warehouse's names.
# `--use-existing` points the demo's flows at the real tables instead:
# nothing generated, nothing written, and the flows build the warehouse
# from the real orders; the simulator refuses that source.  A demo's own
# source and warehouse are still replaced by --force, which names what it
# replaces, and another project's bookkeeping in the warehouse survives.
#
# The caller defines, for its dialect:
#   new_db NAME         an empty database
#   url NAME            its connection URL for sluice
#   sql NAME            run the SQL on stdin
#   q NAME SQL          rows as a|b lines
#   load_fixture NAME TABLE   the fixture rows of TABLE into it
#   schema_of NAME      everything about the database but its rows
#   dump_table NAME TABLE     its rows, in key order

. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
# This tree's template, even where an older sluice is installed.
export SLUICE_DATADIR=$SLUICE_SRCDIR/data

totesys="address counterparty currency department design payment_type sales_order staff"

# The ToteSys schema as the shop's own database has it (other types than
# the demo's, and a table the demo knows nothing of), with the real rows.
make_totesys() { # NAME
	new_db "$1"
	sql "$1" <<'SQL'
CREATE TABLE address (address_id integer PRIMARY KEY, address_line_1 varchar NOT NULL,
  address_line_2 varchar, district varchar, city varchar NOT NULL,
  postal_code varchar NOT NULL, country varchar NOT NULL, phone varchar NOT NULL,
  created_at timestamp NOT NULL, last_updated timestamp NOT NULL);
CREATE TABLE counterparty (counterparty_id integer PRIMARY KEY,
  counterparty_legal_name varchar NOT NULL, legal_address_id integer NOT NULL,
  commercial_contact varchar, delivery_contact varchar,
  created_at timestamp NOT NULL, last_updated timestamp NOT NULL);
CREATE TABLE currency (currency_id integer PRIMARY KEY, currency_code varchar(3) NOT NULL,
  created_at timestamp NOT NULL, last_updated timestamp NOT NULL);
CREATE TABLE department (department_id integer PRIMARY KEY, department_name varchar NOT NULL,
  location varchar, manager varchar,
  created_at timestamp NOT NULL, last_updated timestamp NOT NULL);
CREATE TABLE design (design_id integer PRIMARY KEY, created_at timestamp NOT NULL,
  design_name varchar NOT NULL, file_location varchar NOT NULL, file_name varchar NOT NULL,
  last_updated timestamp NOT NULL);
CREATE TABLE payment_type (payment_type_id integer PRIMARY KEY,
  payment_type_name varchar NOT NULL,
  created_at timestamp NOT NULL, last_updated timestamp NOT NULL);
CREATE TABLE sales_order (sales_order_id integer PRIMARY KEY, created_at timestamp NOT NULL,
  last_updated timestamp NOT NULL, design_id integer NOT NULL, staff_id integer NOT NULL,
  counterparty_id integer NOT NULL, units_sold integer NOT NULL,
  unit_price numeric(10, 2) NOT NULL, currency_id integer NOT NULL,
  agreed_delivery_date varchar NOT NULL, agreed_payment_date varchar NOT NULL,
  agreed_delivery_location_id integer NOT NULL);
CREATE TABLE staff (staff_id integer PRIMARY KEY, first_name varchar NOT NULL,
  last_name varchar NOT NULL, department_id integer NOT NULL, email_address varchar NOT NULL,
  created_at timestamp NOT NULL, last_updated timestamp NOT NULL);
CREATE TABLE "transaction" (transaction_id integer PRIMARY KEY,
  transaction_type varchar NOT NULL, sales_order_id integer, purchase_order_id integer,
  created_at timestamp NOT NULL, last_updated timestamp NOT NULL);
INSERT INTO "transaction" VALUES (1, 'SALE', 2, NULL, '2022-11-03 14:20:52.186',
  '2022-11-03 14:20:52.186');
CREATE INDEX sales_order_updated ON sales_order (last_updated);
SQL
	local t
	for t in $totesys; do
		load_fixture "$1" "$t"
	done
}

# Everything about a database: its schema, and each table's rows.
fingerprint() { # NAME [TABLE...]: by default the ToteSys tables and "transaction"
	local db=$1 t
	shift
	local tables=${*:-$totesys transaction}
	schema_of "$db"
	for t in $tables; do
		printf '%s %s\n' "$t" "$(dump_table "$db" "$t" | sha256sum | cut -c1-64)"
	done
}

# ---- a real source is never replaced, --force or not ----------------------------------
real_source() {
	make_totesys real
	assert_eq 11175 "$(q real "SELECT count(*) FROM sales_order")" "the real orders"
	local before
	before=$(fingerprint real)
	run_sluice init --demo d1 --source "$(url real)" --force
	assert_eq 1 "$RC" "init --force over a real ToteSys source"
	assert_contains "$ERR" "has tables that 'sluice init --demo' did not create: address, counterparty, currency, department, design, payment_type, sales_order, staff;" \
		"the refusal"
	assert_contains "$ERR" "add --use-existing" "the way out"
	assert_eq "$before" "$(fingerprint real)" "the real source after init --force"
	[ ! -e d1/sluice.json ] || fail "a refused init wrote sluice.json"
	run_sluice init --demo d1 --source "$(url real)"
	assert_eq 1 "$RC" "init over a real ToteSys source"
	assert_contains "$ERR" "did not create: address, counterparty" "the refusal without --force"
	assert_eq "$before" "$(fingerprint real)" "the real source after init"
}

# ---- --use-existing: the flows read the real rows, and only read them ------------------
use_existing() {
	local before
	before=$(fingerprint real)
	new_db wh1
	run_sluice init --demo d1 --source "$(url real)" --warehouse "$(url wh1)" --use-existing
	assert_eq 0 "$RC" "init --use-existing ($ERR)"
	assert_contains "$ERR" "using the ToteSys tables in the source" "what init says"
	assert_contains "$OUT" "your ToteSys tables, read as they are" "the summary"
	assert_not_contains "$OUT" "demo simulate" "the summary"
	assert_eq "$before" "$(fingerprint real)" "the real source after init --use-existing"
	cd d1
	run_sluice check
	assert_eq 0 "$RC" "check ($OUT)"
	run_sluice run totesys_ingest --wait
	assert_eq 0 "$RC" "totesys_ingest on the real source ($ERR)"
	run_sluice run totesys_warehouse --wait
	assert_eq 0 "$RC" "totesys_warehouse on the real rows ($ERR)"
	# Every real order is in the facts, once, with its figures.
	assert_eq 11175 "$(q wh1 "SELECT count(*) FROM fact_sales_order")" "facts"
	assert_eq "$(q real "SELECT count(*), sum(sales_order_id), sum(units_sold),
		sum(staff_id), sum(counterparty_id) FROM sales_order")" \
		"$(q wh1 "SELECT count(DISTINCT sales_order_id), sum(sales_order_id), sum(units_sold),
		sum(sales_staff_id), sum(counterparty_id) FROM fact_sales_order")" \
		"the real orders against the facts"
	assert_eq "19|8|42972|3.94" "$(q wh1 "SELECT sales_staff_id, counterparty_id, units_sold,
		unit_price FROM fact_sales_order WHERE sales_order_id = 2")" "order 2"
	assert_eq 20 "$(q wh1 "SELECT count(*) FROM dim_staff")" "the real staff"
	# The simulator never writes to a source the demo did not make.
	run_sluice demo simulate --once
	assert_eq 1 "$RC" "the simulator on the real source"
	assert_contains "$ERR" "not a source that 'sluice init --demo' created" "its refusal"
	[ -z "$(find lake/orders -type f)" ] || fail "the refused simulator dropped an order file"
	cd ..
	assert_eq "$before" "$(fingerprint real)" "the real source after the flows and the simulator"
}

# ---- --use-existing on a source that lacks what the flows read -------------------------
use_existing_lacking() {
	make_totesys partial
	sql partial <<'SQL'
DROP TABLE payment_type;
ALTER TABLE sales_order DROP COLUMN unit_price;
ALTER TABLE staff DROP COLUMN email_address;
SQL
	local before
	before=$(fingerprint partial address)
	run_sluice init --demo d2 --source "$(url partial)" --use-existing
	assert_eq 1 "$RC" "init --use-existing on a source without the flows' columns"
	assert_contains "$ERR" "lacks what the demo's flows read: table payment_type, column sales_order.unit_price, column staff.email_address" \
		"what is missing"
	[ ! -e d2/sluice.json ] || fail "a refused init wrote sluice.json"
	assert_eq "$before" "$(fingerprint partial address)" "the source after the refusal"
	run_sluice init --demo d2 --use-existing
	assert_eq 2 "$RC" "--use-existing without --source"
	assert_contains "$ERR" "--use-existing needs --source"
	run_sluice init --demo d2 --source "$(url partial)" --use-existing --rows 10
	assert_eq 2 "$RC" "--use-existing with --rows"
	# The warehouse's tables may not go into the source either.
	before=$(fingerprint real)
	run_sluice init --demo d2 --source "$(url real)" --warehouse "$(url real)" --use-existing
	assert_eq 2 "$RC" "--use-existing with the source as the warehouse"
	assert_contains "$ERR" "the warehouse must be another database"
	assert_eq "$before" "$(fingerprint real)" "the real source"
}

# ---- a demo's own source and warehouse: still replaced by --force ------------------------
# The demo in DIR: its flows fill the facts with every order, and a
# simulated order file (seeds 5 and 6 make a good one first) goes through the pipe and the stream into order lines.
run_flows() { # DIR ORDERS
	cd "$1"
	run_sluice run totesys_ingest --wait
	assert_eq 0 "$RC" "totesys_ingest in $1 ($ERR)"
	run_sluice run totesys_warehouse --wait
	assert_eq 0 "$RC" "totesys_warehouse in $1 ($ERR)"
	assert_eq "$2" "$(q wh3 "SELECT count(*) FROM fact_sales_order")" "facts in $1"
	run_sluice demo simulate --once
	assert_eq 0 "$RC" "the simulator in $1 ($ERR)"
	run_sluice pipe refresh orders_pipe
	assert_eq 0 "$RC" "the orders pipe in $1 ($ERR)"
	run_sluice run orders_etl --wait
	assert_eq 0 "$RC" "orders_etl in $1 ($ERR)"
	[ "$(q wh3 "SELECT count(*) FROM fact_order_line")" -ge 1 ] || fail "no order lines in $1"
	cd ..
}

own_demo() {
	new_db own
	new_db wh3
	run_sluice init --demo d3 --source "$(url own)" --warehouse "$(url wh3)" --seed 5
	assert_eq 0 "$RC" "a demo in databases of its own ($ERR)"
	run_flows d3 2000
	local first
	first=$(fingerprint own $totesys)
	run_sluice init --demo d3b --source "$(url own)" --seed 6
	assert_eq 1 "$RC" "a second demo over the first one's source"
	assert_contains "$ERR" "already has the demo's tables (address, counterparty, currency, department, design, payment_type, sales_order, staff, demo_simulator); pass --force"
	run_sluice init --demo d3 --source "$(url own)" --warehouse "$(url wh3)" --seed 6 --force
	assert_eq 0 "$RC" "re-init --force over the demo's own databases ($ERR)"
	assert_contains "$ERR" "replacing the demo's tables in the source" "what --force says"
	assert_contains "$ERR" "replacing the demo's tables in the warehouse" "what --force says"
	# The old demo's ledger and stream offsets go with its tables: the new
	# demo's runs 1, 2, ... must not take the old ones' records as theirs.
	assert_contains "$ERR" "_sluice_ledger, _sluice_stream_offsets" "what --force replaces"
	assert_eq 6 "$(q own "SELECT seed FROM demo_simulator")" "the new demo's seed"
	[ "$first" != "$(fingerprint own $totesys)" ] || fail "--force kept the old demo's rows"
	run_flows d3 2000
}

# ---- a demo table the user replaced with one of their own --------------------------------
replaced_table() {
	sql own <<'SQL'
DROP TABLE staff;
CREATE TABLE staff (staff_id integer PRIMARY KEY, first_name varchar NOT NULL,
  last_name varchar NOT NULL, department_id integer NOT NULL, email_address varchar NOT NULL,
  created_at timestamp NOT NULL, last_updated timestamp NOT NULL);
SQL
	load_fixture own staff
	local before
	before=$(fingerprint own staff)
	run_sluice init --demo d3 --source "$(url own)" --warehouse "$(url wh3)" --force
	assert_eq 1 "$RC" "init --force over a demo source with a table of the user's"
	assert_contains "$ERR" "did not create: staff;" "the refusal names the user's table"
	run_sluice -C d3 demo simulate --once
	assert_eq 1 "$RC" "the simulator on a source with a table of the user's"
	assert_contains "$ERR" "(staff is not the demo's)" "the simulator's refusal"
	assert_eq "$before" "$(fingerprint own staff)" "the user's staff table"
}

# ---- the warehouse: tables of the demo's names that it did not make ---------------------
warehouse() {
	new_db wh4
	sql wh4 <<'SQL'
CREATE TABLE dim_staff (staff_id integer PRIMARY KEY, first_name varchar, last_name varchar);
INSERT INTO dim_staff VALUES (1, 'Jeremie', 'Franey');
CREATE TABLE _sluice_ledger (key varchar PRIMARY KEY, run_id integer NOT NULL,
  committed_at timestamp NOT NULL, info varchar);
INSERT INTO _sluice_ledger VALUES ('run:1:step:load', 1, '2024-01-01 00:00:00', NULL);
SQL
	local before
	before=$(fingerprint wh4 dim_staff _sluice_ledger)
	run_sluice init --demo d4 --warehouse "$(url wh4)" --force
	assert_eq 1 "$RC" "init --force over a warehouse with a dim_staff of the user's"
	assert_contains "$ERR" "the warehouse ($(url wh4)) has tables that 'sluice init --demo' did not create: dim_staff;" \
		"the refusal"
	assert_eq "$before" "$(fingerprint wh4 dim_staff _sluice_ledger)" "the warehouse after the refusal"
	# Moved out of the way, the demo goes in beside the other project's ledger ...
	sql wh4 <<<'ALTER TABLE dim_staff RENAME TO my_staff;'
	run_sluice init --demo d4 --warehouse "$(url wh4)"
	assert_eq 0 "$RC" "init beside another project's ledger ($ERR)"
	run_sluice init --demo d4 --warehouse "$(url wh4)" --force
	assert_eq 0 "$RC" "init --force beside another project's ledger ($ERR)"
	assert_contains "$ERR" "replacing the demo's tables in the warehouse" "what --force says"
	assert_not_contains "$ERR" "_sluice_ledger" "what --force replaces"
	# ... which, being that project's, --force leaves alone.
	assert_eq "run:1:step:load|1" "$(q wh4 "SELECT key, run_id FROM _sluice_ledger")" \
		"the other project's ledger"
	assert_eq 1 "$(q wh4 "SELECT count(*) FROM my_staff")" "the user's table"
}

run_demo_existing() {
	cd "$T"
	real_source
	use_existing
	use_existing_lacking
	own_demo
	replaced_table
	warehouse
}
