#!/bin/bash
# keys.sh - on a terminal whose terminfo names no paging keys (vt100), the
# sequences VT220s and xterm send for PgUp, PgDn, Home, End, Shift-Tab and
# the F-keys still arrive as those keys, and a control sequence the console
# does not know is dropped whole: none of its bytes acts as a key (ESC [ 6 ~
# used to close the help and switch to view 6).  F1 help, F3/F4 filter,
# F5 refresh and F10 quit, as in htop.  Sent as raw bytes (tmux send-keys
# -H); screens compared whole with goldens.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
fixture_project "$T/p"
cd "$T/p"

bytes() { console_keys -H "$@"; }
PGUP="1b 5b 35 7e"; PGDN="1b 5b 36 7e"
runs_at() { # N: the runs view's selection, from the status line
	console_wait_line -1 "runs $1/14"
}

console_start 80 24 vt100 monitor
console_wait "READ-ONLY"
console_keys 6
runs_at 1

# ---- paging keys in a list, every form ---------------------------------------------
bytes $PGDN;          runs_at 14
bytes $PGUP;          runs_at 1
bytes 1b 5b 34 7e;    runs_at 14     # End, ESC [ 4 ~
bytes 1b 5b 31 7e;    runs_at 1      # Home, ESC [ 1 ~
bytes 1b 5b 46;       runs_at 14     # End, ESC [ F
bytes 1b 5b 48;       runs_at 1      # Home, ESC [ H
bytes 1b 4f 46;       runs_at 14     # End, ESC O F
console_assert_screen keys-runs-end "" 's/\b\d+m\d\ds\b/"#" x length $&/e'
bytes 1b 4f 48;       runs_at 1      # Home, ESC O H

# ---- PgDn in the help pages it down; it neither closes it nor switches views ----------
console_keys '?'
console_wait "keys and commands"
bytes $PGDN
console_wait_gone "keys and commands"
console_assert_screen keys-help-pgdn
# unknown sequences (Ctrl-F1 and F20 on xterm, a mouse report) do nothing
bytes 1b 5b 31 3b 35 50
bytes 1b 5b 33 34 7e
bytes 1b 5b 3c 30 3b 31 30 3b 35 4d
bytes 1b 4f 7a
console_keys -l 'xyz'                 # not keys of the help page: nothing moves
sleep 0.3
console_assert_screen keys-help-pgdn
bytes $PGUP
console_wait "keys and commands"

# ---- F-keys -------------------------------------------------------------------------
console_keys q
console_wait_gone "keys and commands"
runs_at 1
bytes 1b 5b 5a                        # Shift-Tab: the previous view
console_wait_line -1 "flows"
bytes 1b 4f 50                        # F1, ESC O P: help
console_wait "keys and commands"
console_keys -l '/F10'; console_keys Enter      # the help names the F-keys
console_wait "q F10"
console_keys q
console_wait_line -1 "flows"
bytes 1b 5b 31 31 7e                  # F1, ESC [ 1 1 ~
console_wait_line 1 "flows › Help"
console_keys q
console_wait_line -1 "flows"
bytes 1b 4f 52                        # F3: the filter line
console_wait_line -1 "/"
console_keys -l ware
console_wait_line -1 'ware'
console_keys Enter
console_wait_line -1 'filter "ware"'
console_keys Escape
console_wait_gone 'filter "ware"'
bytes 1b 5b 31 34 7e                  # F4, ESC [ 1 4 ~: the filter line too
console_keys -l orders
console_keys Enter
console_wait_line -1 'filter "orders"'
console_keys Escape
bytes 1b 5b 31 35 7e                  # F5: read again; the view stays
sleep 0.3
assert_contains "$(console_line -1)" "flows" "after F5"
bytes 1b 5b 32 31 7e                  # F10: quit
console_exited
assert_eq 0 "$CONSOLE_STATUS" "exit status after F10"
