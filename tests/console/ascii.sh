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

# ---- no project, LANG=C: scripted, and compared whole -----------------------------
non_ascii_in() { LC_ALL=C tr -d '\000-\177' <"$1" | wc -c; }
CONSOLE_SOCKET=$base_socket-c
console_script "$T/steps" ':save-screen ascii-overview.screen' \
	'6' ':save-screen ascii-runs.screen' \
	'?' ':save-screen ascii-help.screen' \
	'q' 'q'
LANG=C console_run_script 80 24 xterm-256color "$T/steps"
assert_eq 0 "$CONSOLE_STATUS" "exit status"
# the box of the empty state: + corners, - and | sides
console_assert_screen ascii-overview "$T/ascii-overview.screen"
assert_contains "$(head -1 "$T/ascii-overview.screen")" " | env: default | " "header separators"
assert_eq 0 "$(non_ascii_in "$T/ascii-overview.screen")" "non-ASCII bytes on the LANG=C screen"
# the sort marker: IDv
console_assert_screen ascii-runs "$T/ascii-runs.screen"
assert_eq 0 "$(non_ascii_in "$T/ascii-runs.screen")" "non-ASCII bytes on the runs view"
# the breadcrumb: runs > Help
console_assert_screen ascii-help "$T/ascii-help.screen"
assert_eq 0 "$(non_ascii_in "$T/ascii-help.screen")" "non-ASCII bytes on the help page"

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
console_wait "PROBLEMS"
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
