#!/bin/bash
# table_changes.sh - the console's table page, columns mode (c): each
# column's note and the schema changes a real load saw (a column added,
# one widened: tests/integration/show_table_lib.sh), listed with when, the
# run, the change and the types; the whole screen at 80x24.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
mkdir -p "$T/p" && cd "$T/p"
. "$SLUICE_SRCDIR/tests/integration/show_table_lib.sh"
WH_URL="sqlite:wh.db"
show_table_project

console_start 80 24 xterm-256color monitor
console_wait "READ-ONLY"
console_keys 7
console_wait "t_orders"
console_keys /
console_keys -l t_orders
console_keys Enter Enter
console_wait "Table t_orders"
console_keys c
console_wait "SCHEMA CHANGES"
console_assert_screen table-changes
console_keys q q
console_exited
