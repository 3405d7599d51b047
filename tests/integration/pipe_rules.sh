# pipe_rules.sh - what a refresh loads and records, and what an operator
# sees, on the real binary: a rejected file fixed to the same size loads;
# a loaded file changed under its name is reported (show pipes, the
# notification queue) and reloaded with --force --file; two refreshes at
# once (two commands, an engine's poll and a command) record each file
# once; on_error abort leaves the pipe STOPPED_ON_ERROR until resumed
# without re-recording its bad file; `sluice check` on on_error and
# on_reject; an ingest step whose file is rejected fails its run, also
# when `pipe refresh` rejected it before the run, and so does one whose pipe
# is paused.
#
# pipe_rules_pg.sh runs the same with the warehouse and the control store
# on PostgreSQL (BACKEND=pg).  ONLY="fixed changed ..." runs some parts.
. "${SLUICE_SRCDIR:?}/tests/lib/testlib.sh"

BACKEND=${BACKEND:-sqlite}
ONLY=${ONLY:-fixed changed race abort check ingest early paused}
P=$T/p
mkdir -p "$P/lake"
if [ "$BACKEND" = pg ]; then
	db="piperules_$$"
	psql -q -d postgres -c "CREATE DATABASE $db" -c "CREATE DATABASE ${db}_ctl" >/dev/null
	WH="$SLUICE_TEST_PG dbname=$db"
	CONTROL="\"control\": \"$SLUICE_TEST_PG dbname=${db}_ctl\","
	sql() { psql -q -A -t -d "$db" -c "$1"; }
	ctl() { psql -q -A -t -d "${db}_ctl" -c "$1"; }
else
	WH="sqlite:wh.db"
	CONTROL=""
	sql() { sqlite3 "$P/wh.db" "$1"; }
	ctl() { sqlite3 "$P/.sluice/control.db" "$1"; }
fi
cat >"$P/sluice.json" <<JSON
{ $CONTROL
  "connections": { "wh": { "url": "$WH" } },
  "notifications": { "ops": { "slack_webhook_env": "OPS_HOOK", "on": ["pipe_file_failed"] } },
  "pipes": [
    { "name": "orders", "path": "orders/", "pattern": "*.ndjson", "connection": "wh",
      "table": "raw_orders" },
    { "name": "race", "path": "race/", "connection": "wh", "table": "raw_race",
      "poll": "1s" },
    { "name": "halt", "path": "halt/", "connection": "wh", "table": "raw_halt",
      "on_error": "abort" },
    { "name": "rej", "path": "rej/", "connection": "wh", "table": "raw_rej" },
    { "name": "rej2", "path": "rej2/", "connection": "wh", "table": "raw_rej2",
      "on_error": "skip_file_10%" },
    { "name": "early", "path": "early/", "connection": "wh", "table": "raw_early" } ],
  "flows": [
    { "name": "etl", "steps": [
        { "name": "ingest", "kind": "ingest", "pipe": "rej" },
        { "name": "publish", "kind": "sql", "connection": "wh", "needs": ["ingest"],
          "sql": "CREATE TABLE published AS SELECT count(*) AS n FROM raw_rej" } ] },
    { "name": "lenient", "steps": [
        { "name": "ingest", "kind": "ingest", "pipe": "rej2", "on_reject": "warn" } ] },
    { "name": "early_etl", "steps": [
        { "name": "ingest", "kind": "ingest", "pipe": "early" },
        { "name": "publish", "kind": "sql", "connection": "wh", "needs": ["ingest"],
          "sql": "CREATE TABLE early_published AS SELECT count(*) AS n FROM raw_early" } ] } ] }
JSON
json() { # JSON PATH: one value out of a JSON text
	printf '%s' "$1" >"$T/j.json"
	sqlite3 :memory: "SELECT json_extract(readfile('$T/j.json'), '$2')"
}
# The pipe's entry in `show pipes --json`, then PATH in it.
pipe_json() { # PIPE PATH
	run_sluice -C "$P" show pipes --json
	printf '%s' "$OUT" >"$T/p.json"
	sqlite3 :memory: "SELECT json_extract(value, '$2') FROM
		json_each(readfile('$T/p.json')) WHERE json_extract(value, '\$.name') = '$1'"
}
attempts() { # PIPE: the attempts in its load history
	run_sluice -C "$P" show loads "$1" --json --limit 1000
	json "$OUT" '$.total'
}
wanted() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }

