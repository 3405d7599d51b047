#!/bin/bash
# backfill_cli.sh - the backfill commands as an operator meets them on
# SQLite: plan and its problems, one backfill per flow, read-only mode
# watching but never moving, approval needing --yes or a typed yes (the
# default is no), a step in the background, status for views (--json),
# discard, and `backfill compare` on any two tables.
set -eu
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

P=$T/cli
mkdir -p "$P"
cd "$P"
project() { # QUERY [KEY]
	cat >sluice.json <<JSON
{ "project": "cli",
  "connections": { "warehouse": { "url": "sqlite:warehouse.db" } },
  "tasks": [ { "name": "often", "schedule": "every 1 minute", "flow": "orders" } ],
  "flows": [
    { "name": "orders", "steps": [
      { "name": "load", "kind": "load", "connection": "warehouse",
        "from": { "query": "$1" }, "table": "fact_orders", "mode": "${2:+merge}${2:-replace}"${2:+, \"key\": [\"$2\"]} } ] },
    { "name": "nothing", "steps": [ { "name": "s", "kind": "sql", "connection": "warehouse", "sql": "SELECT 1" } ] } ] }
JSON
}
q() { sqlite3 -cmd ".timeout 5000" warehouse.db "$1"; }
q "CREATE TABLE raw_orders (id integer primary key, customer text, amount integer);
WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 40)
INSERT INTO raw_orders SELECT x, 'c' || (x % 3), x * 10 FROM g;"

# No key anywhere: plan says why, start refuses, nothing is created.
project "SELECT id, customer, amount FROM raw_orders"
run_sluice run orders --wait
assert_eq 0 "$RC" "first run: $ERR"
run_sluice backfill plan orders
assert_eq 1 "$RC" "plan without a key"
assert_contains "$OUT" "problem: table fact_orders (load step load) has no key"
run_sluice backfill start orders
assert_eq 1 "$RC" "start without a key"
assert_contains "$ERR" "cannot backfill flow orders: table fact_orders (load step load) has no key"
run_sluice backfill status orders
assert_eq 2 "$RC" "status of a flow never backfilled"
assert_contains "$ERR" "flow orders has never had a backfill"
run_sluice backfill start nothing
assert_contains "$ERR" "flow nothing has no load step"
run_sluice backfill plan nope
assert_eq 2 "$RC" "unknown flow"
assert_contains "$ERR" 'no flow named "nope"'

project "SELECT id, customer, amount * 2 AS amount FROM raw_orders" id
run_sluice backfill plan orders --json
assert_eq 0 "$RC" "plan --json: $ERR"
assert_contains "$OUT" '"backfill_table":"fact_orders_backfill"'
assert_contains "$OUT" '"rows_planned":40'

# Read-only can plan and watch, never start.
run_sluice --read-only backfill start orders
assert_eq 4 "$RC" "read-only start"
assert_contains "$ERR" "read-only mode: 'backfill start' would change state and is refused"
run_sluice backfill start orders
assert_eq 0 "$RC" "start: $ERR"
run_sluice backfill start orders
assert_eq 1 "$RC" "a second start"
assert_contains "$ERR" "flow orders already has backfill 1 (step plan, WAITING)"
run_sluice --read-only backfill status orders
assert_eq 0 "$RC" "read-only status: $ERR"
assert_contains "$OUT" "backfill 1 of flow orders: step plan WAITING"
run_sluice --read-only show backfills
assert_eq 0 "$RC" "show backfills: $ERR"
assert_contains "$OUT" "orders"
printf '%s\n' "$OUT" | grep -E '^1 +orders +plan +WAITING' >/dev/null ||
	fail "show backfills does not list backfill 1 of orders at plan, WAITING: $OUT"
run_sluice show backfills --json
assert_contains "$(json_squeeze <<<"$OUT")" '"flow":"orders"' "show backfills --json"
run_sluice backfill approve orders --yes
assert_eq 1 "$RC" "approve too early"
assert_contains "$ERR" "approving comes after compare"

# A step in the background: the command returns at once, status follows it.
run_sluice backfill next orders --background
assert_eq 0 "$RC" "background: $ERR"
assert_contains "$OUT" "the next step runs in process"
wait_until 20 sh -c "'$SLUICE' backfill status orders | grep -q 'step suspend WAITING'" ||
	fail "the background step never finished: $(cat .sluice/backfill-orders.log)"
run_sluice show tasks
assert_contains "$OUT" "SUSPENDED"
for step in rebuild validate compare; do
	run_sluice backfill next orders
	assert_eq 0 "$RC" "next ($step): $ERR"
done
run_sluice backfill next orders
assert_eq 1 "$RC" "next at compare"
assert_contains "$ERR" "waits for approval: run 'sluice backfill approve orders' or 'sluice backfill discard orders'"

run_sluice backfill status orders --json
for key in '"step":"compare"' '"state":"WAITING"' '"actions":["approve","discard"]' \
	   '"rows_planned":40' '"fraction":1' '"changed":40' '"only_current":0' \
	   '"created_by":' '"history":' '"samples":' '"passed":true'; do
	assert_contains "$OUT" "$key" "status --json"
done
run_sluice backfill status
assert_contains "$OUT" "orders"
assert_contains "$OUT" "compare"

# Destructive steps ask; without a terminal they need --yes.
run_sluice backfill discard orders </dev/null
assert_eq 2 "$RC" "discard without --yes"
assert_contains "$ERR" "backfill discard changes tables: confirm with --yes"
# At a terminal the question defaults to no: Enter keeps everything.
printf '\n' | script -qec "'$SLUICE' backfill approve orders" /dev/null >"$T/tty.out" 2>&1 || true
assert_contains "$(cat "$T/tty.out")" "Approve backfill 1 of flow orders, swapping fact_orders_backfill in for fact_orders (kept as fact_orders_old)? [y/N]"
assert_contains "$(cat "$T/tty.out")" "not confirmed: nothing changed"
assert_eq 40 "$(q 'SELECT count(*) FROM fact_orders_backfill')" "backfill table still there"
run_sluice backfill status orders
assert_contains "$OUT" "step compare WAITING"
printf 'y\n' | script -qec "'$SLUICE' backfill approve orders" /dev/null >"$T/tty.out" 2>&1
assert_contains "$(cat "$T/tty.out")" "step approve WAITING"
assert_eq 800 "$(q 'SELECT amount FROM fact_orders WHERE id = 40')" "approved at the terminal"
run_sluice backfill discard orders --yes
assert_eq 1 "$RC" "discard after approve"
assert_contains "$ERR" "was approved and its tables swapped: it can no longer be discarded"
run_sluice backfill next orders
assert_contains "$OUT" "step resume COMPLETED"

# Compare any two tables in place.
run_sluice backfill compare warehouse fact_orders fact_orders_old --key id
assert_eq 0 "$RC" "compare: $ERR"
assert_contains "$OUT" "compare fact_orders with fact_orders_old: 40 rows now, 40 rebuilt; only now 0, only rebuilt 0, changed 40"
assert_contains "$OUT" "column amount: 40 changed"
run_sluice backfill compare warehouse fact_orders raw_orders --key nope
assert_eq 1 "$RC" "compare by a missing key"
assert_contains "$ERR" "the key column nope is not in table fact_orders"

# Discard leaves the current table as it was.
project "SELECT id, 'someone else' AS customer, amount FROM raw_orders" id
before=$(q 'SELECT group_concat(id || customer || amount) FROM (SELECT * FROM fact_orders ORDER BY id)')
run_sluice backfill start orders
assert_eq 0 "$RC" "second backfill start: $ERR"
for step in suspend rebuild validate compare; do
	run_sluice backfill next orders
	assert_eq 0 "$RC" "next ($step) of the second backfill: $ERR"
done
assert_eq 40 "$(q 'SELECT count(*) FROM fact_orders_backfill')" "rebuilt rows before the discard"
run_sluice backfill discard orders --yes
assert_eq 0 "$RC" "discard: $ERR"
assert_contains "$OUT" "step discard WAITING"
assert_eq "$before" "$(q 'SELECT group_concat(id || customer || amount) FROM (SELECT * FROM fact_orders ORDER BY id)')" \
	"fact_orders after discard"
assert_eq "" "$(q "SELECT name FROM sqlite_master WHERE name = 'fact_orders_backfill'")" "backfill table dropped"
run_sluice backfill next orders
assert_contains "$OUT" "step resume DISCARDED"
echo "ok: backfill commands"
