#!/bin/bash
# metrics.sh - `sluice worker --metrics` on a busy demo: promtool accepts
# every scrape; the run counters and duration histograms move with real
# runs; pending files, pending stream rows, rows loaded, task suspension,
# heartbeat age and store size say what the store and the lake say; only
# GET /metrics is served, bounded, and a stuck client blocks neither other
# scrapes nor the engine; addresses other than loopback must be explicit;
# and the example alert rules are valid.
# metrics_pg.sh runs it with the control store on PostgreSQL.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
export SLUICE_DATADIR=$SLUICE_SRCDIR/data
command -v promtool >/dev/null || fail "promtool not found (Debian package prometheus)"
command -v curl >/dev/null || fail "curl not found"
cd "$T"

CONTROL=
if [ "${BACKEND:-sqlite}" = pg ]; then
	[ -n "${SLUICE_TEST_PG:-}" ] || fail "no PostgreSQL server (run through make check)"
	psql -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE metrics_ctl" >/dev/null
	CONTROL="$SLUICE_TEST_PG dbname=metrics_ctl"
fi
sl() { "$SLUICE" ${CONTROL:+--control "$CONTROL"} "$@"; }
run_sl() { run_sluice ${CONTROL:+--control "$CONTROL"} "$@"; }

run_sluice init --demo demo --seed 5
assert_eq 0 "$RC" "init ($ERR)"
cd demo

# ---- addresses: a name is refused, a bad port is a usage error.
run_sl worker --metrics example.org:9464
assert_eq 2 "$RC" "a host name"
assert_contains "$ERR" "'example.org' is not an IP address"
run_sl worker --metrics 70000
assert_eq 2 "$RC" "a port out of range"
assert_contains "$ERR" "the port must be a number"

# The demo's orders task stays suspended so that only this test runs
# orders_etl, and its pipe paused so that files wait in the lake.
run_sl task suspend orders
assert_eq 0 "$RC" "suspend ($ERR)"
run_sl pipe pause orders_pipe
assert_eq 0 "$RC" "pause ($ERR)"

PIDS=()
stop_all() {
	local p
	for p in "${PIDS[@]+"${PIDS[@]}"}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
}
at_exit stop_all
# not through sl(): $! must be the worker itself, not a subshell
"$SLUICE" ${CONTROL:+--control "$CONTROL"} worker --metrics 0 2> worker.log &
WORKER=$!
PIDS+=("$WORKER")
wait_until 30 grep -q 'metrics on http://' worker.log || fail "no metrics: $(cat worker.log)"
ADDR=$(grep -o 'metrics on http://[^/]*' worker.log | head -1 | sed 's,.*//,,')
case "$ADDR" in 127.0.0.1:*) ;; *) fail "a bare port must mean loopback, got $ADDR" ;; esac

scrape() { curl -sS --max-time 20 "http://$ADDR/metrics"; }
# The value of one series, exactly as written ("" when absent).  A
# rendering is kept for a second, so wait that long after a change.
value() { # SERIES
	scrape | awk -v s="$1" '$1 == s { print $2 }'
}
fresh() { sleep 1.1; }
has_value() { [ "$(value "$1")" = "$2" ]; }   # SERIES VALUE, for wait_until
check_scrape() { # NAME
	scrape > "$1"
	promtool check metrics < "$1" > "$1.lint" 2>&1 ||
		{ cat "$1.lint" >&2; fail "promtool check metrics on $1"; }
	[ ! -s "$1.lint" ] || { cat "$1.lint" >&2; fail "promtool complains about $1"; }
}

# ---- a port in use: the second worker says so and exits 1.
run_sl worker --metrics "$ADDR"
assert_eq 1 "$RC" "a port in use"
assert_contains "$ERR" "--metrics $ADDR"

# ---- busy: the simulator keeps the source changing and drops order files,
# tasks fire, and runs are queued while we scrape.
"$SLUICE" ${CONTROL:+--control "$CONTROL"} demo simulate --interval 1s > simulate.log 2>&1 &
PIDS+=("$!")
SIM=$!
for i in 1 2 3 4 5; do
	sl run totesys_ingest > /dev/null 2>&1 || true
	check_scrape "busy$i.txt"
	sleep 0.5
done

# ---- the run counters move with real runs: one that fails (orders_etl
# reads the table its paused pipe has not created yet), then, once the
# pipe has loaded, one that completes.
failed_series='sluice_runs_total{flow="orders_etl",state="FAILED"}'
done_series='sluice_runs_total{flow="orders_etl",state="COMPLETED"}'
count_series='sluice_run_duration_seconds_count{flow="orders_etl"}'
f=$(value "$failed_series")
[ -n "$f" ] || fail "no $failed_series before the first run"
run_sl run orders_etl --wait
assert_eq 1 "$RC" "orders_etl before its pipe loaded ($ERR)"
fresh
assert_eq $((f + 1)) "$(value "$failed_series")" "$failed_series after a failed run"

