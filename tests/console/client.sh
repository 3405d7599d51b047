#!/bin/bash
# client.sh - the console is a client of the project's worker daemon: it
# starts one when none runs (saying so on the status line), and what
# happens to the console (quitting with `q`, its tmux session killed, two
# SIGHUPs, Ctrl-Z) happens to the console alone: a run in flight
# completes, and a new console shows it COMPLETED; a task keeps firing
# while the console is stopped.  `sluice monitor` starts nothing.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
cd "$T"
LONG="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 15000000) SELECT count(*) FROM c"
cat > sluice.json <<EOF2
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "flows": [
    { "name": "long", "steps": [
        { "name": "spin", "kind": "sql", "connection": "wh",
          "sql": "CREATE TABLE IF NOT EXISTS t(x int); INSERT INTO t VALUES (1); $LONG" } ] },
    { "name": "tick", "steps": [
        { "name": "s", "kind": "sql", "connection": "wh", "sql": "SELECT 1" } ] } ],
  "tasks": [ { "name": "often", "schedule": "every 2 seconds", "flow": "tick" } ] }
EOF2
"$SLUICE" task suspend often >/dev/null 2>&1 || true

state_of() { sqlite3 .sluice/control.db "SELECT state FROM runs WHERE id = $1"; }
run_is() { [ "$(state_of "$1")" = "$2" ]; }
last_long() { sqlite3 .sluice/control.db "SELECT max(id) FROM runs WHERE flow = 'long'"; }
alive() { case "$(ps -o stat= -p "$1" 2>/dev/null)" in ""|Z*) return 1 ;; esac; }

# The tmux server gone for good, so that the next console_start makes a
# new one.
console_gone() {
	console_stop
	no_server() { ! _tmux has-session 2>/dev/null; }
	wait_until 10 no_server || fail "the tmux server did not go"
}

# Start `long` from the console's prompt; prints its run id once RUNNING.
start_long_run() {
	local before id
	before=$(last_long)
	console_keys :
	console_keys -l "run long"
	console_keys Enter
	wait_until 20 sh -c "[ \"\$(sqlite3 .sluice/control.db \"SELECT max(id) FROM runs WHERE flow = 'long'\")\" != '$before' ]" ||
		fail "no run of long was queued: $(console_line -1)"
	id=$(last_long)
	wait_until 20 run_is "$id" RUNNING || fail "run $id did not start ($(state_of "$id"))"
	printf '%s\n' "$id"
}

# ---- monitor starts nothing.
console_start 100 30 xterm-256color monitor
console_wait "READ-ONLY"
sleep 1
[ ! -e .sluice/worker.pid ] || fail "sluice monitor started a worker"
console_gone

# ---- the console starts the daemon and says so; q is instant with a run
# in flight, which then completes.
console_start 100 30 xterm-256color
console_wait "OPERATOR"
console_wait "started worker pid" 10
pid=$(daemon_pid)
[ -n "$pid" ] || fail "no .sluice/worker.pid after the console started the worker"
assert_contains "$(console_line -1)" "started worker pid $pid"
[ "$(ps -o sid= -p "$pid" | tr -d ' ')" != "$(ps -o sid= -p "$(console_pid)" | tr -d ' ')" ] ||
	fail "the worker is in the console's session"
run1=$(start_long_run)
start=$(date +%s%N)
console_keys q
console_exited 10
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "q with a run in flight: the console exited in ${took_ms} ms"
[ "$took_ms" -lt 1000 ] || fail "q took ${took_ms} ms with a run in flight"
assert_eq RUNNING "$(state_of "$run1")" "the run right after the console quit"
wait_until 60 run_is "$run1" COMPLETED || fail "run $run1 did not complete after q ($(state_of "$run1"))"
console_gone

# ---- a second console finds the daemon and starts none.
console_start 100 30 xterm-256color
console_wait "OPERATOR"
sleep 1
assert_not_contains "$(console_line -1)" "started worker" "a console with a daemon running"
assert_eq "$pid" "$(daemon_pid)" "the daemon after a second console"

# ---- the tmux server killed (the terminal gone): the run completes, and
# a new console shows it COMPLETED.
run2=$(start_long_run)
console_gone
wait_until 60 run_is "$run2" COMPLETED || fail "run $run2 did not complete after the terminal went ($(state_of "$run2"))"
console_start 160 30 xterm-256color
console_wait "OPERATOR"
console_keys :
console_keys -l "runs $run2"
console_keys Enter
console_wait "COMPLETED" 10
console_gone

# ---- SIGHUP twice to the console: it ends, the run does not.
console_start 100 30 xterm-256color
console_wait "OPERATOR"
run3=$(start_long_run)
cpid=$(console_pid)
kill -HUP "$cpid"
kill -HUP "$cpid" 2>/dev/null || true
console_exited 10
wait_until 60 run_is "$run3" COMPLETED || fail "run $run3 did not complete after two SIGHUPs ($(state_of "$run3"))"
alive "$pid" || fail "the daemon died with the console"
console_gone

# ---- Ctrl-Z stops the console, not the scheduled task.
console_start 100 30 xterm-256color
console_wait "OPERATOR"
"$SLUICE" task resume often >/dev/null
# Ctrl-Z as the terminal sends it; but the pane's process group has no
# parent in its session (tmux's server is outside it), and the kernel
# discards SIGTSTP to such an orphaned group: SIGSTOP stops it as Ctrl-Z
# would in a login shell.
console_keys C-z
kill -STOP "$(console_pid)"
sleep 0.5
case "$(ps -o stat= -p "$(console_pid)")" in T*) ;; *) fail "Ctrl-Z did not stop the console" ;; esac
ticks() { sqlite3 .sluice/control.db "SELECT count(*) FROM runs WHERE flow = 'tick' AND state = 'COMPLETED'"; }
before=$(ticks)
more_ticks() { [ "$(ticks)" -ge $((before + 2)) ]; }
wait_until 15 more_ticks || fail "the task did not fire while the console was stopped ($(ticks) runs, $before before)"
kill -CONT "$(console_pid)"
console_gone