BAD='{"id": 10, "item": "x"}
{"id": 11, "item": x}
{"id": 12, "item": "z"}'
FIXED='{"id": 10, "item": "x"}
{"id": 11, "item": 1}
{"id": 12, "item": "z"}'

# ---- a rejected file fixed to the same size loads -----------------------------------
if wanted fixed; then
	mkdir -p "$P/lake/orders"
	printf '%s\n' "$BAD" >"$P/lake/orders/b.ndjson"
	run_sluice -C "$P" pipe refresh orders
	assert_eq 1 "$RC" "refresh with a bad file"
	assert_contains "$OUT" "0 files loaded, 0 partly loaded, 1 rejected"
	run_sluice -C "$P" pipe refresh orders
	assert_eq 0 "$RC" "refresh with the bad file unchanged ($ERR)"
	assert_contains "$OUT" "0 files loaded, 0 partly loaded, 0 rejected"
	assert_eq 1 "$(attempts orders)" "attempts at the unchanged bad file"
	size=$(stat -c %s "$P/lake/orders/b.ndjson")
	printf '%s\n' "$FIXED" >"$P/lake/orders/b.ndjson"
	assert_eq "$size" "$(stat -c %s "$P/lake/orders/b.ndjson")" "the fixed file's size"
	run_sluice -C "$P" pipe refresh orders
	assert_eq 0 "$RC" "refresh of the fixed file ($ERR)"
	assert_contains "$OUT" "1 file loaded, 0 partly loaded, 0 rejected, 0 loaded before"
	assert_eq 3 "$(sql "SELECT count(*) FROM raw_orders")" "rows of the fixed file"
fi

# ---- a loaded file changed under its name: reported, reloaded on demand ---------------
if wanted changed; then
	mkdir -p "$P/lake/orders"
	printf '{"id": 1, "item": "a"}\n{"id": 2, "item": "b"}\n' >"$P/lake/orders/a.ndjson"
	run_sluice -C "$P" pipe refresh orders
	assert_eq 0 "$RC" "refresh of a ($ERR)"
	before=$(sql "SELECT count(*) FROM raw_orders")
	printf '{"id": 7, "item": "q"}\n{"id": 8, "item": "r"}\n' >"$P/lake/orders/a.ndjson"
	for i in 1 2; do
		run_sluice -C "$P" pipe refresh orders
		assert_eq 0 "$RC" "refresh after a changed ($ERR)"
		assert_contains "$OUT" "0 files loaded"
		assert_contains "$OUT" "1 file loaded before changed in the lake since and was not reloaded"
	done
	assert_eq "$before" "$(sql "SELECT count(*) FROM raw_orders")" "rows after a changed"
	assert_eq 0 "$(sql "SELECT count(*) FROM raw_orders WHERE id IN (7, 8)")" "new rows of a"
	run_sluice -C "$P" show pipes
	assert_eq 0 "$RC" "show pipes ($ERR)"
	assert_contains "$OUT" "warning: pipe orders: 1 file changed in the lake since it was loaded and was not reloaded (orders/a.ndjson); reload it with: sluice pipe refresh orders --force --file orders/a.ndjson"
	assert_eq 1 "$(pipe_json orders '$.changed_files')" "changed_files"
	assert_eq orders/a.ndjson "$(pipe_json orders '$.changed_file')" "changed_file"
	assert_contains "$(pipe_json orders '$.warning')" "--force --file orders/a.ndjson"
	# one notification for the change, queued for the channel
	assert_eq 1 "$(ctl "SELECT count(*) FROM notifications WHERE channel = 'ops' AND
		body LIKE '%orders/a.ndjson changed in the lake%--force --file orders/a.ndjson%'")" \
		"notifications of the change"
	run_sluice -C "$P" pipe refresh orders --force --file orders/a.ndjson
	assert_eq 0 "$RC" "forced reload of a ($ERR)"
	assert_contains "$OUT" "1 file loaded"
	assert_eq 2 "$(sql "SELECT count(*) FROM raw_orders WHERE id IN (7, 8)")" "a reloaded"
	assert_eq 0 "$(sql "SELECT count(*) FROM raw_orders WHERE id IN (1, 2)")" "a's old rows"
	assert_eq 0 "$(pipe_json orders '$.changed_files')" "changed_files after the reload"
	run_sluice -C "$P" show pipes
	assert_not_contains "$OUT" "warning:"
