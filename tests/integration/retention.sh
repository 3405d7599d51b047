#!/bin/bash
# retention.sh - the control store's retention on a SQLite store (see
# retention_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/retention_lib.sh"
command -v sqlite3 >/dev/null || fail "sqlite3 is needed"
CONTROL="sqlite:.sluice/control.db"
sq() { sqlite3 "$P/.sluice/control.db" "$1"; }
retention_checks
echo "ok: retention on SQLite"
