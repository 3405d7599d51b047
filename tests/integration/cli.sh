#!/bin/bash
# cli.sh - the command line a user meets first: help, version, finding the
# project (-C, --project, SLUICE_PROJECT, --env, SLUICE_ENV), `sluice check`
# and its exit codes, usage errors, and logging (to a file, secrets masked).
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
cd "$T"
projects="$SLUICE_SRCDIR/tests/data/projects"

# ---- help and version ---------------------------------------------------------
run_sluice --version
assert_eq 0 "$RC" "--version exit"
assert_contains "$OUT" "sluice 0."
run_sluice --help
assert_eq 0 "$RC" "--help exit"
for c in check run cancel retry "task execute" "pipe refresh" "backfill approve" \
	 "show runs" logs worker monitor shell init; do
	assert_contains "$OUT" "  $c" "--help lists $c"
done
run_sluice check --help
assert_eq 0 "$RC" "check --help exit"
assert_contains "$OUT" "usage: sluice check"
assert_contains "$OUT" "Exit status: 0 valid, 1 problems found, 2 the file cannot be read."
run_sluice help pipe refresh
assert_contains "$OUT" "usage: sluice pipe refresh PIPE"
assert_contains "$OUT" "refused in read-only mode"

# ---- usage errors: exit 2, and the message names the culprit -------------------
run_sluice --frobnicate
assert_eq 2 "$RC" "unknown option"
assert_contains "$ERR" "unknown option '--frobnicate'"
run_sluice frobnicate
assert_eq 2 "$RC" "unknown command"
assert_contains "$ERR" "unknown command 'frobnicate'"
run_sluice --log-level loud check
assert_eq 2 "$RC" "bad log level"
assert_contains "$ERR" "unknown log level 'loud'"

# ---- sluice check -----------------------------------------------------------------
cp -r "$projects/five-mistakes" five
run_sluice -C five check
assert_eq 1 "$RC" "check on a project with mistakes"
for line in \
	"sluice.json:4:27: connections.warehouse.url: a password in the URL is not allowed" \
	"sluice.json:7:46: streams[0].connection: unknown connection \"wharehouse\" (did you mean \"warehouse\"?)" \
	"sluice.json:10:37: tasks[0].schedule: minute field \"61\": 61 is out of range (0-59)" \
	"sluice.json:11:64: tasks[1].timezone: unknown time zone \"Europe/Londn\"" \
	"sluice.json:14:44: tasks[2].when: expected a number, a function call or \"(\", found \">\"" \
	"sluice.json:18:7: flows[0].descripton: unknown key \"descripton\" (did you mean \"description\"?)" \
	"sluice.json:19:56: flows[0].params.batch.default: parameter \"batch\": \"ten\" is not an integer" \
	"sluice.json:21:9: flows[0].steps[0]: missing required key \"connection\"" \
	"sluice.json:22:35: flows[0].steps[1].kind: unknown kind \"lod\" (expected extract, ingest, normalize, sql, validate, load, http, notify)" \
	"sluice.json:22:52: flows[0].steps[1].needs[0]: cycle in needs: transform -> load -> transform"; do
	assert_contains "$OUT" "$line" "check output"
done
assert_contains "$OUT" "sluice.json: 10 errors, 0 warnings"
# the password in the URL is reported, never repeated
assert_not_contains "$OUT$ERR" "hunter2" "check output"
# in file order
sorted=$(printf '%s\n' "$OUT" | grep '^sluice.json:[0-9]' | sort -t: -k2,2n -k3,3n)
assert_eq "$sorted" "$(printf '%s\n' "$OUT" | grep '^sluice.json:[0-9]')" "diagnostics in file order"

cp -r "$projects/full" full
run_sluice -C full check
assert_eq 0 "$RC" "check on a valid project: $OUT"
assert_contains "$OUT" "sluice.json: ok"

run_sluice --project full/sluice.json check
assert_eq 0 "$RC" "--project FILE"
SLUICE_PROJECT=$T/full/sluice.json run_sluice check
assert_eq 0 "$RC" "SLUICE_PROJECT"

run_sluice -C full --env nowhere check
assert_eq 1 "$RC" "unknown environment"
assert_contains "$OUT" "nowhere"
SLUICE_ENV=nowhere run_sluice -C full check
assert_eq 1 "$RC" "unknown environment from SLUICE_ENV"

