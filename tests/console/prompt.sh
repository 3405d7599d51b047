#!/bin/bash
# prompt.sh - the `:` prompt: typing, Tab completion of the console's
# words, Esc to cancel, history recalled with Up in a later session (from
# the history file), and :quit.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
cd "$T"
history="$T/state/sluice/history"
base_socket=$CONSOLE_SOCKET

# ---- first session ----------------------------------------------------------
CONSOLE_SOCKET=$base_socket-1
console_start 80 24 xterm-256color
console_wait "OPERATOR"

console_keys :
console_wait_line -1 ":"
console_wait "Tab complete"
# "ta" is ambiguous: the candidates are listed in the key bar
console_keys -l ta
console_keys Tab
console_wait_line -2 "tables  task  tasks"
console_keys -l b
console_keys Tab
console_wait_line -1 ":tables"
console_keys Enter
console_wait "DESCRIPTION"
assert_contains "$(console_line -1)" "tables 0/0" "status line after :tables"

# Esc cancels a half-typed line; nothing runs
console_keys :
console_keys -l ov
console_keys Tab
console_wait_line -1 ":overview"
console_keys Escape
console_wait_gone ":overview"
assert_contains "$(console_screen)" "DESCRIPTION" "still the tables view"

# a command the console does not know, with no command layer connected
console_keys :
console_keys -l "frobnicate now"
console_keys Enter
console_wait "unknown command 'frobnicate'"

# editing keys are readline's: ^A goes to the start of the line
console_keys :
console_keys -l "uit"
console_keys C-a
console_keys -l q
console_wait_line -1 ":quit"
console_keys Enter
console_exited
assert_eq 0 "$CONSOLE_STATUS" "exit status of :quit"
console_stop

[ -f "$history" ] || fail "no history file at $history"
assert_eq "tables
frobnicate now
quit" "$(grep -v '^#' "$history")" "history file"

# ---- second session: Up recalls the earlier lines --------------------------------
CONSOLE_SOCKET=$base_socket-2
console_start 80 24 xterm-256color
console_wait "OPERATOR"
console_keys :
console_keys Up
console_wait_line -1 ":quit"
console_keys Up
console_wait_line -1 ":frobnicate now"
console_keys Up
console_wait_line -1 ":tables"
console_keys Enter
console_wait "DESCRIPTION"

# Backspace on an empty line leaves the prompt, like vim's
console_keys :
console_wait "Tab complete"
console_keys BSpace
console_wait "q quit"

console_keys :
console_keys -l quit
console_keys Enter
console_exited
assert_eq 0 "$CONSOLE_STATUS" "exit status of the second session"
