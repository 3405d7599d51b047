# workers_lib.sh - work pools and `show workers` as an operator meets them,
# shared by workers.sh (SQLite control store) and workers_pg.sh
# (PostgreSQL): two workers (pool A, and none) each take only their runs;
# a run of pool B with no worker for it stays PENDING saying why, until a
# `--pool B` worker takes it; `show workers` lists every engine, and one
# killed on another host (a UTS namespace of its own) shows LOST once its
# heartbeat is older than the lease.  The caller sets CONTROL (a "control"
# member for the project, or empty).

. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

make_pools_project() {
	cd "$T"
	cat > sluice.json <<EOF
{ $CONTROL
  "connections": { "wh": { "url": "sqlite:wh.db" } },
  "flows": [
    { "name": "fa", "pool": "A", "steps": [ { "name": "s", "kind": "sql",
      "connection": "wh", "sql": "SELECT 1" } ] },
    { "name": "fn", "steps": [ { "name": "s", "kind": "sql",
      "connection": "wh", "sql": "SELECT 1" } ] },
    { "name": "fb", "pool": "B", "steps": [ { "name": "s", "kind": "sql",
      "connection": "wh", "sql": "SELECT 1" } ] } ] }
EOF
}

WPIDS=()
start_worker() { # LOG [--pool NAME]...
	local log=$1
	shift
	"$SLUICE" worker --workers 1 --grace 5s "$@" 2> "$log" &
	WPID=$!
	WPIDS+=("$WPID")
	wait_until 20 grep -q 'ready' "$log" || fail "worker did not start: $(cat "$log")"
}
stop_workers() { local p; for p in "${WPIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; }

run_json() { "$SLUICE" show run "$1" --json | json_squeeze; }
completed() { case "$(run_json "$1")" in *'"state":"COMPLETED"'*) return 0 ;; esac; return 1; }
queue_run() { # FLOW: sets RUN
	run_sluice run "$1"
	assert_eq 0 "$RC" "sluice run $1: $ERR"
	RUN=$OUT
}
# The run completed on the worker whose process is PID.
ran_on() { # RUN PID WHAT
	wait_until 30 completed "$1" || fail "$3: run $1 did not complete: $(run_json "$1")"
	assert_contains "$(run_json "$1")" "\"worker\":\"" "$3"
	local w
	w=$(run_json "$1" | sed -n 's/.*"worker":"\([^"]*\)".*/\1/p' | head -1)
	case "$w" in *":$2:"*) ;; *) fail "$3: run $1 ran on worker $w, not on pid $2" ;; esac
}

workers_json() { "$SLUICE" show workers --json | json_squeeze; }
# The state show workers gives the worker whose pid is PID.
worker_state() { # PID
	"$SLUICE" show workers --json | python3 -c '
import json, sys
pid = int(sys.argv[1])
print([w["state"] for w in json.load(sys.stdin) if w["pid"] == pid][0])' "$1"
}

# `sluice check` names a bad pool where it is.
bad_pool_cases() {
	mkdir -p "$T/bad" && cd "$T/bad"
	cat > sluice.json <<EOF
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "flows": [ { "name": "fa", "pool": "bad pool", "steps": [ { "name": "s",
    "kind": "sql", "connection": "wh", "sql": "SELECT 1" } ] } ],
  "tasks": [ { "name": "t", "schedule": "every 1h", "flow": "fa", "pool": 3 } ] }
EOF
	run_sluice check
	assert_eq 1 "$RC" "check of a bad pool"
	assert_contains "$ERR$OUT" 'sluice.json:2:38: flows[0].pool: "bad pool" is not a valid name' \
		"check of a bad pool"
	assert_contains "$ERR$OUT" 'tasks[0].pool: expected a string, found a number' \
		"check of a pool that is not a string"
	cd "$T"
}

