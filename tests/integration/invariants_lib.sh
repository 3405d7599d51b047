# invariants_lib.sh - a seeded random scenario against the real binary,
# checking after every step that no COMPLETED run lost or doubled a row;
# shared by invariants.sh (SQLite) and invariants_pg.sh (PostgreSQL).
#
# A project extracts, by watermark, the tables of a source database into
# staging tables of a warehouse and appends each into a target table
# (mode append, so a version loaded twice shows twice).  Each source row
# is (id, ver, payload, last_updated); every write bumps ver.  Random steps
# mix these operation kinds (OPS, all on by default; a run of the flow is
# always in the mix):
#   insert   new rows, a few or a few thousand
#   update   new versions of existing rows
#   late     a row stamped when its transaction starts, committed (within
#            the lag) after a run read the table
#   skew     writes to a table whose writer's clock is SKEW seconds slow,
#            and, when `sluice check` accepts a table's `timezone`, to one
#            in naive America/New_York time
#   kill     SIGKILL of `sluice worker` or of a foreground `sluice run`
#            mid-run, then a worker restarted
#   restart  SIGTERM to the worker mid-run (its run waits, RETRYING), and
#            a new worker, or foreground runs for a while
#   switch   a new project directory with a fresh control store (and its
#            own target tables) on the same source and warehouse
#   share    a second project, its own source, same flow and step names,
#            loading into the same warehouse database
# The test keeps its own book (book.db) of every version written: when its
# write committed and when a newer version replaced it.  A version is
# claimed by a run that COMPLETED, was created at least the lag after the
# version committed, and was seen finished before the version was
# replaced: such a run (or an earlier one) must have read it.  After each
# step: every version is in its target at most once, nothing is there that
# the source never held, and every claimed version is there.  A violation
# prints the seed, the step and the rows; SEED=N replays the scenario.
#
# The caller sets BACKEND (sqlite or pg) and defines new_control TAG (the
# URL of a new control store for a generation, or nothing for the default),
# ctl_sql_url URL SQL, src_exec PROJ SQL,
# src_late PROJ SQL SECONDS (the statement in a transaction held open that
# long), wh_exec SQL, wh_query SQL (rows as a|b|c lines), and the URLs
# src_url PROJ, wh_url.

. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

export TZ=UTC
ALL_OPS=insert,update,late,skew,kill,restart,switch,share
OPS=${OPS:-$ALL_OPS}
STEPS=${STEPS:-200}
SEED=${SEED:-$(( $(date +%s%N) / 1000 % 1000000 ))}
LAG=2          # the extract's default lag, in seconds
SKEW=30        # how slow the slow table's writer clock is
LOCAL_ZONE=America/New_York
echo "invariants ($BACKEND): SEED=$SEED STEPS=$STEPS OPS=$OPS"
echo "replay: SEED=$SEED STEPS=$STEPS OPS=$OPS"
RANDOM=$SEED

BOOK=$T/book.db
STEP=0
OP=setup
declare -A NEXT_ID=()      # PROJ.TBL -> next id
declare -A CONTROL=()      # TAG -> its control store's URL, when not the default
declare -A OP_COUNT=() OP_TIME=()   # per kind: steps, milliseconds
BOOK_SQL=""                # book writes not yet flushed
ACTIVE=""                  # the tags whose targets are checked: current generations
GEN_A=0
WPID=""                    # the worker of project a's current generation
KILLS_RUNNING=0

