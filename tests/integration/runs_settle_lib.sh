# runs_settle_lib.sh - runs that must not skip their work, with the real
# binary; shared by runs_settle.sh (SQLite warehouse) and
# runs_settle_pg.sh (PostgreSQL warehouse).  The control store is the
# project's SQLite file in both.
#
#   - a run waiting for its retry keeps its flow's slot: another run of
#     the flow does not overwrite the staging table its retry goes on
#     from (and `sluice check` warns when a flow may run twice at once
#     over staging tables);
#   - a foreground `sluice run` that cannot start leaves no run, and one
#     killed before its engine starts the run leaves it FAILED, not
#     PENDING for a later worker; a run queued for a worker says so;
#   - a run that CRASHED with no retries left ends its steps with it, and
#     a recovered crash counts the rows earlier attempts committed.
#
# The caller sets WH_URL and SLOW_SQL (a query that takes minutes while a
# table slow_flag exists, and no time otherwise) and defines q SQL.

. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

P=$T/p
mkdir -p "$P"
cd "$P"

cq() { sqlite3 -cmd ".timeout 5000" "$P/.sluice/control.db" "$1"; }
state_of() { cq "SELECT state FROM runs WHERE id = $1"; }
run_is() { [ "$(state_of "$1")" = "$2" ]; }
settled() { case "$(state_of "$1")" in COMPLETED|FAILED|CRASHED|CANCELLED) return 0 ;; esac; return 1; }
step_is() { [ "$(cq "SELECT state FROM step_runs WHERE run_id = $1 AND step = '$2'")" = "$3" ]; }

WPID=
start_worker() { # LOG
	"$SLUICE" worker --workers 2 --grace 1s 2> "$1" &
	WPID=$!
	wait_until 20 grep -qs 'ready' "$1" || fail "worker did not start: $(cat "$1")"
}
kill_worker() {
	[ -n "$WPID" ] || return 0
	kill -KILL "$WPID" 2>/dev/null || true
	wait "$WPID" 2>/dev/null || true
	WPID=
}
at_exit kill_worker

write_project() {
	cat > sluice.json <<JSON
{ "connections": { "wh": { "url": "$WH_URL" } },
  "flows": [
    { "name": "copy", "params": { "batch": { "type": "int" } },
      "retries": { "count": 1, "delay": "3s" },
      "steps": [
        { "name": "stage", "kind": "sql", "connection": "wh",
          "sql": "DELETE FROM stage; INSERT INTO stage SELECT id, batch FROM events WHERE batch = :batch" },
        { "name": "load", "kind": "sql", "connection": "wh", "needs": ["stage"],
          "sql": "INSERT INTO target SELECT id, batch FROM stage; INSERT INTO blocker SELECT x FROM gate" } ] },
    { "name": "quick", "steps": [
        { "name": "s", "kind": "sql", "connection": "wh", "sql": "INSERT INTO quick_rows VALUES (1)" } ] },
    { "name": "slow", "steps": [
        { "name": "mark", "kind": "sql", "connection": "wh", "sql": "INSERT INTO slow_rows VALUES (1)" },
        { "name": "spin", "kind": "sql", "connection": "wh", "needs": ["mark"], "sql": "$SLOW_SQL" } ] },
    { "name": "twice", "retries": { "count": 1, "delay": "1s" },
      "steps": [
        { "name": "load", "kind": "load", "connection": "wh",
          "from": { "query": "SELECT id, batch FROM events WHERE batch = 1" },
          "table": "twice_rows", "mode": "append" },
        { "name": "spin", "kind": "sql", "connection": "wh", "needs": ["load"], "sql": "$SLOW_SQL" } ] } ] }
JSON
	q "CREATE TABLE events (id integer, batch integer);
	   CREATE TABLE stage (id integer, batch integer);
	   CREATE TABLE target (id integer, batch integer);
	   CREATE TABLE gate (x integer);
	   CREATE TABLE blocker (x integer CHECK (x = 0));
	   CREATE TABLE quick_rows (x integer);
	   CREATE TABLE slow_rows (x integer);
	   INSERT INTO events VALUES (1, 1), (2, 1), (3, 1), (4, 2), (5, 2)"
	run_sluice check
	assert_eq 0 "$RC" "check: $OUT $ERR"
}

