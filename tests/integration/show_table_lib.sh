# show_table_lib.sh - `sluice show table` beside a page of rows: the
# project's note on each column and the table's schema changes, listed
# (when, column, change, types, run), in text and JSON, after a real load
# whose source grew a column and widened another.  The caller sources
# testlib.sh, sets WH_URL (the warehouse connection's URL) and runs
# show_table_case; tests/console/table_changes.sh uses show_table_project.

# In the current directory: the project, and its two loads.
show_table_project() {
	cat > sluice.json <<JSON
{ "connections": { "src": { "url": "sqlite:src.db" }, "wh": { "url": "$WH_URL" } },
  "tables": { "t_orders": { "connection": "wh", "description": "orders as loaded",
                             "columns": { "item": "what was bought",
                                          "qty": "how many units" } } },
  "flows": [ { "name": "f", "steps": [
    { "name": "copy", "kind": "load", "from": { "connection": "src", "table": "orders" },
      "connection": "wh", "table": "t_orders" } ] } ] }
JSON
	sqlite3 src.db "CREATE TABLE orders (id integer, item text, qty integer);
		INSERT INTO orders VALUES (1, 'tote', 3);"
	run_sluice run f
	assert_eq 0 "$RC" "first run: $ERR"
	# the source grows a column and widens one
	sqlite3 src.db "DROP TABLE orders;
		CREATE TABLE orders (id integer, item text, qty numeric(12,3), colour text);
		INSERT INTO orders VALUES (2, 'bag', 2.5, 'red');"
	run_sluice run f
	assert_eq 0 "$RC" "second run: $ERR"
}

show_table_case() {
	mkdir -p "$T/p" && cd "$T/p"
	show_table_project
	local run
	run=$("$SLUICE" show runs --json | json_squeeze | grep -o '"id":[0-9]*' | sed 's/.*://' | sort -n | tail -1)

	# ---- text: the rows, then the notes, then the changes ----
	run_sluice show table t_orders
	assert_eq 0 "$RC" "show table: $ERR"
	assert_contains "$OUT" "(rows 1-2)" "the page"
	printf '%s\n' "$OUT" | grep -Eq '^COLUMN +NOTE$' || fail "no notes header in: $OUT"
	printf '%s\n' "$OUT" | grep -Eq '^item +what was bought$' || fail "item's note: $OUT"
	printf '%s\n' "$OUT" | grep -Eq '^qty +how many units$' || fail "qty's note: $OUT"
	assert_contains "$OUT" "2 schema changes, newest first:" "the changes, counted"
	printf '%s\n' "$OUT" | grep -Eq '^AT +COLUMN +CHANGE +OLD TYPE +NEW TYPE +RUN$' ||
		fail "no changes header in: $OUT"
	printf '%s\n' "$OUT" | grep -Eq "^$(date +%Y-%m-%d) [0-9:]+ +colour +added +- +[a-z ]+ +$run\$" ||
		fail "the added column, when and in which run: $OUT"
	printf '%s\n' "$OUT" | grep -Eq "^$(date +%Y-%m-%d) [0-9:]+ +qty +widened +[a-z]+ +numeric.* +$run\$" ||
		fail "the widened column, its types and run: $OUT"

	# ---- JSON ----
	run_sluice show table t_orders --json
	assert_eq 0 "$RC" "show table --json: $ERR"
	local j
	j=$(printf '%s' "$OUT" | json_squeeze)
	assert_contains "$j" '"name":"item","type":' "item"
	assert_contains "$j" '"primary_key":false,"description":"what was bought"}' "item's note in JSON"
	assert_contains "$j" '"description":"how many units"}' "qty's note in JSON"
	assert_contains "$j" '"name":"id",' "id"
	assert_contains "$j" "\"column\":\"colour\",\"change\":\"added\",\"old_type\":null" "the added column"
	assert_contains "$j" "\"change\":\"widened\",\"old_type\":\"" "the widened column"
	assert_contains "$j" "\"run\":$run,\"at\":\"$(date -u +%Y-%m-%d)T" "run and time of a change"
	assert_contains "$j" '"schema_changes_error":null' "the store was read"
	assert_eq 2 "$(printf '%s' "$j" | grep -o '"change":' | wc -l)" "changes in JSON"

	# a table without notes or changes prints only its page
	sqlite3 src.db "CREATE TABLE plain (a integer)"
	run_sluice show table plain
	assert_eq 0 "$RC" "plain: $ERR"
	assert_not_contains "$OUT" "NOTE" "no notes section without notes"
	assert_not_contains "$OUT" "schema change" "no changes section without changes"
}
