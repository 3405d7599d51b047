#!/bin/bash
# help.sh - `?` opens the help page, which lists the keys and commands and
# scrolls and searches; q closes it, a second q quits, and the program
# exits 0.  Driven by a script (SLUICE_CONSOLE_SCRIPT) and compared whole
# with golden screens at 80x24: no waiting for text to appear.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
cd "$T"

console_script "$T/steps" \
	'?' ':save-screen help-top.screen' \
	'G' ':save-screen help-end.screen' \
	'/PROMPT (:)<Enter>' ':save-screen help-prompt.screen' \
	'q' ':save-screen help-closed.screen' \
	'q'
console_run_script 80 24 xterm-256color "$T/steps"
assert_eq 0 "$CONSOLE_STATUS" "exit status"

# the top of the page, under "overview › Help" in the bar of views
console_assert_screen help-top "$T/help-top.screen"
# scrolled to the end: the command layer's commands, the views gone
console_assert_screen help-end "$T/help-end.screen"
# searched: the prompt's keys
console_assert_screen help-prompt "$T/help-prompt.screen"
# closed: the overview again, which says no control store is open
console_assert_screen help-closed "$T/help-closed.screen"
