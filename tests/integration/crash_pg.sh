# crash_pg.sh - exactly once under SIGKILL.
#
# Fifty times: a new batch of rows (20,000) goes into a PostgreSQL source table; a
# run of a flow that appends that batch into a PostgreSQL target (load,
# mode append: the strictest case) is queued for `sluice worker`; the
# worker is killed with SIGKILL at a random moment; a new worker starts
# and the run is let finish.  Afterwards the target holds every source row
# exactly once, every run COMPLETED, and every run that was RUNNING when
# its worker was killed shows CRASHED in its transition history (and was
# retried in place: same run id).
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

[ -n "${SLUICE_TEST_PG:-}" ] || fail "no PostgreSQL server (run through make check)"
ITERATIONS=${CRASH_ITERATIONS:-50}
ROWS=${CRASH_ROWS:-20000}

cd "$T"
psql -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE crash_src" -c "CREATE DATABASE crash_dst" >/dev/null
psql -q -v ON_ERROR_STOP=1 -d crash_src -c \
	"CREATE TABLE src(id bigint PRIMARY KEY, batch int NOT NULL, payload text NOT NULL)" >/dev/null
psql -q -v ON_ERROR_STOP=1 -d crash_dst -c \
	"CREATE TABLE dst(id bigint, batch int, payload text)" >/dev/null

cat > sluice.json <<EOF
{ "connections": {
    "src": { "url": "$SLUICE_TEST_PG dbname=crash_src" },
    "dst": { "url": "$SLUICE_TEST_PG dbname=crash_dst" } },
  "flows": [
    { "name": "copy", "params": { "batch": { "type": "int" } },
      "retries": { "count": 5, "delay": "1s" },
      "steps": [
        { "name": "load", "kind": "load",
          "from": { "connection": "src",
                    "query": "SELECT id, batch, payload FROM src WHERE batch = :batch ORDER BY id" },
          "connection": "dst", "table": "dst", "mode": "append" } ] } ] }
EOF
run_sluice check
assert_eq 0 "$RC" "check: $OUT $ERR"

state_of() { sqlite3 .sluice/control.db "SELECT state FROM runs WHERE id = $1"; }
# Polls as fast as sqlite3 answers (a few ms), up to about ten seconds.
wait_running() { # ID: 0 once RUNNING, 1 if it finished first
	local n
	for n in $(seq 1 2000); do
		case "$(state_of "$1")" in
		RUNNING) return 0 ;;
		COMPLETED|FAILED|CRASHED|CANCELLED) return 1 ;;
		esac
	done
	return 1
}
finished() { case "$(state_of "$1")" in COMPLETED|FAILED|CRASHED|CANCELLED) return 0 ;; esac; return 1; }

WPID=
kill_worker() { [ -z "$WPID" ] || kill -KILL "$WPID" 2>/dev/null || true; }
at_exit kill_worker
ready_count() { grep -c ' ready (' worker.log || true; }
more_ready() { [ "$(ready_count)" -gt "$1" ]; }
start_worker() {
	local n
	n=$(ready_count)
	"$SLUICE" worker --workers 1 --grace 2s 2>> worker.log &
	WPID=$!
	wait_until 20 more_ready "$n" ||
		fail "worker did not start: $(tail -5 worker.log)"
}
: > worker.log

killed_running=
runs=
for i in $(seq 1 "$ITERATIONS"); do
	psql -q -v ON_ERROR_STOP=1 -d crash_src -c "INSERT INTO src
		SELECT ($i - 1) * $ROWS + g, $i, repeat(md5(g::text), 3)
		FROM generate_series(1, $ROWS) g" >/dev/null
	start_worker
	run_sluice run copy --param "batch=$i"
	assert_eq 0 "$RC" "queueing batch $i: $ERR"
	id=$OUT
	runs="$runs $id"
	# A random moment: before the claim, mid-COPY, at the commit, after.
	# A load of a batch takes tens of milliseconds on an idle machine, so
	# every other iteration aims at it: as soon as the run is RUNNING, a
	# few milliseconds more.
	if [ $((i % 2)) -eq 0 ] && wait_running "$id"; then
		sleep "0.$(printf '%03d' $((RANDOM % 40)))"
	else
		sleep "0.$(printf '%03d' $((RANDOM % 500)))"
	fi
	before=$(state_of "$id")
	kill -KILL "$WPID"
	wait "$WPID" 2>/dev/null || true
	after=$(state_of "$id")
	# RUNNING when killed: the run must show CRASHED later.
	[ "$after" = RUNNING ] && killed_running="$killed_running $id"
	start_worker
	wait_until 60 finished "$id" || fail "run $id (batch $i) did not finish: $(state_of "$id")"
	kill -TERM "$WPID"
	wait "$WPID" || fail "worker did not stop cleanly"
	WPID=
	echo "batch $i: run $id was $before/$after when killed -> $(state_of "$id")"
done

src=$(psql -tA -d crash_src -c "SELECT count(*) FROM src")
dst=$(psql -tA -d crash_dst -c "SELECT count(*) FROM dst")
distinct=$(psql -tA -d crash_dst -c "SELECT count(DISTINCT id) FROM dst")
assert_eq "$src" "$dst" "rows in the target"
assert_eq "$src" "$distinct" "distinct rows in the target (no duplicates)"
for i in 1 $((ITERATIONS / 2)) "$ITERATIONS"; do
	assert_eq "$ROWS" "$(psql -tA -d crash_dst -c "SELECT count(*) FROM dst WHERE batch = $i")" \
		"rows of batch $i"
done
for id in $runs; do
	assert_eq COMPLETED "$(state_of "$id")" "run $id"
done
n_killed=0
for id in $killed_running; do
	n_killed=$((n_killed + 1))
	crashed=$(sqlite3 .sluice/control.db \
		"SELECT count(*) FROM run_transitions WHERE run_id = $id AND to_state = 'CRASHED'")
	[ "$crashed" -ge 1 ] || fail "run $id was killed RUNNING but shows no CRASHED"
done
[ "$n_killed" -ge 1 ] || fail "no kill landed while a run was RUNNING; the test proved nothing"
echo "crash_pg: ok ($ITERATIONS runs, $n_killed killed while RUNNING, $dst rows exactly once)"
