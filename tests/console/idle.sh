#!/bin/bash
# idle.sh - an idle console sleeps: it does not wake up while nothing
# happens (counted by the kernel's voluntary context switches, not by
# timing), and SIGTERM or a hang-up ends it cleanly with the terminal
# restored and a message.
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

CONSOLE_SOCKET=$base_socket-hup
console_start 80 24 xterm-256color
console_wait "OPERATOR"
kill -HUP "$(console_pid)"
console_exited
assert_eq 1 "$CONSOLE_STATUS" "exit status after SIGHUP"
