# pipe_commands.sh - the pipe commands on the real binary: refresh, pause,
# resume, force one file, show pipes / streams / loads (text and --json),
# read-only refusal, exit codes and the messages a user reads.
. "${SLUICE_SRCDIR:?}/tests/lib/testlib.sh"

P=$T/p
mkdir -p "$P/lake"
cat >"$P/sluice.json" <<JSON
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "pipes": [ { "name": "orders", "path": "orders/", "pattern": "*.ndjson",
               "connection": "wh", "table": "raw_orders", "document": "doc",
               "columns": [ { "name": "order_id", "type": "integer" },
                            { "name": "amount", "type": "numeric(8,2)" } ] } ],
  "streams": [ { "name": "orders_stream", "connection": "wh", "table": "raw_orders" } ] }
JSON
s() { "$SLUICE" -C "$P" "$@"; }
sql() { sqlite3 "$P/wh.db" "$1"; }
json() { # JSON PATH: one value out of a JSON text
	printf '%s' "$1" >"$T/j.json"
	sqlite3 :memory: "SELECT json_extract(readfile('$T/j.json'), '$2')"
}

# No directory yet: the pipe says so.
run_sluice -C "$P" show pipes
assert_eq 0 "$RC" "show pipes ($ERR)"
assert_contains "$OUT" "STOPPED_MISSING_PATH"
run_sluice -C "$P" pipe refresh orders
assert_eq 1 "$RC" "refresh without its directory"
assert_contains "$ERR" "the lake has no directory orders/"

mkdir -p "$P/lake/orders/2024/01/01"
printf '{"order_id": 1, "amount": 10.5}\n{"order_id": 2, "amount": 20}\n' \
	>"$P/lake/orders/2024/01/01/a.ndjson"
printf '{"order_id": 3, "amount": 1}\n{"order_id": "four", "amount": 2}\n' \
	>"$P/lake/orders/2024/01/01/b.ndjson"
cp "$P/lake/orders/2024/01/01/b.ndjson" "$T/b.orig"

run_sluice -C "$P" show pipes --json
assert_eq 2 "$(json "$OUT" '$[0].pending_files')" "pending files"
assert_eq RUNNING "$(json "$OUT" '$[0].state')"

# One good file loads; the bad one is rejected with its place and column.
run_sluice -C "$P" pipe refresh orders
assert_eq 1 "$RC" "refresh with a bad file exits 1"
assert_contains "$OUT" "1 file loaded, 0 partly loaded, 1 rejected"
assert_contains "$OUT" "LOAD_FAILED      orders/2024/01/01/b.ndjson:2:14: order_id: expected an integer, got \"four\""
assert_contains "$ERR" "orders/2024/01/01/b.ndjson:2:14"
assert_eq 2 "$(sql "SELECT count(*) FROM raw_orders")" "rows"
assert_eq 1 "$(sql "SELECT amount = 20 FROM raw_orders WHERE order_id = 2")" "amount"
cmp -s "$T/b.orig" "$P/lake/orders/2024/01/01/b.ndjson" || fail "the rejected file changed"

run_sluice -C "$P" show loads orders
assert_eq 0 "$RC" "show loads ($ERR)"
assert_contains "$OUT" "LOAD_FAILED"
assert_contains "$OUT" "2:14 order_id: expected an integer"
assert_contains "$OUT" "page 1 of 1 (2 loads, newest first)"
run_sluice -C "$P" show loads orders --json --limit 1 --page 2
assert_eq 2 "$(json "$OUT" '$.total')" "total"
assert_eq 2 "$(json "$OUT" '$.pages')" "pages"
assert_eq "orders/2024/01/01/a.ndjson" "$(json "$OUT" '$.loads[0].file')" "oldest on page 2"
assert_eq LOADED "$(json "$OUT" '$.loads[0].status')"
assert_eq 2 "$(json "$OUT" '$.loads[0].rows_loaded')"
run_sluice -C "$P" show loads orders --json --limit 1
assert_eq 14 "$(json "$OUT" '$.loads[0].first_error.column')" "error column"
assert_eq order_id "$(json "$OUT" '$.loads[0].first_error.column_name')"
assert_eq 1 "$(json "$OUT" '$.loads[0].error_count')"

