#!/bin/bash
# formats.sh - `--format table|json|csv`, global or after the command, and
# `--json` as its alias: every show command that lists rows prints them as
# RFC 4180 CSV from the one table printer (a header row, fields with a
# comma, a quote or a line break quoted), read back here with python3's csv
# module and checked against the same command's JSON; `--json` prints
# exactly what `--format json` prints.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

cd "$T"
cat > sluice.json <<'EOF'
{ "connections":{ "wh":{ "url":"sqlite:wh.db" } },
  "tasks":[ { "name":"hourly", "schedule":"every 1 hour", "flow":"load" } ],
  "tables":{ "t":{ "connection":"wh", "kind":"fact",
                   "description":"a note, with a comma and \"quotes\"" } },
  "flows":[
    { "name":"load", "steps":[
        { "name":"make", "kind":"sql", "connection":"wh",
          "sql":"CREATE TABLE t(id int PRIMARY KEY, a text, b text, c text); INSERT INTO t VALUES (1, 'a,b', 'say \"hi\"', 'two' || char(10) || 'lines'), (2, 'plain', NULL, 'x')" } ] },
    { "name":"broken", "steps":[
        { "name":"oops", "kind":"sql", "connection":"wh",
          "sql":"SELECT * FROM \"no,such\"\"table\"" } ] } ] }
EOF
run_sluice run load
assert_eq 0 "$RC" "run load: $ERR"
run_sluice run broken
assert_eq 1 "$RC" "run broken"

# The output of a command in a file, as it was written (a $(...) would
# drop the last line break).
sluice_to() { # FILE ARGS...
	local file=$1
	shift
	set +e
	"$SLUICE" "$@" >"$file" 2>"$T/.stderr"
	RC=$?
	set -e
	ERR=$(cat "$T/.stderr")
}

# The CSV in $T/out.csv, the JSON of the same command in $json_file (if
# set): rows, header and body, checked by the python code given.
check_csv() { # WHAT PYTHON-CHECK
	python3 -c '
import csv, io, json, sys
text = open(sys.argv[3], "rb").read().decode()
rows = list(csv.reader(io.StringIO(text, newline="")))
doc = json.loads(open(sys.argv[1]).read()) if sys.argv[1] else None
header, body = rows[0], rows[1:]
assert all(len(r) == len(header) for r in body), "ragged rows: %r" % rows
assert text.endswith("\r\n"), "records end with CRLF"
exec(sys.argv[2])
' "$json_file" "$2" "$T/out.csv" || fail "$1: CSV does not read back: $(cat "$T/out.csv")"
}
json_file=$T/doc.json

run_sluice show runs --json; printf '%s' "$OUT" >"$json_file"
sluice_to "$T/out.csv" show runs --format csv
assert_eq 0 "$RC" "show runs --format csv: $ERR"
check_csv "show runs" '
assert header == ["RUN", "FLOW", "STATE", "TRIGGER", "ATTEMPT", "STARTED", "DURATION", "ROWS IN", "ROWS OUT", "ERROR"], header
assert [(r[0], r[1], r[2]) for r in body] == [(str(d["id"]), d["flow"], d["state"]) for d in doc], body
err = [r[9] for r in body if r[1] == "broken"][0]
assert "no,such\"table" in err, err'
sluice_to "$T/global.csv" --format csv show runs
cmp -s "$T/out.csv" "$T/global.csv" || fail "--format csv before the command differs"

run_sluice show flows --json; printf '%s' "$OUT" >"$json_file"
sluice_to "$T/out.csv" show flows --format=csv
assert_eq 0 "$RC" "show flows --format=csv: $ERR"
check_csv "show flows" '
assert header[0] == "FLOW" and header[-1] == "LAST RUN", header
assert sorted(r[0] for r in body) == sorted(d["name"] for d in doc) == ["broken", "load"], body'

run_sluice show tasks --json; printf '%s' "$OUT" >"$json_file"
sluice_to "$T/out.csv" --format csv show tasks
assert_eq 0 "$RC" "show tasks: $ERR"
check_csv "show tasks" '
assert header == ["TASK", "STATE", "SCHEDULE", "NEXT", "LAST", "LAST AT", "ACTION"], header
assert [(r[0], r[1], r[6]) for r in body] == [("hourly", "STARTED", "flow load")], body'

run_sluice show table t --json; printf '%s' "$OUT" >"$json_file"
sluice_to "$T/out.csv" show table t --format csv
assert_eq 0 "$RC" "show table t: $ERR"
check_csv "show table t" '
assert header == [c["name"] for c in doc["columns"]] == ["id", "a", "b", "c"], header
assert body == [["1", "a,b", "say \"hi\"", "two\nlines"], ["2", "plain", "", "x"]], body
assert [[v if v is not None else "" for v in r] for r in doc["rows"]] == body'

