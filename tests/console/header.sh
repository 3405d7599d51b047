#!/bin/bash
# header.sh - the header says which environment and mode this is: a
# production environment is marked PRODUCTION (red in colour, reverse
# without), read-only mode says READ-ONLY, hides mutating actions from the
# key hints and refuses them when their keys are pressed anyway.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
cd "$T"
base_socket=$CONSOLE_SOCKET

# ---- operator, default environment ----------------------------------------------
CONSOLE_SOCKET=$base_socket-operator
console_start 80 24 xterm-256color
console_wait "OPERATOR"
assert_not_contains "$(console_line 0)" "PRODUCTION" "default header"
console_keys 6
console_wait "c cancel"
console_keys c
console_wait "cancel run: nothing selected"
console_keys q
console_exited
console_stop

# ---- production by name, with colour: red background ----------------------------------
CONSOLE_SOCKET=$base_socket-prod
console_start 80 24 xterm-256color --env prod
console_wait "PRODUCTION"
assert_contains "$(console_line 0)" "env: PRODUCTION" "production header"
console_screen_escapes | head -1 | grep -q $'\e\[41m' || fail "production header is not red"
console_keys q
console_exited
console_stop

# ---- production through SLUICE_ENV, monochrome: reverse video -----------------------------
CONSOLE_SOCKET=$base_socket-prod-mono
CONSOLE_ENV=(SLUICE_ENV=production NO_COLOR=1)
console_start 80 24 xterm-256color
console_wait "PRODUCTION"
console_screen_escapes | head -1 | grep -q $'\e\[[0-9;]*7[;m]' || fail "monochrome production header is not reversed"
console_keys q
console_exited
console_stop
CONSOLE_ENV=()

# ---- read-only ----------------------------------------------------------------------------
for how in --read-only monitor; do
	CONSOLE_SOCKET=$base_socket-ro$how
	console_start 80 24 xterm-256color $how
	console_wait "READ-ONLY"
	assert_not_contains "$(console_line 0)" "OPERATOR" "read-only header ($how)"
	console_keys 6
	console_wait "TRIGGER"
	assert_not_contains "$(console_line -2)" "cancel" "key hints in read-only mode ($how)"
	console_keys c
	console_wait "read-only mode: cancel run refused"
	console_keys 4
	console_wait "SCHEDULE"
	console_keys x
	console_wait "read-only mode: execute refused"
	console_keys q
	console_exited
	assert_eq 0 "$CONSOLE_STATUS" "exit status ($how)"
	console_stop
done