# `worker cancel-runs` of an id no worker has is an error, in text and in
# --json, as is `worker drain` of one; of a live worker with nothing running,
# "0 runs".
cancel_runs_cases() {
	local id
	for fmt in "" --json; do
		run_sluice worker cancel-runs nosuch:1:1 $fmt
		assert_eq 2 "$RC" "cancel-runs of an unknown worker $fmt: $OUT"
		assert_contains "$ERR" "no worker nosuch:1:1 is registered" \
			"cancel-runs of an unknown worker $fmt"
		assert_eq "" "$OUT" "cancel-runs of an unknown worker $fmt prints no count"
	done
	# `worker drain` of an unknown id says the same, with the same status.
	run_sluice worker drain nosuch:1:1
	assert_eq 2 "$RC" "drain of an unknown worker: $ERR"
	assert_contains "$ERR" "no worker nosuch:1:1 is registered (sluice show workers lists them)" \
		"drain of an unknown worker"
	assert_eq "" "$OUT" "drain of an unknown worker prints no request"
	id=$("$SLUICE" show workers --json | python3 -c '
import json, sys
print([w["id"] for w in json.load(sys.stdin) if w["pid"] == int(sys.argv[1])][0])' "$W0")
	run_sluice worker cancel-runs "$id"
	assert_eq 0 "$RC" "cancel-runs of worker $id: $ERR"
	assert_eq "0 runs of worker $id asked to cancel" "$OUT" "cancel-runs of an idle worker"
	run_sluice worker cancel-runs "$id" --json
	assert_eq 0 "$RC" "cancel-runs --json of worker $id: $ERR"
	assert_eq "{\"worker\":\"$id\",\"cancelled\":0}" "$(printf '%s' "$OUT" | json_squeeze)" \
		"cancel-runs --json of an idle worker"
}

pools_cases() {
	bad_pool_cases
	make_pools_project
	run_sluice worker --pool 'x y'
	assert_eq 2 "$RC" "worker --pool with a bad name"
	assert_contains "$ERR" '--pool takes a pool name' "worker --pool with a bad name"
	at_exit stop_workers
	start_worker w0.log
	W0=$WPID
	start_worker wa.log --pool A
	WA=$WPID

	# ---- show workers lists both, with their pools, live, nothing in flight.
	run_sluice show workers
	assert_eq 0 "$RC" "show workers: $ERR"
	assert_contains "$OUT" "WORKER" "show workers header"
	assert_eq 2 "$(printf '%s\n' "$OUT" | grep -c ' live$')" "live workers in: $OUT"
	assert_contains "$(printf '%s\n' "$OUT" | grep ":$WA:")" " A " "pools of worker $WA"
	j=$(workers_json)
	assert_contains "$j" "\"pid\":$W0,\"pools\":[]," "worker $W0 in $j"
	assert_contains "$j" "\"pid\":$WA,\"pools\":[\"A\"]," "worker $WA in $j"
	assert_contains "$j" '"runs_in_flight":0,"state":"LIVE"' "in flight, state"
	run_sluice show workers --format csv
	assert_contains "$OUT" "WORKER,HOST,PID,POOLS,STARTED,HEARTBEAT,RUNS,STATE" "csv header"
	cancel_runs_cases

	# ---- routing: each run goes to the worker of its pool, three times over.
	local i
	for i in 1 2 3; do
		queue_run fa; ra=$RUN
		queue_run fn; rn=$RUN
		ran_on "$ra" "$WA" "a run of pool A"
		ran_on "$rn" "$W0" "a run without a pool"
		assert_contains "$(run_json "$ra")" '"pool":"A"' "run $ra's pool"
		assert_contains "$(run_json "$rn")" '"pool":null' "run $rn's pool"
	done

	# ---- pool B has no worker: the run waits, saying why.
	queue_run fb
	rb=$RUN
	sleep 3
	j=$(run_json "$rb")
	assert_contains "$j" '"state":"PENDING"' "run of pool B with no worker"
	assert_contains "$j" '"waiting":"waiting: no live worker serves pool B"' "show run --json"
	run_sluice show runs
	assert_contains "$(printf '%s\n' "$OUT" | grep "^$rb ")" \
		"waiting: no live worker serves pool B" "show runs"
	run_sluice show runs --json
	assert_contains "$(printf '%s' "$OUT" | json_squeeze)" \
		'"pool":"B","waiting":"waiting: no live worker serves pool B"' "show runs --json"
	run_sluice show run "$rb"
	assert_contains "$OUT" "waiting: no live worker serves pool B" "show run"

	# ---- a --pool B worker takes it; the note goes.
	start_worker wb.log --pool B
	WB=$WPID
	ran_on "$rb" "$WB" "the run of pool B"
	assert_contains "$(run_json "$rb")" '"waiting":null' "the run once taken"

	# ---- a worker on another host, killed: LIVE until the lease lapses, then LOST.
	unshare --uts sh -c 'hostname far-host && exec "$0" worker --workers 1 --pool C' \
		"$SLUICE" 2> wf.log &
	WF=$!
	WPIDS+=("$WF")
	wait_until 20 grep -q 'ready' wf.log || fail "far worker did not start: $(cat wf.log)"
	assert_eq LIVE "$(worker_state "$WF")" "the far worker"
	assert_contains "$(workers_json)" '"host":"far-host"' "the far worker's host"
	kill -KILL "$WF"
	t0=$(date +%s)
	sleep 2
	assert_eq LIVE "$(worker_state "$WF")" "the far worker, killed, within the lease"
	wait_until 45 sh -c "[ \"\$(\"$SLUICE\" show workers --json | tr -d ' \n' | grep -o '\"pid\":$WF,[^}]*' | grep -o 'LOST')\" = LOST ]" ||
		fail "the killed worker is not LOST: $(workers_json)"
	took=$(( $(date +%s) - t0 ))
	[ "$took" -ge 25 ] || fail "LOST after ${took}s, before the 30s lease"
	run_sluice show workers
	assert_contains "$(printf '%s\n' "$OUT" | grep "far-host")" "LOST" "show workers table"
	assert_eq 3 "$(printf '%s\n' "$OUT" | grep -c ' live$')" "the three others stay live: $OUT"
}
