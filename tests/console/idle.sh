#!/bin/bash
# idle.sh - an idle console sleeps: without a store it does not wake up
# at all while nothing happens; with one it asks the store once a second
# and, when nothing changed, sends the terminal nothing (wake-ups counted
# by the kernel's voluntary context switches, bytes by tmux's pipe-pane;
# not by timing).  A change in the store reaches the screen.  SIGTERM or
# a hang-up ends it cleanly with the terminal restored and a message.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
cd "$T"
base_socket=$CONSOLE_SOCKET

wakeups() {
	awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$1/status"
}

CONSOLE_SOCKET=$base_socket-idle
console_start 80 24 xterm-256color
console_wait "OPERATOR"
pid=$(console_pid)
sleep 0.5    # let the first frame go out
before=$(wakeups "$pid")
sleep 3
after=$(wakeups "$pid")
[ $((after - before)) -le 1 ] ||
	fail "the idle console woke up $((after - before)) times in 3 seconds"

console_keys 6
console_wait "TRIGGER"
kill -TERM "$pid"
console_exited
assert_eq 1 "$CONSOLE_STATUS" "exit status after SIGTERM"
# the terminal is given back (the alternate screen left) before the message
assert_contains "$(console_history)" "sluice: terminated by SIGTERM" "message after SIGTERM"
assert_not_contains "$(console_history)" "OPERATOR" "screen after SIGTERM"
console_stop

# ---- with a store: one question a second, nothing drawn ------------------------
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
fixture_project "$T/p"
cd "$T/p"
CONSOLE_SOCKET=$base_socket-store
console_start 100 30 xterm-256color monitor
console_wait "READ-ONLY"
console_keys 9
console_wait_line -1 "following"
pid=$(console_pid)
sleep 1
_tmux pipe-pane -o -t "$CONSOLE_SESSION" "cat >>$T/idle-output"
before=$(wakeups "$pid")
sleep 3
after=$(wakeups "$pid")
[ -e "$T/idle-output" ] || fail "tmux pipe-pane did not start: no bytes could be counted"
bytes=$(wc -c <"$T/idle-output")
[ $((after - before)) -le 5 ] ||
	fail "the idle console woke up $((after - before)) times in 3 seconds with a store"
assert_eq 0 "$bytes" "bytes sent to an idle terminal"
fixture_logs "$T/p" 1 0
console_wait "live record 1 of 1"
# the pipe does see what the console draws, so the 0 above was counted
wait_until 5 test -s "$T/idle-output" ||
	fail "pipe-pane saw nothing of the new record: the idle byte count proves nothing"
_tmux pipe-pane -t "$CONSOLE_SESSION"
console_stop
cd "$T"

CONSOLE_SOCKET=$base_socket-hup
console_start 80 24 xterm-256color
console_wait "OPERATOR"
kill -HUP "$(console_pid)"
console_exited
assert_eq 1 "$CONSOLE_STATUS" "exit status after SIGHUP"
