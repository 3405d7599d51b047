# extract_windows_lib.sh - extract windows on the source's own clock, by
# the real binary, shared by extract_windows.sh (a SQLite source) and
# extract_windows_pg.sh (PostgreSQL).
#
# The source writes New York's wall clock into a naive column, five hours
# behind UTC (the report: `now() at time zone 'America/New_York'` on a UTC
# server), and the table declares that zone.  Each row is extracted into
# the lake exactly once, a row stamped within the lag waits for the next
# run, and `show watermarks` says where each table stands, when it moved
# and which run moved it.  The caller sets SRC_URL, and defines src (run
# SQL on the source), stamp_row ID (insert a row stamped now, New York
# time) and newest (the newest last_updated as the watermark keeps it).

. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

P=$T/p
LAG=1

make_project() {
	mkdir -p "$P/lake"
	cat >"$P/sluice.json" <<JSON
{ "project": "windows",
  "connections": { "source": { "url": "$SRC_URL" } },
  "lake": { "url": "file:lake" },
  "flows": [ { "name": "pull", "steps": [
    { "name": "extract", "kind": "extract", "connection": "source", "lag": "${LAG}s",
      "tables": [ { "table": "orders", "timezone": "America/New_York" } ] } ] },
    { "name": "stage", "retries": { "count": 1, "delay": "1h" }, "steps": [
      { "name": "extract", "kind": "extract", "connection": "source", "lag": "${LAG}s",
        "timezone": "America/New_York", "tables": [ "orders" ],
        "to": { "connection": "source", "table_prefix": "stg_" } },
      { "name": "publish", "kind": "sql", "connection": "source", "needs": ["extract"],
        "sql": "SELECT * FROM no_such_table" } ] } ] }
JSON
}

# Every id in the lake's order files, ascending: twice if read twice.
lake_ids() {
	cat "$P"/lake/orders/*/*/*/*.ndjson 2>/dev/null |
		sed -n 's/.*"id":\([0-9]*\).*/\1/p' | sort -n | tr '\n' ' ' | sed 's/ $//'
}

pull() {
	run_sluice run pull --wait
	[ "$RC" = 0 ] || fail "run failed ($RC): $OUT $ERR"
}

run_windows() {
	make_project
	cd "$P"
	run_sluice check
	assert_eq 0 "$RC" "sluice check exit: $OUT $ERR"

	stamp_row 1
	sleep $((LAG + 1))
	pull                                    # run 1
	assert_eq "1" "$(lake_ids)" "after run 1"
	stamp_row 2
	sleep $((LAG + 1))
	pull                                    # run 2
	assert_eq "1 2" "$(lake_ids)" "after run 2 (five hours behind UTC, not missed)"
	stamp_row 3
	pull                                    # run 3: row 3 is within the lag
	assert_eq "1 2" "$(lake_ids)" "after run 3 (row 3 waits for the lag)"
	sleep $((LAG + 1))
	pull                                    # run 4
	assert_eq "1 2 3" "$(lake_ids)" "after run 4 (each row once)"

	run_sluice show watermarks --flow pull
	printf "%s\n" "$OUT"
	assert_eq 0 "$RC" "show watermarks exit: $ERR"
	assert_contains "$OUT" "FLOW  STEP     TABLE   WATERMARK"
	local line
	line=$(printf '%s\n' "$OUT" | grep '^pull ')
	assert_contains "$line" "pull  extract  orders  $(newest)" "the watermark line"
	assert_eq "4" "$(printf '%s\n' "$line" | awk -F '  +' '{ print $6 }')" "moved by run 4"
	run_sluice show watermarks --flow pull --json
	assert_eq 0 "$RC" "show watermarks --json exit: $ERR"
	local json
	json=$(printf '%s\n' "$OUT" | json_squeeze)
	assert_contains "$json" "\"flow\":\"pull\",\"step\":\"extract\",\"table\":\"orders\",\"in_project\":true,\"watermark\":\"$(newest)\",\"moved_at\":\"20"
	assert_contains "$json" '"run":4,"pending":null'
	run_sluice show watermarks --flow nosuch
	assert_eq 2 "$RC" "show watermarks of an unknown flow"
	assert_contains "$ERR" "no flow named nosuch"
	pending_window
}

# A run waiting for its retry keeps the window it planned: shown pending,
# with the run that planned it, until it commits with the run.
pending_window() {
	"$SLUICE" worker --workers 1 2>"$T/worker.log" &
	WPID=$!
	at_exit stop_worker
	wait_until 20 grep -q ready "$T/worker.log" || fail "worker did not start: $(cat "$T/worker.log")"
	run_sluice run stage
	assert_eq 0 "$RC" "queued run: $ERR"
	local run=$OUT
	wait_until 30 run_is "$run" RETRYING || fail "run $run did not fail into RETRYING"
	run_sluice show watermarks --flow stage
	assert_eq 0 "$RC" "show watermarks exit: $ERR"
	printf '%s\n' "$OUT"
	assert_contains "$OUT" "stage  extract  orders  (never extracted)  -      -    run $run: (start, $(newest)]"
	run_sluice show watermarks --flow stage --json
	assert_contains "$(printf '%s\n' "$OUT" | json_squeeze)" \
		"\"watermark\":null,\"moved_at\":null,\"run\":null,\"pending\":{\"start\":null,\"end\":\"$(newest)\",\"run\":$run,\"planned_at\":\"20"
	stop_worker
}

run_is() { # RUN STATE
	"$SLUICE" show run "$1" --json | json_squeeze | grep -q "\"state\":\"$2\""
}

stop_worker() { kill -TERM "$WPID" 2>/dev/null || return 0; wait "$WPID" 2>/dev/null || true; }
