#!/bin/bash
# notifications.sh - the notification queue in the console: `:notifications`
# lists what failed and why (no secret shown), r queues a FAILED message
# again through `notify retry`, D asks first and drops it; read-only
# (`monitor`) refuses both.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
mkdir -p "$T/p"
cd "$T/p"
cat >sluice.json <<'JSON'
{ "project": "acme",
  "notifications": {
    "nowhere": { "webhook_url_env": "NOWHERE_URL", "secret_env": "NOWHERE_KEY" } } }
JSON
export NOWHERE_KEY='k3y-Zq81-never-shown'
run_sluice notify test nowhere
assert_eq 1 "$RC" "the channel cannot send"

console_start 200 24 xterm-256color monitor
console_wait "PROBLEMS"
console_keys :
console_keys -l notifications
console_keys Enter
console_wait "NOWHERE_URL is not set"
screen=$(console_screen)
assert_contains "$screen" "nowhere" "the channel"
assert_contains "$screen" "FAILED" "the state"
assert_not_contains "$screen" "$NOWHERE_KEY" "the screen"
console_keys r
console_wait "read-only"
console_keys q q
console_exited
console_stop      # the exit hook stops only the last socket's server

CONSOLE_SOCKET=${CONSOLE_SOCKET}-rw
console_start 200 24 xterm-256color
console_wait "OPERATOR"
console_keys :
console_keys -l notifications
console_keys Enter
console_wait "NOWHERE_URL is not set"
console_keys r
console_wait "notification 1 is queued again"
# Queued again, it is sent at once: the store's event wakes the notifier
# of the console's engine, which finds no URL still: FAILED again, one
# attempt.  (Dropping a PENDING message is refused: notify_channels.sh.)
resent() { "$SLUICE" show notifications --json | json_squeeze |
	grep -q '"id":1,[^}]*"state":"FAILED"[^}]*"attempts":1'; }
wait_until 10 resent || fail "notification 1 was not sent again: $("$SLUICE" show notifications --json)"
console_keys D
console_wait "Drop notification 1?"
console_keys Enter
console_wait "not confirmed: nothing was done"
# A command that sends what is due tries it again: FAILED, now droppable.
run_sluice notify test nowhere
assert_eq 1 "$RC" "still no URL"
console_wait "2 nowhere"
console_keys j
console_keys D
console_wait "Drop notification 1?"
console_keys y
console_wait "notification 1 dropped"
console_wait_gone "    1 nowhere"
console_keys q q
console_exited
run_sluice show notifications --json
assert_not_contains "$OUT" '"id":1,' "the queue after the drop"
assert_contains "$OUT" '"id":2,' "the other message stays"
