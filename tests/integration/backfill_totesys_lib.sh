# backfill_totesys_lib.sh - a backfill of the ToteSys warehouse flow by the
# real binary, shared by backfill_totesys.sh (SQLite) and
# backfill_totesys_pg.sh (PostgreSQL).
#
# The star schema is built the ordinary way (totesys_steps_lib.sh: lake
# files, pipes, the project's transform SQL, load and validate steps).
# Then the transform gains a column in dim_staff and the flow is
# backfilled step by step, through the engine, as an operator would: the
# compare must show that column changed in every row of dim_staff and
# nothing else anywhere; approve swaps while a reader keeps querying the
# table; the flow then goes on as before.  The caller sets WH_URL,
# DIALECT and q (as for totesys_steps_lib.sh).

. "$SLUICE_SRCDIR/tests/integration/totesys_steps_lib.sh"

# A reader in another process querying TABLE in a loop until $T/stop
# exists; every failure lands in $T/read_errors.
start_reader() {
	: >"$T/read_errors"
	: >"$T/reads"
	(
		while [ ! -e "$T/stop" ]; do
			q "SELECT count(*) FROM $1" >>"$T/reads" 2>>"$T/read_errors" || true
		done
	) &
	READER=$!
	wait_until 10 test -s "$T/reads" || fail "the reader never read"
}

stop_reader() {
	touch "$T/stop"
	wait "$READER" || true
	rm -f "$T/stop"
}

