#!/bin/bash
# backfill_tableref.sh - {{table:NAME}} in a backfill on SQLite (see
# backfill_tableref_lib.sh), and a malformed placeholder's error.
set -eu
. "$SLUICE_SRCDIR/tests/integration/backfill_tableref_lib.sh"
WH_URL="sqlite:warehouse.db"
q() { sqlite3 -cmd ".timeout 5000" "$T/warehouse.db" "$1"; }
tableref_backfill

mkdir -p "$T/bad" && cd "$T/bad"
cat >sluice.json <<'JSON'
{ "project": "bad",
  "connections": { "warehouse": { "url": "sqlite:warehouse.db" } },
  "flows": [ { "name": "f", "steps": [
    { "name": "a", "kind": "sql", "connection": "warehouse",
      "sql": "SELECT 1;\nSELECT * FROM {{table:}}" },
    { "name": "b", "kind": "sql", "connection": "warehouse",
      "sql": "SELECT * FROM {{tabel:orders}}" },
    { "name": "c", "kind": "validate", "connection": "warehouse", "table": "t",
      "checks": [ { "type": "custom", "name": "x", "sql": "SELECT * FROM {{table:t" } ] } ] } ] }
JSON
run_sluice check
assert_eq 1 "$RC" "check of malformed placeholders"
assert_contains "$OUT" 'sluice.json:5:14: flows[0].steps[0].sql: line 2: {{table:}}: expected a table name'
assert_contains "$OUT" 'sluice.json:7:14: flows[0].steps[1].sql: line 1: unknown placeholder {{tabel:...}} (expected {{table:NAME}} or {{stream:NAME}})'
assert_contains "$OUT" 'sluice.json:9:59: flows[0].steps[2].checks[0].sql: line 1: "{{table:" is not closed by "}}"'

# Quoted, commented, longer and :parameter names of a loaded table are not
# bare uses of it; a step before the load is not warned of either.
mkdir -p "$T/words" && cd "$T/words"
cat >sluice.json <<'JSON'
{ "project": "words",
  "connections": { "warehouse": { "url": "sqlite:warehouse.db" } },
  "flows": [ { "name": "f", "params": { "orders": { "type": "int", "default": 1 } },
    "steps": [
    { "name": "before", "kind": "sql", "connection": "warehouse", "sql": "SELECT * FROM orders" },
    { "name": "load", "kind": "load", "connection": "warehouse", "needs": ["before"],
      "from": { "table": "raw" }, "table": "orders" },
    { "name": "after", "kind": "sql", "connection": "warehouse", "needs": ["load"],
      "sql": "-- orders\nSELECT 'orders', \"orders\", :orders FROM orders_x /* orders */" } ] } ] }
JSON
run_sluice check
assert_eq 0 "$RC" "check of the words project: $OUT"
assert_not_contains "$OUT" "warning" "a warning for a name that is not a bare use"
sed -i 's|FROM orders_x|FROM Orders|' sluice.json
run_sluice check
assert_contains "$OUT" 'sluice.json:9:14: warning: flows[0].steps[2].sql: line 2: orders: in a backfill this reads the live table' \
	"the bare name in another case"
echo "ok: {{table:NAME}} reads the rebuilt table in a backfill on SQLite"
