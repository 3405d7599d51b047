# gzip_files.sh - gzip files in the lake, made by gzip(1): pipes load .gz
# files of every format (CSV, NDJSON, JSON), and gzip data without .gz in
# its name (by its magic bytes); an error's line and column are those of the
# decompressed text; a truncated or corrupt file, or a .gz name on plain
# bytes, is LOAD_FAILED with its reason and loads not one row, even under
# on_error continue; an extract with "compression": "gzip" writes a .gz
# file that gzip(1) reads and a pipe loads back; `sluice check` on a bad
# compression value.
#
# gzip_files_pg.sh runs the same with the warehouse and the control store
# on PostgreSQL (BACKEND=pg).
. "${SLUICE_SRCDIR:?}/tests/lib/testlib.sh"

BACKEND=${BACKEND:-sqlite}
P=$T/p
mkdir -p "$P/lake"
if [ "$BACKEND" = pg ]; then
	db="gzipfiles_$$"
	psql -q -d postgres -c "CREATE DATABASE $db" -c "CREATE DATABASE ${db}_ctl" >/dev/null
	WH="$SLUICE_TEST_PG dbname=$db"
	CONTROL="\"control\": \"$SLUICE_TEST_PG dbname=${db}_ctl\","
	sql() { psql -q -A -t -d "$db" -c "$1"; }
else
	WH="sqlite:wh.db"
	CONTROL=""
	sql() { sqlite3 "$P/wh.db" "$1"; }
fi
sqlite3 "$P/src.db" "CREATE TABLE orders (id integer PRIMARY KEY, item text,
	amount numeric, last_updated text);
	INSERT INTO orders VALUES (1, 'tea', 2.50, '2024-01-01 10:00:00'),
	(2, 'a \"quoted\", item', NULL, '2024-01-01 10:00:01')"
cat >"$P/sluice.json" <<JSON
{ $CONTROL
  "connections": { "wh": { "url": "$WH" }, "src": { "url": "sqlite:src.db" } },
  "pipes": [
    { "name": "csv", "path": "csv/", "format": "csv", "connection": "wh", "table": "raw_csv",
      "columns": [ { "name": "id", "type": "integer" }, { "name": "fare", "type": "numeric(8,2)" } ] },
    { "name": "nd", "path": "nd/", "format": "ndjson", "connection": "wh", "table": "raw_nd",
      "columns": [ { "name": "id", "type": "integer" }, { "name": "item", "type": "text" } ] },
    { "name": "js", "path": "js/", "format": "json", "connection": "wh", "table": "raw_js",
      "columns": [ { "name": "id", "type": "integer" } ] },
    { "name": "broken", "path": "broken/", "format": "csv", "connection": "wh",
      "table": "raw_broken", "on_error": "continue",
      "columns": [ { "name": "id", "type": "integer" }, { "name": "fare", "type": "numeric(8,2)" } ] },
    { "name": "back", "path": "out/orders/", "format": "csv", "connection": "wh",
      "table": "raw_back", "columns": [ { "name": "id", "type": "integer" },
        { "name": "item", "type": "text" }, { "name": "amount", "type": "numeric(8,2)" } ] } ],
  "flows": [
    { "name": "dump", "steps": [
        { "name": "x", "kind": "extract", "connection": "src", "tables": ["orders"],
          "watermark": "last_updated", "format": "csv", "compression": "gzip",
          "prefix": "out/", "lag": "0s" } ] } ] }
JSON
json() { # JSON PATH: one value out of a JSON text
	printf '%s' "$1" >"$T/j.json"
	sqlite3 :memory: "SELECT json_extract(readfile('$T/j.json'), '$2')"
}
# The status, rows loaded and first error (LINE:COL COLUMN: MESSAGE) of FILE in PIPE's load history.
load_of() { # PIPE FILE
	run_sluice -C "$P" show loads "$1" --json --limit 1000
	printf '%s' "$OUT" >"$T/l.json"
	sqlite3 -separator ' | ' :memory: "SELECT json_extract(value, '\$.status'),
		json_extract(value, '\$.rows_loaded'),
		coalesce(json_extract(value, '\$.first_error.line') || ':' ||
			 json_extract(value, '\$.first_error.column') || ' ' ||
			 json_extract(value, '\$.first_error.column_name') || ': ', '') ||
		coalesce(json_extract(value, '\$.first_error.message'), '')
		FROM json_each(readfile('$T/l.json'), '\$.loads')
		WHERE json_extract(value, '\$.file') = '$2'"
}

