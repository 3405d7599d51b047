#!/bin/bash
# late_notify.sh - the late_run notification of a run marked LATE by its
# claim, on a SQLite control store (see late_notify_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/late_notify_lib.sh"
CONTROL=""
store_sql() { sqlite3 "$T/.sluice/control.db" "$1"; }
late_notify_cases
echo "late_notify: ok"
