#!/bin/bash
# stream_deletes.sh - a deleted source row through normalize and merge, on
# SQLite (see stream_deletes_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/stream_deletes_lib.sh"
command -v sqlite3 >/dev/null || fail "sqlite3 is needed"
WH_URL="sqlite:wh.db"
q() { sqlite3 "$T/wh.db" "$1"; }
deletes_cases

# 10,000 deletes from 100,000 rows: the merge applies every one.  How fast
# is bench/deletes' to say (it took 30 to 90 seconds when SQLite ran a
# correlated EXISTS over the unindexed stage once per target row).
many_deletes() {
	mkdir -p "$T/many" && cd "$T/many"
	cat > sluice.json <<JSON
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "streams": [ { "name": "ch", "connection": "wh", "table": "src", "mode": "default",
                 "offset_column": "id" } ],
  "flows": [ { "name": "f", "steps": [
    { "name": "load", "kind": "load", "connection": "wh",
      "from": { "query": "SELECT c.id, c.v, c._sluice_action FROM {{stream:ch}} AS c" },
      "table": "dst", "mode": "merge", "key": ["id"], "consumes": ["ch"] } ] } ] }
JSON
	sqlite3 wh.db "CREATE TABLE src (id integer PRIMARY KEY, v text, last_updated timestamp);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
		INSERT INTO src SELECT i, 'v' || i, '2024-01-01 10:00:00' FROM n"
	run_sluice run f --wait
	assert_eq 0 "$RC" "first run: $ERR"
	sqlite3 wh.db "DELETE FROM src WHERE id % 10 = 0"
	run_sluice run f --wait
	assert_eq 0 "$RC" "the run with 10,000 deletes: $ERR"
	assert_eq 90000 "$(sqlite3 wh.db 'SELECT count(*) FROM dst')" "rows left in the target"
	assert_eq 0 "$(sqlite3 wh.db 'SELECT count(*) FROM _sluice_stream_deletes')" "delete log rows"
}
many_deletes
echo "stream_deletes: ok"