# ---- item: a retried run re-loads another run's rows.
retry_keeps_its_slot() {
	q "DELETE FROM gate; INSERT INTO gate VALUES (1)"
	start_worker w_retry.log
	run_sluice run copy batch=1
	assert_eq 0 "$RC" "queueing run 1: $ERR"
	local r1=$OUT
	wait_until 20 run_is "$r1" RETRYING || fail "run $r1 did not fail into RETRYING: $(state_of "$r1")"
	q "DELETE FROM gate"
	run_sluice run copy batch=2
	assert_eq 0 "$RC" "queueing run 2: $ERR"
	local r2=$OUT
	wait_until 30 settled "$r1" || fail "run $r1 did not settle"
	wait_until 30 settled "$r2" || fail "run $r2 did not settle"
	kill_worker
	assert_eq COMPLETED "$(state_of "$r1")" "the retried run"
	assert_eq COMPLETED "$(state_of "$r2")" "the second run"
	assert_eq "1|3
2|2" "$(q 'SELECT batch, count(*) FROM target GROUP BY batch ORDER BY batch')" \
		"target rows by batch: each event once"
	# The second run started only after the retried one had finished.
	local r1_end r2_start
	r1_end=$(cq "SELECT ended_at FROM runs WHERE id = $r1")
	r2_start=$(cq "SELECT started_at FROM runs WHERE id = $r2")
	[ "$r2_start" -ge "$r1_end" ] || fail "run $r2 started while run $r1 waited for its retry"
	echo "ok: a run waiting for its retry kept its flow's slot"
}

# With no engine left to retry it, a run in RETRYING would hold its flow's
# slot for ever and a foreground run of the flow would wait for ever: the
# foreground engine retries it first, saying so, then does its own run.
foreground_retries_what_holds_its_slot() {
	q "DELETE FROM target; DELETE FROM gate; INSERT INTO gate VALUES (1)"
	start_worker w_hold.log
	run_sluice run copy batch=1
	assert_eq 0 "$RC" "queueing run 1: $ERR"
	local r1=$OUT
	wait_until 20 run_is "$r1" RETRYING || fail "run $r1 did not fail into RETRYING: $(state_of "$r1")"
	kill_worker
	q "DELETE FROM gate"
	local rc=0
	timeout 60 "$SLUICE" run copy batch=2 --wait > fg_hold.out 2> fg_hold.err || rc=$?
	assert_eq 0 "$rc" "the foreground run behind a RETRYING run: $(cat fg_hold.err)"
	assert_contains "$(cat fg_hold.err)" "which is RETRYING and goes first" \
		"what the foreground run said it waited for"
	assert_eq COMPLETED "$(state_of "$r1")" "the retried run"
	assert_eq "1|3
2|2" "$(q 'SELECT batch, count(*) FROM target GROUP BY batch ORDER BY batch')" \
		"target rows by batch: each event once"
	echo "ok: a foreground run retries the RETRYING run that holds its slot, then its own"
}

