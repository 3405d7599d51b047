# backfill_tableref_lib.sh - {{table:NAME}} in user SQL reads what the run
# rebuilds: in a backfill, TABLE_backfill when the flow loads TABLE.  A
# custom check written {{table:orders}} fails a rebuild whose rows are bad
# while the live table is fine, and a sql step after the load and a load's
# from.query read the rebuilt rows.  The same check written with the bare name reads the live
# table and passes the bad rebuild (what `sluice check` warns of, at its
# file:line:col).  Shared by backfill_tableref.sh (SQLite) and
# backfill_tableref_pg.sh (PostgreSQL); the caller sets WH_URL and q.

. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
cd "$T"

tableref_project() {
	cat >sluice.json <<JSON
{ "project": "tableref",
  "connections": { "warehouse": { "url": "$WH_URL" } },
  "flows": [
    { "name": "placeholder",
      "steps": [
        { "name": "load", "kind": "load", "connection": "warehouse",
          "from": { "table": "raw_orders" }, "table": "orders", "mode": "merge", "key": ["id"] },
        { "name": "seen", "kind": "sql", "connection": "warehouse", "needs": ["load"],
          "sql": "DELETE FROM seen; INSERT INTO seen SELECT id, amount FROM {{table:orders}}" },
        { "name": "check", "kind": "validate", "connection": "warehouse", "table": "orders",
          "needs": ["seen"],
          "checks": [ { "type": "custom", "name": "no negative amounts",
                        "sql": "SELECT * FROM {{table:orders}} WHERE amount < 0" } ] } ] },
    { "name": "bare",
      "steps": [
        { "name": "load", "kind": "load", "connection": "warehouse",
          "from": { "table": "raw_orders" }, "table": "orders_b", "mode": "merge", "key": ["id"] },
        { "name": "check", "kind": "validate", "connection": "warehouse", "table": "orders_b",
          "needs": ["load"],
          "checks": [ { "type": "custom", "name": "no negative amounts",
                        "sql": "SELECT * FROM orders_b WHERE amount < 0" } ] } ] },
    { "name": "copy",
      "steps": [
        { "name": "load", "kind": "load", "connection": "warehouse",
          "from": { "table": "raw_orders" }, "table": "orders_c", "mode": "merge", "key": ["id"] },
        { "name": "copy", "kind": "load", "connection": "warehouse", "needs": ["load"],
          "from": { "query": "SELECT id, amount FROM {{table:orders_c}}" },
          "table": "orders_c2", "mode": "merge", "key": ["id"] } ] } ] }
JSON
}

tableref_backfill() {
	tableref_project
	q "CREATE TABLE raw_orders (id integer primary key, amount integer);
	   CREATE TABLE seen (id integer, amount integer);
	   INSERT INTO raw_orders VALUES (1, 10), (2, 20);"

	# check: the bare name after its load is a warning, at the key's
	# position, and the project is still valid.
	run_sluice check
	assert_eq 0 "$RC" "check: $ERR"
	assert_contains "$ERR$OUT" "sluice.json:21:32: warning: flows[1].steps[1].checks[0].sql: line 1: orders_b: in a backfill this reads the live table, not orders_b_backfill; write {{table:orders_b}}"
	assert_not_contains "$ERR$OUT" "write {{table:orders}}" "a warning for the placeholder flow"

	for f in placeholder bare copy; do
		run_sluice run $f --wait
		assert_eq 0 "$RC" "run $f: $ERR"
	done
	assert_eq "2|30" "$(q "SELECT count(*), sum(amount) FROM seen")" "seen after the run"

	# The source turns bad; the live tables keep their good rows.
	q "UPDATE raw_orders SET amount = -5 WHERE id = 2; INSERT INTO raw_orders VALUES (3, 30)"

	# The bare check reads the live orders_b and passes the bad rebuild.
	run_sluice backfill start bare
	assert_eq 0 "$RC" "start bare: $ERR"
	run_sluice backfill next bare
	assert_eq 0 "$RC" "suspend bare: $ERR"
	run_sluice backfill next bare
	assert_eq 0 "$RC" "the bare check passes the rebuild: $ERR"
	assert_eq "-5" "$(q "SELECT amount FROM orders_b_backfill WHERE id = 2")" "the rebuilt row"
	run_sluice backfill discard bare --yes
	assert_eq 0 "$RC" "discard bare: $ERR"
	run_sluice backfill next bare
	assert_eq 0 "$RC" "resume bare: $ERR"

	# A load's from.query reads the rebuilt orders_c_backfill.
	run_sluice backfill start copy
	assert_eq 0 "$RC" "start copy: $ERR"
	run_sluice backfill next copy
	assert_eq 0 "$RC" "suspend copy: $ERR"
	run_sluice backfill next copy
	assert_eq 0 "$RC" "rebuild copy: $ERR"
	assert_eq "3|35" "$(q "SELECT count(*), sum(amount) FROM orders_c2_backfill")" \
		"the copy's rebuild read the rebuilt rows"
	assert_eq "2|30" "$(q "SELECT count(*), sum(amount) FROM orders_c2")" "the live copy"
	run_sluice backfill discard copy --yes
	assert_eq 0 "$RC" "discard copy: $ERR"
	run_sluice backfill next copy
	assert_eq 0 "$RC" "resume copy: $ERR"

	# {{table:orders}} reads orders_backfill: the sql step sees the rebuilt
	# rows and the check fails the rebuild.
	run_sluice backfill start placeholder
	assert_eq 0 "$RC" "start placeholder: $ERR"
	run_sluice backfill next placeholder
	assert_eq 0 "$RC" "suspend placeholder: $ERR"
	run_sluice backfill next placeholder
	assert_eq 1 "$RC" "the {{table:}} check fails the rebuild"
	assert_eq "3|35" "$(q "SELECT count(*), sum(amount) FROM seen")" "seen in the rebuild"
	assert_eq "20" "$(q "SELECT amount FROM orders WHERE id = 2")" "the live row"
	run_sluice backfill status placeholder
	assert_contains "$OUT" "    check no negative amounts: 1 violation (error)"

	# Fixed, the rebuild passes; outside a backfill the placeholder is the
	# table itself.
	q "UPDATE raw_orders SET amount = 20 WHERE id = 2"
	run_sluice backfill next placeholder
	assert_eq 0 "$RC" "the rebuild again: $ERR"
	run_sluice backfill discard placeholder --yes
	assert_eq 0 "$RC" "discard placeholder: $ERR"
	run_sluice backfill next placeholder
	assert_eq 0 "$RC" "resume placeholder: $ERR"
	run_sluice run placeholder --wait
	assert_eq 0 "$RC" "run placeholder: $ERR"
	assert_eq "3|60" "$(q "SELECT count(*), sum(amount) FROM seen")" "seen outside a backfill"
}
