#!/bin/bash
# backfill_totesys.sh - a backfill of the ToteSys warehouse on SQLite by the
# real binary (see backfill_totesys_lib.sh).
set -eu
DIALECT=sqlite
. "$SLUICE_SRCDIR/tests/integration/backfill_totesys_lib.sh"
WH_URL="sqlite:warehouse.db"
q() { sqlite3 -cmd ".timeout 5000" "$P/warehouse.db" "$1"; }
backfill_totesys
echo "ok: ToteSys backfill on SQLite"
