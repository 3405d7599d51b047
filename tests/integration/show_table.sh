#!/bin/bash
# show_table.sh - column notes and schema changes in `sluice show table`
# with a SQLite warehouse (see show_table_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/integration/show_table_lib.sh"
WH_URL="sqlite:wh.db"
show_table_case
echo "ok: show table's notes and schema changes on SQLite"
