#!/bin/bash
# demo_console.sh - what `scripts/demo` ends in: `sluice --demo` creates the
# demo in the user's data directory and opens the console on it with the
# engine and the simulator running.  Within about a minute the console
# shows files ingested, the orders stream used, tasks firing and runs of
# every flow completing.  A second `sluice --demo` reuses the demo.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
cd "$T"
CONSOLE_ENV=("XDG_DATA_HOME=$T/data" "HOME=$T/home")
demo=$T/data/sluice/demo

console_start 120 36 xterm-256color --demo
console_wait "OPERATOR" 30
# a long store path leaves no room for the labels: the values stay
assert_contains "$(console_line 0)" "totesys-demo │ env: default │" "the header"
assert_contains "$(console_line 0)" "sqlite:" "the header's store"
[ -f "$demo/sluice.json" ] || fail "--demo did not create $demo/sluice.json"

# The runs view fills as tasks fire: every flow completes at least once.
completed() { # FLOW
	console_screen | grep -Eq "[0-9]+ +$1 +COMPLETED +task"
}
all_completed() {
	completed totesys_ingest && completed totesys_warehouse && completed orders_etl
}
console_keys 6
console_wait "FLOW" 10
wait_until 100 all_completed || {
	console_screen >&2
	fail "not every flow had a completed run from a task within 100 s"
}
assert_not_contains "$(console_screen)" "CRASHED" "the runs view"

# Files ingested: the orders pipe has loaded some.
console_keys 2
console_wait "orders_pipe" 10
loaded=$(console_screen | awk '$1 == "orders_pipe" { print $4 }')
[ "${loaded:-0}" -ge 1 ] 2>/dev/null || {
	console_screen >&2
	fail "orders_pipe shows no loaded files ('$loaded')"
}

# The stream was consumed: its offset moved (the engine copies offsets into
# the store every few seconds; the console shows that copy).
offset_shown() {
	console_screen | awk '$1 == "orders_stream" {
		for (i = 2; i <= NF; i++) if ($i ~ /^[0-9,]+$/ && $i != "0") found = 1 }
		END { exit !found }'
}
console_keys 3
console_wait "orders_stream" 10
wait_until 20 offset_shown || { console_screen >&2; fail "no offset shown for orders_stream"; }

# Tasks fired and succeeded (a task's outcome is recorded at the
# scheduler's next tick after its run).
ingest_succeeded() {
	console_screen | grep -E "^ *ingest " | grep -q SUCCEEDED
}
console_keys 4
console_wait "ingest" 10
wait_until 20 ingest_succeeded || {
	console_screen >&2
	fail "the ingest task shows no SUCCEEDED result"
}

console_keys q
console_exited 30
assert_eq 0 "$CONSOLE_STATUS" "the console's exit status"

# A second --demo opens the same demo: nothing is generated again.
before=$(stat -c %Y "$demo/data/source.db")
console_stop
CONSOLE_SOCKET="sluice-test-$$-2"
console_start 120 36 xterm-256color --demo
console_wait "OPERATOR" 30
console_keys q
console_exited 30
assert_eq 0 "$CONSOLE_STATUS" "the second console's exit status"
[ "$(ls "$T/data/sluice")" = demo ] || fail "a second demo directory appeared"
run_sluice -C "$demo" show runs --json
assert_contains "$(json_squeeze <<<"$OUT")" '"state":"COMPLETED"' "runs kept from the first session"
[ -n "$before" ] || fail "no source database"