# A run a draining worker handed back (PENDING again, its first step
# committed) goes before a later foreground run of its flow, which runs it.
foreground_runs_a_handed_back_run_first() {
	q "DELETE FROM slow_rows; DROP TABLE IF EXISTS slow_flag; CREATE TABLE slow_flag (x integer)"
	start_worker w_back.log
	run_sluice run slow
	assert_eq 0 "$RC" "queueing run 1: $ERR"
	local r1=$OUT
	wait_until 20 step_is "$r1" spin RUNNING || fail "run $r1's slow step did not start"
	kill -TERM "$WPID"
	wait "$WPID" 2>/dev/null || true
	WPID=
	assert_eq PENDING "$(state_of "$r1")" "the run the draining worker handed back"
	q "DROP TABLE slow_flag"
	local rc=0
	timeout 60 "$SLUICE" run slow --wait > fg_back.out 2> fg_back.err || rc=$?
	assert_eq 0 "$rc" "the foreground run behind a handed-back run: $(cat fg_back.err)"
	assert_contains "$(cat fg_back.err)" "which is handed back unfinished and goes first" \
		"what the foreground run said it waited for"
	assert_eq COMPLETED "$(state_of "$r1")" "the handed-back run"
	assert_eq 2 "$(q 'SELECT count(*) FROM slow_rows')" "marks: one per run, none twice"
	q "DELETE FROM slow_rows"
	echo "ok: a foreground run runs a handed-back run of its flow first"
}

check_warns_of_shared_staging() {
	mkdir -p "$T/conc"
	cat > "$T/conc/sluice.json" <<JSON
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "flows": [ { "name": "items", "concurrency": 2, "steps": [
      { "name": "norm", "kind": "normalize", "connection": "wh", "from": { "table": "docs" },
        "document": "doc", "into": "stg_items",
        "columns": [ { "name": "id", "path": "id", "type": "integer" } ] } ] } ] }
JSON
	run_sluice -C "$T/conc" check
	assert_eq 0 "$RC" "check of a flow with concurrency 2: $OUT $ERR"
	assert_contains "$OUT" "flows[0].concurrency: flow items may run 2 at a time, but step norm writes the staging table stg_items" \
		"check of a flow with concurrency 2"
	echo "ok: check warns of staging tables shared by concurrent runs"
}

# ---- item: a foreground `sluice run` that cannot start.
# A lake whose credentials are not set: no run is made.
foreground_cannot_start() {
	mkdir -p "$T/nolake"
	cat > "$T/nolake/sluice.json" <<JSON
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "lake": { "url": "s3://bucket/prefix", "endpoint": "http://127.0.0.1:9",
            "access_key_env": "RUNS_SETTLE_NO_KEY", "secret_key_env": "RUNS_SETTLE_NO_SECRET" },
  "flows": [ { "name": "quick", "steps": [
      { "name": "s", "kind": "sql", "connection": "wh", "sql": "SELECT 1" } ] } ] }
JSON
	run_sluice -C "$T/nolake" run quick
	assert_eq 1 "$RC" "a run whose engine cannot start"
	assert_contains "$ERR" "RUNS_SETTLE_NO_KEY" "a run whose engine cannot start"
	assert_eq 0 "$(sqlite3 "$T/nolake/.sluice/control.db" \
		"SELECT count(*) FROM runs WHERE state NOT IN ('FAILED')")" \
		"runs left waiting by a foreground run that could not start"
	echo "ok: a foreground run whose engine cannot start leaves no run"
}

# Killed while it waits for its flow's slot: FAILED, never run later.
foreground_killed_while_waiting() {
	q "DROP TABLE IF EXISTS slow_flag; CREATE TABLE slow_flag (x integer)"
	"$SLUICE" run slow > fg_a.out 2> fg_a.err &
	local a=$!
	wait_until 20 grep -q 'run [0-9]* here' fg_a.err || fail "run A did not start: $(cat fg_a.err)"
	local ra
	ra=$(cat fg_a.out)
	wait_until 20 step_is "$ra" spin RUNNING || fail "run A's slow step did not start"
	"$SLUICE" run slow > fg_b.out 2> fg_b.err &
	local b=$!
	wait_until 20 grep -q 'run [0-9]* here' fg_b.err || fail "run B did not start: $(cat fg_b.err)"
	local rb
	rb=$(cat fg_b.out)
	sleep 0.5
	assert_eq PENDING "$(state_of "$rb")" "run B while run A holds the flow's slot"
	kill -KILL "$b"
	wait "$b" 2>/dev/null || true
	kill -INT "$a"
	wait "$a" 2>/dev/null || true
	wait_until 20 settled "$ra" || fail "run A did not settle"
	q "DROP TABLE slow_flag"
	# Any engine settles B now; none runs it.
	start_worker w_fg.log
	wait_until 20 settled "$rb" || fail "run $rb of a killed sluice run is still $(state_of "$rb")"
	sleep 1
	kill_worker
	assert_eq FAILED "$(state_of "$rb")" "the run of a killed foreground sluice run"
	assert_contains "$(cq "SELECT error FROM runs WHERE id = $rb")" "exited before starting it" \
		"its reason"
	assert_eq 1 "$(q 'SELECT count(*) FROM slow_rows')" "runs of the slow flow that did work"
	echo "ok: a foreground run killed before it started its run leaves it FAILED"
}

