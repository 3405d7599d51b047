#!/bin/bash
# demo_existing.sh - `sluice init --demo` beside a real ToteSys database, on
# SQLite: see demo_existing_lib.sh.  Here "untouched" is byte for byte: the
# database file itself does not change (not even to WAL mode).
. "$SLUICE_SRCDIR/tests/integration/demo_existing_lib.sh"

new_db() { :; }
url() { echo "sqlite:$T/$1.db"; }
sql() { sqlite3 -bail "$T/$1.db" >/dev/null; }
q() { sqlite3 "$T/$1.db" "$2"; }
load_fixture() { # NAME TABLE
	local cols values
	cols=$(head -1 "$SLUICE_FIXTURES/$2.json" | grep -o '"[a-z_0-9]*": ' | tr -d '": ' |
		paste -sd, -)
	values=$(tr ',' '\n' <<<"$cols" | sed "s/.*/json_extract(value, '\$.&')/" | paste -sd, -)
	sed -e '1s/^/[/' -e '$!s/$/,/' -e '$s/$/]/' "$SLUICE_FIXTURES/$2.json" >"$T/.rows.json"
	sqlite3 -bail "$T/$1.db" "INSERT INTO $2 ($cols) SELECT $values
		FROM json_each(readfile('$T/.rows.json'))"
}
schema_of() {
	sqlite3 "$T/$1.db" .schema
	sha256sum <"$T/$1.db"
	ls "$T" | grep "^$1\.db"
}
dump_table() { sqlite3 "$T/$1.db" "SELECT * FROM \"$2\" ORDER BY 1"; }

run_demo_existing
echo "demo_existing.sh: ok"
