#!/bin/bash
# script.sh - SLUICE_CONSOLE_SCRIPT and :save-screen, the hooks the golden
# screen tests stand on: a saved screen is byte for byte what tmux's
# capture-pane shows (UTF-8 box drawing and wide cells included); a
# script's mistakes are reported with file, line and column before the
# terminal is touched, and nothing runs; a screen that cannot be written
# says why in the status line.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
cd "$T"
base_socket=$CONSOLE_SOCKET

# ---- :save-screen is what capture-pane shows ---------------------------------------
for view in overview help; do
	CONSOLE_SOCKET=$base_socket-$view
	keys=; [ $view = help ] && keys='?'
	console_script "$T/steps-$view" "$keys" ":save-screen $view.txt"
	CONSOLE_ENV=("SLUICE_CONSOLE_SCRIPT=$T/steps-$view")
	console_start 80 24 xterm-256color
	wait_until 10 test -s "$T/$view.txt" || fail "$view: no screen saved"
	console_screen >"$T/$view.tmux"
	cmp "$T/$view.tmux" "$T/$view.txt" ||
		{ diff -u "$T/$view.tmux" "$T/$view.txt" >&2; fail "$view: saved screen is not capture-pane's"; }
	assert_eq 24 "$(wc -l <"$T/$view.txt")" "$view: one line per row"
	console_keys q
	[ $view = help ] && console_keys q
	console_exited
	assert_eq 0 "$CONSOLE_STATUS" "$view: exit status"
	console_stop
done
CONSOLE_ENV=()
grep -q '┌──' "$T/overview.txt" || fail "box drawing in the saved overview"
grep -q 'overview › Help' "$T/help.txt" || fail "the bar of views in the saved help"

# ---- a screen that cannot be written: the status line says why --------------------
console_script "$T/steps-bad" ':save-screen' ':save-screen after-usage.txt' \
	':save-screen nodir/x.txt' ':save-screen after-error.txt' ':quit'
CONSOLE_SOCKET=$base_socket-bad
console_run_script 80 24 xterm-256color "$T/steps-bad"
assert_contains "$(tail -1 "$T/after-usage.txt")" "usage: save-screen FILE" "no file named"
assert_contains "$(tail -1 "$T/after-error.txt")" "save-screen:" "unwritable"
assert_contains "$(tail -1 "$T/after-error.txt")" "nodir/x.txt" "unwritable: which file"
[ ! -e nodir ] || fail "save-screen made a directory"

# ---- mistakes in the script: where, and nothing runs ------------------------------------
check_refused() { # NAME EXPECTED-ERROR
	# in a terminal (script(1)), as the console needs one, but with its
	# output kept: the error is printed as the program leaves
	local out rc=0
	out=$(cd "$T" && SLUICE_CONSOLE_SCRIPT=$1 TERM=xterm-256color \
		script -qec "$(printf '%q' "$SLUICE")" /dev/null </dev/null 2>&1) || rc=$?
	[ "$rc" != 0 ] || fail "$1: accepted"
	assert_contains "$out" "$2" "$1: the error"
	[ ! -e "$T/$1.saved" ] || fail "$1: a step ran"
}
console_script "$T/unknown-key" ":save-screen unknown-key.saved" '12<Enter>' 'ab<Fo>c' ':quit'
check_refused unknown-key "SLUICE_CONSOLE_SCRIPT: unknown-key:3:3: unknown key <Fo>"
console_script "$T/unclosed" ":save-screen unclosed.saved" '  x<Up' ':quit'
check_refused unclosed "SLUICE_CONSOLE_SCRIPT: unclosed:2:4: '<' starts a key name but no '>' ends it"
check_refused missing "SLUICE_CONSOLE_SCRIPT: missing"
echo "ok: scripted console and saved screens"
