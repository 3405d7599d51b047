#!/bin/bash
# extract_windows.sh - extract windows on a SQLite source: its clock is
# this host's, its rows New York's wall time (see extract_windows_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/extract_windows_lib.sh"
SRC_URL="sqlite:source.db"
src() { sqlite3 "$P/source.db" "$1"; }
stamp_row() {
	src "INSERT INTO orders VALUES ($1, '$(TZ=America/New_York date '+%Y-%m-%d %H:%M:%S.%6N')')"
}
newest() { src "SELECT strftime('%Y-%m-%d %H:%M:%f', max(last_updated)) || '000' FROM orders"; }
mkdir -p "$P"
src "CREATE TABLE orders (id integer PRIMARY KEY, last_updated timestamp);
     CREATE INDEX orders_lu ON orders (last_updated)"
run_windows
echo "ok: extract windows on a SQLite source"
