#!/bin/bash
# events.sh - on a SQLite control store the engine serves an event socket
# beside the store file (.sluice/control.db-events.sock, mode 0600; issue
# 12 "Events without polling"): a run queued by `sluice run` from the
# shell pokes it and starts on the running engine at once (its safety
# poll is minutes away), a retry starts when it is due, a console (`sluice monitor`) subscribed to it shows the
# run without waiting for its own look at the store, and when the engine
# stops, the next one serves the socket again.
set -eu
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
cd "$T"
cat > sluice.json <<'JSON'
{ "project": "events",
  "connections": { "warehouse": { "url": "sqlite:warehouse.db" } },
  "flows": [ { "name": "tick", "steps": [
      { "name": "one", "kind": "sql", "connection": "warehouse", "sql": "SELECT 1" } ] },
    { "name": "flaky", "retries": { "count": 3, "delay": "3s" }, "steps": [
      { "name": "read", "kind": "sql", "connection": "warehouse",
        "sql": "SELECT count(*) FROM appears_later" } ] } ] }
JSON
SOCK=.sluice/control.db-events.sock
WPID=
stop_worker() { [ -z "$WPID" ] || kill "$WPID" 2>/dev/null || true; }
at_exit stop_worker
start_worker() {
	: > "$T/worker.log"
	"$SLUICE" worker 2> "$T/worker.log" &
	WPID=$!
	wait_until 20 grep -q ready "$T/worker.log" || fail "worker did not start: $(cat "$T/worker.log")"
}
start_worker
wait_until 10 test -S "$SOCK" || fail "the engine serves no event socket: $(ls -la .sluice)"
assert_eq 600 "$(stat -c %a "$SOCK")" "the event socket's mode"

db() { sqlite3 .sluice/control.db "$1"; }
started() { [ -n "$(db "SELECT 1 FROM runs WHERE id = $1 AND started_at IS NOT NULL")" ]; }
queued_starts() { # WHAT
	local id ms
	id=$("$SLUICE" run tick 2>/dev/null)
	wait_until 10 started "$id" || fail "$1: run $id did not start"
	ms=$(db "SELECT (started_at - created_at) / 1000 FROM runs WHERE id = $id")
	echo "$1: run $id started after $ms ms"
	[ "$ms" -lt 2000 ] || fail "$1: run $id started $ms ms after it was queued (want < 2000: an event)"
}
console_start 120 40 xterm-256color monitor
console_keys 6                   # the runs view
sleep 1
queued_starts "queued from the shell"
queued_starts "again"
shown_done() { [ "$(console_screen | grep -c ' tick .*COMPLETED')" -ge 2 ]; }
wait_until 5 shown_done || fail "the console did not show the runs on an event: $(console_screen)"

# A retry is due at a time no event announces: the engine wakes for it
# then, not at its safety poll minutes later.
id=$("$SLUICE" run flaky 2>/dev/null)
state() { db "SELECT state FROM runs WHERE id = $id"; }
retrying() { [ "$(state)" = RETRYING ]; }
wait_until 10 retrying || fail "run $id did not fail into RETRYING: $(state)"
sqlite3 warehouse.db "CREATE TABLE appears_later (x)"
completed() { [ "$(state)" = COMPLETED ]; }
wait_until 12 completed ||
	fail "run $id was not retried when due (3 s); state $(state): the retry waited for the safety poll"

# The engine stops (its socket goes); the next one serves it again.
kill "$WPID"
wait "$WPID" 2>/dev/null || true
WPID=
wait_until 10 test ! -e "$SOCK" || fail "the socket outlived its engine"
start_worker
wait_until 10 test -S "$SOCK" || fail "the second engine serves no event socket"
queued_starts "with the next engine"
console_stop
echo "events: ok"
