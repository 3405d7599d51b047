#!/bin/bash
# load_path.sh - a load's path in the run's log, on SQLite: two paths to
# one file are one database (see load_path_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/load_path_lib.sh"
command -v sqlite3 >/dev/null || fail "sqlite3 is needed"
mkdir -p "$T/sub"
WH_URL="sqlite:wh.db"
SAME_URL="sqlite:sub/../wh.db"
OTHER_URL="sqlite:other.db"
q_wh() { sqlite3 "$T/wh.db" "$1"; }
q_other() { sqlite3 "$T/other.db" "$1"; }
path_cases
echo "load_path: ok"