fi

# ---- two refreshes at once -------------------------------------------------------------
big() { # KEY FIRST: 30000 orders from id FIRST
	awk -v f="$2" 'BEGIN { for (i = 0; i < 30000; i++)
		printf "{\"id\": %d, \"name\": \"customer %d\", \"amount\": %d.%02d}\n",
			f + i, i, i % 1000, i % 100 }' >"$P/lake/race/$1"
}
if wanted race; then
	mkdir -p "$P/lake/race"
	big 1.ndjson 0
	big 2.ndjson 30000
	big 3.ndjson 60000
	"$SLUICE" -C "$P" pipe refresh race >"$T/r1" 2>&1 &
	p1=$!
	"$SLUICE" -C "$P" pipe refresh race >"$T/r2" 2>&1 &
	p2=$!
	wait "$p1" || fail "refresh 1: $(cat "$T/r1")"
	wait "$p2" || fail "refresh 2: $(cat "$T/r2")"
	assert_eq 90000 "$(sql "SELECT count(*) FROM raw_race")" "rows after two refreshes"
	assert_eq 90000 "$(sql "SELECT count(DISTINCT id) FROM raw_race")" "distinct ids"
	assert_eq 3 "$(attempts race)" "load history entries after two refreshes at once"
	# An engine polling the pipe every second, and a command, at once.
	big 4.ndjson 90000
	big 5.ndjson 120000
	big 6.ndjson 150000
	"$SLUICE" -C "$P" worker >"$T/worker.log" 2>&1 &
	wpid=$!
	stop_worker() {
		[ -n "$wpid" ] || return 0
		kill -TERM "$wpid" 2>/dev/null || true
		wait "$wpid" 2>/dev/null || true
		wpid=
	}
	at_exit stop_worker
	run_sluice -C "$P" pipe refresh race
	assert_eq 0 "$RC" "refresh beside the engine ($ERR)"
	wait_until 60 test "$(sql "SELECT count(*) FROM raw_race")" = 180000 ||
		fail "the engine and the command did not load every file: $(cat "$T/worker.log")"
	stop_worker
	assert_eq 180000 "$(sql "SELECT count(DISTINCT id) FROM raw_race")" "distinct ids"
	assert_eq 6 "$(attempts race)" "load history entries beside the engine"
fi

# ---- on_error abort: STOPPED_ON_ERROR until resumed --------------------------------------
if wanted abort; then
	mkdir -p "$P/lake/halt"
	printf '{"id": 1}\n' >"$P/lake/halt/a.ndjson"
	printf '%s\n' "$BAD" >"$P/lake/halt/b.ndjson"
	printf '{"id": 3}\n' >"$P/lake/halt/c.ndjson"
	run_sluice -C "$P" pipe refresh halt
	assert_eq 1 "$RC" "refresh into the bad file"
	assert_contains "$ERR" "halt/b.ndjson:2:"
	assert_contains "$ERR" "pipe halt stopped (on_error abort)"
	assert_eq STOPPED_ON_ERROR "$(pipe_json halt '$.state')" "state after the abort"
	assert_contains "$(pipe_json halt '$.state_reason')" "halt/b.ndjson:2:"
	assert_contains "$(pipe_json halt '$.state_reason')" "pipe resume halt"
	run_sluice -C "$P" show pipes
	assert_contains "$(printf '%s\n' "$OUT" | grep '^halt ')" "STOPPED_ON_ERROR"
	for i in 1 2 3; do
		run_sluice -C "$P" pipe refresh halt
		assert_eq 1 "$RC" "refresh of a stopped pipe"
		assert_contains "$ERR" "pipe halt is STOPPED_ON_ERROR"
	done
	assert_eq 2 "$(attempts halt)" "attempts while stopped (a loaded, b failed once)"
	assert_eq 1 "$(sql "SELECT count(*) FROM raw_halt")" "rows while stopped"
	run_sluice -C "$P" pipe resume halt
	assert_eq 0 "$RC" "resume ($ERR)"
	assert_contains "$OUT" "pipe halt running"
	assert_contains "$OUT" "it was stopped by on_error abort: halt/b.ndjson:2:"
	run_sluice -C "$P" pipe refresh halt
	assert_eq 0 "$RC" "refresh after resume ($ERR)"
	assert_contains "$OUT" "1 file loaded, 0 partly loaded, 0 rejected"
	assert_eq RUNNING "$(pipe_json halt '$.state')" "state after resume"
	assert_eq 3 "$(attempts halt)" "attempts after resume"
