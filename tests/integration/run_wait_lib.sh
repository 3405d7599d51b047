# run_wait_lib.sh - Ctrl-C on `sluice run FLOW --wait` while a live worker
# runs the run, shared by run_wait.sh (SQLite) and run_wait_pg.sh
# (PostgreSQL): the first Ctrl-C asks for the cancel and keeps waiting for
# the outcome, which sets the exit status (3 once the run is CANCELLED);
# a second Ctrl-C stops waiting (exit 130), says the run's state and
# leaves the run to its worker.
#
# The worker is stopped (SIGSTOP) while the follower is interrupted, so
# the cancel cannot take effect before the follower has shown what it
# does; the run's store is not the worker, so the request still lands.
# A worker stopped inside a write transaction would hold the store's write
# lock (SQLite) or a row lock (PostgreSQL) until it is continued, so
# pause_worker stops it only between transactions.
# The caller sets CONTROL (a "control" member, or empty), WH_URL, SLOW_SQL
# (a statement that runs until cancelled) and defines store_idle (true when
# no connection holds a write transaction open on the control store).

. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

make_wait_project() {
	cd "$T"
	cat > sluice.json <<EOF
{ $CONTROL
  "connections": { "wh": { "url": "$WH_URL" } },
  "flows": [
    { "name": "slow", "steps": [
        { "name": "spin", "kind": "sql", "connection": "wh", "sql": "$SLOW_SQL" } ] }
    $EXTRA_FLOWS ] }
EOF
}

run_json() { "$SLUICE" show run "$1" --json | json_squeeze; }
run_state() { run_json "$1" | sed -n 's/^{"id":[0-9]*,"flow":"[^"]*","state":"\([A-Z]*\)".*/\1/p'; }
run_is() { [ "$(run_state "$1")" = "$2" ]; }
step_running() { case "$(run_json "$1")" in *"\"step\":\"$2\",\"state\":\"RUNNING\""*) return 0 ;; esac; return 1; }

start_worker() {
	"$SLUICE" worker --workers 2 --grace 5s 2> "$T/worker.log" &
	WPID=$!
	wait_until 20 grep -q 'ready' "$T/worker.log" || fail "worker did not start: $(cat "$T/worker.log")"
}
stop_worker() {
	kill -CONT "$WPID" 2>/dev/null || true
	kill -TERM "$WPID" 2>/dev/null || true
	wait "$WPID" 2>/dev/null || true
}

# SIGSTOP the worker at a moment it holds no transaction open.
pause_worker() {
	local i
	for i in $(seq 1 100); do
		kill -STOP "$WPID"
		sleep 0.05
		store_idle && return 0
		kill -CONT "$WPID"
		sleep 0.05
	done
	fail "the worker never stood outside a transaction in 100 tries"
}

# `sluice run FLOW --wait` in the background, once its step STEP runs.
follow_in_background() { # FLOW STEP
	# The redirection below truncates in the background child, which may
	# not have run yet: without the rm, a loaded machine lets the wait
	# below see the previous case's run id and then read an empty file.
	rm -f "$T/fg.out" "$T/fg.err"
	"$SLUICE" run "$1" --wait > "$T/fg.out" 2> "$T/fg.err" &
	FG=$!
	wait_until 20 test -s "$T/fg.out" || fail "no run id: $(cat "$T/fg.err")"
	ID=$(cat "$T/fg.out")
	wait_until 30 step_running "$ID" "$2" || fail "step $2 of run $ID did not start: $(run_json "$ID")"
}

wait_cases() {
	make_wait_project
	start_worker
	at_exit stop_worker

	# ---- one Ctrl-C: the cancel is asked for, the follower waits for it
	# to happen and exits 3 only once the run is CANCELLED.
	follow_in_background slow spin
	pause_worker
	kill -INT "$FG"
	wait_until 10 run_is "$ID" CANCELLING || fail "run $ID: $(run_state "$ID")"
	sleep 1
	kill -0 "$FG" 2>/dev/null ||
		fail "the follower stopped waiting while run $ID was $(run_state "$ID"): $(cat "$T/fg.err")"
	assert_contains "$(cat "$T/fg.err")" "cancel of run $ID requested; waiting for its outcome"
	kill -CONT "$WPID"
	set +e; wait "$FG"; rc=$?; set -e
	assert_eq CANCELLED "$(run_state "$ID")" "run $ID when the follower exited"
	assert_eq 3 "$rc" "exit status of a cancelled run"
	assert_contains "$(cat "$T/fg.err")" "run $ID CANCELLED in"

	# ---- a second Ctrl-C stops waiting; the run goes on to its end.
	follow_in_background slow spin
	pause_worker
	kill -INT "$FG"
	wait_until 10 grep -q "cancel of run $ID requested" "$T/fg.err" ||
		fail "the first Ctrl-C said: $(cat "$T/fg.err")"
	kill -INT "$FG"
	set +e; wait "$FG"; rc=$?; set -e
	assert_eq 130 "$rc" "exit status after a second Ctrl-C"
	assert_contains "$(cat "$T/fg.err")" "stopped waiting; run $ID is CANCELLING and goes on"
	kill -CONT "$WPID"
	wait_until 20 run_is "$ID" CANCELLED || fail "run $ID after the follower left: $(run_state "$ID")"
}
