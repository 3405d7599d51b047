# notify_channels.sh - email and signed webhooks against real servers on
# loopback (aiosmtpd; a python http.server that checks the HMAC), on the
# real binary: a failed run's mail (subject, error, steps, the command to
# open it) and webhook document; a routing rule that sends a pipe
# rejection to email only; `sluice check` on routing; show notifications,
# notify test/retry/drop and read-only mode; the SMTP server down while a
# worker runs delays mail without blocking runs and loses nothing; and no
# secret in the store, the logs, the output or the process list.
#
# notify_channels_pg.sh runs the same with the control store on PostgreSQL
# (BACKEND=pg), where the queue's folding, claims and recoveries are
# PostgreSQL's SQL.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
BACKEND=${BACKEND:-sqlite}

RECV="$SLUICE_SRCDIR/tests/lib/notify_receivers.py"
P=$T/p
M=$T/mail
H=$T/hook
mkdir -p "$P/lake/orders" "$M" "$H"
export SMTP_USER=sluice-alerts
export SMTP_PASS='smtp-pa55-Qx7Zk'
export HOOK_SECRET='hook-s3cret-Wv9Tq'
pids=()
stop_all() { local p; for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; done; }
at_exit stop_all

start_smtp() { # [PORT]
	rm -f "$T/smtp.port"
	/usr/bin/python3 "$RECV" smtp "$M" "$T/smtp.port" "${1:-0}" 2>"$T/smtp.err" &
	SMTP_PID=$!
	pids+=("$SMTP_PID")
	wait_until 20 test -s "$T/smtp.port" || { cat "$T/smtp.err" >&2; fail "SMTP server did not start"; }
	SMTP_PORT=$(cat "$T/smtp.port")
}
start_smtp
/usr/bin/python3 "$RECV" hook "$H" "$T/hook.port" HOOK_SECRET 2>"$T/hook.err" &
pids+=("$!")
wait_until 20 test -s "$T/hook.port" || fail "webhook receiver did not start"
export SMTP_URL="smtp://127.0.0.1:$SMTP_PORT"
export HOOK_URL="http://127.0.0.1:$(cat "$T/hook.port")/in/tok-9f8e7d6c5b4a"
export no_proxy='*'
unset http_proxy HTTP_PROXY all_proxy ALL_PROXY 2>/dev/null || true

CONTROL=""
if [ "$BACKEND" = pg ]; then
	db="notify_$$"
	psql -q -d postgres -c "CREATE DATABASE $db" >/dev/null
	CONTROL="\"control\": \"$SLUICE_TEST_PG dbname=$db\","
fi
cat >"$P/sluice.json" <<JSON
{ "project": "acme", $CONTROL
  "connections": { "wh": { "url": "sqlite:wh.db" } },
  "environments": { "prod": { "production": true } },
  "notifications": {
    "mail": { "smtp_url_env": "SMTP_URL", "username_env": "SMTP_USER",
              "password_env": "SMTP_PASS", "from": "sluice@example.com",
              "to": ["ops@example.com", "Data Team <data@example.com>"] },
    "hook": { "webhook_url_env": "HOOK_URL", "secret_env": "HOOK_SECRET" },
    "nowhere": { "webhook_url_env": "NOWHERE_URL", "on": ["late_run"] } },
  "routing": { "window": "10m", "rules": [
    { "events": ["pipe_file_failed"], "pipes": ["ord*"], "channels": ["mail"] },
    { "events": ["run_failed", "run_crashed"], "min_severity": "error",
      "channels": ["mail", "hook"] } ] },
  "pipes": [ { "name": "orders", "path": "orders/", "connection": "wh",
               "table": "raw_orders" } ],
  "flows": [
    { "name": "totesys_warehouse", "steps": [
        { "name": "stage", "kind": "sql", "connection": "wh",
          "sql": "CREATE TABLE IF NOT EXISTS staged(x int)" },
        { "name": "check_facts", "kind": "sql", "connection": "wh", "needs": ["stage"],
          "sql": "SELECT * FROM no_such_facts" } ] },
    { "name": "nightly", "steps": [
        { "name": "boom", "kind": "sql", "connection": "wh", "sql": "SELECT * FROM gone" } ] },
    { "name": "flaky", "steps": [
        { "name": "read", "kind": "sql", "connection": "wh", "sql": "SELECT * FROM later" } ] },
    { "name": "quick", "steps": [
        { "name": "one", "kind": "sql", "connection": "wh", "sql": "SELECT 1" } ] } ] }
JSON
cd "$P"
mails() { ls "$M"/mail-*.eml 2>/dev/null | wc -l; }
hooks() { ls "$H"/hook-*.json 2>/dev/null | wc -l; }
mails_over() { [ "$(mails)" -gt "$1" ]; }   # for wait_until, which re-runs it
hooks_over() { [ "$(hooks)" -gt "$1" ]; }

run_sluice --env prod check
assert_eq 0 "$RC" "check exit: $ERR"

