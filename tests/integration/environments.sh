#!/bin/bash
# environments.sh - environments that move different data keep separate
# control stores, and each has a worker daemon of its own.
#   - an extract run in "dev" and then in "prod" (another source): prod
#     extracts its own rows.  With one store, prod's window started where
#     dev's ended and a green run extracted 0 of 2 rows;
#   - two environments that share a store named in the file, while one
#     moves other data, are an error naming both, at file:line:column;
#   - an environment that only marks (production) shares the default store;
#   - an environment that extracts its own source into another's lake is
#     an error; two projects extracting into one lake never replace each
#     other's files (the old code replaced them: rows lost);
#   - `worker --detach` in dev and in prod run side by side, each on its
#     own files and store, and a run queued in prod completes there.
set -eu
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

cd "$T"
sqlite3 dev.db "CREATE TABLE t(id int primary key, v text, last_updated text);
	INSERT INTO t VALUES (1, 'dev', '2026-12-01 00:00:00')"
sqlite3 prod.db "CREATE TABLE t(id int primary key, v text, last_updated text);
	INSERT INTO t VALUES (1, 'prod', '2025-06-01 00:00:00'), (2, 'prod2', '2025-06-02 00:00:00')"
cat > sluice.json <<'JSON'
{ "project": "envs",
  "connections": { "src": { "url": "sqlite:dev.db" } },
  "lake": { "url": "file:lake_dev" },
  "flows": [
    { "name": "ex", "steps": [ { "name": "extract", "kind": "extract", "connection": "src",
        "tables": ["t"], "watermark": "last_updated", "format": "ndjson" } ] },
    { "name": "count", "steps": [ { "name": "c", "kind": "sql", "connection": "src",
        "sql": "SELECT count(*) FROM t" } ] } ],
  "environments": {
    "prod": { "connections": { "src": { "url": "sqlite:prod.db" } },
              "lake": { "url": "file:lake_prod" } },
    "live": { "production": true } } }
JSON

# ---- one store per environment that moves other data.
run_sluice run --wait ex
assert_eq 0 "$RC" "dev extract: $ERR"
assert_contains "$OUT$ERR" "1 row in, 1 out" "dev's extract"
run_sluice --env prod run --wait ex
assert_eq 0 "$RC" "prod extract: $ERR"
assert_contains "$OUT$ERR" "2 rows in, 2 out" "prod's extract (its rows are older than dev's watermark)"
[ -f .sluice/control-prod.db ] || fail "prod has no store of its own: $(ls .sluice)"
assert_eq 2 "$(cat lake_prod/t/*/*/*/*.ndjson | wc -l)" "rows in prod's lake"
assert_eq 1 "$(sqlite3 .sluice/control.db "SELECT count(*) FROM runs")" "runs in the default store"

# ---- an environment that only marks shares the default store.
run_sluice --env live run --wait count
assert_eq 0 "$RC" "live run: $ERR"
run_sluice show run 2
assert_eq 0 "$RC" "the live run, seen from the default environment: $ERR"
assert_contains "$OUT" "environment  live"

# ---- a store named in the file and shared: an error naming both.
mkdir shared
python3 - <<'PY'
import json
d = json.load(open('sluice.json'))
d['control'] = 'sqlite:team.db'
json.dump(d, open('shared/sluice.json', 'w'), indent=2)
PY
run_sluice -C shared check
assert_eq 1 "$RC" "check of a shared store"
assert_contains "$OUT$ERR" 'sluice.json:40:13: environments.prod: environments "default" and "prod" move different data (connections or lake) but share one control store'
assert_contains "$OUT$ERR" 'give "prod" a "control" of its own'
assert_contains "$OUT$ERR" "sluice.json: 1 error," "live, which only marks, shares the store rightly"
run_sluice -C shared run --wait count
assert_eq 2 "$RC" "a run with a shared store is refused: $OUT"
# Two environments naming one store.
mkdir named
python3 - <<'PY'
import json
d = json.load(open('sluice.json'))
d['environments']['prod']['control'] = 'sqlite:ops.db'
d['environments']['live']['control'] = 'sqlite:ops.db'
json.dump(d, open('named/sluice.json', 'w'), indent=2)
PY
run_sluice -C named check
assert_eq 1 "$RC" "check of two environments naming one store"
assert_contains "$OUT$ERR" 'environments.live: environments "prod" and "live" move different data'
run_sluice -C named --env live run --wait count
assert_eq 2 "$RC" "a run with a shared store is refused: $OUT"

