# pipe_kill.sh - exactly once under SIGKILL, with the real binary.
#
# Each round drops a new big file into the lake, starts `sluice pipe
# refresh`, and kills it with SIGKILL at a random moment.  After every
# kill, every file's rows are all there or none of them (never part of a
# file), and no row is there twice.  At the end one refresh without a kill
# loads what is left: every row of every file exactly once, and one LOADED
# history entry per file (a kill between the commit and the history write
# is reconciled from the ledger, not reloaded).  Then three refreshes run
# at once over new files, and each file is still loaded once.
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
	dup=$(sql "SELECT count(*) - count(DISTINCT id) FROM raw_big")
	assert_eq 0 "$dup" "duplicate rows after a kill"
	partial=$(sql "SELECT count(*) FROM (SELECT _sluice_file, count(*) AS n FROM raw_big
		GROUP BY _sluice_file) f WHERE n <> $LINES")
	assert_eq 0 "$partial" "files loaded in part after a kill"
}

# Round 0 measures how long a refresh of one file takes, so the kills of
# the later rounds can land anywhere inside one.
make_file 0
t0=$(date +%s%N)
"$SLUICE" -C "$T/p" pipe refresh big >"$T/out.0" 2>&1 || fail "round 0: $(cat "$T/out.0")"
took_ms=$((($(date +%s%N) - t0) / 1000000))
echo "round 0: a refresh of one file takes ${took_ms}ms"

interrupted=0
for round in $(seq 1 "$ROUNDS"); do
	make_file "$round"
	before=$(sql "SELECT count(*) FROM raw_big")
	pending=$((round + 1 - $(sql "SELECT count(DISTINCT _sluice_file) FROM raw_big")))
	"$SLUICE" -C "$T/p" pipe refresh big >"$T/out.$round" 2>&1 &
	pid=$!
	# anywhere in the refresh of all pending files
	sleep "$(awk -v r="$RANDOM" -v t="$took_ms" -v n="$pending" \
		'BEGIN { printf "%.3f", (r % 1000) * t * n / 1000000 }')"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	# The summary is the last thing a refresh prints: without it, the
	# kill came first.
	grep -q "^pipe big:" "$T/out.$round" || interrupted=$((interrupted + 1))
	check_atomic
	echo "round $round: rows $before -> $(sql "SELECT count(*) FROM raw_big")"
done
[ "$interrupted" -gt 0 ] || fail "no refresh was interrupted (each finished before its kill)"

run_sluice -C "$T/p" pipe refresh big
assert_eq 0 "$RC" "final refresh exit code ($ERR)"
FILES=$((ROUNDS + 1))
assert_eq $((FILES * LINES)) "$(sql "SELECT count(*) FROM raw_big")" "rows after the final refresh"
assert_eq $((FILES * LINES)) "$(sql "SELECT count(DISTINCT id) FROM raw_big")" "distinct ids"
assert_eq "$FILES" "$(sql "SELECT count(DISTINCT _sluice_file) FROM raw_big")" "files"
assert_eq "$FILES" "$(sql "SELECT count(*) FROM _sluice_ledger WHERE key LIKE 'pipe:big:%'")" \
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
assert_eq "$FILES" "$loaded" "LOADED history entries"
assert_eq "$FILES" "$files" "files with a LOADED entry"
run_sluice -C "$T/p" pipe refresh big
assert_contains "$OUT" "0 files loaded" "a refresh after everything is loaded"

# Three refreshes at once (an engine, an operator, another host) over two
# new files: each file is loaded by one of them, once.
make_file $((ROUNDS + 1))
make_file $((ROUNDS + 2))
for i in 1 2 3; do
	"$SLUICE" -C "$T/p" pipe refresh big >"$T/conc.$i" 2>&1 &
done
wait
total=$(((FILES + 2) * LINES))
assert_eq "$total" "$(sql "SELECT count(*) FROM raw_big")" "rows after concurrent refreshes"
assert_eq "$total" "$(sql "SELECT count(DISTINCT id) FROM raw_big")" "distinct ids"
loaded=$(cat "$T"/conc.* | awk '/^pipe big:/ { n += $3 } END { print n + 0 }')
assert_eq 2 "$loaded" "files loaded by the three refreshes together"
echo "ok: $ROUNDS rounds, $interrupted interrupted"
