#!/bin/bash
# help.sh - `?` opens the help page, which lists the keys and commands and
# scrolls and searches; q closes it, a second q quits, and the program
# exits 0.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
here="$SLUICE_SRCDIR/tests/console"
cd "$T"

console_start 80 24 xterm-256color
console_wait "OPERATOR"
console_keys '?'
console_wait "VIEWS (press the key"
console_expect "$here/help-top.screen"
assert_contains "$(console_line 1)" "overview › Help" "the bar of views"

# it scrolls: the end holds the command layer's commands
console_keys G
console_wait "backfill status"
console_expect "$here/help-end.screen"
assert_not_contains "$(console_screen)" "VIEWS (press the key" "the scrolled page"

# and it searches: the prompt's keys
console_keys /
console_keys -l "PROMPT (:)"
console_keys Enter
console_wait 'THE COMMAND PROMPT (:)'
console_expect "$here/help-prompt.screen"

console_keys q
console_wait_gone "THE COMMAND PROMPT"
console_wait "1 overview"
assert_contains "$(console_screen)" "No control store is open" "the overview after help"

console_keys q
console_exited
assert_eq 0 "$CONSOLE_STATUS" "exit status"