fi

# ---- sluice check: on_error and on_reject ----------------------------------------------------
if wanted check; then
	mkdir -p "$T/c"
	cat >"$T/c/sluice.json" <<'JSON'
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "pipes": [
    { "name": "a", "path": "a/", "connection": "wh", "table": "ta", "on_error": "skip_file_0" },
    { "name": "b", "path": "b/", "connection": "wh", "table": "tb", "on_error": "skip_file_150%" },
    { "name": "c", "path": "c/", "connection": "wh", "table": "tc", "on_error": "skip_files" },
    { "name": "d", "path": "d/", "connection": "wh", "table": "td", "on_error": "skip_file_3" },
    { "name": "e", "path": "e/", "connection": "wh", "table": "te", "on_error": "skip_file_10%" },
    { "name": "f", "path": "f/", "connection": "wh", "table": "tf", "on_error": "abort_statement" } ],
  "flows": [ { "name": "x", "steps": [
    { "name": "i", "kind": "ingest", "pipe": "d", "on_reject": "maybe" } ] } ] }
JSON
	run_sluice -C "$T/c" check
	assert_eq 1 "$RC" "check with bad on_error values"
	all="$OUT$ERR"
	assert_contains "$all" "sluice.json:3:81: pipes[0].on_error: skip_file_0: N is the number of bad records at which a file is skipped, from 1, not 0"
	assert_contains "$all" "sluice.json:4:81: pipes[1].on_error: skip_file_150%: N is the number (in percent of the file's records) of bad records at which a file is skipped, from 1 to 100, not 150"
	assert_contains "$all" "sluice.json:5:81: pipes[2].on_error: unknown on_error \"skip_files\" (expected skip_file, skip_file_N, skip_file_N%, continue, abort or abort_statement)"
	assert_contains "$all" "sluice.json:10:64: flows[0].steps[0].on_reject: unknown on_reject \"maybe\" (expected fail or warn)"
	assert_not_contains "$all" "pipes[3]"
	assert_not_contains "$all" "pipes[4]"
	assert_not_contains "$all" "pipes[5]"
fi

# ---- an ingest step whose file is rejected fails its run -----------------------------------
if wanted ingest; then
	mkdir -p "$P/lake/rej" "$P/lake/rej2"
	printf '{"id": 1}\n' >"$P/lake/rej/a.ndjson"
	printf '%s\n' "$BAD" >"$P/lake/rej/b.ndjson"
	run_sluice -C "$P" run etl
	assert_eq 1 "$RC" "a run whose ingest rejected a file"
	id=$OUT
	assert_contains "$ERR" "rej/b.ndjson (LOAD_FAILED)"
	run_sluice -C "$P" show run "$id" --json
	assert_contains "$(printf '%s' "$OUT" | json_squeeze)" '"state":"FAILED"'
	assert_contains "$OUT" "pipe rej rejected 1 file: rej/b.ndjson (LOAD_FAILED); first error rej/b.ndjson:2:20"
	assert_eq 1 "$(sql "SELECT count(*) FROM raw_rej")" "the good file is loaded"
	[ -z "$(sql "SELECT name FROM sqlite_master WHERE name = 'published'" 2>/dev/null)" ] ||
		fail "the step after the ingest ran"
	if [ "$BACKEND" = pg ]; then
		assert_eq 0 "$(sql "SELECT count(*) FROM pg_tables WHERE tablename = 'published'")" \
			"the step after the ingest ran"
	fi
	# on_reject: warn goes on, and says so
	printf '{"id": 1}\n{"id": 2}\n{"id": 3}\n' >"$P/lake/rej2/a.ndjson"
	printf '{"id": 4}\n{"id": x}\n' >"$P/lake/rej2/b.ndjson"
	run_sluice -C "$P" run lenient
	assert_eq 0 "$RC" "on_reject warn ($ERR)"
	id=$OUT
	run_sluice -C "$P" logs --run "$id" --level warn
	assert_contains "$OUT" "pipe rej2 rejected 1 file (on_reject: warn, the step goes on): rej2/b.ndjson (LOAD_FAILED)"