# ---- every format, gzipped by gzip(1) ------------------------------------------
mkdir -p "$P/lake/csv" "$P/lake/nd" "$P/lake/js" "$P/lake/broken"
printf 'id,fare\n1,10.50\n2,7\n3,12.25\n' >"$P/lake/csv/a.csv"
gzip -9 "$P/lake/csv/a.csv"
# gzip data under a plain name: taken by its magic bytes
printf 'id,fare\n4,1.00\n' | gzip >"$P/lake/csv/b.csv"
printf '{"id": 1, "item": "tea"}\n{"id": 2, "item": "caf\xc3\xa9"}\n' | gzip >"$P/lake/nd/a.ndjson.gz"
printf '[{"id": 7}, {"id": 8}, {"id": 9}]\n' | gzip >"$P/lake/js/a.json.gz"
run_sluice -C "$P" pipe refresh csv
assert_eq 0 "$RC" "refresh csv: $OUT $ERR"
cents() { echo "CAST(round($1 * 100) AS integer)"; }
assert_eq "1|1050
2|700
3|1225
4|100" "$(sql "SELECT id, $(cents fare) FROM raw_csv ORDER BY id")" "csv.gz rows"
assert_eq "LOADED | 3 | " "$(load_of csv csv/a.csv.gz)" "a.csv.gz history"
assert_eq "LOADED | 1 | " "$(load_of csv csv/b.csv)" "b.csv (gzip by its bytes)"
run_sluice -C "$P" pipe refresh nd
assert_eq 0 "$RC" "refresh nd: $OUT $ERR"
assert_eq "1|tea
2|café" "$(sql "SELECT id, item FROM raw_nd ORDER BY id")" "ndjson.gz rows"
run_sluice -C "$P" pipe refresh js
assert_eq 0 "$RC" "refresh js: $OUT $ERR"
assert_eq "7 8 9" "$(sql "SELECT id FROM raw_js ORDER BY id" | tr '\n' ' ' | sed 's/ $//')" \
	"json.gz rows"

# ---- errors at their place in the decompressed text ----------------------------
{ printf 'id,fare\n'; seq 1 5000 | sed 's/$/,1.5/'; printf '5001,x\n'; } | gzip >"$P/lake/broken/pos.csv.gz"
# ---- a truncated and a corrupt file, a .gz name on plain bytes -----------------
seq 1 200000 | sed 's/$/,2.5/' | { printf 'id,fare\n'; cat; } | gzip >"$T/big.csv.gz"
size=$(stat -c %s "$T/big.csv.gz")
head -c $((size / 2)) "$T/big.csv.gz" >"$P/lake/broken/cut.csv.gz"
cp "$T/big.csv.gz" "$P/lake/broken/crc.csv.gz"
# the CRC-32 in the trailer, changed: every row parses, the check fails
printf '\x00\x00\x00\x00' | dd of="$P/lake/broken/crc.csv.gz" bs=1 seek=$((size - 8)) \
	conv=notrunc status=none
printf 'id,fare\n1,2\n' >"$P/lake/broken/plain.csv.gz"
run_sluice -C "$P" pipe refresh broken
assert_eq 1 "$RC" "refresh broken exits 1: $OUT $ERR"
assert_eq "PARTIALLY_LOADED | 5000 | 5002:6 fare: expected a number, got \"x\"" \
	"$(load_of broken broken/pos.csv.gz)" "position in the decompressed text"
got=$(load_of broken broken/cut.csv.gz)
assert_contains "$got" "LOAD_FAILED | 0 | " "truncated"
assert_contains "$got" "the gzip data ends early, after"
got=$(load_of broken broken/crc.csv.gz)
assert_contains "$got" "LOAD_FAILED | 0 | " "corrupt"
assert_contains "$got" "corrupt gzip data"
assert_contains "$got" "incorrect data check"
got=$(load_of broken broken/plain.csv.gz)
assert_contains "$got" "LOAD_FAILED | 0 | " "plain bytes named .gz"
assert_contains "$got" "the file's name ends in .gz but it is not gzip data"
assert_eq 5000 "$(sql "SELECT count(*) FROM raw_broken")" "only pos.csv.gz's good rows"
assert_eq 0 "$(sql "SELECT count(*) FROM raw_broken WHERE _sluice_file <> 'broken/pos.csv.gz'")" \
	"nothing of the broken files"
cmp -s "$T/big.csv.gz" "$P/lake/broken/crc.csv.gz" && fail "the test did not change the CRC"

# ---- the extract writes gzip ---------------------------------------------------
run_sluice -C "$P" run dump
assert_eq 0 "$RC" "run dump: $OUT $ERR"
f=$(cd "$P/lake" && find out -name '*.csv.gz')
[ -n "$f" ] || fail "no .csv.gz written: $(cd "$P/lake" && find . -type f)"
gzip -t "$P/lake/$f" || fail "gzip -t $f"
assert_eq 'id,item,amount,last_updated
1,tea,2.5,2024-01-01 10:00:00
2,"a ""quoted"", item",,2024-01-01 10:00:01' "$(zcat "$P/lake/$f" | tr -d '\r')" "zcat $f"
run_sluice -C "$P" pipe refresh back
assert_eq 0 "$RC" "refresh back: $OUT $ERR"
assert_eq '1|tea|250
2|a "quoted", item|' "$(sql "SELECT id, item, $(cents amount) FROM raw_back ORDER BY id")" \
	"loaded back"

# ---- sluice check --------------------------------------------------------------
sed -i 's/"compression": "gzip"/"compression": "zip"/' "$P/sluice.json"
run_sluice -C "$P" check
assert_eq 1 "$RC" "check with a bad compression"
assert_contains "$OUT$ERR" 'sluice.json:19:72: flows[0].steps[0].compression: unknown compression "zip" (expected none, gzip or zstd)'
