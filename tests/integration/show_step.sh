#!/bin/bash
# show_step.sh - `sluice show step RUN STEP [--diff] [--json]` (issue 16):
# the SQL file a step of a run used, recorded when the run started, beside
# the file on disk now; the line diff after the file is edited; a step
# without a file shown by its spec; clear errors for what does not exist.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
# nightly: stage (inline SQL), transform (sql/transform.sql), publish
cp -r "$SLUICE_SRCDIR/tests/data/projects/definitions" "$T/p"
mkdir -p "$T/p/sql"
cd "$T/p"
printf '%s\n' 'DELETE FROM stg;' 'INSERT INTO stg (id)' 'SELECT 1;' >sql/transform.sql
run_sluice run nightly
assert_eq 0 "$RC" "run 1"

# unchanged: the text the run used, and "the same"
run_sluice show step 1 transform
assert_eq 0 "$RC" "show step"
assert_contains "$OUT" "File:  sql/transform.sql"
assert_contains "$OUT" "the same"
assert_contains "$OUT" "INSERT INTO stg (id)"

# edited on disk after the run
printf '%s\n' 'DELETE FROM stg;' 'INSERT INTO stg (id)' 'SELECT 2;' 'SELECT 3;' >sql/transform.sql
run_sluice show step 1 transform
assert_contains "$OUT" "differs by 3 lines"
assert_contains "$OUT" "SELECT 1;"                  # what the run used, not the disk
assert_not_contains "$OUT" "SELECT 2;"
run_sluice show step 1 transform --diff
assert_eq 0 "$RC" "show step --diff"
want=$(printf '%s\n' ' DELETE FROM stg;' ' INSERT INTO stg (id)' '-SELECT 1;' '+SELECT 2;' '+SELECT 3;')
assert_eq "$want" "$(printf '%s\n' "$OUT" | sed -n '/^$/,$p' | sed 1d)" "the diff"

# A value of the JSON in $OUT: a python expression over it (d).
jv() {
	python3 -c 'import json, sys; d = json.loads(sys.stdin.read()); v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))' "$1" <<<"$OUT"
}

# JSON: both texts, their hashes, the diff's lines
run_sluice show step 1 transform --json
assert_eq 0 "$RC" "show step --json"
assert_eq "true" "$(jv "d['recorded']")" "recorded"
assert_eq "true" "$(jv "d['changed']")" "changed"
assert_eq 3 "$(jv "d['changed_lines']")" "changed lines"
assert_eq "$(printf 'DELETE FROM stg;\nINSERT INTO stg (id)\nSELECT 1;')" \
	"$(jv "d['used']['text']")" "used text"
assert_eq "$(sha256sum sql/transform.sql | cut -d' ' -f1)" "$(jv "d['now']['hash']")" "now hash"
assert_eq '["-SELECT 1;","+SELECT 2;","+SELECT 3;"]' \
	"$(jv "[l for l in d['diff'] if not l.startswith(' ')]")" "diff lines"

# a step without a file: its spec, as JSON
run_sluice show step 1 stage --format json
assert_eq "null" "$(jv "d['file']")" "stage has no file"
assert_contains "$(jv "d['used']['text']")" '"sql": "CREATE TABLE IF NOT EXISTS stg (id integer)"'

# a second run of the unchanged flow stores no second copy of a text
run_sluice run nightly
run_sluice run nightly
n=$(sqlite3 .sluice/control.db "SELECT count(*) FROM step_defs")
assert_eq 9 "$(sqlite3 .sluice/control.db "SELECT count(*) FROM run_step_defs")" "3 runs of 3 steps"
assert_eq 4 "$n" "texts stored once each (stage, publish, transform before and after the edit)"

# the file gone from disk: what the run used is still there, and why not now
rm sql/transform.sql
run_sluice show step 1 transform
assert_eq 0 "$RC" "show step, file gone"
assert_contains "$OUT" "SELECT 1;"
assert_contains "$OUT" "SQL file sql/transform.sql"

run_sluice show step 1 nope
assert_eq 1 "$RC" "unknown step"
assert_contains "$ERR" "run 1 (flow nightly) has no step nope"
run_sluice show step 99 transform
assert_eq 1 "$RC" "unknown run"
assert_contains "$ERR" "no run 99"
echo "ok: show step"