fi
# ---- a file rejected before the run fails it too ------------------------------------------
run_fails() { # FLOW WHAT: the run fails, and shows FAILED; its stderr in $run_err
	run_sluice -C "$P" run "$1"
	assert_eq 1 "$RC" "$2"
	run_err=$ERR
	run_sluice -C "$P" show run "$OUT" --json
	assert_contains "$(printf '%s' "$OUT" | json_squeeze)" '"state":"FAILED"'
}
published() { # whether the step after the ingest ran
	if [ "$BACKEND" = pg ]; then
		sql "SELECT count(*) FROM pg_tables WHERE tablename = 'early_published'"
	else
		sql "SELECT count(*) FROM sqlite_master WHERE name = 'early_published'"
	fi
}
if wanted early; then
	mkdir -p "$P/lake/early"
	printf '{"id": 1}\n' >"$P/lake/early/a.ndjson"
	printf '%s\n' "$BAD" >"$P/lake/early/b.ndjson"
	run_sluice -C "$P" pipe refresh early
	assert_contains "$OUT" "1 file loaded, 0 partly loaded, 1 rejected"
	printf '{"id": 2}\n' >"$P/lake/early/c.ndjson"
	run_fails early_etl "a run whose pipe rejected a file before it"
	assert_contains "$run_err" "pipe early rejected 1 file: early/b.ndjson (LOAD_FAILED) by a refresh outside any run; first error early/b.ndjson:2:20"
	assert_contains "$run_err" "'sluice pipe refresh early --force --file KEY'; or remove it from the lake"
	assert_eq 2 "$(sql "SELECT count(*) FROM raw_early")" "the new good file is loaded"
	assert_eq 0 "$(published)" "the step after the ingest ran"
	# the file removed from the lake, the next run completes
	rm "$P/lake/early/b.ndjson"
	run_sluice -C "$P" run early_etl
	assert_eq 0 "$RC" "a run once the rejected file is gone ($ERR)"
	assert_eq 1 "$(published)" "the step after the ingest did not run"
fi

# ---- an ingest step on a paused pipe fails its run ---------------------------------------
if wanted paused; then
	mkdir -p "$P/lake/rej"
	rm -f "$P/lake/rej/"*
	printf '{"id": 0}\n' >"$P/lake/rej/p0.ndjson"
	run_sluice -C "$P" pipe refresh rej
	assert_eq 0 "$RC" "refresh ($ERR)"
	run_sluice -C "$P" pipe pause rej --reason "source migration"
	assert_eq 0 "$RC" "pause ($ERR)"
	printf '{"id": 1}\n' >"$P/lake/rej/p1.ndjson"
	before=$(sql "SELECT count(*) FROM raw_rej")
	run_fails etl "a run whose pipe is paused"
	assert_contains "$run_err" "pipe rej is PAUSED ("
	assert_contains "$run_err" ": source migration): the step loads nothing while it is; resume it with 'sluice pipe resume rej'"
	assert_eq "$before" "$(sql "SELECT count(*) FROM raw_rej")" "rows loaded while paused"
	run_sluice -C "$P" pipe resume rej
	run_sluice -C "$P" run etl
	assert_eq 0 "$RC" "a run after resume ($ERR)"
	assert_eq $((before + 1)) "$(sql "SELECT count(*) FROM raw_rej")" "rows after resume"
fi
echo ok