CHECK_MS=0
ms() { # FROM TO (EPOCHREALTIME values): milliseconds between
	local a=${1/./} b=${2/./}
	echo $(((10#$b - 10#$a) / 1000))
}
enabled() { case ",$OPS," in *",$1,"*) return 0 ;; esac; return 1; }
rnd() { R=$((RANDOM % $1)); }   # never in $( ): subshells reseed RANDOM

# ---- clocks ----------------------------------------------------------------------------

# STAMP: the text TBL's writer stamps now (milliseconds); NOW: the true time.
stamp() { # TBL
	NOW=$EPOCHREALTIME
	local sec=${NOW%.*} frac=${NOW#*.}
	case "$1" in
	slow) sec=$((sec - SKEW)) ;;
	esac
	if [ "$1" = local ]; then
		TZ=$LOCAL_ZONE printf -v STAMP '%(%Y-%m-%d %H:%M:%S)T.%s' "$sec" "${frac:0:3}"
	else
		printf -v STAMP '%(%Y-%m-%d %H:%M:%S)T.%s' "$sec" "${frac:0:3}"
	fi
}

# ---- the book ----------------------------------------------------------------------------

book() { BOOK_SQL="$BOOK_SQL$1
"; }

book_init() {
	sqlite3 "$BOOK" "
CREATE TABLE versions(proj TEXT, tbl TEXT, id INTEGER, ver INTEGER, stamped REAL,
  committed REAL, superseded REAL, PRIMARY KEY (proj, tbl, id, ver));
CREATE TABLE gens(tag TEXT PRIMARY KEY, proj TEXT, dir TEXT, active INTEGER);
CREATE TABLE runs(tag TEXT, run_id INTEGER, created REAL, state TEXT, finished REAL,
  PRIMARY KEY (tag, run_id));
CREATE TABLE target(tag TEXT, tbl TEXT, id INTEGER, ver INTEGER);
CREATE INDEX target_version ON target (tag, tbl, id, ver);
CREATE INDEX versions_replaced ON versions (superseded);"
}

# ---- the projects -----------------------------------------------------------------------

TABLES="src slow"
source_tables() { # PROJ: the source's tables, empty
	local t
	for t in $TABLES; do
		src_exec "$1" "CREATE TABLE $t (id bigint PRIMARY KEY, ver integer NOT NULL,
			payload text NOT NULL, last_updated $TS_TYPE NOT NULL);
			CREATE INDEX ${t}_last_updated ON $t (last_updated)"
		NEXT_ID[$1.$t]=1
	done
}

write_project() { # DIR PROJ TAG
	local dir=$1 p=$2 tag=$3 t tables="" loads=""
	mkdir -p "$dir"
	for t in $TABLES; do
		if [ "$t" = local ]; then
			tables="$tables${tables:+, }{ \"table\": \"local\", \"timezone\": \"$LOCAL_ZONE\" }"
		else
			tables="$tables${tables:+, }\"$t\""
		fi
		loads="$loads,
      { \"name\": \"load_$t\", \"kind\": \"load\", \"needs\": [\"extract\"],
        \"from\": { \"connection\": \"wh\", \"table\": \"stg_${p}_$t\" },
        \"connection\": \"wh\", \"table\": \"${tag}_$t\", \"mode\": \"append\" }"
	done
	local control=""
	[ -z "${CONTROL[$tag]:-}" ] || control="\"control\": \"${CONTROL[$tag]}\","
	cat >"$dir/sluice.json" <<JSON
{ "project": "invariants_$tag", $control
  "connections": { "source": { "url": "$(src_url "$p")" }, "wh": { "url": "$(wh_url)" } },
  "flows": [ { "name": "move", "retries": { "count": 3, "delay": "1s" },
    "steps": [
      { "name": "extract", "kind": "extract", "connection": "source",
        "tables": [ $tables ], "watermark": "last_updated",
        "to": { "connection": "wh", "table_prefix": "stg_${p}_" } }$loads ] } ] }
JSON
}

new_gen() { # PROJ TAG
	local p=$1 tag=$2 t
	CONTROL[$tag]=$(new_control "$tag")
	write_project "$T/$tag" "$p" "$tag"
	for t in $TABLES; do
		wh_exec "CREATE TABLE ${tag}_$t (id bigint, ver integer, payload text,
			last_updated $TS_TYPE)"
	done
	# the control store exists from here on, as the check reads it
	(cd "$T/$tag" && "$SLUICE" show runs >/dev/null) || fail "$(where): no control store for $tag"
	book "UPDATE gens SET active = 0 WHERE proj = '$p';
INSERT INTO gens VALUES ('$tag', '$p', '$T/$tag', 1);"
	ACTIVE=$(echo "$ACTIVE" | tr ' ' '\n' | grep -v "^$p" | tr '\n' ' ')"$tag"
}

# Does `sluice check` take a table's time zone (a key of another branch)?
probe_timezone() {
	TABLES="src slow local"
	write_project "$T/probe" a probe
	(cd "$T/probe" && "$SLUICE" check >/dev/null 2>&1) && return 0
	TABLES="src slow"
	return 1
}

# ---- the engine --------------------------------------------------------------------------

dir_of() { echo "$T/$1"; }
cur_a() { echo "a$GEN_A"; }

ready_count() { # LOG: how many times a worker said it was ready
	local n
	n=$(grep -c ' ready (' "$1" 2>/dev/null) || true
	echo "${n:-0}"
}
start_worker() {
	local dir log n
	dir=$(dir_of "$(cur_a)")
	log=$dir/worker.log
	n=$(ready_count "$log")
	(cd "$dir" && exec "$SLUICE" worker --workers 1 --grace 50ms 2>>"$log") &
	WPID=$!
	wait_until 20 more_ready "$log" "$n" || fail "$(where): worker did not start: $(tail -5 "$log")"
}
more_ready() { [ "$(ready_count "$1")" -gt "$2" ]; }
stop_worker() {
	[ -n "$WPID" ] || return 0
	kill -TERM "$WPID" 2>/dev/null || true
	wait "$WPID" 2>/dev/null || true
	WPID=""
}
kill_worker() { [ -z "$WPID" ] || { kill -KILL "$WPID" && wait "$WPID"; } 2>/dev/null || true; }
at_exit kill_worker

# One run of TAG's flow, to its end (a live worker takes it; --wait follows).
# A run that waits for its flow's slot behind a RETRYING run needs an engine
# for that one: with no worker after a few seconds, one starts.
run_flow() { # TAG
	local dir pid i
	dir=$(dir_of "$1")
	(cd "$dir" && exec timeout 60 "$SLUICE" run move --wait >>"$dir/runs.out" 2>>"$dir/runs.err") &
	pid=$!
	if [ "$1" = "$(cur_a)" ] && [ -z "$WPID" ]; then
		for i in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "step $STEP: a run of $1 waits with no worker: one starts"
			start_worker
		fi
	fi
	wait "$pid" ||
		echo "step $STEP: a run of $1 did not complete (exit $?): $(tail -2 "$dir/runs.err" | tr '\n' ' ')"
}

# ---- operations ---------------------------------------------------------------------------

# New rows 1..N (or a bulk of hundreds) in TBL of PROJ.
write_insert() { # PROJ TBL COUNT
	local p=$1 t=$2 lo=${NEXT_ID[$1.$2]} hi
	hi=$((lo + $3 - 1))
	NEXT_ID[$p.$t]=$((hi + 1))
	stamp "$t"
	local at=$NOW
	src_exec "$p" "WITH RECURSIVE g(x) AS (SELECT $lo UNION ALL SELECT x + 1 FROM g WHERE x < $hi)
		INSERT INTO $t SELECT x, 1, 'p' || x, '$STAMP' FROM g"
	book "WITH RECURSIVE g(x) AS (SELECT $lo UNION ALL SELECT x + 1 FROM g WHERE x < $hi)
INSERT INTO versions SELECT '$p', '$t', x, 1, $at, $EPOCHREALTIME, NULL FROM g;"
}

# A new version of some rows of TBL: a few by id, or every Nth.
write_update() { # PROJ TBL
	local p=$1 t=$2 n=$((NEXT_ID[$1.$2] - 1)) where i
	[ "$n" -ge 1 ] || return 0
	rnd 3
	if [ "$R" = 0 ]; then
		rnd 5
		where="id % 5 = $R"
	else
		where="id IN (0"
		for i in 1 2 3; do
			rnd "$n"
			where="$where, $((R + 1))"
		done
		where="$where)"
	fi
	local before=$EPOCHREALTIME
	stamp "$t"
	src_exec "$p" "UPDATE $t SET ver = ver + 1, payload = payload || '+',
		last_updated = '$STAMP' WHERE $where"
	book "UPDATE versions SET superseded = -1 WHERE proj = '$p' AND tbl = '$t' AND $where AND superseded IS NULL;
INSERT INTO versions SELECT proj, tbl, id, ver + 1, $NOW, $EPOCHREALTIME, NULL FROM versions
  WHERE proj = '$p' AND tbl = '$t' AND superseded = -1;
UPDATE versions SET superseded = $before WHERE superseded = -1;"
}

op_insert() {
	rnd 6
	if [ "$R" = 0 ]; then rnd 1000; write_insert a src $((R + 100))
	else rnd 5; write_insert a src $((R + 1)); fi
}
op_update() { write_update a src; }

# Not while New York's clocks are about to go back or have just gone back:
# the engine rightly waits out an hour that repeats, which this book does
# not model.
steady_zone() {
	local now=${EPOCHREALTIME%.*} before after
	TZ=$LOCAL_ZONE printf -v before '%(%z)T' $((now - 7200))
	TZ=$LOCAL_ZONE printf -v after '%(%z)T' $((now + 7200))
	[ "$before" = "$after" ]
}

op_skew() {
	local t=slow
	case " $TABLES " in *" local "*) rnd 2; [ "$R" = 0 ] && steady_zone && t=local ;; esac
	rnd 3
	if [ "$R" = 0 ]; then write_update a "$t"; else rnd 4; write_insert a "$t" $((R + 1)); fi
}

# A transaction stamps a row when it starts and commits after a run read
# (on PostgreSQL with the server's clock: the transaction's start).
op_late() {
	local p=a t=src tag id hold
	tag=$(cur_a)
	id=${NEXT_ID[$p.$t]}
	NEXT_ID[$p.$t]=$((id + 1))
	rnd 8
	hold=0.$((R + 2))    # 0.2 .. 0.9 s: within the lag
	stamp "$t"
	local at=$NOW
	local value="'$STAMP'"
	[ "$BACKEND" != pg ] || value="now() AT TIME ZONE 'UTC'"
	src_late "$p" "INSERT INTO $t VALUES ($id, 1, 'late', $value)" "$hold" &
	local writer=$!
	sleep 0.1
	run_flow "$tag"
	wait "$writer" || fail "$(where): the late writer failed"
	book "INSERT INTO versions VALUES ('$p', '$t', $id, 1, $at, $EPOCHREALTIME, NULL);"
}

op_run() { run_flow "$(cur_a)"; }

# SQL on TAG's control store: rows as a|b|c lines (none before it exists).
ctl_sql() { # TAG SQL
	local ctl
	if [ -n "${CONTROL[$1]:-}" ]; then
		ctl_sql_url "${CONTROL[$1]}" "$2"
		return
	fi
	ctl=$(dir_of "$1")/.sluice/control.db
	[ -f "$ctl" ] || return 0
	sqlite3 -bail -cmd '.timeout 5000' "$ctl" "$2"
}
last_run() {
	local n
	n=$(ctl_sql "$(cur_a)" "SELECT max(id) FROM runs" 2>/dev/null) || true
	echo "${n:-0}"
}
newest_state() { # AFTER: the state of the newest run after that id
	ctl_sql "$(cur_a)" "SELECT state FROM runs WHERE id > $1 ORDER BY id DESC LIMIT 1" \
		2>/dev/null || true
}
# Every other kill aims at a run in flight: as soon as it is RUNNING (a
# load takes tens of milliseconds), a few milliseconds more.
aim() { # AFTER
	local i
	rnd 2
	if [ "$R" = 0 ]; then
		for i in $(seq 1 300); do
			case "$(newest_state "$1")" in
			RUNNING) rnd 30; sleep "$(printf '0.%03d' "$R")"; return ;;
			COMPLETED|FAILED|CANCELLED) return ;;
			esac
		done
	else
		rnd 300
		sleep "$(printf '0.%03d' "$R")"
	fi
}

