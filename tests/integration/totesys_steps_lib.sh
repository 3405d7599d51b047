# totesys_steps_lib.sh - the ToteSys warehouse built by the real binary,
# shared by totesys_steps.sh (SQLite) and totesys_steps_pg.sh (PostgreSQL).
#
# The fixture rows (tests/data/totesys/*.json) are dropped into a file lake;
# one flow ingests them through pipes into raw tables, builds staging tables
# with the demo's SQL (its warehouse schema as init writes it, and
# data/demo/sql/DIALECT/), merges them into the
# star schema with load steps and validates the fact table.  The caller
# sets WH_URL (the warehouse connection), DIALECT, and q (a function that
# prints a query's rows as a|b|c lines).

. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

TOTESYS="address counterparty currency department design staff sales_order"
P=$T/totesys

# The demo's warehouse schema in DIALECT, as `init --demo` writes it (from
# one definition, src/demo/demo_warehouse.c), made with a scratch warehouse.
demo_schema() { # FILE
	local d=$T/demo_schema wh
	if [ "$DIALECT" = postgresql ]; then
		PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
			-c "DROP DATABASE IF EXISTS totesys_schema" \
			-c "CREATE DATABASE totesys_schema" >/dev/null
		wh="$SLUICE_TEST_PG dbname=totesys_schema"
	else
		wh=sqlite:$d/warehouse.db
	fi
	rm -rf "$d"
	SLUICE_DATADIR=$SLUICE_SRCDIR/data "$SLUICE" init --demo "$d" --rows 1 \
		--warehouse "$wh" >/dev/null 2>"$T/demo_schema.err" ||
		fail "init --demo for the warehouse schema: $(cat "$T/demo_schema.err")"
	cp "$d/sql/warehouse_schema.sql" "$1"
}

