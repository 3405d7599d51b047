#!/bin/bash
# table_changes.sh - the console's table page, columns mode (c): each
# column's note and the schema changes a real load saw (a column added,
# one widened), listed with when, the change, the types and the run; the
# whole screen at 80x24.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
mkdir -p "$T/p" && cd "$T/p"
cat > sluice.json <<'JSON'
{ "connections": { "src": { "url": "sqlite:src.db" }, "wh": { "url": "sqlite:wh.db" } },
  "tables": { "t_orders": { "connection": "wh", "description": "orders as loaded",
                             "columns": { "item": "what was bought" } } },
  "flows": [ { "name": "f", "steps": [
    { "name": "copy", "kind": "load", "from": { "connection": "src", "table": "orders" },
      "connection": "wh", "table": "t_orders" } ] } ] }
JSON
sqlite3 src.db "CREATE TABLE orders (id integer, item text, qty integer);
	INSERT INTO orders VALUES (1, 'tote', 3);"
"$SLUICE" run f >/dev/null 2>&1 || fail "first run"
sqlite3 src.db "DROP TABLE orders;
	CREATE TABLE orders (id integer, item text, qty numeric(12,3), colour text);
	INSERT INTO orders VALUES (2, 'bag', 2.5, 'red');"
"$SLUICE" run f >/dev/null 2>&1 || fail "second run"

console_start 80 24 xterm-256color monitor
console_wait "READ-ONLY"
console_keys 7
console_wait "t_orders"
console_keys /
console_keys -l t_orders
console_keys Enter Enter
console_wait "Table t_orders"
console_keys c
console_wait "SCHEMA CHANGES"
console_assert_screen table-changes
console_keys q q
console_exited
