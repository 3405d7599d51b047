# identity_lib.sh - exactly-once records name the control store that owns
# them, with the real binary; shared by identity.sh (SQLite warehouses)
# and identity_pg.sh (PostgreSQL warehouses, and a PostgreSQL control
# store to switch to).
#
# A project that starts over with a new .sluice/, the same project pointed
# at another control store (--control), and a second project writing to
# the same warehouse all number their runs from 1 again.  Each must do its
# own work: a run never takes another store's ledger entry, stream offset
# or window as its own.  What another store's records say about the data
# (a pipe's file is in its table; a stream's rows are in the table its
# load wrote) is honoured and reported, never silently skipped.
#
# The caller defines:
#   new_wh NAME        make an empty warehouse; set WH_URL and define q SQL
#                      (prints rows as a|b, one a line)
#   OTHER_CONTROL      the URL of another, empty control store
#   other_cq SQL       a query on that store

. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

# The id of the control store of the project in $1 (its default store).
store_id_of() {
	sqlite3 "$1/.sluice/control.db" "SELECT id FROM store_identity"
}

write_project() { # DIR NAME SUFFIX
	mkdir -p "$1/lake/orders"
	cat >"$1/sluice.json" <<JSON
{ "project": "$2",
  "connections": { "wh": { "url": "$WH_URL" } },
  "pipes": [ { "name": "orders", "path": "orders/", "pattern": "*.ndjson",
               "connection": "wh", "table": "raw_orders$3", "document": "doc" } ],
  "streams": [ { "name": "orders_stream", "connection": "wh", "table": "raw_orders" } ],
  "flows": [
    { "name": "copy", "params": { "batch": { "type": "int" } },
      "steps": [
        { "name": "stage", "kind": "sql", "connection": "wh",
          "sql": "DELETE FROM stage$3; INSERT INTO stage$3 SELECT id, batch FROM events WHERE batch = :batch" },
        { "name": "load", "kind": "load", "needs": ["stage"], "connection": "wh",
          "from": { "table": "stage$3" }, "table": "target$3", "mode": "append" } ] },
    { "name": "etl", "steps": [
        { "name": "items", "kind": "normalize", "connection": "wh",
          "from": { "stream": "orders_stream" }, "document": "doc", "into": "stg_items$3",
          "columns": [ { "name": "order_id", "path": "order_id", "type": "integer" } ] },
        { "name": "load", "kind": "load", "needs": ["items"], "connection": "wh",
          "from": { "table": "stg_items$3" }, "table": "fact_items$3", "mode": "append",
          "consumes": ["orders_stream"] } ] } ] }
JSON
}

run_ok() { # WHAT ARGS...
	local what=$1
	shift
	run_sluice "$@"
	[ "$RC" = 0 ] || fail "$what: exit $RC: $OUT $ERR"
}

# ---- flows: a new .sluice/, a switched control store, a second project.
flows_each_store_does_its_own_work() {
	new_wh flows
	q "CREATE TABLE events (id integer, batch integer);
	   CREATE TABLE stage (id integer, batch integer);
	   CREATE TABLE stage_b (id integer, batch integer);
	   INSERT INTO events VALUES (1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 3), (7, 3),
	                             (8, 4), (9, 4)"
	write_project "$T/alpha" alpha ""
	cd "$T/alpha"
	run_ok "first run" run copy batch=1
	assert_eq 3 "$(q 'SELECT count(*) FROM target')" "rows after run 1 of the first store"

	# The project starts over: its new store numbers runs from 1 again.
	rm -rf .sluice
	run_ok "run 1 of a new .sluice/" run copy batch=2
	assert_eq 1 "$OUT" "the new store's first run id"
	assert_not_contains "$ERR" "already committed" "run 1 of a new store"
	assert_eq "1|3
2|2" "$(q 'SELECT batch, count(*) FROM target GROUP BY batch ORDER BY batch')" \
		"rows by batch after run 1 of a new .sluice/"

	# The same project on another control store.
	run_ok "run 1 of another control store" --control "$OTHER_CONTROL" run copy batch=3
	assert_eq 1 "$OUT" "the other store's first run id"
	assert_eq 7 "$(q 'SELECT count(*) FROM target')" "rows after the switched store's run"
	assert_eq COMPLETED "$(other_cq "SELECT state FROM runs WHERE id = 1")" \
		"the switched store's run"
	assert_eq 2 "$(other_cq "SELECT rows_out FROM step_runs WHERE run_id = 1 AND step = 'load'")" \
		"rows the switched store's load wrote"

	# A second project on the same warehouse, its own store, its own run 1.
	write_project "$T/beta" beta _b
	cd "$T/beta"
	run_ok "run 1 of a second project" run copy batch=4
	assert_eq 2 "$(q 'SELECT count(*) FROM target_b')" "the second project's rows"
	assert_eq 7 "$(q 'SELECT count(*) FROM target')" "the first project's rows, untouched"

	# Every entry names its store: four stores, none without an id.
	assert_eq 4 "$(q "SELECT count(DISTINCT store_id) FROM _sluice_ledger WHERE key LIKE '%run:%'")" \
		"stores with run entries in the ledger"
	assert_eq 0 "$(q 'SELECT count(*) FROM _sluice_ledger WHERE store_id IS NULL')" \
		"ledger entries without a store"
	echo "ok: flows: a new .sluice/, a switched store and a second project each did their work"
}