make_project() {
	mkdir -p "$P/sql"
	demo_schema "$P/sql/schema.sql"
	cp "$SLUICE_SRCDIR/data/demo/sql/$DIALECT/stage_totesys.sql" "$P/sql/transform.sql"
	local t pipes="" ingests="" needs="" loads="" loaded="" inputs="" outputs=""
	for t in $TOTESYS; do
		mkdir -p "$P/lake/totesys/$t/2024/01/01"
		cp "$SLUICE_FIXTURES/$t.json" "$P/lake/totesys/$t/2024/01/01/000000000000.json"
		pipes="$pipes${pipes:+,}
    { \"name\": \"${t}_pipe\", \"path\": \"totesys/$t/\", \"pattern\": \"*.json\",
      \"connection\": \"warehouse\", \"table\": \"raw_$t\" }"
		ingests="$ingests
      { \"name\": \"ingest_$t\", \"kind\": \"ingest\", \"pipe\": \"${t}_pipe\" },"
		needs="$needs\"ingest_$t\", "
		inputs="$inputs${inputs:+, }\"raw_$t\""
	done
	local dim key
	for dim in staff:staff_id location:location_id currency:currency_id design:design_id \
		   counterparty:counterparty_id date:date_id; do
		key=${dim#*:}
		dim=${dim%%:*}
		loads="$loads
      { \"name\": \"load_dim_$dim\", \"kind\": \"load\", \"needs\": [\"transform\"],
        \"from\": { \"table\": \"stg_dim_$dim\" }, \"connection\": \"warehouse\",
        \"table\": \"dim_$dim\", \"mode\": \"merge\", \"key\": [\"$key\"] },"
		loaded="$loaded\"load_dim_$dim\", "
		outputs="$outputs\"stg_dim_$dim\", "
	done
	outputs="$outputs\"stg_fact_sales_order\""
	cat >"$P/sluice.json" <<JSON
{ "project": "totesys",
  "connections": { "warehouse": { "url": "$WH_URL" } },
  "lake": { "url": "file:lake" },
  "pipes": [ $pipes ],
  "flows": [ { "name": "totesys_warehouse",
    "description": "ToteSys raw rows into the star schema",
    "retries": { "count": 2, "delay": "1s" },
    "steps": [ $ingests
      { "name": "schema", "kind": "sql", "connection": "warehouse", "file": "sql/schema.sql" },
      { "name": "transform", "kind": "sql", "connection": "warehouse", "file": "sql/transform.sql",
        "needs": [ $needs "schema" ], "inputs": [ $inputs ], "outputs": [ $outputs ] }, $loads
      { "name": "load_fact", "kind": "load", "needs": ["transform"],
        "from": { "table": "stg_fact_sales_order" }, "connection": "warehouse",
        "table": "fact_sales_order", "mode": "merge",
        "key": ["sales_order_id", "last_updated_date", "last_updated_time"] },
      { "name": "check", "kind": "validate", "needs": [ $loaded "load_fact" ],
        "connection": "warehouse", "table": "fact_sales_order",
        "checks": [ { "type": "row_count", "min": 1 },
                    { "type": "not_null", "columns": ["sales_order_id", "created_date"] },
                    { "type": "unique", "columns": ["sales_order_id", "last_updated_date", "last_updated_time"] },
                    { "type": "referential", "column": "sales_staff_id", "references": "dim_staff.staff_id" },
                    { "type": "referential", "column": "currency_id", "references": "dim_currency.currency_id" },
                    { "type": "referential", "column": "counterparty_id", "references": "dim_counterparty.counterparty_id" },
                    { "type": "referential", "column": "design_id", "references": "dim_design.design_id" },
                    { "type": "referential", "column": "agreed_delivery_location_id", "references": "dim_location.location_id" },
                    { "type": "referential", "column": "created_date", "references": "dim_date.date_id" } ] } ] } ],
  "tables": {
    "dim_staff": { "connection": "warehouse", "kind": "dimension",
                   "description": "staff with their department", "key": ["staff_id"] },
    "fact_sales_order": { "connection": "warehouse", "kind": "fact",
                          "description": "every version of every sales order",
                          "key": ["sales_order_id", "last_updated_date", "last_updated_time"] } } }
JSON
	chmod o-r "$P/sluice.json"
}

check_star() {
	assert_eq 20 "$(q 'SELECT count(*) FROM dim_staff')" "dim_staff rows"
	assert_eq 30 "$(q 'SELECT count(*) FROM dim_location')" "dim_location rows"
	assert_eq 3 "$(q 'SELECT count(*) FROM dim_currency')" "dim_currency rows"
	assert_eq 472 "$(q 'SELECT count(*) FROM dim_design')" "dim_design rows"
	assert_eq 20 "$(q 'SELECT count(*) FROM dim_counterparty')" "dim_counterparty rows"
	assert_eq 749 "$(q 'SELECT count(*) FROM dim_date')" "dim_date rows"
	assert_eq 11175 "$(q 'SELECT count(*) FROM fact_sales_order')" "fact rows"
	assert_eq "Jeremie|Franey|Purchasing|Manchester|jeremie.franey@terrifictotes.com" \
		"$(q 'SELECT first_name, last_name, department_name, location, email_address
		      FROM dim_staff WHERE staff_id = 1')" "dim_staff 1"
	assert_eq "1|GBP|British Pound
2|USD|US Dollar
3|EUR|Euro" "$(q 'SELECT currency_id, currency_code, currency_name FROM dim_currency
		      ORDER BY currency_id')" "dim_currency"
	assert_eq "2022-11-03|14:20:52.186|2022-11-03|14:20:52.186|19|8|42972|3.94|2|3|2022-11-08|2022-11-07|8" \
		"$(q 'SELECT created_date, created_time, last_updated_date, last_updated_time,
		      sales_staff_id, counterparty_id, units_sold, unit_price, currency_id,
		      design_id, agreed_payment_date, agreed_delivery_date,
		      agreed_delivery_location_id FROM fact_sales_order WHERE sales_order_id = 2')" \
		"fact for order 2"
	assert_eq "2022-11-03|2022|11|3|4|Thursday|November|4" \
		"$(q "SELECT date_id, year, month, day, day_of_week, day_name, month_name, quarter
		      FROM dim_date WHERE date_id = '2022-11-03'")" "dim_date 2022-11-03"
	assert_eq "Fahey and Sons|605 Haskell Trafficway|Axel Freeway||East Bobbie|88253-4257|9687 937447" \
		"$(q 'SELECT counterparty_legal_name, counterparty_legal_address_line_1,
		      counterparty_legal_address_line_2, counterparty_legal_district,
		      counterparty_legal_city, counterparty_legal_postal_code,
		      counterparty_legal_phone_number FROM dim_counterparty
		      WHERE counterparty_id = 1')" "dim_counterparty 1 (legal address 15)"
	assert_eq 11175 "$(q 'SELECT count(DISTINCT sales_record_id) FROM fact_sales_order')" \
		"fact keys"
}

run_totesys() {
	make_project
	cd "$P"
	run_sluice check
	assert_eq 0 "$RC" "sluice check exit: $OUT $ERR"

	run_sluice run totesys_warehouse --wait
	[ "$RC" = 0 ] || fail "run failed ($RC): $OUT $ERR"
	check_star

	# A second run finds no new files and merges the same rows: nothing doubles,
	# nothing is rewritten (the surrogate keys the warehouse numbered stay).
	local ids
	ids=$(q 'SELECT sales_order_id, sales_record_id FROM fact_sales_order ORDER BY 1, 2')
	run_sluice run totesys_warehouse --wait
	[ "$RC" = 0 ] || fail "second run failed ($RC): $OUT $ERR"
	check_star
	[ "$ids" = "$(q 'SELECT sales_order_id, sales_record_id FROM fact_sales_order ORDER BY 1, 2')" ] ||
		fail "the second run renumbered sales_record_id"

	# A new version of order 2 arrives: the fact keeps both versions, the
	# dimension keeps the latest staff record.
	mkdir -p lake/totesys/sales_order/2024/01/02 lake/totesys/staff/2024/01/02
	printf '%s\n' '{"sales_order_id": 2, "created_at": "2022-11-03T14:20:52.186000", "last_updated": "2024-01-02T09:00:00.000000", "design_id": 3, "staff_id": 1, "counterparty_id": 8, "units_sold": 50000, "unit_price": 4.10, "currency_id": 1, "agreed_delivery_date": "2022-11-09", "agreed_payment_date": "2022-11-10", "agreed_delivery_location_id": 8}' \
		>lake/totesys/sales_order/2024/01/02/000000000000.json
	printf '%s\n' '{"staff_id": 1, "first_name": "Jeremie", "last_name": "Franey-Smith", "department_id": 1, "email_address": "jeremie.franey@terrifictotes.com", "created_at": "2022-11-03T14:20:51.563000", "last_updated": "2024-01-02T09:00:00.000000"}' \
		>lake/totesys/staff/2024/01/02/000000000000.json
	run_sluice run totesys_warehouse --wait
	[ "$RC" = 0 ] || fail "third run failed ($RC): $OUT $ERR"
	assert_eq 11176 "$(q 'SELECT count(*) FROM fact_sales_order')" "fact rows after a new version"
	# (prices in pence: the sqlite3 shell prints a stored 4.10 as 4.1)
	assert_eq "2022-11-03|14:20:52.186|394|2
2024-01-02|09:00:00|410|1" "$(q 'SELECT last_updated_date, last_updated_time,
		CAST(round(unit_price * 100) AS integer), currency_id FROM fact_sales_order
		WHERE sales_order_id = 2 ORDER BY last_updated_date')" "both versions of order 2"
	assert_eq "Franey-Smith|Sales" "$(q 'SELECT last_name, department_name FROM dim_staff
		WHERE staff_id = 1')" "dim_staff 1 updated"
	assert_eq "$(printf '%s\n' "$ids" | grep '^2|')" "$(q "SELECT sales_order_id, sales_record_id
		FROM fact_sales_order WHERE sales_order_id = 2 AND last_updated_date < '2024-01-01'")" \
		"order 2's first version keeps its sales_record_id"
	assert_eq 20 "$(q 'SELECT count(*) FROM dim_staff')" "dim_staff rows after the update"

	# The catalogue knows every table of the star and where it came from.
	run_sluice show tables
	assert_eq 0 "$RC" "show tables exit: $ERR"
	assert_contains "$OUT" "fact_sales_order"
	assert_contains "$OUT" "every version of every sales order"
	assert_contains "$OUT" "raw_sales_order"
	assert_contains "$OUT" "pipe:sales_order_pipe"
	# lineage: the transform reads the raw tables and writes the staging ones
	col() { printf '%s\n' "$OUT" | awk -F '  +' -v t="$1" -v c="$2" '$1 == t { print $c }'; }
	assert_eq "totesys_warehouse" "$(col stg_fact_sales_order 6)" "stg_fact_sales_order written by"
	assert_eq "totesys_warehouse" "$(col raw_staff 7)" "raw_staff read by"
	assert_eq "dimension" "$(col dim_date 2)" "dim_date kind"
	assert_eq "11176" "$(col fact_sales_order 4)" "fact_sales_order rows"
	run_sluice show tables --json
	assert_eq 0 "$RC" "show tables --json exit: $ERR"
	assert_contains "$OUT" '"kind":"dimension"'
	assert_contains "$OUT" '"name":"unit_price"'
}
