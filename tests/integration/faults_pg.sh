# faults_pg.sh - servers that restart under a running `sluice worker`.
#
# Three PostgreSQL servers of the test's own: the control store, the
# source and the warehouse.  A feeder inserts orders into the source all
# along; a task every second extracts them into lake files and loads them
# through a pipe into raw_orders on the warehouse; another task, when the
# stream over raw_orders has rows (a condition evaluated on the
# scheduler's own connections), normalizes them into fact_orders.  Then,
# one at a time, each server is stopped the way a crash stops it (pg_ctl
# stop -m immediate: every connection cut), stays down a few seconds and
# starts again on the same port.  After each restart:
#   - work resumes within seconds (new orders reach fact_orders);
#   - after a data server is back, no run attempt and no task condition
#     fails any more (a dead pooled connection is not a step's failure,
#     and the scheduler reopens its own);
#   - after the control store, the worker said once that it lost the store
#     and once that it is back (not once a second), and is still working.
# Last, a worker whose store stays away past --store-timeout exits 1.
# At the end every order of the source is in raw_orders and in fact_orders
# exactly once, no run is left unsettled, and the worker stops cleanly.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/pg.sh"

[ -n "${SLUICE_TEST_PG:-}" ] || fail "no PostgreSQL server (run through make check)"
DOWN=${FAULT_DOWN_SECONDS:-4}
RESUME_LIMIT=${FAULT_RESUME_LIMIT:-25}
FAULTS=${FAULTS:-WAREHOUSE SOURCE STORE}      # which servers restart, in order

for s in STORE SOURCE WAREHOUSE; do
	pg_extra_start "$s" || fail "cannot start the $s server"
done
stop_servers() { pg_extra_stop STORE; pg_extra_stop SOURCE; pg_extra_stop WAREHOUSE; }
at_exit stop_servers

q() { # SERVER DB SQL: one value
	local port="PG_${1}_PORT"
	psql -X -q -tA -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${!port}" -U sluice -d "$2" -c "$3"
}
q STORE postgres "CREATE DATABASE ctl" >/dev/null
q SOURCE postgres "CREATE DATABASE shop" >/dev/null
q WAREHOUSE postgres "CREATE DATABASE wh" >/dev/null
q SOURCE shop "CREATE TABLE orders(id bigint PRIMARY KEY, amount int NOT NULL,
	last_updated timestamp NOT NULL); CREATE INDEX ON orders(last_updated)" >/dev/null

cd "$T"
mkdir -p lake/orders
cat > sluice.json <<EOF
{ "control": "$PG_STORE_CONNINFO dbname=ctl",
  "connections": {
    "source": { "url": "$PG_SOURCE_CONNINFO dbname=shop", "read_only": true },
    "warehouse": { "url": "$PG_WAREHOUSE_CONNINFO dbname=wh" } },
  "lake": { "url": "file:lake" },
  "pipes": [
    { "name": "orders_pipe", "path": "orders/", "pattern": "*.ndjson", "format": "ndjson",
      "connection": "warehouse", "table": "raw_orders", "document": "doc", "poll": "1 minute" } ],
  "streams": [
    { "name": "orders_stream", "connection": "warehouse", "table": "raw_orders" } ],
  "tasks": [
    { "name": "ingest", "schedule": "every 1 second", "flow": "ingest", "max_failures": 1000 },
    { "name": "orders", "schedule": "every 1 second", "when": "stream_rows(orders_stream) > 0",
      "flow": "orders_etl", "max_failures": 1000 } ],
  "flows": [
    { "name": "ingest", "retries": { "count": 20, "delay": "1s" },
      "steps": [
        { "name": "extract", "kind": "extract", "connection": "source", "tables": ["orders"],
          "watermark": "last_updated", "lag": "1s", "prefix": "orders/" },
        { "name": "ingest", "kind": "ingest", "pipe": "orders_pipe", "needs": ["extract"] } ] },
    { "name": "orders_etl", "retries": { "count": 20, "delay": "1s" },
      "steps": [
        { "name": "normalize", "kind": "normalize", "connection": "warehouse",
          "from": { "stream": "orders_stream" }, "document": "doc",
          "columns": [
            { "name": "id", "path": "id", "type": "integer" },
            { "name": "amount", "path": "amount", "type": "integer" } ],
          "into": "stg_orders" },
        { "name": "load", "kind": "load", "needs": ["normalize"],
          "from": { "table": "stg_orders" }, "connection": "warehouse",
          "table": "fact_orders", "mode": "append", "consumes": ["orders_stream"] } ] } ] }
