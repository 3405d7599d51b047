# demo_incremental_lib.sh - the demo's warehouse flow is incremental, shared
# by demo_incremental.sh (SQLite) and demo_incremental_pg.sh (PostgreSQL).
#
# A demo project is filled once, then the simulator changes the source and
# the flows run ten times; after each run every fact row keeps its
# surrogate key (sales_record_id) and the new versions are there.  A run
# with nothing new writes nothing.  A run that fails after staging loses
# nothing: the next run loads what it staged, and a version that waited for
# its dimension row too.  A backfill after all that
# rebuilds every table identical, surrogate keys included, and approving
# it changes no key; the flow goes on incrementally afterwards.
#
# The caller has run `init --demo` into $P (retries off), and defines
# q SQL (the warehouse: one value or rows, '|' between columns), src_q SQL
# (the source), NOW_SQL and SOON_SQL (the source's clock now and 10 s ahead, as
# its timestamps are written), block_fact (make inserts into
# fact_sales_order fail) and unblock_fact.

. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

# Every fact version with its surrogate key, one a line.
fact_ids() {
	q "SELECT sales_order_id, last_updated_date, last_updated_time, sales_record_id
	   FROM fact_sales_order ORDER BY 1, 2, 3"
}

# Every id of BEFORE still in AFTER, with the same version: keys never move.
assert_ids_kept() { # BEFORE AFTER WHAT
	local lost
	lost=$(comm -23 "$1" "$2" | head -5)
	[ -z "$lost" ] || fail "$3: fact rows lost or renumbered, e.g.:
$lost
now: $(grep -F "$(printf '%s\n' "$lost" | head -1 | cut -d'|' -f1-3)" "$2" || echo none)"
}

# The simulator changes the source; the extract's window ends its lag
# before the run starts, so what it stamped needs that long to be read.
# The demo's lag (2 s, the default) would be waited out a dozen times:
# the test project's is LAG (use_short_lag).
LAG=0.5
past_lag() { sleep 0.7; }
use_short_lag() {
	sed -i 's/"watermark": "last_updated", "format": "ndjson"/"watermark": "last_updated", "lag": "'"$LAG"'s", "format": "ndjson"/' \
		"$P/sluice.json"
	grep -q '"lag": "'"$LAG"'s"' "$P/sluice.json" || fail "the demo's extract has no lag set: $(grep -n '"extract"' -A4 "$P/sluice.json")"
}

new_source_rows() {
	run_sluice demo simulate --rounds 1 --interval 0
	assert_eq 0 "$RC" "simulate ($ERR)"
	past_lag
}

run_flows() { # WHAT
	run_sluice run totesys_ingest --wait
	assert_eq 0 "$RC" "$1: totesys_ingest ($OUT $ERR)"
	run_sluice run totesys_warehouse --wait
	assert_eq 0 "$RC" "$1: totesys_warehouse ($OUT $ERR)"
}

