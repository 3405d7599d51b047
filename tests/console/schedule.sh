#!/bin/bash
# schedule.sh - what the console shows of schedules (issue 15): the runs
# list at 80x24, whole, with a run scheduled for later (SCHEDULED, "scheduled
# for TIME") and one whose time and late_after passed while no engine ran
# (LATE, though no engine has recorded it yet); then a task's history with
# the ticks missed while no worker ran (MISSED, with the reason).
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
mkdir -p "$T/p" && cd "$T/p"
cat > sluice.json <<'EOF'
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "flows": [
    { "name": "quick", "steps": [ { "name": "s", "kind": "sql", "connection": "wh",
      "sql": "SELECT 1" } ] },
    { "name": "tardy", "late_after": "1s", "steps": [ { "name": "s", "kind": "sql",
      "connection": "wh", "sql": "SELECT 1" } ] } ],
  "tasks": [ { "name": "often", "schedule": "every 1 second", "flow": "quick",
               "catchup": "none", "suspended": true } ] }
EOF
run_sluice run tardy --at +1s
assert_eq 0 "$RC" "run tardy --at: $ERR"
LATE_RUN=$OUT
run_sluice run quick --at +2h
assert_eq 0 "$RC" "run quick --at: $ERR"
is_late() { "$SLUICE" show runs --state LATE | grep -q "^$LATE_RUN "; }
wait_until 30 is_late || fail "run $LATE_RUN is not shown LATE: $("$SLUICE" show runs)"

# ---- the runs list, whole: LATE and SCHEDULED with its time.
console_script "$T/runs" '6' ':save-screen schedule-runs.screen' ':quit'
console_run_script 80 24 xterm-256color "$T/runs" monitor
console_assert_screen schedule-runs "$T/p/schedule-runs.screen"

# ---- ticks missed while no worker ran: MISSED in the task's history.
WPID=
stop_worker() { [ -z "$WPID" ] || { kill -TERM "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null; } || true; }
at_exit stop_worker
start_worker() {
	"$SLUICE" worker --workers 1 --grace 1s 2> "$T/w.log" &
	WPID=$!
	wait_until 30 grep -q 'ready' "$T/w.log" || fail "worker did not start: $(cat "$T/w.log")"
}
"$SLUICE" task resume often > /dev/null
start_worker
fired() { "$SLUICE" show task-history often | grep -q 'EXECUTING\|SUCCEEDED\|SKIPPED'; }
wait_until 30 fired || fail "task often never fired"
stop_worker
WPID=
sleep 3
start_worker
missed() { "$SLUICE" show task-history often | grep -q MISSED; }
wait_until 30 missed || fail "no MISSED tick: $("$SLUICE" show task-history often)"
"$SLUICE" task suspend often > /dev/null
console_start 120 30 xterm-256color monitor
console_wait "READ-ONLY"
console_keys 4
console_wait "often"
console_keys / often Enter Enter
console_wait "no scheduler ran at its time"
assert_contains "$(console_screen | grep 'no scheduler ran' | head -1)" "MISSED" \
	"a MISSED tick's row in the task's history"
console_keys Escape
console_wait_gone "no scheduler ran at its time"
console_keys q
console_exited
console_stop
echo "schedule console: ok"