# ---- a failed run: one mail, one signed webhook document ------------------------------
run_sluice --env prod run totesys_warehouse
assert_eq 1 "$RC" "the run fails"
wait_until 10 mails_over 0 || fail "no mail arrived"
mail=$(cat "$M/mail-1.eml")
assert_contains "$mail" "Subject: [sluice prod] run 1 of totesys_warehouse FAILED at check_facts"
assert_contains "$mail" "X-Envelope-From: sluice@example.com"
assert_contains "$mail" "X-Envelope-To: ops@example.com,data@example.com"
assert_contains "$mail" "X-Authenticated: yes" "SMTP AUTH with the login from SMTP_USER"
assert_contains "$mail" "Project:     acme"
assert_contains "$mail" "Environment: prod"
assert_contains "$mail" "Host:        $(hostname)"
assert_contains "$mail" "no_such_facts" "the error"
assert_contains "$mail" "stage                    COMPLETED"
assert_contains "$mail" "check_facts              FAILED"
assert_contains "$mail" "sluice show run 1"
wait_until 10 hooks_over 0 || fail "no webhook arrived"
assert_eq OK "$(cat "$H/hook-1.sig")" "the receiver verified the signature"
doc=$(json_squeeze <"$H/hook-1.json")
for want in '"event":"run_failed"' '"project":"acme"' '"environment":"prod"' \
	"\"host\":\"$(hostname)\"" '"object":"flow:totesys_warehouse"' '"run":1' \
	'"state":"FAILED"' '"step":"check_facts"' '"time":"' '"count":1'; do
	assert_contains "$doc" "$want" "webhook document"
done
assert_contains "$doc" 'no_such_facts' "webhook error"

# ---- routing: a pipe rejection goes to email only -------------------------------------
printf '{"id": 1}\n{"id": oops}\n' >"$P/lake/orders/bad.ndjson"
run_sluice --env prod pipe refresh orders
assert_eq 1 "$RC" "a rejected file fails the refresh"
wait_until 10 mails_over 1 || fail "no mail for the rejected file"
assert_contains "$(cat "$M/mail-2.eml")" "Subject: [sluice prod] pipe orders: orders/bad.ndjson LOAD_FAILED"
assert_eq 1 "$(hooks)" "the rejection did not go to the webhook"
run_sluice --env prod show notifications --json
q=$(printf '%s' "$OUT" | json_squeeze)
assert_contains "$q" '"channel":"mail","event":"pipe_file_failed","object":"pipe:orders","state":"SENT"'
assert_not_contains "$q" '"channel":"hook","event":"pipe_file_failed"'

# The file fixed and loaded: the pipe is healthy, and the mail channel that
# heard of its trouble hears that too (the webhook heard nothing, so nothing).
printf '{"id": 1}\n{"id": 2}\n' >"$P/lake/orders/good.ndjson"
run_sluice --env prod pipe refresh orders
assert_eq 0 "$RC" "the good file loads: $ERR"
wait_until 10 mails_over 2 || fail "no recovery mail for the pipe"
assert_contains "$(cat "$M/mail-3.eml")" "Subject: [sluice prod] pipe orders is healthy again"
assert_contains "$(cat "$M/mail-3.eml")" "pipe orders is healthy again: 1 file loaded"
assert_eq 1 "$(hooks)" "no recovery for a channel that heard of no trouble"

# ---- notify test; a channel that cannot send; retry, drop, read-only ----------------
run_sluice --env prod notify test mail
assert_eq 0 "$RC" "notify test mail: $ERR"
assert_contains "$OUT" "sent a test message to channel mail"
wait_until 10 mails_over 3 || fail "no test mail"
assert_contains "$(cat "$M/mail-4.eml")" "Test message from sluice for channel mail"
run_sluice --env prod notify test nowhere
assert_eq 1 "$RC" "a channel whose variable is unset"
assert_contains "$ERR" "NOWHERE_URL is not set"
run_sluice --env prod show notifications --state failed --json
failed_id=$(printf '%s' "$OUT" | sed -n 's/.*"id":[[:space:]]*\([0-9]*\).*/\1/p' | head -1)
[ -n "$failed_id" ] || fail "no FAILED notification listed: $OUT"
assert_contains "$(printf '%s' "$OUT" | json_squeeze)" '"channel":"nowhere","event":"test"'
run_sluice --read-only --env prod notify retry "$failed_id"
assert_eq 4 "$RC" "read-only refuses notify retry"
run_sluice --read-only --env prod notify drop "$failed_id"
assert_eq 4 "$RC" "read-only refuses notify drop"
run_sluice --env prod notify retry "$failed_id"
assert_eq 0 "$RC" "notify retry: $ERR"
run_sluice --env prod show notifications --state pending
assert_contains "$OUT" "nowhere"
run_sluice --env prod notify drop "$failed_id"
assert_eq 2 "$RC" "a PENDING message cannot be dropped"
assert_contains "$ERR" "is PENDING, not FAILED"
run_sluice --env prod notify test nosuch
assert_eq 2 "$RC" "unknown channel"
assert_contains "$ERR" "no notification channel nosuch"

