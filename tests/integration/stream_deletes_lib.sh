# stream_deletes_lib.sh - deletes from a default-mode stream's table reach
# a normalized, merged target, with the real binary; shared by
# stream_deletes.sh (SQLite) and stream_deletes_pg.sh (PostgreSQL).
#
# An order deleted at the source takes its items out of the target (the
# normalize step carries _sluice_action, the merge deletes the keys), the
# run's log says how many, and the stream's delete log is empty again once
# the stream has read it.  The caller sets WH_URL and defines q (SQL on the
# warehouse, printing unaligned rows).

. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

deletes_cases() {
	cd "$T"
	cat > sluice.json <<JSON
{ "connections": { "wh": { "url": "$WH_URL" } },
  "streams": [ { "name": "orders_changes", "connection": "wh", "table": "src_orders",
                 "mode": "default", "offset_column": "id" } ],
  "flows": [
    { "name": "orders", "steps": [
        { "name": "items", "kind": "normalize", "connection": "wh",
          "from": { "stream": "orders_changes" }, "document": "doc", "into": "stg_items",
          "columns": [ { "name": "order_id", "path": "id", "type": "integer" },
                       { "name": "sku", "path": "items[].sku" },
                       { "name": "qty", "path": "items[].qty", "type": "integer" } ] },
        { "name": "load", "kind": "load", "needs": ["items"], "connection": "wh",
          "from": { "table": "stg_items" }, "table": "order_items", "mode": "merge",
          "key": ["order_id", "sku"], "consumes": ["orders_changes"] } ] } ] }
JSON
	q "CREATE TABLE src_orders (id integer PRIMARY KEY, doc text, last_updated timestamp);
	   INSERT INTO src_orders VALUES
	     (1, '{\"id\": 1, \"items\": [{\"sku\": \"A\", \"qty\": 2}, {\"sku\": \"B\", \"qty\": 1}]}',
	      '2024-01-01 10:00:00'),
	     (2, '{\"id\": 2, \"items\": [{\"sku\": \"C\", \"qty\": 5}]}', '2024-01-01 10:00:00')" \
		>/dev/null
	run_sluice run orders --wait
	assert_eq 0 "$RC" "first run: $ERR"
	assert_eq 3 "$(q 'SELECT count(*) FROM order_items')" "items after the first run"

	q "DELETE FROM src_orders WHERE id = 1" >/dev/null
	run_sluice run orders --wait
	assert_eq 0 "$RC" "the run after the delete: $ERR"
	local id
	id=$(printf '%s\n' "$OUT" "$ERR" | grep -o 'run [0-9][0-9]*' | head -1 | tr -dc 0-9)
	assert_eq "2|C|5" "$(q 'SELECT order_id, sku, qty FROM order_items')" \
		"the deleted order's items are gone from the target"
	run_sluice logs --run "$id"
	assert_eq 0 "$RC" "logs: $ERR"
	assert_contains "$(printf '%s\n' "$OUT" | grep 'items')" \
		"1 document (1 deleted, giving 2 _sluice_action DELETE rows) from stream orders_changes"
	assert_contains "$(printf '%s\n' "$OUT" | grep 'load')" "; 2 deleted"
	assert_eq 0 "$(q 'SELECT count(*) FROM _sluice_stream_deletes')" \
		"delete log rows once the stream has read them"

	# Appended, the staging table would keep every run's rows: check warns.
	sed -i 's/"into": "stg_items",/"into": "stg_items", "mode": "append",/' sluice.json
	run_sluice check
	assert_contains "$OUT$ERR" "flows[0].steps[0].mode: stream orders_changes is in default mode"
}
