# late_notify_lib.sh - a scheduled run that no engine marked LATE (none ran
# at its time, or the one that holds the scheduler lease is gone) is marked
# by the claim that finally takes it; that claim sends the flow's late_run
# notification, to a real webhook receiver, once.  And when the scheduler
# and the claim may both see the run overdue, one message still goes.
# Shared by late_notify.sh (SQLite control store) and late_notify_pg.sh;
# the caller sets CONTROL (a "control" member, or empty) and store_sql
# (runs one SQL statement on the control store).
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

RECV="$SLUICE_SRCDIR/tests/lib/notify_receivers.py"
H=$T/hook
mkdir -p "$H"
export HOOK_SECRET='late-s3cret-Kp4Rz'
hooks() { ls "$H"/hook-*.json 2>/dev/null | wc -l; }
hooks_over() { [ "$(hooks)" -gt "$1" ]; }
late_hooks_of() { # RUN: how many late_run documents are about run RUN
	python3 -c '
import glob, json, sys
docs = [json.load(open(f)) for f in glob.glob(sys.argv[1] + "/hook-*.json")]
print(sum(d.get("event") == "late_run" and d.get("run") == int(sys.argv[2]) for d in docs))' "$H" "$1"
}

start_receiver() {
	/usr/bin/python3 "$RECV" hook "$H" "$T/hook.port" HOOK_SECRET 2>"$T/hook.err" &
	RECV_PID=$!
	at_exit "kill $RECV_PID"
	wait_until 20 test -s "$T/hook.port" || fail "webhook receiver did not start"
	export HOOK_URL="http://127.0.0.1:$(cat "$T/hook.port")/in/late"
	export no_proxy='*'
	unset http_proxy HTTP_PROXY all_proxy ALL_PROXY 2>/dev/null || true
}

make_late_project() {
	cd "$T"
	cat > sluice.json <<JSON
{ "project": "acme", $CONTROL
  "connections": { "wh": { "url": "sqlite:wh.db" } },
  "notifications": {
    "hook": { "webhook_url_env": "HOOK_URL", "secret_env": "HOOK_SECRET",
              "on": ["late_run"] } },
  "flows": [ { "name": "tardy", "late_after": "1s", "steps": [
      { "name": "s", "kind": "sql", "connection": "wh", "sql": "SELECT 1" } ] },
    { "name": "tardy2", "late_after": "1s", "steps": [
      { "name": "s", "kind": "sql", "connection": "wh", "sql": "SELECT 1" } ] } ] }
JSON
}

run_state() { "$SLUICE" show run "$1" --json | json_squeeze |
	sed -n 's/^{[^{]*"state":"\([A-Z]*\)".*/\1/p' | head -1; }
run_is() { [ "$(run_state "$1")" = "$2" ]; }

start_worker() {
	"$SLUICE" worker --workers 1 --grace 5s 2> "$T/worker.log" &
	WPID=$!
	wait_until 30 grep -q 'ready' "$T/worker.log" || fail "worker did not start: $(cat "$T/worker.log")"
}
stop_worker() {
	kill -TERM "$WPID" 2>/dev/null || true
	wait "$WPID" 2>/dev/null || true
}

# A run of FLOW scheduled 1 s ahead with no engine, left until its
# late_after has passed (shown LATE, stored SCHEDULED).
overdue_run() { # FLOW
	run_sluice run "$1" --at +1s
	assert_eq 0 "$RC" "run --at with no engine: $ERR"
	RUN=$OUT
	wait_until 30 run_is "$RUN" LATE || fail "run $RUN is not shown LATE"
}

late_notify_cases() {
	start_receiver
	at_exit stop_worker
	make_late_project
	run_sluice check
	assert_eq 0 "$RC" "check: $ERR"

	# ---- the claim marks it: another engine (gone now) still holds the
	# scheduler lease for ten minutes, so the new worker's scheduler never
	# looks; the worker's claim finds the run overdue and says so.
	overdue_run tardy
	local now_us=$(( $(date +%s) * 1000000 ))
	store_sql "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES
		('scheduler', 'gone-host:1:1', $now_us, $(( now_us + 600000000 )))"
	start_worker
	wait_until 30 run_is "$RUN" COMPLETED || fail "run $RUN did not complete: $(cat "$T/worker.log")"
	run_sluice show run "$RUN"
	assert_contains "$OUT" "SCHEDULED  -> LATE" "run $RUN's history"
	wait_until 20 hooks_over 0 ||
		{ "$SLUICE" show notifications >&2; fail "no late_run notification for run $RUN"; }
	sleep 2       # a second message, if any, would come within this
	assert_eq 1 "$(late_hooks_of "$RUN")" "late_run messages about run $RUN"
	assert_eq OK "$(cat "$H/hook-1.sig")" "the receiver verified the signature"
	doc=$(json_squeeze < "$H/hook-1.json")
	for want in '"event":"late_run"' '"object":"flow:tardy"' "\"run\":$RUN" '"state":"LATE"'; do
		assert_contains "$doc" "$want" "late_run document"
	done
	stop_worker

	# ---- both may see it: the scheduler (lease free now) and the claim
	# race for the overdue run when the worker starts; one message only.
	# (Another flow: a second message about flow:tardy within the routing
	# window would be folded into the first.)
	store_sql "DELETE FROM leases WHERE name = 'scheduler'"
	overdue_run tardy2
	local before
	before=$(hooks)
	start_worker
	wait_until 30 run_is "$RUN" COMPLETED || fail "run $RUN did not complete"
	wait_until 20 hooks_over "$before" || fail "no late_run notification for run $RUN"
	sleep 2
	assert_eq 1 "$(late_hooks_of "$RUN")" "late_run messages about run $RUN (both paths)"
	stop_worker
}
