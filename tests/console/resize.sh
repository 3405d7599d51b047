#!/bin/bash
# resize.sh - the layout follows the terminal's size: header on top, key
# hints and the status line at the bottom, right-aligned to the width;
# below 80x24 fewer columns (sizes.sh has whole screens), below 40x12 a
# clear message instead of a mangled screen.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
cd "$T"

# the status line is the last row; its right-hand part ends one column
# short of the right edge
check_layout() { # COLS ROWS
	local cols=$1 rows=$2 status keys
	console_wait "OPERATOR"
	status=$(console_line $((rows - 1)))
	keys=$(console_line $((rows - 2)))
	assert_contains "$status" "runs 0/0" "status line (row $((rows - 1))) at ${cols}x${rows}"
	assert_eq $((cols - 1)) "${#status}" "status line width at ${cols}x${rows}"
	assert_contains "$keys" "q quit" "key hints (row $((rows - 2))) at ${cols}x${rows}"
	assert_contains "$(console_line 0)" "OPERATOR" "header at ${cols}x${rows}"
	assert_contains "$(console_line 2)" "FLOW" "column titles at ${cols}x${rows}"
}

export LC_ALL=C.UTF-8    # so that ${#line} counts characters
console_start 80 24 xterm-256color
console_keys 6
console_wait "TRIGGER"
check_layout 80 24

console_resize 120 40
console_wait_line 39 "runs 0/0"
check_layout 120 40

console_resize 80 24
console_wait_line 23 "runs 0/0"
check_layout 80 24

console_resize 60 20
console_wait_line 19 "runs 0/0"
check_layout 60 20

console_resize 36 10
console_wait "need 40x12, have 36x10"
assert_contains "$(console_screen)" "terminal too small" "the too-small screen"
assert_not_contains "$(console_screen)" "OPERATOR" "the too-small screen"

console_resize 100 30
console_wait_line 29 "runs 0/0"
check_layout 100 30

console_keys q
console_exited
assert_eq 0 "$CONSOLE_STATUS" "exit status"
console_stop

# ---- with data: the logs view and a run's page follow the size too -------------
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
fixture_project "$T/p"
cd "$T/p"
CONSOLE_SOCKET=$CONSOLE_SOCKET-data
console_start 80 24 xterm-256color monitor
console_wait "READ-ONLY"
console_keys 9
console_wait_line 23 "following"
console_resize 120 40
console_wait_line 39 "following"
assert_contains "$(console_line 37)" "no such table: stg_staff" "the newest record above the key bar"
console_keys 6
console_wait_line 39 "runs 1/14"
console_keys Enter
console_wait "TRANSITIONS"             # 40 rows: the whole page fits
console_resize 80 24
console_wait_line 23 "Run 14 lines 1-16/16"
assert_contains "$(console_line 0)" "READ-ONLY" "header after shrinking"
console_keys q q
console_exited
assert_eq 0 "$CONSOLE_STATUS" "exit status (data)"
