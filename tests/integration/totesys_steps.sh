#!/bin/bash
# totesys_steps.sh - the ToteSys star schema built on SQLite by the real
# binary: pipes into raw tables, sql and load steps into the star, validate.
set -eu
DIALECT=sqlite
. "$SLUICE_SRCDIR/tests/integration/totesys_steps_lib.sh"
WH_URL="sqlite:warehouse.db"
q() { sqlite3 "$P/warehouse.db" "$1"; }
run_totesys
echo "ok: ToteSys star schema on SQLite"