# A run queued for a live worker says so.
queued_runs_say_so() {
	start_worker w_q.log
	run_sluice run quick
	assert_eq 0 "$RC" "a queued run"
	assert_contains "$ERR" "run $OUT is queued for the engine that is running" "a queued run"
	local rq=$OUT
	wait_until 20 settled "$rq" || fail "the queued run did not run"
	kill_worker
	echo "ok: a queued run says it is queued"
}

# ---- item: a CRASHED run keeps its step RUNNING; totals after recovery.
# Start FLOW on a worker, kill the worker while the flow's step spin runs,
# and start another, which recovers the run (CRASHED_RUN).
crash_in_spin() { # FLOW
	q "DROP TABLE IF EXISTS slow_flag; CREATE TABLE slow_flag (x integer)"
	start_worker "w_$1.log"
	run_sluice run "$1"
	CRASHED_RUN=$OUT
	wait_until 20 step_is "$CRASHED_RUN" spin RUNNING || fail "$1: step spin did not start"
	kill_worker
	q "DROP TABLE slow_flag"
	start_worker "w_$1_recovery.log"
}

crashed_run_ends_its_steps() {
	crash_in_spin slow
	local r=$CRASHED_RUN
	wait_until 20 run_is "$r" CRASHED || fail "run $r is $(state_of "$r"), not CRASHED"
	kill_worker
	assert_eq "mark|COMPLETED
spin|FAILED|ended with its run (CRASHED)" \
		"$(cq "SELECT step, state, error FROM step_runs WHERE run_id = $r ORDER BY step" |
		   sed 's/|$//')" "the steps of a CRASHED run"
	echo "ok: a CRASHED run ends its steps"
}

# A crash after the load committed, recovered: the load is not done
# again, and the run's totals still count its rows.
recovered_run_counts_earlier_rows() {
	crash_in_spin twice
	local r=$CRASHED_RUN
	wait_until 30 run_is "$r" COMPLETED || fail "run $r is $(state_of "$r"), not COMPLETED"
	kill_worker
	assert_eq 3 "$(q 'SELECT count(*) FROM twice_rows')" "rows of the recovered run"
	assert_contains "$(cq "SELECT group_concat(to_state) FROM run_transitions WHERE run_id = $r")" \
		"CRASHED" "the recovered run's history"
	assert_eq "3|3" "$(cq "SELECT rows_in, rows_out FROM runs WHERE id = $r")" \
		"the recovered run's totals"
	echo "ok: a recovered run counts the rows its earlier attempt committed"
}

# RUNS_SETTLE_ONLY=NAME runs one of them.
runs_settle_all() {
	local t
	write_project
	for t in ${RUNS_SETTLE_ONLY:-retry_keeps_its_slot foreground_retries_what_holds_its_slot \
		foreground_runs_a_handed_back_run_first \
		check_warns_of_shared_staging \
		foreground_cannot_start foreground_killed_while_waiting queued_runs_say_so \
		crashed_run_ends_its_steps recovered_run_counts_earlier_rows}; do
		"$t"
	done
}
