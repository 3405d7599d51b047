#!/bin/bash
# logs.sh - the logs view on a real store: it follows new records as they
# are written, pauses with p (new records wait below) and follows again
# with End, finds a search term in the window and beyond it (asking the
# store), filters by run (:logs 7), and saves a marked selection to a file
# written whole.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
fixture_project "$T/p"
cd "$T/p"

# ---- the whole screen at 80x24: the tab bar (its first tab where every
# view's is), the records and the hints of what the view can do.
console_script "$T/logs" '9' ':save-screen logs.screen' ':quit'
console_run_script 80 24 xterm-256color "$T/logs" monitor
# (the fixture's records are minutes old: their times of day are masked)
console_assert_screen logs "$T/p/logs.screen" 's/^\d\d:\d\d:\d\d /##:##:## /'
# The bar of views ends one column before the edge, as on every other view:
# switching to logs does not shift it.
assert_eq "$(sed -n 2p "$SLUICE_SRCDIR/tests/console/golden/runs.screen")" \
	"$(sed -n 2p "$T/p/logs.screen")" "the tab bar on the logs view"

console_start 100 30 xterm-256color monitor
console_wait "READ-ONLY"
console_keys 9
console_wait_line -1 "following"
assert_contains "$(console_screen)" "[run 7 dims] no such table: stg_staff" "the newest record"

# ---- follow -------------------------------------------------------------------------
fixture_logs "$T/p" 5 0
console_wait "live record 5 of 5"
assert_contains "$(console_line -3)" "live record 5 of 5" "the newest record is at the bottom"

# ---- pause, then follow again -------------------------------------------------------------
console_keys p
console_wait_line -1 "paused"
fixture_logs "$T/p" 3 0
sleep 2.5                  # the store is asked once a second
assert_not_contains "$(console_screen)" "of 3" "a paused view"
console_wait_line -1 "paused, more below"
console_keys G
console_wait "live record 3 of 3"
assert_contains "$(console_line -1)" "following" "G follows again"

# ---- search: in the window, and beyond it in the store --------------------------------------
fixture_logs "$T/p" 700 0
console_wait "live record 700 of 700"
console_keys /
console_keys -l "stg_staff"
console_keys Enter
console_wait_line -1 'search "stg_staff"'
console_keys N
console_wait "[run 7 dims] no such table: stg_staff"
assert_contains "$(console_line -1)" "paused" "a search moves the cursor and pauses"
console_keys /
console_keys C-u
console_keys -l "claimed run (1)"
console_keys Enter
console_keys N
# (the typed text itself is on screen at once: wait for the match's neighbour,
# which only the window around the match, fetched from the store, shows)
console_wait "step stage started (2)" 15
assert_contains "$(console_screen)" "claimed run (1)" "the match"

# ---- a run's records ---------------------------------------------------------------------------
console_keys Escape
console_keys :
console_keys -l "logs 7"
console_keys Enter
console_wait_line -1 "run 7"
assert_contains "$(console_screen)" "no such table: stg_staff" "run 7's records"
assert_not_contains "$(console_screen)" "live record" "only run 7's records"

# ---- save a selection -----------------------------------------------------------------------------
console_keys c
console_wait "live record 700 of 700"
console_keys m
console_wait "selection starts here"
console_keys k k
console_wait_line -1 "selecting"
console_keys s
console_wait "Save the selected records"
console_keys C-u
console_keys -l "$T/saved.txt"
console_keys Enter
console_wait "saved 3 records to $T/saved.txt"
[ -f "$T/saved.txt" ] || fail "no file saved"
assert_eq 3 "$(wc -l <"$T/saved.txt")" "lines saved"
assert_contains "$(tail -1 "$T/saved.txt")" "live record 700 of 700" "the last line saved"
assert_contains "$(head -1 "$T/saved.txt")" "live record 698 of 700" "the first line saved"
ls "$T" | grep -q '\.tmp' && fail "a temporary file was left behind"

# a path that cannot be written: an error, and nothing half-written
console_keys s
console_wait "Save the records on screen"
console_keys C-u
console_keys -l "$T/no/such/dir/x.txt"
console_keys Enter
console_wait "not saved"

console_keys q
console_exited
assert_eq 0 "$CONSOLE_STATUS" "exit status"