# ---- task suspension.
assert_eq 1 "$(value 'sluice_task_suspended{task="orders"}')" "suspended task"
assert_eq 0 "$(value 'sluice_task_suspended{task="ingest"}')" "running task"
assert_eq 0 "$(value 'sluice_task_auto_suspended{task="orders"}')" "suspended by hand"

# ---- pending files: the paused pipe's files wait in the lake.
kill -TERM "$SIM"
wait "$SIM" 2>/dev/null || true
files=$(find lake/orders -type f | wc -l)
[ "$files" -gt 0 ] || fail "the simulator dropped no order files"
pending='sluice_pipe_pending_files{pipe="orders_pipe"}'
# counted at most every 15 s
wait_until 40 has_value "$pending" "$files" ||
	fail "$pending: expected $files, got '$(value "$pending")'"
assert_eq 0 "$(value 'sluice_pipe_rows_loaded_total{pipe="orders_pipe"}')" "paused pipe's rows"

run_sl pipe resume orders_pipe
assert_eq 0 "$RC" "resume ($ERR)"
loaded_rows() { v=$(value 'sluice_pipe_rows_loaded_total{pipe="orders_pipe"}'); [ "${v:-0}" -gt 0 ]; }
wait_until 60 loaded_rows || fail "orders_pipe loaded nothing: $(tail -5 worker.log)"
loaded=$(value 'sluice_pipe_files_total{pipe="orders_pipe",status="LOADED"}')
[ "${loaded:-0}" -gt 0 ] || fail "no LOADED files for orders_pipe"
wait_until 40 has_value "$pending" 0 || fail "$pending after the load: $(value "$pending")"

n=$(value "$done_series")
c=$(value "$count_series")
run_sl run orders_etl --wait
assert_eq 0 "$RC" "run orders_etl ($ERR)"
fresh
assert_eq $((n + 1)) "$(value "$done_series")" "$done_series after one run"
assert_eq $((${c:-0} + 1)) "$(value "$count_series")" "$count_series after one run"
check_scrape after_runs.txt
grep -q '^sluice_step_duration_seconds_bucket{flow="orders_etl",step="[a-z_]*",le="+Inf"} [1-9]' \
	after_runs.txt || fail "no step durations for orders_etl"
grep -q '^sluice_flow_rows_loaded_total{flow="totesys_ingest"} [1-9]' after_runs.txt ||
	fail "no rows loaded by totesys_ingest"

# ---- the orders stream fills from the pipe's table (copied every 5 s).
# orders_etl just consumed it, and the pipe may have loaded every file
# before that: a new file, which the pipe loads, is what fills it.
first=$(find lake/orders -type f -name '*.json' | head -1)
cp "$first" "$(dirname "$first")/again-$(basename "$first")"
stream_rows() { v=$(value 'sluice_stream_pending_rows{stream="orders_stream"}'); [ "${v:-0}" -gt 0 ]; }
wait_until 60 stream_rows || fail "no pending rows for orders_stream"

# ---- the worker's heartbeat, the store's size.
hb=$(scrape | awk '$1 ~ /^sluice_worker_heartbeat_age_seconds\{/ { print $2; exit }')
[ -n "$hb" ] || fail "no heartbeat age"
awk -v v="$hb" 'BEGIN { exit !(v >= 0 && v < 30) }' || fail "heartbeat age $hb"
size=$(value sluice_store_size_bytes)
[ "${size:-0}" -gt 10000 ] || fail "store size '$size'"
assert_eq 1 "$(value sluice_store_up)" "store up"

# ---- only GET /metrics; bounded requests.
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$@"; }
assert_eq 404 "$(code "http://$ADDR/")" "GET /"
assert_eq 404 "$(code "http://$ADDR/metrics/x")" "GET /metrics/x"
assert_eq 405 "$(code -X POST "http://$ADDR/metrics")" "POST /metrics"
assert_eq 200 "$(code -I "http://$ADDR/metrics")" "HEAD /metrics"
assert_eq 431 "$(code -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" "http://$ADDR/metrics")" \
	"a 9 KB request head"
# A client that connects and says nothing is dropped after 5 s; meanwhile
# the engine goes on, and the next scrape is answered once it is dropped.
exec 3<>"/dev/tcp/${ADDR%:*}/${ADDR##*:}"
run_sl run totesys_ingest --wait
assert_eq 0 "$RC" "a run while a client hangs ($ERR)"
start=$(date +%s)
check_scrape after_stuck.txt
[ $(($(date +%s) - start)) -le 8 ] || fail "a stuck client delayed the scrape too long"
exec 3>&-

# ---- the drain still works and closes the port.
kill -TERM "$WORKER"
set +e; wait "$WORKER"; rc=$?; set -e
assert_eq 0 "$rc" "worker stopped by SIGTERM"
if curl -s --max-time 5 "http://$ADDR/metrics" > /dev/null; then
	fail "metrics still served after the worker stopped"
fi

# ---- the example alert rules.
promtool check rules "$SLUICE_SRCDIR/data/prometheus/sluice-alerts.yml" > rules.out 2>&1 ||
	{ cat rules.out >&2; fail "promtool check rules"; }
echo "metrics: ok"