demo_incremental() {
	cd "$P"
	use_short_lag
	run_flows "first run"
	fact_ids | sort >"$T/ids.0"
	[ "$(wc -l <"$T/ids.0")" -ge 300 ] || fail "the first run loaded $(wc -l <"$T/ids.0") facts"

	# ---- ten incremental runs: no surrogate key moves -----------------------------------
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		new_source_rows
		run_flows "incremental run $i"
		fact_ids | sort >"$T/ids.$i"
		assert_ids_kept "$T/ids.$((i - 1))" "$T/ids.$i" "incremental run $i"
		[ "$(wc -l <"$T/ids.$i")" -gt "$(wc -l <"$T/ids.$((i - 1))")" ] ||
			fail "incremental run $i loaded no new version: $ERR"
	done
	assert_eq "$(wc -l <"$T/ids.10")" "$(q "SELECT count(DISTINCT sales_record_id) FROM fact_sales_order")" \
		"distinct surrogate keys"
	# every version the source has had (raw history) is in the fact once
	assert_eq "$(q "SELECT count(*) FROM (SELECT DISTINCT sales_order_id, last_updated
		FROM raw_sales_order) v")" "$(wc -l <"$T/ids.10")" "fact versions against raw versions"

	# ---- nothing new: the run writes nothing and says so ------------------------------------
	run_flows "run with nothing new"
	assert_contains "$ERR" ": 0 rows in, 0 out" "the run with nothing new"
	local step
	for step in stage load_dim_date load_dim_staff load_dim_location load_dim_currency \
		    load_dim_design load_dim_counterparty load_fact_sales_order mark_loaded; do
		printf '%s\n' "$ERR" | grep -q "step $step: COMPLETED in [0-9]*ms, 0 rows in, 0 out" ||
			fail "step $step wrote or read rows with nothing new: $(printf '%s\n' "$ERR" | grep "step $step:")"
	done
	assert_eq 0 "$(q "SELECT count(*) FROM stg_fact_sales_order")" "versions staged with nothing new"
	fact_ids | sort >"$T/ids.noop"
	cmp -s "$T/ids.10" "$T/ids.noop" || fail "the run with nothing new changed the fact"

	# ---- a run that fails after staging loses nothing ------------------------------------------
	new_source_rows
	run_sluice run totesys_ingest --wait
	assert_eq 0 "$RC" "ingest before the failing run ($ERR)"
	block_fact
	run_sluice run totesys_warehouse --wait
	[ "$RC" != 0 ] || fail "the warehouse run did not fail with the fact blocked: $ERR"
	assert_contains "$ERR" "step load_fact_sales_order: FAILED"
	unblock_fact
	run_sluice run totesys_warehouse --wait
	assert_eq 0 "$RC" "the run after the failed one ($OUT $ERR)"
	fact_ids | sort >"$T/ids.11"
	assert_ids_kept "$T/ids.noop" "$T/ids.11" "the run after a failed one"
	assert_eq "$(q "SELECT count(*) FROM (SELECT DISTINCT sales_order_id, last_updated
		FROM raw_sales_order) v")" "$(wc -l <"$T/ids.11")" \
		"versions the failed run staged, loaded by the next"

	# ---- a version waits for its dimension row; the run that could load it fails ------------
	# A new staff member stamped 10 s ahead (beyond the extract's window
	# until then, as a row inside its lag is) and an order naming them
	# stamped before: the order is read first and waits.
	local due=$(( $(date +%s) + 13 ))   # past SOON + LAG, with a second to spare
	# (Ids go on from the largest, as the simulator's do: it picks among them.)
	local order
	order=$(src_q "SELECT max(sales_order_id) + 1 FROM sales_order")
	src_q "INSERT INTO staff SELECT (SELECT max(staff_id) + 1 FROM staff), first_name,
	       last_name, department_id, email_address, $SOON_SQL, $SOON_SQL
	       FROM staff WHERE staff_id = 1"
	src_q "INSERT INTO sales_order SELECT $order, $NOW_SQL, $NOW_SQL, design_id,
	       (SELECT max(staff_id) FROM staff), counterparty_id, units_sold, unit_price,
	       currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id
	       FROM sales_order WHERE sales_order_id = 1"
	past_lag
	run_flows "a version whose staff member is not extracted yet"
	assert_contains "$ERR" "versions waiting for their dimensions failed" "the warning"
	assert_eq 1 "$(q "SELECT count(*) FROM stg_fact_sales_order_waiting WHERE sales_order_id = $order")" \
		"the order waiting"
	while [ "$(date +%s)" -lt "$due" ]; do sleep 0.5; done
	run_sluice run totesys_ingest --wait
	assert_eq 0 "$RC" "ingest of the staff member ($ERR)"
	assert_contains "$ERR" "step extract: COMPLETED" "the ingest"
	block_fact
	run_sluice run totesys_warehouse --wait
	[ "$RC" != 0 ] || fail "the warehouse run did not fail with the fact blocked: $ERR"
	unblock_fact
	run_flows "the run after the failed one, with the staff member there"
	assert_not_contains "$ERR" "waiting for their dimensions" "warning after the row came"
	assert_eq 1 "$(q "SELECT count(*) FROM fact_sales_order WHERE sales_order_id = $order")" \
		"the order that waited, after a failed run"
	assert_eq 0 "$(q "SELECT count(*) FROM stg_fact_sales_order_waiting")" "versions still waiting"
	fact_ids | sort >"$T/ids.wait"
	assert_ids_kept "$T/ids.11" "$T/ids.wait" "the runs around the waiting version"

	# ---- a backfill rebuilds the same tables by the other route --------------------------------
	run_sluice backfill start totesys_warehouse
	assert_eq 0 "$RC" "backfill start ($ERR)"
	for step in suspend rebuild validate compare; do
		run_sluice backfill next totesys_warehouse
		[ "$RC" = 0 ] || fail "backfill next ($step) failed ($RC): $OUT $ERR"
		assert_contains "$OUT" "step $step WAITING"
	done
	run_sluice backfill status totesys_warehouse
	local t
	for t in dim_date dim_staff dim_location dim_currency dim_design dim_counterparty \
		 fact_sales_order; do
		printf '%s\n' "$OUT" | grep "compare $t with ${t}_backfill:" | grep -q "(identical)" ||
			fail "the backfill of $t is not identical:
$(printf '%s\n' "$OUT" | grep -A3 "compare $t with")"
	done
	assert_eq "$(wc -l <"$T/ids.wait")" "$(q "SELECT count(*) FROM fact_sales_order_backfill")" \
		"rebuilt fact rows"
	run_sluice backfill approve totesys_warehouse --yes
	assert_eq 0 "$RC" "approve ($OUT $ERR)"
	run_sluice backfill next totesys_warehouse
	assert_contains "$OUT" "step resume COMPLETED"
	fact_ids | sort >"$T/ids.swapped"
	cmp -s "$T/ids.wait" "$T/ids.swapped" || fail "approving the backfill changed surrogate keys:
$(diff "$T/ids.wait" "$T/ids.swapped" | head -5)"

	# ---- and the flow goes on from where it was ----------------------------------------------
	new_source_rows
	run_flows "the run after the backfill"
	fact_ids | sort >"$T/ids.12"
	assert_ids_kept "$T/ids.swapped" "$T/ids.12" "the run after the backfill"
	[ "$(wc -l <"$T/ids.12")" -gt "$(wc -l <"$T/ids.swapped")" ] ||
		fail "the run after the backfill loaded no new version: $ERR"
	run_flows "a run with nothing new after the backfill"
	assert_contains "$ERR" ": 0 rows in, 0 out" "the run with nothing new after the backfill"
}
