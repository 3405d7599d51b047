#!/bin/bash
# stream_deletes.sh - a deleted source row through normalize and merge, on
# SQLite (see stream_deletes_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/stream_deletes_lib.sh"
command -v sqlite3 >/dev/null || fail "sqlite3 is needed"
WH_URL="sqlite:wh.db"
q() { sqlite3 "$T/wh.db" "$1"; }
deletes_cases
echo "stream_deletes: ok"