EOF
run_sluice check
assert_eq 0 "$RC" "check: $OUT $ERR"

# The feeder: 50 orders every 0.2 s while it runs; a batch that finds the
# source down is simply not there (the count at the end is the source's).
feed() {
	while [ ! -f "$T/stop-feeding" ]; do
		psql -X -q -h 127.0.0.1 -p "$PG_SOURCE_PORT" -U sluice -d shop -c \
			"INSERT INTO orders SELECT m + g, g, clock_timestamp()
			 FROM (SELECT coalesce(max(id), 0) m FROM orders) s,
			      generate_series(1, 50) g" >/dev/null 2>&1 || true
		sleep 0.2
	done
}
feed &
FEEDER=$!
WPID=
stop_all() {
	touch "$T/stop-feeding"
	wait "$FEEDER" 2>/dev/null || true
	[ -z "$WPID" ] || kill -KILL "$WPID" 2>/dev/null || true
	# The worker's whole log, beside this test's, for whoever reads a failure.
	cp "$T/worker.log" "${SLUICE_BUILDDIR:-$T}/tests/faults_pg.worker.log" 2>/dev/null || true
}
at_exit stop_all

"$SLUICE" worker --workers 2 --grace 5s 2> worker.log &
WPID=$!

facts() { q WAREHOUSE wh "SELECT count(*) FROM fact_orders" 2>/dev/null || echo 0; }
more_facts_than() { [ "$(facts)" -gt "$1" ]; }
now_us() { date +%s%6N; }

wait_until 60 more_facts_than 0 || fail "nothing reached fact_orders: $(tail -20 worker.log)"

# Restart SERVER; sets BACK (µs) to when it accepted connections again and
# checks that new orders reach the facts within RESUME_LIMIT seconds.
restart() { # SERVER
	local before took
	pg_extra_crash "$1" || fail "cannot stop the $1 server"
	sleep "$DOWN"
	pg_extra_restart "$1" || fail "the $1 server did not start again"
	BACK=$(now_us)
	before=$(facts)
	wait_until "$RESUME_LIMIT" more_facts_than "$before" ||
		fail "no work for ${RESUME_LIMIT}s after the $1 server came back: $(tail -30 worker.log)"
	took=$(( ($(now_us) - BACK) / 1000 ))
	echo "$1: down ${DOWN}s; new orders in fact_orders ${took} ms after it was back"
}

