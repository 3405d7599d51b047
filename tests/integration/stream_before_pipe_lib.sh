#!/bin/bash
# stream_before_pipe_lib.sh - a stream over a pipe's table before the
# pipe's first file, written once for SQLite (stream_before_pipe.sh) and
# PostgreSQL (stream_before_pipe_pg.sh).  The caller sets WH_URL and q
# (runs SQL on the warehouse).
#
# A new project (the demo's orders, for one) has its stream, its flow and
# its task before any order file came: the stream's table is made by the
# pipe's first load.  Until then:
#   - `show streams` says nothing is pending, not an error (exit 0);
#   - a run reading the stream completes with an empty window: the table
#     is made, empty, from the pipe's declared shape, as the first file
#     would make it;
# and after files were loaded, a table that went missing is still an
# error, naming the files loaded into it: never silently a new, empty table.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

P=$T/orders

write_project() {
	mkdir -p "$P/lake/orders"
	cd "$P"
	cat >sluice.json <<JSON
{ "connections": { "wh": { "url": "$WH_URL" } },
  "lake": { "url": "file:lake" },
  "pipes": [ { "name": "orders_pipe", "path": "orders/", "format": "ndjson",
               "connection": "wh", "table": "raw_orders", "document": "doc" } ],
  "streams": [ { "name": "orders_stream", "connection": "wh", "table": "raw_orders",
                 "mode": "append_only" } ],
  "flows": [ { "name": "lines", "steps": [
    { "name": "normalize", "kind": "normalize", "connection": "wh",
      "from": { "stream": "orders_stream" }, "document": "doc", "into": "order_lines",
      "columns": [ { "name": "order_id", "path": "id", "type": "integer" },
                   { "name": "sku", "path": "items[].sku" } ] } ] } ] }
JSON
}

stream_before_pipe() {
	write_project
	run_sluice show streams
	assert_eq 0 "$RC" "show streams before the first file: $ERR $OUT"
	assert_contains "$OUT" "orders_stream  raw_orders  append_only  start   0        no        -"

	run_sluice run lines --wait
	assert_eq 0 "$RC" "a run before the first file: $ERR"
	assert_contains "$ERR" "run 1 COMPLETED in"
	assert_eq 0 "$(q 'SELECT count(*) FROM raw_orders')" "rows of the table made empty"

	printf '%s\n' '{"id": 1, "items": [{"sku": "A"}, {"sku": "B"}]}' \
		'{"id": 2, "items": [{"sku": "C"}]}' > lake/orders/1.json
	run_sluice pipe refresh orders_pipe
	assert_eq 0 "$RC" "the first file into the table the run made: $ERR"
	assert_eq 2 "$(q 'SELECT count(*) FROM raw_orders')" "raw rows after the first file"
	run_sluice show streams --json
	assert_contains "$(json_squeeze <<<"$OUT")" '"pending_rows":2,"has_data":true,"error":null'
	run_sluice run lines --wait
	assert_eq 0 "$RC" "the run after the first file: $ERR"
	assert_eq 3 "$(q 'SELECT count(*) FROM order_lines')" "order lines"

	# The table goes missing after a load: an error, no new empty table.
	q 'DROP TABLE raw_orders' >/dev/null
	run_sluice run lines --wait
	assert_eq 1 "$RC" "a run over a table dropped after loads: $OUT"
	assert_contains "$OUT$ERR" "table raw_orders on connection wh is missing, but 1 file was loaded into it"
	run_sluice show streams
	assert_contains "$OUT$ERR" "is missing, but 1 file was loaded into it"
	[ "$(q "SELECT count(*) FROM order_lines")" = 3 ] || fail "order lines changed"
}
