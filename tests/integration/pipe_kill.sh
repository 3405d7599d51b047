# pipe_kill.sh - exactly once under SIGKILL, with the real binary.
#
# Each round drops a new big file into the lake, starts `sluice pipe
# refresh`, and kills it with SIGKILL at a random moment.  After every
# kill, every file's rows are all there or none of them (never part of a
# file), and no row is there twice.  At the end one refresh without a kill
# loads what is left: every row of every file exactly once, and one LOADED
# history entry per file (a kill between the commit and the history write
# is reconciled from the ledger, not reloaded).
#
# pipe_kill_pg.sh runs the same against PostgreSQL (BACKEND=pg).
. "${SLUICE_SRCDIR:?}/tests/lib/testlib.sh"

BACKEND=${BACKEND:-sqlite}
ROUNDS=${ROUNDS:-8}
LINES=${LINES:-150000}

mkdir -p "$T/p/lake/big"
if [ "$BACKEND" = pg ]; then
	db="pipekill_$$"
	psql -q -d postgres -c "CREATE DATABASE $db" >/dev/null
	WH="$SLUICE_TEST_PG dbname=$db"
	sql() { psql -q -A -t -d "$db" -c "$1"; }
else
	WH="sqlite:$T/p/wh.db"
	sql() { sqlite3 "$T/p/wh.db" "$1"; }
fi
cat >"$T/p/sluice.json" <<JSON
{ "connections": { "wh": { "url": "$WH" } },
  "pipes": [ { "name": "big", "path": "big/", "pattern": "*.ndjson",
               "connection": "wh", "table": "raw_big" } ] }
JSON

make_file() { # ROUND
	awk -v r="$1" -v n="$LINES" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"id\": %d, \"round\": %d, \"name\": \"customer %d\", " \
			       "\"amount\": %d.%02d, \"at\": \"2024-01-01T10:00:00Z\"}\n",
			       r * n + i, r, i, i % 1000, i % 100 }' \
		>"$T/p/lake/big/round-$(printf %03d "$1").ndjson"
}

# Every file whole or absent, no duplicates.
check_atomic() {
	local dup partial
	dup=$(sql "SELECT count(*) - count(DISTINCT id) FROM raw_big" 2>/dev/null || echo 0)
	assert_eq 0 "$dup" "duplicate rows after a kill"
	partial=$(sql "SELECT count(*) FROM (SELECT _sluice_file, count(*) AS n FROM raw_big
		GROUP BY _sluice_file) f WHERE n <> $LINES" 2>/dev/null || echo 0)
	assert_eq 0 "$partial" "files loaded in part after a kill"
}

interrupted=0
for round in $(seq 1 "$ROUNDS"); do
	make_file "$round"
	before=$(sql "SELECT count(*) FROM raw_big" 2>/dev/null || echo 0)
	"$SLUICE" -C "$T/p" pipe refresh big >"$T/out.$round" 2>&1 &
	pid=$!
	sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", 0.05 + (r % 2000) / 1000 }')"
	if kill -9 "$pid" 2>/dev/null; then
		interrupted=$((interrupted + 1))
	fi
	wait "$pid" 2>/dev/null || true
	check_atomic
	after=$(sql "SELECT count(*) FROM raw_big" 2>/dev/null || echo 0)
	echo "round $round: rows $before -> $after"
done
[ "$interrupted" -gt 0 ] || fail "no refresh was interrupted (all finished before the kill)"

run_sluice -C "$T/p" pipe refresh big
assert_eq 0 "$RC" "final refresh exit code ($ERR)"
assert_eq $((ROUNDS * LINES)) "$(sql "SELECT count(*) FROM raw_big")" "rows after the final refresh"
assert_eq $((ROUNDS * LINES)) "$(sql "SELECT count(DISTINCT id) FROM raw_big")" "distinct ids"
assert_eq "$ROUNDS" "$(sql "SELECT count(DISTINCT _sluice_file) FROM raw_big")" "files"
assert_eq "$ROUNDS" "$(sql "SELECT count(*) FROM _sluice_ledger WHERE key LIKE 'pipe:big:%'")" \
	"ledger entries"

# The history: one LOADED entry per file, whatever the kills did.
run_sluice -C "$T/p" show loads big --json --limit 1000
assert_eq 0 "$RC" "show loads ($ERR)"
printf '%s' "$OUT" >"$T/loads.json"
loaded=$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('$T/loads.json'), '\$.loads')
	WHERE json_extract(value, '\$.status') = 'LOADED'")
files=$(sqlite3 :memory: "SELECT count(DISTINCT json_extract(value, '\$.file'))
	FROM json_each(readfile('$T/loads.json'), '\$.loads')
	WHERE json_extract(value, '\$.status') = 'LOADED'")
assert_eq "$ROUNDS" "$loaded" "LOADED history entries"
assert_eq "$ROUNDS" "$files" "files with a LOADED entry"
run_sluice -C "$T/p" pipe refresh big
assert_contains "$OUT" "0 files loaded" "a refresh after everything is loaded"
echo "ok: $ROUNDS rounds, $interrupted interrupted"