# After a data server is back, nothing fails for its sake: no run attempt
# ends RETRYING or FAILED, no task condition fails (a second of slack for
# what was in flight as it came back).
nothing_failed_after() { # SERVER
	local since=$((BACK + 1000000)) runs conds
	sleep 4
	runs=$(q STORE ctl "SELECT count(*) FROM run_transitions
		WHERE to_state IN ('RETRYING', 'FAILED') AND at > $since")
	conds=$(q STORE ctl "SELECT count(*) FROM task_history
		WHERE state = 'FAILED' AND started_at > $since")
	[ "$runs" = 0 ] || fail "after the $1 server was back, $runs run attempts failed:
$(q STORE ctl "SELECT t.run_id, t.to_state, r.error FROM run_transitions t JOIN runs r
	ON r.id = t.run_id WHERE t.to_state IN ('RETRYING', 'FAILED') AND t.at > $since")"
	[ "$conds" = 0 ] || fail "after the $1 server was back, $conds task ticks failed:
$(q STORE ctl "SELECT task, error FROM task_history WHERE state = 'FAILED' AND started_at > $since")"
}

# The worker said once that it lost the store and once that it is back,
# and not much more (a line a second, or a line a thread, is too much).
said_once() {
	local lost back said
	sleep 3
	lost=$(grep -c "WARN .*control store .* lost: " worker.log || true)
	back=$(grep -c "WARN .*control store .* is back " worker.log || true)
	said=$(( $(grep -c "control store" worker.log || true) - store_lines_before ))
	assert_eq 1 "$lost" "warnings that the control store was lost"
	assert_eq 1 "$back" "notes that the control store is back"
	[ "$said" -le 6 ] || fail "the worker said 'control store' $said times about one \
outage of ${DOWN}s: $(grep "control store" worker.log)"
}

for server in $FAULTS; do
	store_lines_before=$(grep -c "control store" worker.log || true)
	restart "$server"
	case $server in
	STORE) said_once ;;
	*) nothing_failed_after "$server" ;;
	esac
	kill -0 "$WPID" || fail "the worker died: $(tail -20 worker.log)"
done

# Drain: stop feeding, let the last orders through.
touch stop-feeding
wait "$FEEDER" 2>/dev/null || true
src=$(q SOURCE shop "SELECT count(*) FROM orders")
unsettled_runs() {
	q STORE ctl "SELECT count(*) FROM runs WHERE state NOT IN
		('COMPLETED', 'CACHED', 'FAILED', 'CANCELLED', 'CRASHED')"
}
settled() {
	[ "$(q WAREHOUSE wh "SELECT count(*) FROM raw_orders")" = "$src" ] &&
	[ "$(facts)" = "$src" ]
}
wait_until 90 settled || true
# The tasks fire every second, so a run is in flight most of the time on
# a loaded machine: stop them, then every run must come to an end (a run
# the faults left stuck never does).
"$SLUICE" task suspend ingest > /dev/null
"$SLUICE" task suspend orders > /dev/null
no_runs_in_flight() { [ "$(unsettled_runs)" = 0 ]; }
wait_until 60 no_runs_in_flight || true
assert_eq "$src" "$(q WAREHOUSE wh "SELECT count(*) FROM raw_orders")" "orders in raw_orders"
assert_eq "$src" "$(q WAREHOUSE wh "SELECT count(DISTINCT doc->>'id') FROM raw_orders")" \
	"distinct orders in raw_orders"
assert_eq "$src" "$(facts)" "orders in fact_orders"
assert_eq "$src" "$(q WAREHOUSE wh "SELECT count(DISTINCT id) FROM fact_orders")" \
	"distinct orders in fact_orders"
assert_eq "$src" "$(q WAREHOUSE wh "SELECT count(*) FROM fact_orders f JOIN raw_orders r
	ON (r.doc->>'id')::bigint = f.id")" "facts matching their raw order"
assert_eq 0 "$(unsettled_runs)" "runs left unsettled: $(q STORE ctl "SELECT id, flow, state
	FROM runs WHERE state NOT IN ('COMPLETED', 'CACHED', 'FAILED', 'CANCELLED', 'CRASHED')")"

kill -TERM "$WPID"
wait "$WPID" || fail "the worker did not stop cleanly: $(tail -20 worker.log)"
WPID=
runs=$(q STORE ctl "SELECT count(*) FROM runs")

# A store that stays away longer than --store-timeout: the worker gives up
# and exits 1 (a service manager restarts it), saying why.
"$SLUICE" worker --workers 1 --store-timeout 3s 2> giveup.log &
WPID=$!
ready() { grep -q "stop with SIGTERM" giveup.log; }   # every thread started
wait_until 20 ready || fail "worker did not start: $(cat giveup.log)"
pg_extra_crash STORE || fail "cannot stop the store"
gone() { ! kill -0 "$WPID" 2>/dev/null; }
start=$(now_us)
wait_until 30 gone || fail "the worker did not give up on its store: $(tail giveup.log)"
took=$(( ($(now_us) - start) / 1000 ))
set +e
wait "$WPID"
rc=$?
set -e
WPID=
pg_extra_restart STORE || fail "the store did not start again"
assert_eq 1 "$rc" "exit status of a worker without its store: $(tail giveup.log)"
assert_contains "$(cat giveup.log)" "(--store-timeout): giving up"
[ "$took" -ge 3000 ] || fail "the worker gave up after ${took} ms, before its 3s"
echo "a worker with --store-timeout 3s gave up ${took} ms after its store went away"
echo "faults_pg: ok ($src orders exactly once through $runs runs; restarted: $FAULTS)"
