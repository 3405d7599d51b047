# schedule_lib.sh - schedules as an operator meets them, shared by
# schedule.sh (SQLite) and schedule_pg.sh (PostgreSQL): `sluice run FLOW
# --at` with a worker running (the run starts at its time, not before,
# and without waiting for a safety poll), the same with no engine running
# (shown LATE once its flow's late_after has passed, and completed, its
# history through LATE, when a worker starts), parameters in their
# declared types in --json, and ticks missed while no worker ran recorded
# MISSED in `show task-history`.  Bounds on time are generous: what is asserted
# is order (never before its time) and that nothing waits for a 30 s poll.
# The caller sets CONTROL (a "control" member, or empty) and WH_URL.

. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

make_schedule_project() {
	cd "$T"
	cat > sluice.json <<EOF
{ $CONTROL
  "connections": { "wh": { "url": "$WH_URL" } },
  "flows": [
    { "name": "quick", "steps": [
        { "name": "s", "kind": "sql", "connection": "wh", "sql": "SELECT 1" } ] },
    { "name": "tardy", "late_after": "2s", "steps": [
        { "name": "s", "kind": "sql", "connection": "wh", "sql": "SELECT 1" } ] },
    { "name": "typed",
      "params": { "n": { "type": "int" }, "ok": { "type": "bool" },
                  "x": { "type": "numeric" }, "d": { "type": "date" },
                  "s": { "type": "text", "default": "7" } },
      "steps": [
        { "name": "s", "kind": "sql", "connection": "wh", "sql": "SELECT :n, :x" } ] } ],
  "tasks": [ { "name": "often", "schedule": "every 1 second", "flow": "quick",
               "catchup": "none" } ] }
EOF
}

run_json() { "$SLUICE" show run "$1" --json | json_squeeze; }
run_field() { # RUN FIELD -> the string value, or null
	run_json "$1" | sed -n "s/^{.*\"$2\":\\(null\\|\"[^\"]*\"\\).*/\\1/p" | tr -d '"' | head -1
}
run_is() { [ "$(run_field "$1" state)" = "$2" ]; }
secs() { date -u -d "$1" +%s.%N; }

start_worker() {
	"$SLUICE" worker --workers 2 --grace 5s 2> "$T/worker.log" &
	WPID=$!
	wait_until 30 grep -q 'ready' "$T/worker.log" || fail "worker did not start: $(cat "$T/worker.log")"
}
stop_worker() {
	kill -TERM "$WPID" 2>/dev/null || true
	wait "$WPID" 2>/dev/null || true
}

schedule_cases() {
	make_schedule_project
	"$SLUICE" task suspend often > /dev/null

	# ---- scheduled while no engine runs: waits, shown LATE once the
	# flow's late_after has passed, and runs when a worker comes.
	run_sluice run tardy --at +1s
	assert_eq 0 "$RC" "run --at with no engine: $ERR"
	late=$OUT
	assert_contains "$ERR" "run $late is SCHEDULED for"
	assert_contains "$ERR" "no engine is running now"
	assert_eq null "$(run_field "$late" started)" "a scheduled run with no engine"
	wait_until 30 run_is "$late" LATE || fail "run $late: $(run_json "$late")"
	run_sluice show runs --state LATE
	assert_contains "$OUT" "$late"
	assert_contains "$OUT" "LATE"
	assert_eq null "$(run_field "$late" started)" "a LATE run with no engine"

	start_worker
	at_exit stop_worker
	wait_until 30 run_is "$late" COMPLETED || fail "run $late: $(run_json "$late")"
	run_sluice show run "$late"
	assert_contains "$OUT" "SCHEDULED  -> LATE"
	assert_contains "$OUT" "LATE       -> RUNNING"

	# ---- scheduled 2 s ahead with a worker running: starts then.
	run_sluice run quick --at +2s
	assert_eq 0 "$RC" "run --at: $ERR"
	id=$OUT
	assert_contains "$ERR" "run $id is SCHEDULED for"
	wait_until 30 run_is "$id" COMPLETED || fail "run $id: $(run_json "$id")"
	sched=$(run_field "$id" scheduled)
	started=$(run_field "$id" started)
	awk -v s="$(secs "$sched")" -v b="$(secs "$started")" 'BEGIN { exit !(b >= s) }' ||
		fail "run $id started at $started, before its time $sched"
	# Well within the 30 s an idle worker sleeps between looks.
	awk -v s="$(secs "$sched")" -v b="$(secs "$started")" 'BEGIN { exit !(b - s < 10) }' ||
		fail "run $id scheduled for $sched started only at $started"
	run_sluice show run "$id"
	assert_contains "$OUT" "SCHEDULED  -> RUNNING"

	# ---- parameters keep their declared types in --json.
	run_sluice run typed n=42 ok=true x=1.50 d=2026-03-02 --wait
	assert_eq 0 "$RC" "typed run: $ERR"
	assert_contains "$(run_json "$OUT")" \
		'"params":{"n":42,"ok":true,"x":1.50,"d":"2026-03-02","s":"7"}'
	assert_contains "$("$SLUICE" show runs --flow typed --json | json_squeeze)" \
		'"params":{"n":42,"ok":true,"x":1.50,"d":"2026-03-02","s":"7"}'

	# ---- ticks missed while no worker ran: MISSED, with the reason.
	"$SLUICE" task resume often > /dev/null
	fired() { "$SLUICE" show task-history often | grep -q 'EXECUTING\|SUCCEEDED\|SKIPPED'; }
	wait_until 30 fired || fail "task often never fired: $("$SLUICE" show task-history often)"
	stop_worker
	sleep 3
	start_worker
	missed() { "$SLUICE" show task-history often | grep -q MISSED; }
	wait_until 30 missed || fail "no MISSED tick: $("$SLUICE" show task-history often)"
	assert_contains "$("$SLUICE" show task-history often)" "no scheduler ran at its time"
	"$SLUICE" task suspend often > /dev/null
}