# SIGKILL mid-run, of the worker or of a foreground run; a worker restarts.
op_kill() {
	local dir tag before
	tag=$(cur_a)
	dir=$(dir_of "$tag")
	before=$(last_run)
	rnd 2
	if [ "$R" = 0 ]; then
		stop_worker
		(cd "$dir" && exec "$SLUICE" run move --wait >>"$dir/runs.out" 2>>"$dir/runs.err") &
		local fg=$!
		aim "$before"
		kill -KILL "$fg" 2>/dev/null || true
		wait "$fg" 2>/dev/null || true
	else
		[ -n "$WPID" ] || start_worker
		(cd "$dir" && "$SLUICE" run move >>"$dir/runs.out" 2>>"$dir/runs.err") ||
			fail "$(where): could not queue a run"
		aim "$before"
		kill -KILL "$WPID" 2>/dev/null || true
		wait "$WPID" 2>/dev/null || true
		WPID=""
	fi
	[ "$(newest_state "$before")" = RUNNING ] && KILLS_RUNNING=$((KILLS_RUNNING + 1))
	start_worker
}

# SIGTERM to the worker while a run is in flight: its unfinished step
# rolls back and the run waits, RETRYING, for an engine.  Two times in three
# a new worker starts; otherwise runs go on in the foreground meanwhile.
op_restart() {
	local dir before
	dir=$(dir_of "$(cur_a)")
	[ -n "$WPID" ] || start_worker
	before=$(last_run)
	(cd "$dir" && "$SLUICE" run move >>"$dir/runs.out" 2>>"$dir/runs.err") ||
		fail "$(where): could not queue a run"
	aim "$before"
	stop_worker
	rnd 3
	[ "$R" = 0 ] || start_worker
}