# ---- an environment that extracts its own source into the default's lake.
mkdir lakeshare
python3 - <<'PY'
import json
d = json.load(open('sluice.json'))
del d['environments']['prod']['lake']
json.dump(d, open('lakeshare/sluice.json', 'w'), indent=2)
PY
run_sluice -C lakeshare check
assert_eq 1 "$RC" "check of a shared lake"
assert_contains "$OUT$ERR" 'environments.prod: environment "prod" extracts from its own "src" (flow ex) into the lake of environment "default"'

# ---- two projects extracting into one lake never replace each other's
# files: the second one's window would land on the first one's key.
for p in one two; do
	mkdir "$p"
	sqlite3 "$p/src.db" "CREATE TABLE t(id int primary key, v text, last_updated text);
		INSERT INTO t VALUES (1, '$p', '2026-12-01 00:00:00')"
	cat > "$p/sluice.json" <<JSON
{ "project": "$p", "connections": { "src": { "url": "sqlite:src.db" } },
  "lake": { "url": "file:$T/one_lake" },
  "flows": [ { "name": "ex", "steps": [ { "name": "extract", "kind": "extract",
      "connection": "src", "tables": ["t"], "watermark": "last_updated" } ] } ] }
JSON
done
run_sluice -C one run --wait ex
assert_eq 0 "$RC" "project one's extract: $ERR"
run_sluice -C two run --wait ex
assert_eq 1 "$RC" "project two's extract onto one's file must fail: $ERR"
assert_contains "$ERR" "one_lake/t/2026/12/01/000000000000.ndjson exists already and holds other bytes; it is not replaced: another environment or project extracts into this lake"
assert_eq '{"id":1,"v":"one","last_updated":"2026-12-01 00:00:00"}' \
	"$(cat one_lake/t/2026/12/01/000000000000.ndjson)" "project one's file"
# The same window again (a retried attempt writes the same bytes): no error.
rm -rf one/.sluice
run_sluice -C one run --wait ex
assert_eq 0 "$RC" "project one's extract again over its own file: $ERR"

# ---- a daemon per environment.
kill_daemons() { local f; for f in .sluice/worker*.pid; do
	[ -f "$f" ] && kill -KILL "$(sed -n 1p "$f")" 2>/dev/null; done; return 0; }
at_exit kill_daemons
run_sluice worker --detach
assert_eq 0 "$RC" "dev daemon: $ERR"
run_sluice --env prod worker --detach
assert_eq 0 "$RC" "prod daemon beside dev's: $ERR $OUT"
assert_contains "$OUT" "log $T/.sluice/worker-prod.log"
dev_pid=$(sed -n 1p .sluice/worker.pid)
prod_pid=$(sed -n 1p .sluice/worker-prod.pid)
[ "$dev_pid" != "$prod_pid" ] || fail "one daemon for both environments"
run_sluice --env prod worker status
assert_eq 0 "$RC" "prod's status: $ERR"
assert_contains "$OUT" "$prod_pid"
sqlite3 prod.db "INSERT INTO t VALUES (3, 'prod3', '2025-06-03 00:00:00')"
run_sluice --env prod run ex
assert_eq 0 "$RC" "queue in prod: $ERR"
done_in_prod() { [ "$(sqlite3 .sluice/control-prod.db "SELECT state FROM runs ORDER BY id DESC LIMIT 1")" = COMPLETED ]; }
wait_until 20 done_in_prod || fail "prod's run did not complete under prod's daemon: $(cat .sluice/worker-prod.log)"
assert_eq 3 "$(cat lake_prod/t/*/*/*/*.ndjson | wc -l)" "rows in prod's lake after its daemon's run"
run_sluice --env prod worker stop
assert_eq 0 "$RC" "stop prod's daemon: $ERR"
run_sluice worker status
assert_eq 0 "$RC" "dev's daemon still runs: $ERR"
assert_contains "$OUT" "$dev_pid"
run_sluice worker stop
assert_eq 0 "$RC" "stop dev's daemon: $ERR"
echo "environments: ok"