# ---- the SMTP server down: runs go on, the mail waits, nothing is lost --------------
kill "$SMTP_PID"
wait "$SMTP_PID" 2>/dev/null || true
"$SLUICE" --env prod worker --workers 1 >"$T/worker.out" 2>"$T/worker.err" &
WORKER=$!
pids+=("$WORKER")
before=$(mails)
start=$(date +%s)
# Another flow: a second failure of totesys_warehouse within the window
# would be held back and collapsed (notify_storm.sh).
run_sluice --env prod run nightly --wait
assert_eq 1 "$RC" "the failed run during the outage"
run_sluice --env prod run quick --wait
assert_eq 0 "$RC" "a run during the outage: $ERR"
took=$(( $(date +%s) - start ))
[ "$took" -lt 15 ] || fail "runs took ${took}s with the SMTP server down"
start=$(date +%s)
wait_until 20 sh -c "'$SLUICE' --env prod show notifications --json | grep -q 'Connection refused\|Couldn.t connect\|connect'" \
	|| { "$SLUICE" --env prod show notifications >&2; cat "$T/worker.err" >&2
	     fail "the mail was not tried while the server was down"; }
# The outage lasts until the worker has tried the mail again, after its
# backoff (10s, 20s, 40s ...), and failed again; runs keep going.
nightly_mail_attempts() {
	"$SLUICE" --env prod show notifications --json | json_squeeze |
		sed -n 's/.*"channel":"mail","event":"run_failed","object":"flow:nightly","state":"PENDING","attempts":\([0-9]*\).*/\1/p'
}
retried_while_down() { [ "$(nightly_mail_attempts)" -ge 2 ] 2>/dev/null; }
wait_until 60 retried_while_down ||
	{ "$SLUICE" --env prod show notifications >&2; cat "$T/worker.err" >&2
	  fail "the mail was not tried again while the server was down (attempts: $(nightly_mail_attempts))"; }
# And a minute's outage in all (OUTAGE=5 for a quick look): runs keep going.
left=$(( ${OUTAGE:-60} - ($(date +%s) - start) ))
[ "$left" -le 0 ] || sleep "$left"
assert_eq "$before" "$(mails)" "no mail while the server is down"
run_sluice --env prod run quick --wait
assert_eq 0 "$RC" "a run late in the outage"
start_smtp "$SMTP_PORT"
wait_until 90 mails_over "$before" ||
	{ "$SLUICE" --env prod show notifications >&2; cat "$T/smtp.err" >&2
	  fail "the delayed mail never arrived"; }
assert_contains "$(cat "$M/mail-$((before + 1)).eml")" \
	"Subject: [sluice prod] run 2 of nightly FAILED at boom"
run_sluice --env prod show notifications --json
q=$(printf '%s' "$OUT" | json_squeeze)
assert_contains "$q" '"channel":"mail","event":"run_failed","object":"flow:nightly","state":"SENT"'
attempts=$(printf '%s' "$q" | sed -n 's/.*"id":\([0-9]*\),"channel":"mail","event":"run_failed","object":"flow:nightly","state":"SENT","attempts":\([0-9]*\).*/\2/p')
[ "${attempts:-0}" -ge 2 ] || fail "the mail went on attempt ${attempts:-?}, not after retries"
assert_eq "$((before + 1))" "$(mails)" "one mail for the failed run, not more"
kill "$WORKER"
wait "$WORKER" 2>/dev/null || true

# ---- a flow that fails, then runs well: a recovery follows its failure ----------
before=$(mails)
run_sluice --env prod run flaky
assert_eq 1 "$RC" "flaky fails first"
sqlite3 "$P/wh.db" "CREATE TABLE later(x int)"
run_sluice --env prod run flaky
assert_eq 0 "$RC" "flaky runs well once its table exists: $ERR"
wait_until 10 mails_over "$((before + 1))" || fail "no recovery mail for the flow"
assert_contains "$(cat "$M/mail-$((before + 1)).eml")" "of flaky FAILED at read"
recovery=$(cat "$M/mail-$((before + 2)).eml")
assert_contains "$recovery" "Subject: [sluice prod] flow flaky is healthy again"
assert_contains "$recovery" "flow flaky is healthy again: run"
assert_contains "$recovery" "Host:        $(hostname)"

# ---- no secret anywhere -------------------------------------------------------------
ps -eo args >"$T/ps.txt"
if [ "$BACKEND" = pg ]; then
	pg_dump -d "$db" >"$T/store.txt"
else
	sqlite3 "$P/.sluice/control.db" .dump >"$T/store.txt"
fi
grep -q 'flow:nightly' "$T/store.txt" || fail "the store dump holds no notifications"
for f in "$T/store.txt" "$T/ps.txt" "$T/worker.out" "$T/worker.err" $(find "$P" -path "$P/lake" -prune -o -type f -name '*.log' -print); do
	for secret in "$SMTP_PASS" "$HOOK_SECRET" "tok-9f8e7d6c5b4a"; do
		if grep -q -- "$secret" "$f"; then fail "$f holds a secret"; fi
	done
done
run_sluice --env prod logs --limit 1000
assert_not_contains "$OUT$ERR" "$SMTP_PASS"
assert_not_contains "$OUT$ERR" "tok-9f8e7d6c5b4a"