# A fresh control store: a new project directory on the same databases.
op_switch() {
	stop_worker
	GEN_A=$((GEN_A + 1))
	new_gen a "a$GEN_A"
}

# The second project: its own rows, a run into the shared warehouse.
op_share() {
	rnd 3
	if [ "$R" = 0 ]; then write_update b src; else rnd 4; write_insert b src $((R + 1)); fi
	run_flow b0
}

# ---- the invariant --------------------------------------------------------------------------

where() { echo "SEED=$SEED step $STEP ($OP)"; }

wh_targets() { # TAG...: tag|tbl|id|ver of every row of their targets
	local tag t sql=""
	for tag in "$@"; do
		for t in $TABLES; do
			sql="$sql${sql:+ UNION ALL }SELECT '$tag', '$t', id, ver FROM ${tag}_$t"
		done
	done
	wh_query "$sql"
}

# Flush the book, take in each active generation's runs and target rows,
# and print every violation (none: nothing printed).
violations() {
	local tag
	: >"$T/runs.txt"
	for tag in $ACTIVE; do
		ctl_sql "$tag" "SELECT '$tag', id, created_at, state FROM runs" >>"$T/runs.txt" ||
			return 1
	done
	wh_targets $ACTIVE >"$T/target.txt"
	sqlite3 -batch -bail "$BOOK" <<SQL
.timeout 10000
$BOOK_SQL
CREATE TEMP TABLE runs_now(tag TEXT, run_id INTEGER, created INTEGER, state TEXT);
.separator |
.import $T/runs.txt runs_now
INSERT INTO runs SELECT tag, run_id, created / 1e6, state, NULL FROM runs_now WHERE true
  ON CONFLICT (tag, run_id) DO UPDATE SET state = excluded.state;
-- a run is seen finished from now on (a little later than now: an upper bound)
UPDATE runs SET finished = (julianday('now') - 2440587.5) * 86400.0 + 0.2
  WHERE finished IS NULL AND state IN ('COMPLETED', 'FAILED', 'CANCELLED');
DELETE FROM target;
.import $T/target.txt target
SELECT 'doubled: ' || tag || '_' || tbl || ' id=' || id || ' ver=' || ver || ' is there '
  || count(*) || ' times' FROM target GROUP BY tag, tbl, id, ver HAVING count(*) > 1 LIMIT 10;
SELECT 'phantom: ' || t.tag || '_' || t.tbl || ' id=' || t.id || ' ver=' || t.ver
  || ' was never written' FROM target t JOIN gens g ON g.tag = t.tag
  WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.proj = g.proj AND v.tbl = t.tbl
                    AND v.id = t.id AND v.ver = t.ver) LIMIT 10;