mkdir empty
run_sluice -C empty check
assert_eq 2 "$RC" "no project file"
assert_contains "$ERR" "sluice.json"

mkdir broken
printf '{ "project": "x",\n  "flows": [ { "name": "a", } ]\n}\n' >broken/sluice.json
run_sluice -C broken check
assert_eq 1 "$RC" "JSON syntax error"
assert_contains "$OUT" "sluice.json:2:"

# ---- names PostgreSQL would cut: more than 63 bytes, on a PostgreSQL connection ---
# They work on SQLite; on PostgreSQL the name is cut to 63 bytes with only a
# notice, and the run fails later.  On a SQLite connection that some other
# environment makes PostgreSQL, a warning.
mkdir long
cat >long/sluice.json <<'JSON'
{ "project": "long",
  "connections": { "wh": { "url": "postgresql://etl@db.invalid/wh" },
                   "lite": { "url": "sqlite:lite.db" },
                   "dev": { "url": "sqlite:dev.db" } },
  "pipes": [
    { "name": "p", "path": "p/", "connection": "wh", "table": "raw_p",
      "columns": [ { "name": "LONG70" }, { "name": "LONG63" } ], "document": "LONG64" },
    { "name": "q", "path": "q/", "connection": "lite", "table": "raw_q",
      "columns": [ { "name": "LONG70" } ] },
    { "name": "r", "path": "r/", "connection": "dev", "table": "raw_r",
      "columns": [ { "name": "LONG64" } ] } ],
  "flows": [ { "name": "f", "steps": [
    { "name": "n", "kind": "normalize", "connection": "wh", "from": { "table": "raw_p" },
      "document": "doc", "into": "items",
      "columns": [ { "name": "LONG64", "path": "a" }, { "name": "ok", "path": "b" } ] } ] } ],
  "environments": { "prod": { "connections": { "dev": { "url": "service=prod" } } } } }
JSON
sed -i -e 's/LONG70/cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc/g' -e 's/LONG64/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd/g' -e 's/LONG63/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee/g' long/sluice.json
run_sluice -C long check
assert_eq 1 "$RC" "check with over-long names: $OUT"
for line in \
	"sluice.json:7:30: pipes[0].columns[0].name: column name \"cccccccccccccccccccccccccccccccccccccccc...\" is 70 bytes; PostgreSQL keeps 63 and cuts the rest (connection \"wh\" is PostgreSQL)" \
	"sluice.json:7:199: pipes[0].document: column name \"dddddddddddddddddddddddddddddddddddddddd...\" is 64 bytes; PostgreSQL keeps 63 and cuts the rest (connection \"wh\" is PostgreSQL)" \
	"sluice.json:11:30: warning: pipes[2].columns[0].name: column name \"dddddddddddddddddddddddddddddddddddddddd...\" is 64 bytes; PostgreSQL keeps 63 and cuts the rest (connection \"dev\" is PostgreSQL in environment prod)" \
	"sluice.json:15:30: flows[0].steps[0].columns[0].name: column name \"dddddddddddddddddddddddddddddddddddddddd...\" is 64 bytes; PostgreSQL keeps 63 and cuts the rest (connection \"wh\" is PostgreSQL)"; do
	assert_contains "$OUT" "$line" "check output"
done
assert_contains "$OUT" "sluice.json: 3 errors, 1 warning"
assert_not_contains "$OUT" "pipes[1]" "a long name on SQLite"
assert_not_contains "$OUT" "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\" is" "63 bytes is allowed"
run_sluice -C long --env prod check
assert_contains "$OUT" "sluice.json:11:30: pipes[2].columns[0].name: column name" "an error in the environment that is PostgreSQL"

# ---- a secret in a world-readable file draws a warning that does not repeat it ---
mkdir warn
cat >warn/sluice.json <<'JSON'
{ "project": "warn",
  "connections": { "warehouse": { "url": "sqlite:wh.db" } },
  "notifications": { "alerts": { "slack_webhook_env": "HOOK", "token": "xoxb-0123456789-secret" } },
  "flows": [ { "name": "f", "steps": [
    { "name": "s", "kind": "sql", "connection": "warehouse", "sql": "SELECT 1" } ] } ] }
JSON
chmod 644 warn/sluice.json
run_sluice -C warn check
assert_contains "$OUT" "sluice.json:3:72: warning: notifications.alerts.token: looks like a secret written into the file, and sluice.json is readable by every user"
assert_not_contains "$OUT$ERR" "xoxb-0123456789-secret" "a secret-looking value"

