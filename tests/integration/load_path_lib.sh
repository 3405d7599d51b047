# load_path_lib.sh - which path a load's rows take, as an operator sees it
# in the run's log, shared by load_path.sh (SQLite) and load_path_pg.sh
# (PostgreSQL): a load between two connections to one database runs
# inside it (INSERT ... SELECT), one from another database is copied, and
# both land the same rows.  The caller sets WH_URL, SAME_URL (another URL
# of the warehouse's database) and OTHER_URL (another database), and
# defines q_wh and q_other (SQL on each, printing unaligned rows).

. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

path_cases() {
	cd "$T"
	cat > sluice.json <<JSON
{ "connections": { "wh": { "url": "$WH_URL" }, "same": { "url": "$SAME_URL" },
                   "other": { "url": "$OTHER_URL" } },
  "flows": [
    { "name": "f", "steps": [
        { "name": "inside", "kind": "load", "from": { "connection": "same", "table": "orders" },
          "connection": "wh", "table": "t_inside", "mode": "merge", "key": ["id"] },
        { "name": "across", "kind": "load", "from": { "connection": "other", "table": "orders" },
          "connection": "wh", "table": "t_across", "mode": "merge", "key": ["id"] } ] } ] }
JSON
	q_wh "CREATE TABLE orders (id integer, item text); INSERT INTO orders VALUES (1, 'tote'), (2, 'bag')" >/dev/null
	q_other "CREATE TABLE orders (id integer, item text); INSERT INTO orders VALUES (1, 'tote'), (2, 'bag')" >/dev/null
	run_sluice run f --wait
	assert_eq 0 "$RC" "run f: $ERR"
	local id
	id=$(printf '%s\n' "$OUT" "$ERR" | grep -o 'run [0-9][0-9]*' | head -1 | tr -dc 0-9)
	run_sluice logs --run "$id"
	assert_eq 0 "$RC" "logs: $ERR"
	assert_contains "$(printf '%s\n' "$OUT" | grep 'inside')" \
		"merged 2 rows into t_inside: 0 updated, 2 inserted, 0 unchanged; in the database (INSERT ... SELECT)"
	assert_contains "$(printf '%s\n' "$OUT" | grep 'across')" \
		"merged 2 rows into t_across: 0 updated, 2 inserted, 0 unchanged; copied from other"
	assert_eq "$(q_wh "SELECT id, item FROM t_across ORDER BY id")" \
		"$(q_wh "SELECT id, item FROM t_inside ORDER BY id")" "rows of both paths"
	assert_eq "1|tote
2|bag" "$(q_wh "SELECT id, item FROM t_inside ORDER BY id")" "rows loaded inside the database"
}
