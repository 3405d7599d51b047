#!/bin/bash
# backfill_partitions_lib.sh - partitioned backfills with the real binary,
# written once for SQLite (backfill_partitions.sh) and PostgreSQL
# (backfill_partitions_pg.sh).  The caller sets WH_URL, q (runs SQL on the
# warehouse), RAW_SQL (raw_orders over 10 days), SLOW_SQL (a statement that
# takes a while when slow_flag exists and fails on a day listed in poison)
# and calls partitioned_backfills.
#
#   - a 10-day backfill with --max-active 2 makes 10 runs, one per day,
#     never more than 2 at once, 2 at once from the first (the backfill
#     table made by whichever first load comes first), every day's row in;
#   - a partition that failed is run again alone by 'next';
#   - after a run of one day failed, --reprocess none runs that day only,
#     failed likewise, all every day; --backwards runs newest first;
#   - the process running the partitions killed mid-backfill: 'next' runs
#     the rest, and every day ends with one completed run;
#   - pause stops new runs, resume goes on; cancel ends the rebuild.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

P=$T/parts
mkdir -p "$P"
cd "$P"

# A run takes about a second (n): long enough for two at once to overlap
# and for a kill or a pause to land mid-backfill, short enough for the
# dozens of runs below.
write_project() {
	cat >sluice.json <<JSON
{ "project": "parts",
  "connections": { "warehouse": { "url": "$WH_URL" } },
  "flows": [
    { "name": "daily", "concurrency": 4,
      "params": { "day": { "type": "date" }, "n": { "type": "int", "default": 1000000 } },
      "partition": { "param": "day", "grain": "day", "start": "2024-01-01", "column": "day" },
      "steps": [
        { "name": "work", "kind": "sql", "connection": "warehouse", "sql": "$SLOW_SQL" },
        { "name": "load", "kind": "load", "connection": "warehouse", "needs": ["work"],
          "from": { "query": "SELECT day, count(*) AS orders, sum(amount) AS amount FROM raw_orders WHERE day = :day GROUP BY day" },
          "table": "daily_sales", "mode": "merge", "key": ["day"] } ] } ] }
JSON
}

# The runs of flow daily as "id partition state started ended", oldest first.
runs_of_daily() {
	"$SLUICE" show runs --flow daily -n 1000 --json | python3 -c '
import json, sys
for r in sorted(json.load(sys.stdin), key=lambda r: r["id"]):
    print(r["id"], r.get("partition"), r["state"], r.get("started") or "-", r.get("ended") or "-")'
}

# Most runs of flow daily running at one time (by their started/ended).
most_at_once() {
	"$SLUICE" show runs --flow daily -n 1000 --json | python3 -c '
import json, sys
from datetime import datetime
def t(s): return datetime.strptime(s.replace("Z", ""), "%Y-%m-%dT%H:%M:%S.%f")
ev = []
for r in json.load(sys.stdin):
    if r.get("started") and r.get("ended"):
        ev += [(t(r["started"]), 1), (t(r["ended"]), -1)]
n = best = 0
for _, d in sorted(ev, key=lambda e: (e[0], e[1])):
    n += d
    best = max(best, n)
print(best)'
}

# "yes" when the two oldest runs of daily overlapped in time.
first_two_overlap() {
	"$SLUICE" show runs --flow daily -n 1000 --json | python3 -c '
import json, sys
r = sorted(json.load(sys.stdin), key=lambda r: r["id"])[:2]
print("yes" if len(r) == 2 and r[1]["started"] < r[0]["ended"] else "no")'
}

count_runs() { # PARTITION [STATE]
	runs_of_daily | awk -v p="$1" -v s="${2:-}" '$2 == p && (s == "" || $3 == s)' | wc -l
}

# start .. next (suspend) .. next (rebuild): the rebuild's exit code in RC.
rebuild() { # START-OPTIONS...
	run_sluice backfill start daily "$@"
	assert_eq 0 "$RC" "start $*: $ERR"
	run_sluice backfill next daily
	assert_eq 0 "$RC" "suspend: $ERR"
	run_sluice backfill next daily
}

finish() { # validate, compare, approve, resume
	run_sluice backfill next daily
	assert_eq 0 "$RC" "validate: $ERR"
	run_sluice backfill next daily
	assert_eq 0 "$RC" "compare: $ERR"
	run_sluice backfill approve daily --yes
	assert_eq 0 "$RC" "approve: $ERR"
	run_sluice backfill next daily
	assert_eq 0 "$RC" "resume: $ERR"
}