# ---- retention keys are checked ---------------------------------------------------
mkdir ret
cat >ret/sluice.json <<'JSON'
{ "project": "ret", "connections": { "wh": { "url": "sqlite:wh.db" } },
  "retention": { "logs": "7d", "runs": "forever", "transitons": "1d",
                 "every": "never", "log_rows": -5, "requests": "0s", "notifications": 3 } }
JSON
run_sluice -C ret check
assert_eq 1 "$RC" "check with bad retention"
for line in \
	"sluice.json:2:51: retention.transitons: unknown key \"transitons\" (did you mean \"transitions\"?)" \
	"sluice.json:3:48: retention.log_rows: log_rows is 0 (no cap) or more" \
	"sluice.json:3:64: retention.requests: a retention is longer than 0, or \"forever\"" \
	"sluice.json:3:87: retention.notifications: expected a duration such as \"10s\", found a number"; do
	assert_contains "$OUT" "$line" "check output"
done
assert_contains "$OUT" "sluice.json: 4 errors, 0 warnings"

# ---- no passwords on the command line: every local user can read it (ps) ---------
for url in "postgresql://etl:Hunter2-cli@127.0.0.1:1/ops" \
	   "host=127.0.0.1 port=1 password=Hunter2-cli" \
	   "host=127.0.0.1 sslpassword='Hunter2-cli'" \
	   "postgres://etl@127.0.0.1:1/ops?password=Hunter2-cli"; do
	run_sluice -C full --control "$url" worker
	assert_eq 2 "$RC" "--control $url"
	assert_contains "$ERR" "--control: a " "--control $url"
	assert_contains "$ERR" "not allowed: every local user can read a command line (ps); use ~/.pgpass"
	assert_not_contains "$OUT$ERR" "Hunter2-cli" "the refusal"
	run_sluice -C full --control="$url" check
	assert_eq 2 "$RC" "--control=$url"
done
for opt in --warehouse --source; do
	run_sluice init --demo "pw$opt" "$opt" "host=127.0.0.1 password=Hunter2-cli"
	assert_eq 2 "$RC" "init $opt with a password"
	assert_contains "$ERR" "$opt: a password in the connection string is not allowed"
	assert_not_contains "$OUT$ERR" "Hunter2-cli" "the refusal"
	[ ! -e "pw$opt" ] || fail "a refused init $opt created its directory"
done
run_sluice init plain --warehouse "postgresql://etl:Hunter2-cli@db/wh"
assert_eq 2 "$RC" "init (plain) --warehouse with a password"
[ ! -e plain/sluice.json ] || fail "init wrote a password into plain/sluice.json"
run_sluice -C full --control "postgresql://etl@127.0.0.1:1/ops" check
assert_eq 0 "$RC" "--control without a password is fine: $ERR"

# ---- logging: records to a file, secrets masked ---------------------------------
mkdir logs
cat >logs/sluice.json <<'JSON'
{ "project": "logs",
  "connections": { "wh": { "url": "postgresql://etl@127.0.0.1:1/nowhere",
                           "password_env": "SLUICE_TEST_SECRET" } },
  "flows": [ { "name": "f", "steps": [
    { "name": "s", "kind": "sql", "connection": "wh", "sql": "SELECT 1" } ] } ] }
JSON
SLUICE_TEST_SECRET=Pa55-w0rd-never-shown run_sluice -C logs --log-file "$T/sluice.log" \
	--log-level debug run f --wait
assert_eq 1 "$RC" "a run that cannot connect fails"
[ -s "$T/sluice.log" ] || fail "--log-file wrote nothing"
assert_contains "$(cat "$T/sluice.log")" "RUNNING -> " "the log file records the run"
assert_not_contains "$(cat "$T/sluice.log")$OUT$ERR" "Pa55-w0rd-never-shown" "log, output and errors"
run_sluice -C logs logs --run 1
assert_eq 0 "$RC" "logs --run 1: $ERR"
assert_contains "$OUT" "cannot open wh" "the store's record of the connection error"
assert_not_contains "$OUT$ERR" "Pa55-w0rd-never-shown" "the store's log records"
run_sluice -C logs show run 1
assert_contains "$OUT" "FAILED"
assert_not_contains "$OUT$ERR" "Pa55-w0rd-never-shown" "the run's error"
