# pipe_validate.sh - 'sluice pipe validate' on the real binary (Snowflake's
# VALIDATION_MODE): every error of the pending files with file, line,
# column and column name, in text and --json, and nothing loaded or
# recorded; --file picks one file whatever its state.
. "${SLUICE_SRCDIR:?}/tests/lib/testlib.sh"

P=$T/p
mkdir -p "$P/lake/sales/2024"
cat >"$P/sluice.json" <<JSON
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "pipes": [ { "name": "sales", "path": "sales/", "format": "csv",
               "connection": "wh", "table": "raw_sales", "skip_header": 1,
               "null_if": [ "n/a" ],
               "columns": [ { "name": "id", "type": "integer" },
                            { "name": "amount", "type": "numeric(5,2)" },
                            { "name": "sold", "type": "date" } ] } ] }
JSON
json() { # JSON PATH: one value out of a JSON text
	printf '%s' "$1" >"$T/j.json"
	sqlite3 :memory: "SELECT json_extract(readfile('$T/j.json'), '$2')"
}
printf 'till export\nid,amount,sold\n1,10.50,2024-01-02\n2,n/a,2024-01-03\n' \
	>"$P/lake/sales/2024/good.csv"
printf 'till export\nid,amount,sold\n1,1.5,2024-02-01\nx,2,2024-02-02\n3,12345.1,2024-02-03\n4,3,2024-02-30\n5,4\n' \
	>"$P/lake/sales/2024/bad.csv"

run_sluice -C "$P" pipe validate sales
assert_eq 1 "$RC" "validate with errors exits 1 ($ERR)"
assert_contains "$OUT" "FILE"
assert_contains "$OUT" "COLUMN NAME"
assert_contains "$OUT" "sales/2024/bad.csv  4     1       id"
assert_contains "$OUT" "expected an integer, got \"x\""
assert_contains "$OUT" "sales/2024/bad.csv  5"
assert_contains "$OUT" "12345.1 does not fit numeric(5,2)"
assert_contains "$OUT" "sales/2024/bad.csv  6     5       sold"
assert_contains "$OUT" "expected 3 fields, found 2"
assert_contains "$OUT" "pipe sales: 2 files, 7 records read, 4 errors; nothing was loaded"
assert_contains "$ERR" "pipe sales: 4 errors in its pending files"

run_sluice -C "$P" pipe validate sales --format json
assert_eq 1 "$RC" "json"
assert_eq 4 "$(json "$OUT" '$.errors')" "errors"
assert_eq 2 "$(json "$OUT" '$.files')" "files"
assert_eq "sales/2024/bad.csv" "$(json "$OUT" '$.problems[0].file')" "file"
assert_eq 4 "$(json "$OUT" '$.problems[0].line')" "line"
assert_eq 1 "$(json "$OUT" '$.problems[0].column')" "column"
assert_eq id "$(json "$OUT" '$.problems[0].column_name')" "column name"
assert_eq amount "$(json "$OUT" '$.problems[1].column_name')" "column name"
assert_eq sold "$(json "$OUT" '$.problems[2].column_name')" "column name"
assert_eq 7 "$(json "$OUT" '$.problems[3].line')" "short record's line"

# Nothing was loaded or recorded: no table, no history, both files pending.
[ -e "$P/wh.db" ] && assert_eq "" "$(sqlite3 "$P/wh.db" "SELECT name FROM sqlite_master WHERE name = 'raw_sales'")" "no table"
run_sluice -C "$P" show pipes --json
assert_eq 2 "$(json "$OUT" '$[0].pending_files')" "pending files after validate"
run_sluice -C "$P" show loads sales
assert_contains "$OUT" "has loaded nothing yet"

# A clean file: exit 0.  --file picks one file, even a loaded one.
run_sluice -C "$P" pipe validate sales --file sales/2024/good.csv
assert_eq 0 "$RC" "good file ($ERR)"
assert_contains "$OUT" "pipe sales: 1 file, 2 records read, 0 errors; nothing was loaded"
run_sluice -C "$P" pipe refresh sales
run_sluice -C "$P" pipe validate sales
assert_eq 0 "$RC" "after the refresh nothing is pending ($ERR)"
assert_contains "$OUT" "pipe sales: 0 files, 0 records read, 0 errors"
run_sluice -C "$P" pipe validate sales --file sales/2024/good.csv
assert_eq 0 "$RC" "a loaded file validates ($ERR)"
assert_contains "$OUT" "1 file, 2 records read, 0 errors"
run_sluice -C "$P" pipe validate sales --file other/x.csv
assert_eq 1 "$RC" "a file outside the pipe"
assert_contains "$ERR" "other/x.csv is not under the pipe's path sales/"

echo ok
