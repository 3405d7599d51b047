#!/bin/bash
# ascii.sh - where the locale is not UTF-8 everything drawn is plain
# ASCII: borders of + - |, separators, markers; with UTF-8 the same
# screen uses line-drawing characters.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
cd "$T"

non_ascii_bytes() {
	console_screen | LC_ALL=C tr -d '\000-\177' | wc -c
}

unset LC_ALL LC_CTYPE LC_MESSAGES
base_socket=$CONSOLE_SOCKET

CONSOLE_SOCKET=$base_socket-c
LANG=C console_start 80 24 xterm-256color
console_wait "OPERATOR"
screen=$(console_screen)
assert_contains "$screen" "+--------" "box corner and border"
assert_contains "$screen" "|  No control store is open" "box side"
assert_contains "$(console_line 0)" " | env: default | " "header separators"
assert_eq 0 "$(non_ascii_bytes)" "non-ASCII bytes on the LANG=C screen"
console_keys 6
console_wait "TRIGGER"
assert_contains "$(console_line 2)" "IDv" "sort marker"
assert_eq 0 "$(non_ascii_bytes)" "non-ASCII bytes on the runs view"
console_keys '?'
console_wait "VIEWS"
assert_contains "$(console_line 1)" "runs > Help" "breadcrumb"
assert_eq 0 "$(non_ascii_bytes)" "non-ASCII bytes on the help page"
console_keys q q
console_exited
assert_eq 0 "$CONSOLE_STATUS" "exit status"
console_stop

CONSOLE_SOCKET=$base_socket-utf8
LANG=C.UTF-8 console_start 80 24 xterm-256color
console_wait "OPERATOR"
assert_contains "$(console_screen)" "┌────────" "UTF-8 box corner"
assert_contains "$(console_line 0)" " │ env: default │ " "UTF-8 header separators"
console_keys q
console_exited
assert_eq 0 "$CONSOLE_STATUS" "exit status (UTF-8)"
console_stop

# ---- the views with data: sparkline, procedure marks, arrows, all ASCII ----------
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
fixture_project "$T/p"
cd "$T/p"
CONSOLE_SOCKET=$base_socket-data
LANG=C console_start 100 30 xterm-256color monitor
console_wait "RECENT FAILURES"
assert_contains "$(console_screen)" "ROWS/MIN  " "sparkline"
assert_eq 0 "$(non_ascii_bytes)" "non-ASCII bytes on the overview"
console_keys 8
console_wait "DIFFERENCES"
console_keys Enter
console_wait "[x] plan  [x] suspend"
assert_contains "$(console_screen)" "[>] compare  [ ] approve" "procedure marks"
assert_eq 0 "$(non_ascii_bytes)" "non-ASCII bytes on a backfill"
console_keys q
console_keys 6
console_wait_line -1 "runs"
console_keys Enter G
console_wait "(new) -> PENDING"
assert_eq 0 "$(non_ascii_bytes)" "non-ASCII bytes on a run"
console_keys q q
console_exited
assert_eq 0 "$CONSOLE_STATUS" "exit status (data)"