run_sluice -C "$P" show pipes --json
assert_eq 0 "$(json "$OUT" '$[0].pending_files')" "pending after refresh"
assert_eq 1 "$(json "$OUT" '$[0].files_failed')"
assert_contains "$(json "$OUT" '$[0].last_error')" "b.ndjson:2:14"
assert_eq "orders/2024/01/01/a.ndjson" "$(json "$OUT" '$[0].last_file')"

run_sluice -C "$P" show streams
assert_contains "$OUT" "orders_stream  raw_orders  append_only  start   2        yes"
run_sluice -C "$P" show streams --json
assert_eq 2 "$(json "$OUT" '$[0].pending_rows')" "stream pending"
assert_eq 1 "$(json "$OUT" '$[0].has_data')" "stream has data"

# Read-only mode refuses to change anything.
run_sluice -C "$P" --read-only pipe pause orders
assert_eq 4 "$RC" "pause in read-only mode"
assert_contains "$ERR" "read-only"
run_sluice -C "$P" --read-only show pipes
assert_eq 0 "$RC" "show pipes read-only ($ERR)"

# Pause: nothing loads, and the state says who paused it and why.
run_sluice -C "$P" pipe pause orders --reason "source is being fixed"
assert_eq 0 "$RC" "pause ($ERR)"
assert_contains "$OUT" "pipe orders paused"
run_sluice -C "$P" pipe pause orders
assert_contains "$OUT" "was already paused"
printf '{"order_id": 5, "amount": 5}\n' >"$P/lake/orders/2024/01/01/c.ndjson"
run_sluice -C "$P" show pipes --json
assert_eq PAUSED "$(json "$OUT" '$[0].state')"
assert_contains "$(json "$OUT" '$[0].state_reason')" "source is being fixed"
assert_eq 1 "$(json "$OUT" '$[0].pending_files')"
run_sluice -C "$P" pipe refresh orders
assert_eq 1 "$RC" "refresh of a paused pipe"
assert_contains "$ERR" "paused"
assert_eq 2 "$(sql "SELECT count(*) FROM raw_orders")" "rows while paused"
run_sluice -C "$P" pipe resume orders
assert_contains "$OUT" "pipe orders running"
run_sluice -C "$P" pipe refresh orders
assert_eq 0 "$RC" "refresh after resume ($ERR)"
assert_contains "$OUT" "1 file loaded"
assert_eq 3 "$(sql "SELECT count(*) FROM raw_orders")" "rows after resume"

# The fixed file loads once replaced; forcing one file reloads it alone.
printf '{"order_id": 3, "amount": 1}\n{"order_id": 4, "amount": 2.25}\n' \
	>"$P/lake/orders/2024/01/01/b.ndjson"
run_sluice -C "$P" pipe refresh orders
assert_eq 0 "$RC" "refresh of the fixed file ($ERR)"
assert_eq 5 "$(sql "SELECT count(*) FROM raw_orders")" "rows with the fixed file"
run_sluice -C "$P" pipe refresh orders --force --file orders/2024/01/01/a.ndjson
assert_eq 0 "$RC" "forced reload ($ERR)"
assert_contains "$OUT" "1 file loaded"
assert_eq 5 "$(sql "SELECT count(*) FROM raw_orders")" "rows after the forced reload"
assert_eq 5 "$(sql "SELECT count(DISTINCT order_id) FROM raw_orders")" "no duplicates"
assert_eq '{"order_id":4,"amount":2.25}' \
	"$(sql "SELECT doc FROM raw_orders WHERE order_id = 4")" "the document column"

# Mistakes get clear messages and usage exit codes.
run_sluice -C "$P" pipe refresh nosuch
assert_eq 1 "$RC" "unknown pipe"
assert_contains "$ERR" "no pipe named nosuch (pipes: orders)"
run_sluice -C "$P" pipe refresh
assert_eq 2 "$RC" "refresh without a name"
assert_contains "$ERR" "usage: pipe refresh PIPE"
run_sluice -C "$P" show loads orders --limit 0
assert_eq 2 "$RC" "bad --limit"
echo ok