# ---- pipes: another store's file is adopted, said so, never loaded twice;
# a different file under the same name is neither loaded nor skipped.
pipes_adopt_what_another_store_loaded() {
	new_wh pipes
	write_project "$T/palpha" alpha ""
	cd "$T/palpha"
	printf '{"order_id": 1}\n{"order_id": 2}\n' > lake/orders/a.ndjson
	run_ok "first refresh" pipe refresh orders
	assert_eq 2 "$(q 'SELECT count(*) FROM raw_orders')" "rows after the first refresh"
	local first
	first=$(store_id_of "$T/palpha" 2>/dev/null || true)

	rm -rf .sluice
	run_ok "refresh of a new .sluice/" pipe refresh orders
	assert_eq 2 "$(q 'SELECT count(*) FROM raw_orders')" "rows after a new store's refresh"
	assert_contains "$OUT" "1 file had been loaded into raw_orders by another control store" \
		"the new store's refresh"
	run_ok "show loads" show loads orders --json
	assert_contains "$(printf '%s' "$OUT" | json_squeeze)" "\"loaded_by\":\"$first\"" \
		"the adopted file's history"
	run_ok "show loads" show loads orders
	assert_contains "$OUT" "LOADED (by ${first:0:8})" "show loads"
	run_ok "a later refresh" pipe refresh orders
	assert_contains "$OUT" "0 files loaded" "a refresh after the adoption"

	# A second project's pipe of the same name, its own lake: a file of the
	# same name with other rows is neither loaded again nor skipped.
	write_project "$T/pbeta" beta ""
	cd "$T/pbeta"
	printf '{"order_id": 7}\n' > lake/orders/a.ndjson
	run_sluice pipe refresh orders
	assert_eq 1 "$RC" "a refresh of a different file under a loaded name: $OUT $ERR"
	assert_contains "$OUT$ERR" "this file differs" "the refused file"
	assert_contains "$OUT$ERR" "--force --file orders/a.ndjson" "the refused file"
	assert_eq 0 "$(q 'SELECT count(*) FROM raw_orders WHERE CAST(doc AS TEXT) LIKE '"'"'%7%'"'"'')" \
		"rows of the refused file"
	run_ok "show loads" show loads orders
	assert_contains "$OUT" "LOAD_FAILED" "the refused file's history"

	# Another project's pipe of the same name into another table.
	write_project "$T/pgamma" gamma _g
	cd "$T/pgamma"
	printf '{"order_id": 1}\n{"order_id": 2}\n' > lake/orders/a.ndjson
	run_sluice pipe refresh orders
	assert_eq 1 "$RC" "a pipe of the same name into another table: $OUT $ERR"
	assert_contains "$ERR" "give this pipe another name" "the pipe name clash"
	echo "ok: pipes: another store's file adopted and said so; a different file refused"
}

# ---- streams: an offset is the store's own; a new store continues from
# the offset of a load that wrote the same table, another project's
# consumer starts at the beginning.
streams_have_an_offset_per_store() {
	new_wh streams
	write_project "$T/salpha" alpha ""
	cd "$T/salpha"
	printf '{"order_id": 1}\n{"order_id": 2}\n' > lake/orders/a.ndjson
	run_ok "refresh" pipe refresh orders
	run_ok "etl run" run etl
	assert_eq 2 "$(q 'SELECT count(*) FROM fact_items')" "facts after the first run"

	# A new .sluice/ for the same project: it continues from the offset.
	rm -rf .sluice
	printf '{"order_id": 3}\n' > lake/orders/b.ndjson
	run_ok "refresh of a new store" pipe refresh orders
	run_ok "etl run of a new store" run etl
	assert_eq "1|1
2|1
3|1" "$(q 'SELECT order_id, count(*) FROM fact_items GROUP BY order_id ORDER BY order_id')" \
		"facts after a new store's run"
	run_ok "logs" logs --run 1
	assert_contains "$OUT" "continues from the one control store" "the new store's run"

	# A second project reads the same table through a stream of the same
	# name into its own facts: it starts at the beginning, and neither
	# project moves the other's offset.
	write_project "$T/sbeta" beta _b
	cd "$T/sbeta"
	run_ok "etl run of a second project" run etl
	assert_eq 3 "$(q 'SELECT count(*) FROM fact_items_b')" "the second project's facts"
	cd "$T/salpha"
	printf '{"order_id": 4}\n' > lake/orders/c.ndjson
	run_ok "refresh" pipe refresh orders
	run_ok "etl run" run etl
	assert_eq 4 "$(q 'SELECT count(DISTINCT order_id) FROM fact_items')" "facts of the first project"
	assert_eq 4 "$(q 'SELECT count(*) FROM fact_items')" "fact rows of the first project"
	cd "$T/sbeta"
	run_ok "etl run of the second project" run etl
	assert_eq 4 "$(q 'SELECT count(*) FROM fact_items_b')" "the second project's facts"
	assert_eq 3 "$(q 'SELECT count(*) FROM _sluice_stream_offsets')" \
		"offsets: one per store that consumed the stream"
	echo "ok: streams: an offset per store, continued by a new store, not shared with another project"
}

# IDENTITY_ONLY=NAME runs one of them.
identity_all() {
	local t
	for t in ${IDENTITY_ONLY:-flows_each_store_does_its_own_work \
		pipes_adopt_what_another_store_loaded streams_have_an_offset_per_store}; do
		(cd "$T" && "$t")
	done
}
