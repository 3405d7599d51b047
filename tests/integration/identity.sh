#!/bin/bash
# identity.sh - exactly-once records name their control store, on SQLite
# warehouses with SQLite control stores (see identity_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/identity_lib.sh"

new_wh() { # NAME
	WH_FILE="$T/wh_$1.db"
	WH_URL="sqlite:$WH_FILE"
}
q() { sqlite3 -cmd ".timeout 5000" "$WH_FILE" "$1"; }
OTHER_CONTROL="sqlite:$T/other/control.db"
other_cq() { sqlite3 "$T/other/control.db" "$1"; }

identity_all
echo "ok: identity on SQLite"