partitioned_backfills() {
	write_project
	q "$RAW_SQL"
	q "CREATE TABLE poison (day date); CREATE TABLE slow_flag (x integer)"

	# Not partitioned / a bad range: clear errors, nothing started.
	run_sluice backfill start daily --from 2024-01-05 --to 2024-01-01
	assert_eq 1 "$RC" "a reversed range"
	assert_contains "$ERR" "--to 2024-01-01 is before --from 2024-01-05"
	run_sluice backfill start daily --from 2023-12-30 --to 2024-01-01
	assert_contains "$ERR" "--from 2023-12-30 is before the partition's start, 2024-01-01"
	run_sluice backfill start daily --from 2024-01-01
	assert_eq 2 "$RC" "--from alone"
	assert_contains "$ERR" "needs both --from and --to"
	run_sluice backfill start daily --from 2024-01-01 --to 2024-01-02 --reprocess some
	assert_eq 2 "$RC" "a bad --reprocess"

	# The dry run: every partition and what it would do; nothing starts.
	run_sluice backfill start daily --from 2024-01-01 --to 2024-01-10 --max-active 2 --dry-run
	assert_eq 0 "$RC" "dry run: $ERR"
	assert_contains "$OUT" "partitions 2024-01-01 to 2024-01-10 by day (day), reprocess none, 2 at a time"
	assert_contains "$OUT" "2024-01-07     run   never run"
	assert_contains "$OUT" "partitions to run: 10, to skip: 0"
	run_sluice show backfills
	assert_contains "$OUT" "no backfills" "a dry run starts nothing"

	# 10 days, at most 2 at a time; day 5 fails (poisoned).
	q "INSERT INTO poison VALUES ('2024-01-05')"
	rebuild --from 2024-01-01 --to 2024-01-10 --max-active 2
	assert_eq 1 "$RC" "a rebuild with a failed partition"
	assert_contains "$ERR" "1 of 10 partitions failed: 2024-01-05"
	assert_eq 10 "$(runs_of_daily | wc -l)" "one run per partition: $(runs_of_daily)"
	for d in 01 02 03 04 06 07 08 09 10; do
		assert_eq 1 "$(count_runs 2024-01-$d COMPLETED)" "day $d completed once"
	done
	assert_eq 1 "$(count_runs 2024-01-05 FAILED)" "day 5 failed"
	assert_eq 2 "$(most_at_once)" "runs at once with --max-active 2: $(runs_of_daily)"
	# Two at a time from the first, though daily_sales_backfill did not
	# exist yet: the first two days' first loads both made it.
	assert_eq yes "$(first_two_overlap)" "the first two partitions at once: $(runs_of_daily)"
	assert_eq 9 "$(q "SELECT count(*) FROM daily_sales_backfill")" "the days loaded"
	run_sluice show runs --flow daily --partition 2024-01-05
	assert_contains "$OUT" "FAILED"
	assert_not_contains "$OUT" "COMPLETED" "show runs --partition picks the partition"

	# The failed partition is run again alone.
	q "DELETE FROM poison"
	run_sluice backfill next daily
	assert_eq 0 "$RC" "the failed partition again: $ERR"
	assert_eq 11 "$(runs_of_daily | wc -l)" "only the failed partition ran again"
	assert_eq 1 "$(count_runs 2024-01-05 COMPLETED)" "day 5 completed"
	run_sluice backfill status daily
	assert_contains "$OUT" "partition states: COMPLETED 10"
	finish
	run_sluice backfill status daily --json
	assert_contains "$(json_squeeze <<<"$OUT")" '"key":"2024-01-05","run_id":11' "per-partition compare"
	assert_eq 10 "$(q "SELECT count(*) FROM daily_sales")" "daily_sales has 10 days"

	# A day's run fails: --reprocess none runs that day alone.
	q "INSERT INTO poison VALUES ('2024-01-03')"
	run_sluice run daily day=2024-01-03 --wait
	assert_eq 1 "$RC" "a poisoned run fails"
	q "DELETE FROM poison"
	run_sluice backfill start daily --from 2024-01-01 --to 2024-01-10 --reprocess failed --dry-run
	assert_contains "$OUT" "partitions to run: 1, to skip: 9"
	run_sluice backfill start daily --from 2024-01-01 --to 2024-01-10 --reprocess all --backwards --dry-run
	assert_contains "$OUT" "partitions to run: 10, to skip: 0"
	first=$(printf '%s\n' "$OUT" | awk '$2 == "run" {print $1; exit}')
	assert_eq 2024-01-10 "$first" "--backwards runs the newest first"
	before=$(runs_of_daily | wc -l)
	rebuild --from 2024-01-01 --to 2024-01-10 --reprocess none
	assert_eq 0 "$RC" "reprocess none: $ERR"
	assert_eq $((before + 1)) "$(runs_of_daily | wc -l)" "--reprocess none ran one partition"
	assert_eq 2 "$(count_runs 2024-01-03 COMPLETED)" "day 3 ran again (the first backfill's run and this one)"
	finish

	# The process running the partitions is killed mid-backfill: 'next'
	# (a new process, a new engine) runs the rest.
	q "$MORE_DAYS_SQL"
	before=$(runs_of_daily | tail -n 1 | cut -d' ' -f1)
	run_sluice backfill start daily --from 2024-01-11 --to 2024-01-20 --max-active 2
	assert_eq 0 "$RC" "start for the crash: $ERR"
	run_sluice backfill next daily
	"$SLUICE" backfill next daily >"$T/crash.out" 2>&1 &
	pid=$!
	# Mid-run: after a few partitions, while one runs (not in the moment
	# between one pair of runs and the next, where a kill crashes nothing).
	mid_backfill() {
		runs_after_at_least "$before" COMPLETED 3 &&
		runs_after_at_least "$before" RUNNING 1
	}
	wait_until 60 mid_backfill ||
		fail "no partition completed before the kill: $(runs_of_daily)"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	[ "$(count_runs_after "$before" COMPLETED)" -lt 10 ] ||
		fail "the backfill finished before the kill"
	run_sluice backfill next daily
	assert_eq 0 "$RC" "the rest after the kill: $ERR"
	[ "$(count_runs_after "$before" CRASHED)" -ge 1 ] ||
		fail "the kill left no run crashed: $(runs_of_daily)"
	for d in 11 12 13 14 15 16 17 18 19 20; do
		assert_eq 1 "$(count_runs 2024-01-$d COMPLETED)" "day $d completed once after the kill"
	done
	finish
	assert_eq 20 "$(q "SELECT count(*) FROM daily_sales")" "daily_sales has 20 days"

	# Pause: the run going finishes, no new one starts; resume goes on.
	run_sluice backfill start daily --from 2024-01-01 --to 2024-01-04 --reprocess all
	run_sluice backfill next daily
	before=$(runs_of_daily | tail -n 1 | cut -d' ' -f1)
	"$SLUICE" backfill next daily >"$T/pause.out" 2>&1 &
	pid=$!
	wait_until 60 runs_after_at_least "$before" "" 1 ||
		fail "no run started"
	run_sluice backfill pause daily
	assert_eq 0 "$RC" "pause: $ERR"
	if wait "$pid"; then fail "a paused rebuild ended well: $(cat "$T/pause.out")"; fi
	assert_contains "$(cat "$T/pause.out")" "paused by"
	paused_runs=$(runs_of_daily | awk -v a="$before" '$1 > a' | wc -l)
	[ "$paused_runs" -lt 4 ] || fail "pause stopped nothing: $(runs_of_daily)"
	run_sluice backfill next daily
	assert_eq 1 "$RC" "next while paused"
	assert_contains "$ERR" "resume it with 'sluice backfill resume daily'"
	run_sluice backfill resume daily
	assert_eq 0 "$RC" "resume: $ERR"
	assert_eq 4 "$(runs_of_daily | awk -v a="$before" '$1 > a && $3 == "COMPLETED"' | wc -l)" \
		"resume ran the partitions left"
	# Cancel: the rebuild is over; only discard is left.
	run_sluice backfill cancel daily
	assert_eq 0 "$RC" "cancel: $ERR"
	run_sluice backfill next daily
	assert_eq 1 "$RC" "next after cancel"
	assert_contains "$ERR" "discard it with 'sluice backfill discard daily'"
	run_sluice backfill resume daily
	assert_eq 1 "$RC" "resume after cancel"
	run_sluice backfill discard daily --yes
	assert_eq 0 "$RC" "discard: $ERR"
	run_sluice backfill next daily
	assert_eq 0 "$RC" "tasks resumed: $ERR"
}

# Runs of daily after run id AFTER (in STATE, when not "").
count_runs_after() { # AFTER STATE
	runs_of_daily | awk -v a="$1" -v s="$2" '$1 > a && (s == "" || $3 == s)' | wc -l
}
runs_after_at_least() { # AFTER STATE N
	[ "$(count_runs_after "$1" "$2")" -ge "$3" ]
}