backfill_totesys() {
	make_project
	cd "$P"
	run_sluice run totesys_warehouse --wait
	[ "$RC" = 0 ] || fail "first run failed ($RC): $OUT $ERR"
	check_star

	# The new business rule: dim_staff gains a column.
	sed -i '0,/^       s.email_address$/s//       s.email_address, upper(s.last_name) AS last_name_upper/' \
		sql/transform.sql
	grep -q last_name_upper sql/transform.sql || fail "the transform was not edited"

	run_sluice backfill plan totesys_warehouse
	assert_eq 0 "$RC" "plan exit: $ERR"
	assert_contains "$OUT" "rebuild: dim_staff on warehouse as dim_staff_backfill (merge, key staff_id"
	assert_contains "$OUT" "rebuild: fact_sales_order on warehouse as fact_sales_order_backfill"
	assert_contains "$OUT" "read: raw_sales_order on warehouse via pipe sales_order_pipe (raw table) (step transform): 11175 rows"
	assert_contains "$OUT" "step ingest_staff (ingest): skipped"
	assert_contains "$OUT" "step check (validate): checks fact_sales_order_backfill"

	run_sluice backfill start totesys_warehouse
	assert_eq 0 "$RC" "start exit: $ERR"
	local step
	for step in suspend rebuild validate compare; do
		run_sluice backfill next totesys_warehouse
		[ "$RC" = 0 ] || fail "next ($step) failed ($RC): $OUT $ERR"
		assert_contains "$OUT" "step $step WAITING"
	done
	# the rebuild run read raw history only: its ingest steps are recorded SKIPPED
	local rebuild_run
	rebuild_run=$("$SLUICE" show runs --flow totesys_warehouse --json |
		json_squeeze | grep -o '"id":[0-9]*,"flow":"totesys_warehouse","state":"COMPLETED","reason":"[^"]*","trigger":"backfill"' |
		tail -n 1 | grep -o '^"id":[0-9]*' | grep -o '[0-9]*')
	# (runs are listed newest first: the validate run, then the rebuild)
	[ -n "$rebuild_run" ] || fail "no COMPLETED backfill run of totesys_warehouse"
	run_sluice show run "$rebuild_run"
	assert_contains "$OUT" "ingest_staff" "the rebuild run's steps"
	printf '%s\n' "$OUT" | grep "ingest_staff" | grep -q SKIPPED ||
		fail "ingest_staff was not recorded SKIPPED in the rebuild run: $OUT"
	# The rebuild read what the plan counted: its transform reads the raw
	# tables without counting them, which the progress took for 0 rows.
	local progress
	progress=$("$SLUICE" backfill status totesys_warehouse --json | json_squeeze |
		grep -o '"rows_planned":[0-9]*,"rows_read":[0-9]*' || true)
	[[ "$progress" =~ ^\"rows_planned\":([1-9][0-9]*),\"rows_read\":([0-9]+)$ ]] ||
		fail "no rebuild progress in the status: $progress"
	assert_eq "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "rows read by the rebuild, of those planned"
	# show run of the validate run lists its checks (runs are listed newest first)
	local validate_run
	validate_run=$("$SLUICE" show runs --flow totesys_warehouse --json |
		json_squeeze | grep -o '"id":[0-9]*,"flow":"totesys_warehouse","state":"COMPLETED","reason":"[^"]*","trigger":"backfill"' |
		head -n 1 | grep -o '^"id":[0-9]*' | grep -o '[0-9]*')
	run_sluice show run "$validate_run"
	assert_contains "$OUT" "VALIDATION: 9 checks, 0 failed" "show run of the validate run"
	printf '%s\n' "$OUT" | grep -Eq '^check +passed +error +0 referential\(created_date -> dim_date.date_id\)$' ||
		fail "show run does not list the validate step's checks: $OUT"
	run_sluice show run "$validate_run" --json
	assert_contains "$(printf '%s\n' "$OUT" | json_squeeze)" \
		'"validation":[{"step":"check","check":"row_count' "show run --json's validation"
	# nothing was swapped yet: the reader's tables are as they were
	assert_eq 20 "$(q 'SELECT count(*) FROM dim_staff_backfill')" "dim_staff_backfill rows"
	assert_eq 11175 "$(q 'SELECT count(*) FROM fact_sales_order_backfill')" "fact backfill rows"
	check_star

	run_sluice backfill status totesys_warehouse
	assert_eq 0 "$RC" "status exit: $ERR"
	assert_contains "$OUT" "compare dim_staff with dim_staff_backfill: 20 rows now, 20 rebuilt; only now 0, only rebuilt 0, changed 20, unchanged 0"
	assert_contains "$OUT" "column last_name_upper: 20 changed, added"
	assert_contains "$OUT" "changed staff_id=1: *last_name_upper: (no such column) -> FRANEY;"
	local t
	for t in dim_location:30 dim_currency:3 dim_design:472 dim_counterparty:20 dim_date:749 \
		 fact_sales_order:11175; do
		assert_contains "$OUT" "compare ${t%%:*} with ${t%%:*}_backfill: ${t#*:} rows now, ${t#*:} rebuilt; only now 0, only rebuilt 0, changed 0, unchanged ${t#*:}; score 0.0000 (identical)"
	done
	assert_eq 1 "$(printf '%s\n' "$OUT" | grep -c ' changed, ')" "changed columns in all (only last_name_upper)"
	run_sluice backfill status totesys_warehouse --json
	assert_contains "$OUT" '"actions":["approve","discard"]'
	assert_contains "$OUT" '"identical":true'

	start_reader dim_staff
	run_sluice backfill approve totesys_warehouse --yes
	assert_eq 0 "$RC" "approve exit: $OUT $ERR"
	sleep 0.3
	stop_reader
	[ ! -s "$T/read_errors" ] || fail "a reader saw an error during the swap: $(head -3 "$T/read_errors")"
	assert_eq 20 "$(sort -u "$T/reads")" "every read saw the 20 staff rows"

	assert_eq FRANEY "$(q 'SELECT last_name_upper FROM dim_staff WHERE staff_id = 1')" "new column"
	assert_eq 20 "$(q 'SELECT count(*) FROM dim_staff_old')" "dim_staff_old kept"
	check_star
	run_sluice backfill next totesys_warehouse
	assert_eq 0 "$RC" "resume exit: $ERR"
	assert_contains "$OUT" "step resume COMPLETED"

	# The flow goes on: a staff update lands in the swapped table, column and all.
	mkdir -p lake/totesys/staff/2024/01/03
	printf '%s\n' '{"staff_id": 1, "first_name": "Jeremie", "last_name": "Franey-Jones", "department_id": 1, "email_address": "jeremie.franey@terrifictotes.com", "created_at": "2022-11-03T14:20:51.563000", "last_updated": "2024-01-03T09:00:00.000000"}' \
		>lake/totesys/staff/2024/01/03/000000000000.json
	run_sluice run totesys_warehouse --wait
	[ "$RC" = 0 ] || fail "run after the backfill failed ($RC): $OUT $ERR"
	assert_eq "FRANEY-JONES" "$(q 'SELECT last_name_upper FROM dim_staff WHERE staff_id = 1')" \
		"the next run fills the new column"
	assert_eq 11175 "$(q 'SELECT count(*) FROM fact_sales_order')" "fact rows after the backfill"

	# A second backfill with nothing changed finds everything identical,
	# and its approval replaces the old copy.
	run_sluice backfill start totesys_warehouse
	for step in suspend rebuild validate compare; do
		run_sluice backfill next totesys_warehouse
		[ "$RC" = 0 ] || fail "second backfill: next ($step) failed ($RC): $OUT $ERR"
	done
	run_sluice backfill status totesys_warehouse
	assert_eq 6 "$(printf '%s\n' "$OUT" | grep '(identical)' | grep -vc 'compare fact_sales_order')" \
		"identical dimensions"
	# The fact's serial surrogate key: a merge deletes and inserts, so each
	# ordinary run numbers the rows again (PostgreSQL's sequence goes on;
	# SQLite's rowid starts again from the largest left); the rebuild
	# numbers them from 1.  That column, and only it, may differ.
	local changed
	changed=$(printf '%s\n' "$OUT" | grep ' changed' | grep '^    column' || true)
	[ -z "$changed" ] || assert_eq "    column sales_record_id: 11175 changed" "$changed" \
		"the only column that may differ"
	run_sluice backfill approve totesys_warehouse --yes
	assert_eq 0 "$RC" "second approve: $ERR"
	assert_eq "FRANEY-JONES" "$(q 'SELECT last_name_upper FROM dim_staff_old WHERE staff_id = 1')" \
		"the previous table kept as dim_staff_old"
	run_sluice backfill next totesys_warehouse
	assert_contains "$OUT" "step resume COMPLETED"
}
