# retention_lib.sh - the control store's retention, as an operator meets
# it: `sluice store prune --dry-run` says per kind what would go and
# deletes nothing, `sluice store prune` deletes exactly that, and a
# `sluice worker` applies the project's retention on its own.  Aged rows
# are made by moving their times back in the store.  The load history of a
# file still in the lake stays however old, so the pipe never loads it
# again; that of a file gone goes.  Shared by retention.sh (SQLite store)
# and retention_pg.sh (PostgreSQL store); the caller sets CONTROL (the
# "control" of the project) and sq (SQL on the store, rows as a|b).

. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

P=$T/ret
DAY_US=86400000000

make_retention_project() {
	mkdir -p "$P/lake/orders"
	printf '{"id": 1}\n' >"$P/lake/orders/000001.json"
	printf '{"id": 2}\n' >"$P/lake/orders/000002.json"
	cat >"$P/sluice.json" <<JSON
{ "project": "retention", "control": "$CONTROL",
  "connections": { "wh": { "url": "sqlite:wh.db" } },
  "lake": { "url": "file:lake" },
  "pipes": [ { "name": "orders", "path": "orders/", "connection": "wh",
               "table": "raw_orders", "document": "doc" } ],
  "flows": [ { "name": "f", "steps": [
    { "name": "s", "kind": "sql", "connection": "wh", "sql": "SELECT 1" } ] } ],
  "retention": { "logs": "7d", "runs": "7d", "task_history": "7d",
                 "load_history": "7d", "every": "1s" } }
JSON
}

# Move run $1 (its end, transitions and log records) and every load
# history record back ten days.
age_run() {
	sq "UPDATE runs SET ended_at = ended_at - 10 * $DAY_US WHERE id = $1" >/dev/null
	sq "UPDATE logs SET at = at - 10 * $DAY_US WHERE run_id = $1" >/dev/null
}
age_loads() {
	sq "UPDATE load_history SET loaded_at = loaded_at - 10 * $DAY_US" >/dev/null
}

count() { sq "SELECT count(*) FROM $1"; }

retention_checks() {
	make_retention_project
	cd "$P"
	run_sluice check
	assert_eq 0 "$RC" "check: $OUT"
	for i in 1 2 3; do
		run_sluice run f --wait
		assert_eq 0 "$RC" "run $i: $ERR"
	done
	run_sluice pipe refresh orders
	assert_eq 0 "$RC" "pipe refresh: $ERR"
	assert_eq 2 "$(sqlite3 wh.db 'SELECT count(*) FROM raw_orders')" "rows loaded"
	rm lake/orders/000002.json
	age_run 1
	age_loads
	local logs_before runs_before
	logs_before=$(count logs)
	runs_before=$(count runs)

	# ---- a dry run says what would go and deletes nothing
	run_sluice store prune --dry-run
	assert_eq 0 "$RC" "store prune --dry-run: $ERR"
	assert_contains "$OUT" "would delete"
	printf '%s\n' "$OUT" | grep -Eq '^runs +7d +1 ' || fail "dry run, runs: $OUT"
	printf '%s\n' "$OUT" | grep -Eq '^load_history +7d +1 ' || fail "dry run, load history: $OUT"
	printf '%s\n' "$OUT" | grep -Eq '^logs +7d +[1-9]' || fail "dry run, logs: $OUT"
	assert_eq "$logs_before" "$(count logs)" "log records after a dry run"
	assert_eq "$runs_before" "$(count runs)" "runs after a dry run"
	assert_eq 2 "$(count load_history)" "load history after a dry run"

	# ---- the prune deletes exactly that
	run_sluice store prune
	assert_eq 0 "$RC" "store prune: $ERR"
	assert_contains "$OUT" "deleted "
	assert_contains "$OUT" "runs 1"
	assert_contains "$OUT" "load history entries 1"
	assert_eq 0 "$(sq 'SELECT count(*) FROM runs WHERE id = 1')" "the aged run"
	assert_eq 0 "$(sq 'SELECT count(*) FROM run_transitions WHERE run_id = 1')" "its transitions"
	assert_eq 0 "$(sq 'SELECT count(*) FROM step_runs WHERE run_id = 1')" "its steps"
	assert_eq 0 "$(sq 'SELECT count(*) FROM logs WHERE run_id = 1')" "its log records"
	assert_eq 2 "$(sq 'SELECT count(*) FROM runs WHERE id IN (2, 3)')" "young runs"
	[ "$(sq 'SELECT count(*) FROM logs WHERE run_id = 2')" -gt 0 ] || fail "young log records went"
	assert_eq "orders/000001.json" \
		"$(sq "SELECT file_key FROM load_history WHERE pipe = 'orders'")" \
		"the record of the file still in the lake"
	# ... which keeps the pipe from loading it again
	run_sluice pipe refresh orders
	assert_eq 0 "$RC" "pipe refresh after the prune: $ERR"
	assert_eq 2 "$(sqlite3 wh.db 'SELECT count(*) FROM raw_orders')" "rows after the prune"

	# ---- a worker prunes on its own
	age_run 2
	"$SLUICE" worker --workers 1 2>"$T/worker.log" &
	WPID=$!
	at_exit stop_worker
	local i gone=
	for i in $(seq 1 200); do
		if [ "$(sq 'SELECT count(*) FROM runs WHERE id = 2')" = 0 ]; then gone=1; break; fi
		sleep 0.1
	done
	[ -n "$gone" ] || fail "the worker did not prune run 2: $(cat "$T/worker.log")"
	assert_eq 1 "$(sq 'SELECT count(*) FROM runs WHERE id = 3')" "the young run"
	wait_until 10 grep -q "retention: pruned .*runs 1" "$T/worker.log" ||
		fail "the worker did not say what it pruned: $(cat "$T/worker.log")"
	stop_worker
}

stop_worker() {
	[ -n "${WPID:-}" ] || return 0
	kill "$WPID" 2>/dev/null || true
	wait "$WPID" 2>/dev/null || true
	WPID=
}