WITH m AS MATERIALIZED (  -- versions not in their target, each with its first claim
  SELECT g.tag, v.*, (SELECT min(run_id) FROM runs x WHERE x.tag = g.tag
      AND x.state = 'COMPLETED' AND x.created >= v.committed + $LAG + 0.05
      AND x.finished < coalesce(v.superseded, 1e18)) AS claim
    FROM versions v JOIN gens g ON g.proj = v.proj AND g.active
    WHERE NOT EXISTS (SELECT 1 FROM target t WHERE t.tag = g.tag AND t.tbl = v.tbl
                      AND t.id = v.id AND t.ver = v.ver)
      AND v.committed - v.stamped < $LAG - 0.2)
SELECT 'missing: ' || m.tag || '_' || m.tbl || ' id=' || m.id || ' ver=' || m.ver
  || ' (committed ' || printf('%.3f', m.committed) || ') although run ' || r.run_id
  || ' of ' || m.tag || ' COMPLETED (created ' || printf('%.3f', r.created) || ')'
  FROM m JOIN runs r ON r.tag = m.tag AND r.run_id = m.claim
  LIMIT 10;
SQL
}

# What an engineer replaying a failure looks at first: the newest runs and
# what their engines logged about them.
diagnose() {
	local tag dir
	for tag in $ACTIVE; do
		dir=$(dir_of "$tag")
		echo "newest runs of $tag (id|state|attempt|worker|rows_out|error):"
		ctl_sql "$tag" "SELECT id, state, attempt, worker, rows_out, error FROM runs
			ORDER BY id DESC LIMIT 6" | sed 's/^/  /'
		[ ! -f "$dir/worker.log" ] || { echo "its workers' log, last lines:"
			tail -25 "$dir/worker.log" | sed 's/^/  /'; }
	done
}

