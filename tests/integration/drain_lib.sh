# drain_lib.sh - a worker's drain as an operator meets it, shared by
# drain.sh (SQLite control store and warehouse) and drain_pg.sh
# (PostgreSQL): a hang-up, a second hang-up, SIGTERM during the drain and
# three signals in a row all end with every run in flight handed back
# (RUNNING -> PENDING, "handed back by draining worker HOST:PID:N"), its
# attempt kept, its rows rolled back, the worker unregistered and exit 0;
# the next worker runs the same attempt again.
#
# Two flows, slow_a and slow_b, on connections wa and wb (two files on
# SQLite, where a file has one writer at a time), so that two runs are in
# their slow step at once.  The caller sets CONTROL (a "control" member for
# the project, or empty), WA_URL, WB_URL, SLOW_SQL (runs until cancelled),
# rows_in_s (prints the rows of table s on both connections) and
# workers_count (workers registered in the control store).

. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

make_drain_project() {
	cd "$T"
	local f flows=
	for f in a b; do
		flows="$flows${flows:+,}
    { \"name\": \"slow_$f\", \"steps\": [
        { \"name\": \"setup\", \"kind\": \"sql\", \"connection\": \"w$f\",
          \"sql\": \"CREATE TABLE IF NOT EXISTS s(x int)\" },
        { \"name\": \"spin\", \"kind\": \"sql\", \"connection\": \"w$f\", \"needs\": [\"setup\"],
          \"sql\": \"INSERT INTO s VALUES (1), (2), (3); $SLOW_SQL\" } ] }"
	done
	cat > sluice.json <<EOF
{ $CONTROL
  "connections": { "wa": { "url": "$WA_URL" }, "wb": { "url": "$WB_URL" } },
  "flows": [ $flows ] }
EOF
}

run_json() { "$SLUICE" show run "$1" --json | json_squeeze; }
spinning() { case "$(run_json "$1")" in *'"step":"spin","state":"RUNNING"'*) return 0 ;; esac; return 1; }

start_worker() { # LOG GRACE
	"$SLUICE" worker --workers 2 --grace "$2" 2> "$1" &
	WPID=$!
	wait_until 20 grep -q 'ready' "$1" || fail "worker did not start: $(cat "$1")"
}
kill_worker() { kill -KILL "$WPID" 2>/dev/null || true; }

# Two runs of the slow flow, both in their endless step.
two_runs_spinning() {
	run_sluice run slow_a
	A=$OUT
	run_sluice run slow_b
	B=$OUT
	both_spinning
}

# Runs A and B in their endless step (again).
both_spinning() {
	local id
	for id in "$A" "$B"; do
		wait_until 30 spinning "$id" || fail "run $id is not in its slow step: $(run_json "$id")"
	done
}

# The worker ends (exit 0) within LIMIT seconds of the first signal.
worker_ends() { # LIMIT LOG START
	local limit=$1 log=$2 start=$3 rc
	set +e; wait "$WPID"; rc=$?; set -e
	local took=$(( $(date +%s) - start ))
	[ "$rc" = 0 ] || { cat "$log" >&2; fail "worker exit $rc (expected 0)"; }
	[ "$took" -le "$limit" ] || fail "the worker took ${took}s to stop (at most ${limit}s)"
}

# Every run in flight was handed back, same attempt, rows rolled back.
handed_back() { # LOG RUN...
	local log=$1 id j
	shift
	for id in "$@"; do
		j=$(run_json "$id")
		assert_contains "$j" '"state":"PENDING","reason":"handed back by draining worker ' \
			"run $id after the drain"
		assert_contains "$j" '"attempt":1,' "attempt of run $id (a drain is not a failure)"
		assert_contains "$j" '"from":"RUNNING","to":"PENDING","reason":"handed back by draining worker ' \
			"transition of run $id"
	done
	assert_eq 0 "$(rows_in_s)" "rows of the rolled-back steps"
	run_sluice show runs --json
	assert_not_contains "$(printf '%s' "$OUT" | json_squeeze)" '"state":"RUNNING"' "runs after the drain"
	assert_eq 0 "$(workers_count)" "workers registered after the drain"
	[ -z "$log" ] || assert_contains "$(cat "$log")" "handed back by draining worker"
}

drain_cases() {
	make_drain_project
	at_exit kill_worker

	# ---- a hang-up: the grace period runs out, the runs are handed back.
	start_worker w1.log 1s
	two_runs_spinning
	t0=$(date +%s)
	kill -HUP "$WPID"
	worker_ends 15 w1.log "$t0"
	handed_back w1.log "$A" "$B"

	# The next worker runs the same attempt again (attempt 1 of 1, not 2).
	start_worker w2.log 60s
	both_spinning
	assert_contains "$(run_json "$A")" '"state":"RUNNING"'
	assert_contains "$(run_json "$A")" '"attempt":1,' "attempt of the run taken again"

	# ---- a second hang-up during the drain cuts it short, at once.
	t0=$(date +%s)
	kill -HUP "$WPID"
	sleep 0.5
	kill -HUP "$WPID"
	worker_ends 8 w2.log "$t0"
	assert_contains "$(cat w2.log)" "drain cut short"
	handed_back w2.log "$A" "$B"

	# ---- SIGTERM during a hang-up's drain: the same.
	start_worker w3.log 60s
	both_spinning
	t0=$(date +%s)
	kill -HUP "$WPID"
	sleep 0.5
	kill -TERM "$WPID"
	worker_ends 8 w3.log "$t0"
	handed_back w3.log "$A" "$B"

	# ---- three signals at once: still nothing left RUNNING.
	start_worker w4.log 60s
	both_spinning
	t0=$(date +%s)
	kill -TERM "$WPID"; kill -HUP "$WPID"; kill -INT "$WPID"
	worker_ends 8 w4.log "$t0"
	handed_back w4.log "$A" "$B"
}