run_sluice show tables --json; printf '%s' "$OUT" >"$json_file"
sluice_to "$T/out.csv" show tables --format csv
assert_eq 0 "$RC" "show tables: $ERR"
check_csv "show tables" '
assert header[:4] == ["TABLE", "KIND", "CONNECTION", "ROWS"], header
assert [(r[0], r[1], r[3], r[7]) for r in body] == [("t", "fact", "2", "a note, with a comma and \"quotes\"")], body
assert [d["name"] for d in doc] == ["t"], doc'

# Pipes, their loads and streams: a rejected file's error has a comma and
# quotes in it.
P=$T/p
mkdir -p "$P/lake/orders"
cat >"$P/sluice.json" <<'EOF'
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "pipes": [ { "name": "orders", "path": "orders/", "pattern": "*.ndjson",
               "connection": "wh", "table": "raw_orders", "document": "doc",
               "columns": [ { "name": "order_id", "type": "integer" } ] } ],
  "streams": [ { "name": "orders_stream", "connection": "wh", "table": "raw_orders" } ] }
EOF
printf '{"order_id": 1}\n' >"$P/lake/orders/a.ndjson"
printf '{"order_id": "four, \\"4\\""}\n' >"$P/lake/orders/b.ndjson"
run_sluice -C "$P" pipe refresh orders
assert_eq 1 "$RC" "refresh with a bad file"
run_sluice -C "$P" show loads orders --json; printf '%s' "$OUT" >"$json_file"
sluice_to "$T/out.csv" -C "$P" show loads orders --format csv
assert_eq 0 "$RC" "show loads: $ERR"
assert_contains "$ERR" "page 1 of 1" "the page line goes beside the CSV"
check_csv "show loads" '
assert header[:3] == ["LOADED AT", "FILE", "STATUS"], header
assert sorted((r[1], r[2]) for r in body) == sorted((d["file"], d["status"]) for d in doc["loads"]), body
assert any("four" in r[8] for r in body), body'
run_sluice -C "$P" show pipes --json; printf '%s' "$OUT" >"$json_file"
sluice_to "$T/out.csv" -C "$P" show pipes --format csv
check_csv "show pipes" '
assert header[0] == "NAME" and [(r[0], r[1]) for r in body] == [(d["name"], d["state"]) for d in doc] == [("orders", "RUNNING")], body'
run_sluice -C "$P" show streams --json; printf '%s' "$OUT" >"$json_file"
sluice_to "$T/out.csv" -C "$P" show streams --format csv
check_csv "show streams" '
assert header[0] == "NAME" and [r[0] for r in body] == [d["name"] for d in doc] == ["orders_stream"], body'

# A list with no rows is still a CSV document: the header alone.
json_file=
sluice_to "$T/out.csv" show notifications --format csv
assert_eq 0 "$RC" "show notifications: $ERR"
check_csv "show notifications" '
assert header[0] == "ID" and body == [], rows'
sluice_to "$T/out.csv" show task-history hourly --format csv
check_csv "show task-history" '
assert header[0] == "SCHEDULED" and body == [], rows'
sluice_to "$T/out.csv" show backfills --format csv
check_csv "show backfills" '
assert header == ["ID", "FLOW", "STEP", "STATE", "UPDATED"] and body == [], rows'

# --json is --format json, byte for byte, before or after the command.
for c in "show runs" "show flows" "show table t" "show tables" "show run 2" \
	 "show notifications"; do
	run_sluice $c --json; a=$OUT
	run_sluice $c --format json; b=$OUT
	run_sluice --format json $c; g=$OUT
	run_sluice --json $c; j=$OUT
	assert_eq "$a" "$b" "$c: --json and --format json"
	assert_eq "$a" "$g" "$c: --format json before the command"
	assert_eq "$a" "$j" "$c: --json before the command"
	case $a in \[*|\{*) ;; *) fail "$c --json: not JSON: $a" ;; esac
done
# The table stays the default.
run_sluice show runs --format table
assert_contains "$OUT" "RUN     FLOW"

# What a command cannot print is a usage error naming it.
sluice_to "$T/out.csv" show run 1 --format csv
assert_eq 2 "$RC" "show run has no CSV"
assert_contains "$ERR" "'show run' has no csv output"
sluice_to "$T/out.csv" --format csv logs
assert_eq 2 "$RC" "logs has no CSV"
assert_contains "$ERR" "'logs' has no csv output"
run_sluice show runs --format xml
assert_eq 2 "$RC" "an unknown format"
assert_contains "$ERR" "--format: expected table, json or csv, not 'xml' (usage: show runs"
run_sluice --format xml show runs
assert_eq 2 "$RC" "an unknown global format"
assert_contains "$ERR" "unknown format 'xml'"
run_sluice run load --json
assert_eq 2 "$RC" "--json on a command that prints no formats"
assert_contains "$ERR" "unknown option '--json' (usage: run FLOW"