check_invariant() {
	local v
	violations >"$T/violations.txt" || fail "$(where): the check itself failed"
	BOOK_SQL=""
	v=$(cat "$T/violations.txt")
	[ -z "$v" ] && return 0
	printf '%s\n' "$v" | sed "s/^/  /" >&2
	diagnose >&2
	fail "$(where): a COMPLETED run lost or doubled rows (replay: SEED=$SEED STEPS=$STEPS OPS=$OPS)"
}

# ---- the scenario ---------------------------------------------------------------------------

pick_op() {
	local op w total=0
	local -a weights=(run:25 insert:15 update:15 late:8 skew:10 kill:8 restart:4 switch:3 share:6)
	for w in "${weights[@]}"; do
		op=${w%%:*}
		[ "$op" = run ] || enabled "$op" || continue
		total=$((total + ${w#*:}))
	done
	rnd "$total"
	for w in "${weights[@]}"; do
		op=${w%%:*}
		[ "$op" = run ] || enabled "$op" || continue
		if [ "$R" -lt "${w#*:}" ]; then OP=$op; return; fi
		R=$((R - ${w#*:}))
	done
}

invariants_main() {
	local op
	for op in ${OPS//,/ }; do
		case ",$ALL_OPS," in *",$op,"*) ;; *) fail "unknown operation kind '$op' in OPS (known: $ALL_OPS)" ;; esac
	done
	cd "$T"
	book_init
	if enabled skew && probe_timezone; then
		echo "tables declare a timezone: the $LOCAL_ZONE table is in the mix"
	else
		echo "no table timezone in this build (or skew off): only the slow clock"
	fi
	source_tables a
	source_tables b
	new_gen a a0
	new_gen b b0
	write_insert a src 20
	local started=$EPOCHREALTIME t0 t1
	for STEP in $(seq 1 "$STEPS"); do
		pick_op
		OP_COUNT[$OP]=$((${OP_COUNT[$OP]:-0} + 1))
		t0=$EPOCHREALTIME
		"op_$OP"
		t1=$EPOCHREALTIME
		check_invariant
		OP_TIME[$OP]=$((${OP_TIME[$OP]:-0} + $(ms "$t0" "$t1")))
		CHECK_MS=$((CHECK_MS + $(ms "$t1" "$EPOCHREALTIME")))
	done
	# Settle: one more run of each project once every write is past the lag.
	STEP=$((STEPS + 1))
	OP=settle
	sleep $((LAG + 1))
	run_flow "$(cur_a)"
	run_flow b0
	check_invariant
	stop_worker
	local took claimed
	took=$(echo "$EPOCHREALTIME - $started" | bc)
	echo "steps (kind=count/ms):$(for op in "${!OP_COUNT[@]}"; do
		printf ' %s=%s/%s' "$op" "${OP_COUNT[$op]}" "${OP_TIME[$op]}"; done); checks: ${CHECK_MS}ms"
	sqlite3 "$BOOK" "SELECT 'runs: ' || group_concat(state || '=' || n, ' ') FROM
		(SELECT state, count(*) n FROM runs GROUP BY state)"
	local tag
	for tag in $ACTIVE; do
		ctl_sql "$tag" "SELECT 'run ' || id || ' of $tag: ' || state || ': ' || error FROM runs
			WHERE state NOT IN ('COMPLETED')"
	done
	claimed=$(sqlite3 "$BOOK" "SELECT count(*) FROM target")
	echo "versions written: $(sqlite3 "$BOOK" "SELECT group_concat(proj || '.' || tbl || '=' || n,
		' ') FROM (SELECT proj, tbl, count(*) n FROM versions GROUP BY proj, tbl)");" \
		"rows in the active targets: $claimed; kills that landed mid-run: $KILLS_RUNNING;" \
		"took ${took}s"
	[ "$claimed" -gt 0 ] || fail "$(where): no row reached a target; the test proved nothing"
}
