#!/bin/bash
# pipe_problems.sh - what the console shows of a pipe's problems, made by
# the real binary on a real lake: a pipe STOPPED_ON_ERROR by on_error abort
# (pipes view and overview, with its error and how to resume it), a loaded
# file changed in the lake since (pipes view, the pipe's loads and the
# load's detail, with F as the way to reload it), and an ingest step whose
# file was rejected under on_reject: warn (the run's detail).
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
mkdir -p "$T/p/lake/orders" "$T/p/lake/halt" "$T/p/lake/rej"
cd "$T/p"
cat >sluice.json <<'JSON'
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "pipes": [
    { "name": "orders", "path": "orders/", "connection": "wh", "table": "raw_orders" },
    { "name": "halt", "path": "halt/", "connection": "wh", "table": "raw_halt",
      "on_error": "abort" },
    { "name": "rej", "path": "rej/", "connection": "wh", "table": "raw_rej" } ],
  "flows": [ { "name": "lenient", "steps": [
    { "name": "ingest", "kind": "ingest", "pipe": "rej", "on_reject": "warn" } ] } ] }
JSON
printf '{"id": 1, "item": "a"}\n' >lake/orders/a.ndjson
"$SLUICE" pipe refresh orders >/dev/null || fail "refresh orders"
printf '{"id": 9, "item": "z"}\n' >lake/orders/a.ndjson
"$SLUICE" pipe refresh orders >/dev/null || fail "refresh orders again"
printf '{"id": 1}\n{"id": x}\n' >lake/halt/b.ndjson
"$SLUICE" pipe refresh halt >/dev/null 2>&1 && fail "the abort pipe did not stop"
printf '{"id": 1}\n{"id": y}\n' >lake/rej/b.ndjson
"$SLUICE" run lenient >/dev/null 2>&1 || fail "the lenient run failed"

console_start 220 30 xterm-256color monitor
console_wait "READ-ONLY"
console_wait "PROBLEMS"
assert_contains "$(console_screen)" "1 STOPPED_ON_ERROR" "the overview counts the stopped pipe"
assert_contains "$(console_screen | grep 'pipe halt')" "u resume" "the stopped pipe is a problem to resume"

# ---- pipes: the stopped pipe, the changed file ------------------------------------------------
console_keys 2
console_wait "LAST ERROR"
halt=$(console_screen | grep '^halt ')
assert_contains "$halt" "STOPPED_ON_ERROR" "the stopped pipe's state"
assert_contains "$halt" "stopped by on_error abort: halt/b.ndjson:2:" "why it stopped"
orders=$(console_screen | grep '^orders ')
assert_contains "$orders" "RUNNING" "the pipe with a changed file runs"
assert_contains "$orders" "1 file changed since loaded, not reloaded: orders/a.ndjson" \
	"the changed file"

# ---- the pipe's loads and the load's detail ------------------------------------------------------
console_keys Enter
console_wait "Loads of orders"
assert_contains "$(console_screen)" "CHANGED in the lake since loaded, not reloaded: F reloads it"
console_keys Enter
console_wait "CHANGED IN THE LAKE SINCE LOADED"
assert_contains "$(console_screen)" "pipe refresh orders --force --file orders/a.ndjson"
console_keys Escape Escape
console_wait "LAST ERROR"

# ---- the run whose ingest accepted a rejection ------------------------------------------------
console_keys 6
console_wait "lenient"
console_keys Enter
console_wait "Run 1"
console_wait "VALIDATION"
assert_contains "$(console_screen)" "pipe rej rejected files" "the rejection in the run"
assert_contains "$(console_screen)" "WARN" "as a warning"
assert_contains "$(console_screen)" "rej/b.ndjson (LOAD_FAILED)" "naming the file"
console_stop
echo ok
