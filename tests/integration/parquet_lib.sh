# parquet_lib.sh - Parquet in the lake, proven against an implementation
# that is not sluice's: hyparquet and hyparquet-writer from the npm
# registry, installed by scripts/test into tests/parquet/node_modules (from
# tests/parquet/package-lock.json; nothing is downloaded here).  Shared by
# parquet.sh (SQLite) and parquet_pg.sh (PostgreSQL).
#
#  - an extract writes "format": "parquet" (small row groups, each
#    compression); hyparquet reads every value back exactly, and the
#    schema's types are the ones the source's columns map to;
#  - a pipe loads that file back: the raw table holds the source's rows;
#  - a pipe loads files hyparquet-writer wrote (snappy, gzip, none; INT32,
#    INT64, DOUBLE, UTF-8, BOOLEAN, DATE, TIMESTAMP millis and micros,
#    DECIMAL as FIXED_LEN_BYTE_ARRAY and INT64) with every value exact;
#  - a bad value is a bad record at its row group and row, under on_error,
#    and a damaged file is LOAD_FAILED with a clear reason.
#
# The caller sets SRC_URL and WH_URL, defines src (SQL on the source) and
# wh (SQL on the warehouse, one value per line), creates the source table
# `sales` (make_sales), sets BACK_COLUMNS (the pipe's declared columns for
# it), BACK_DIFF (SQL counting the rows the source and the raw table do not
# share) and SALES_CHECK (python that checks hyparquet's reading `doc` of the
# extracted file), and defines foreign_rows KEY (the raw_foreign rows of a
# file as a JSON array of arrays of text, in load order).

. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

NODE_DIR=$SLUICE_SRCDIR/tests/parquet
[ -d "$NODE_DIR/node_modules/hyparquet" ] && [ -d "$NODE_DIR/node_modules/hyparquet-writer" ] ||
	fail "hyparquet is not installed in $NODE_DIR/node_modules: run scripts/test (or 'npm ci' there)"
command -v node >/dev/null || fail "node is not installed (scripts/test installs nodejs)"

P=$T/p
mkdir -p "$P/lake"
cd "$P"

make_project() { # COMPRESSION
	cat >sluice.json <<JSON
{ "project": "parquet",
  "connections": { "src": { "url": "$SRC_URL" }, "wh": { "url": "$WH_URL" } },
  "lake": { "url": "file:lake" },
  "pipes": [
    { "name": "back", "path": "sales/", "format": "parquet", "connection": "wh",
      "table": "raw_sales", "columns": $BACK_COLUMNS },
    { "name": "foreign", "path": "foreign/", "format": "parquet", "connection": "wh",
      "table": "raw_foreign" },
    { "name": "typed", "path": "typed/", "format": "parquet", "connection": "wh",
      "table": "raw_typed", "on_error": "continue",
      "columns": [ { "name": "id", "type": "bigint" }, { "name": "n", "type": "bigint", "source": "code" } ] },
    { "name": "broken", "path": "broken/", "format": "parquet", "connection": "wh",
      "table": "raw_broken" },
    { "name": "corpus", "path": "corpus/", "format": "parquet", "connection": "wh",
      "table": "raw_corpus" } ],
  "flows": [
    { "name": "pull", "steps": [
      { "name": "extract", "kind": "extract", "connection": "src", "format": "parquet",
        "row_group_rows": 300, "compression": "$1", "lag": "0s", "tables": [ "sales" ] } ] },
    { "name": "codes", "steps": [
      { "name": "extract", "kind": "extract", "connection": "src", "format": "parquet",
        "row_group_rows": 2, "prefix": "typed", "lag": "0s", "tables": [ "codes" ] } ] } ] }
JSON
}

hyparquet_read() { # FILE -> JSON on stdout
	(cd "$NODE_DIR" && node read.mjs "$1") || fail "hyparquet cannot read $1"
}

# ---- sluice writes, hyparquet reads --------------------------------------------------

check_extract() { # COMPRESSION CODEC-NAME
	rm -rf lake/sales .sluice
	make_project "$1"
	run_sluice check
	assert_eq 0 "$RC" "check ($1): $OUT $ERR"
	run_sluice run pull
	assert_eq 0 "$RC" "run pull ($1): $ERR"
	local f
	f=$(find "$P/lake/sales" -name "*.parquet")
	[ -n "$f" ] || fail "no parquet file in the lake ($1)"
	hyparquet_read "$f" >read.json
	python3 - "$2" <<PY || fail "hyparquet's reading of sluice's $1 file differs (see above)"
import json, sys
doc = json.load(open("read.json"))
assert doc["created_by"].startswith("sluice"), doc["created_by"]
assert doc["row_groups"] == 4, doc["row_groups"]      # 1005 rows by 300
rows = doc["rows"]
assert len(rows) == 1005, len(rows)
codec = sys.argv[1]
$SALES_CHECK
PY
	# sluice reads its own file: the raw table is the source's rows (the
	# same key each time: forced, as a file with new content under it)
	run_sluice pipe refresh back --force --file "${f#"$P/lake/"}"
	assert_eq 0 "$RC" "pipe refresh back ($1): $OUT $ERR"
	assert_contains "$OUT" "1005 rows loaded of 1005 read" "refresh back ($1)"
	assert_eq 0 "$(wh "$BACK_DIFF")" "rows that differ after the round trip ($1)"
}

# ---- hyparquet-writer writes, sluice reads ------------------------------------------------

check_foreign() {
	mkdir -p lake/foreign
	local c
	for c in SNAPPY GZIP UNCOMPRESSED; do
		(cd "$NODE_DIR" && node write.mjs "$P/lake/foreign/$c.parquet" "$c") >"written-$c.json" ||
			fail "hyparquet-writer cannot write $c"
	done
	run_sluice pipe refresh foreign
	assert_eq 0 "$RC" "pipe refresh foreign: $OUT $ERR"
	assert_contains "$OUT" "3 files loaded, 0 partly loaded, 0 rejected"
	local n
	n=$(python3 -c 'import json; print(len(json.load(open("written-GZIP.json"))))')
	assert_contains "$OUT" "$((3 * n)) rows loaded of $((3 * n)) read"
	for c in SNAPPY GZIP UNCOMPRESSED; do
		foreign_rows "foreign/$c.parquet" >"loaded-$c.json"
		python3 - "written-$c.json" "loaded-$c.json" <<'PY' || fail "the file hyparquet-writer wrote ($c) does not load exactly"
import json, sys
from decimal import Decimal
want = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))
assert len(want) == len(got), (len(want), len(got))
cols = ["i32", "i64", "f64", "txt", "flag", "day", "ts", "dec", "dec9", "tsu"]
def micros(t):   # "... HH:MM:SS[.f]" with six digits of fraction
    day, _, frac = t.partition(".")
    return day + "." + frac.ljust(6, "0")
for i, (w, g) in enumerate(zip(want, got)):
    for k, col in enumerate(cols):
        a, b = w[col], g[k]
        if a is None or b is None:
            ok = a is None and b is None
        elif col == "f64":
            ok = float(a) == float(b)
        elif col in ("dec", "dec9"):
            ok = Decimal(a) == Decimal(b)
        elif col == "flag":
            ok = a == {"1": "t", "0": "f", "true": "t", "false": "f"}.get(str(b).lower(), b)
        elif col in ("ts", "tsu"):
            ok = micros(a) == micros(str(b))
        else:
            ok = a == b
        assert ok, "row %d, %s: wrote %r, loaded %r" % (i + 1, col, a, b)
PY
	done
}

# ---- positions, on_error, damaged files ------------------------------------------------------

check_errors() {
	# codes: rows 1-2 in row group 1, rows 3-4 in row group 2; "x1" is row 2 of group 2
	run_sluice run codes
	assert_eq 0 "$RC" "run codes: $ERR"
	run_sluice pipe refresh typed
	assert_eq 1 "$RC" "pipe refresh typed (a file had a bad record): $OUT $ERR"
	assert_contains "$OUT" "0 files loaded, 1 partly loaded"
	assert_contains "$OUT" "3 rows loaded of 4 read"
	run_sluice show loads typed
	assert_contains "$OUT" "2:2 n: expected an integer" "the bad record's row group and row"

	assert_eq "1 2 3" "$(wh "SELECT n FROM raw_typed ORDER BY n" | tr '\n' ' ' | sed 's/ $//')"

	mkdir -p lake/broken
	local good
	good=$(find "$P/lake/typed" -name "*.parquet" | head -n 1)
	head -c 100 "$good" >lake/broken/truncated.parquet
	printf 'id,name\n1,a\n' >lake/broken/not-parquet.parquet
	run_sluice pipe refresh broken
	assert_contains "$OUT" "0 files loaded, 0 partly loaded, 2 rejected"
	run_sluice show loads broken
	assert_contains "$OUT" 'does not end with "PAR1"'
	assert_contains "$OUT" 'does not begin with "PAR1"'
	assert_eq 0 "$(wh "SELECT count(*) FROM raw_broken" 2>/dev/null || echo 0)" "rows from broken files"

	# the damaged files the fuzzer replays (tests/fuzz/regress/parquet): each
	# rejected with its reason, nothing of it loaded; the two sound ones load
	mkdir -p lake/corpus
	cp "$SLUICE_SRCDIR"/tests/fuzz/regress/parquet/* lake/corpus/
	local total
	total=$(ls lake/corpus | wc -l)
	run_sluice pipe refresh corpus
	assert_contains "$OUT" "2 files loaded, 0 partly loaded, $((total - 2)) rejected"
	run_sluice show loads corpus --json --limit 1000
	printf '%s' "$OUT" >corpus.json
	python3 - <<'PY' || fail "a damaged Parquet file was not rejected with its reason"
import json
loads = json.load(open("corpus.json"))["loads"]
for l in loads:
    name = l["file"].split("/")[-1]
    if name in ("good-int32", "empty"):
        assert l["status"] == "LOADED", l
        continue
    assert l["status"] == "LOAD_FAILED" and l["rows_loaded"] == 0, l
    msg = l["first_error"]["message"]
    assert len(msg) > 20, l
want = {"wrong-magic-head": 'does not begin with "PAR1"',
        "footer-length-huge": "the footer's length (4294967280 bytes) is more than the file holds",
        "thrift-bad-type": "the footer is damaged: unknown field type 13",
        "data-offset-past-end": "lies outside the file's data",
        "page-size-huge": "beyond the 268435456 sluice reads",
        "nested-schema": "sluice reads flat schemas only"}
got = {l["file"].split("/")[-1]: l["first_error"]["message"] for l in loads if l["first_error"]}
for name, text in want.items():
    assert text in got[name], (name, got[name])
PY
	assert_eq 3 "$(wh "SELECT count(*) FROM raw_corpus")" "rows from the corpus (good-int32's)"

	# sluice check: the keys are validated
	cp sluice.json good.json
	sed -e 's/"compression": "[a-z]*"/"compression": "lz4"/' good.json >sluice.json
	run_sluice check
	assert_eq 1 "$RC" "check with compression lz4"
	assert_contains "$OUT$ERR" 'unknown compression "lz4" (expected none, gzip or zstd)'
	sed -e 's/"row_group_rows": 300/"row_group_rows": 0/' good.json >sluice.json
	run_sluice check
	assert_contains "$OUT$ERR" 'flows[0].steps[0].row_group_rows'
	assert_contains "$OUT$ERR" 'the rows in a row group are a whole number from 1'
	sed -e 's/"format": "parquet",$/"format": "csv",/' good.json >sluice.json
	run_sluice check
	assert_contains "$OUT$ERR" 'row_group_rows applies to "format": "parquet"'
	cp good.json sluice.json
}

run_parquet() {
	make_sales
	check_extract none none
	check_extract gzip gzip
	check_extract zstd zstd
	check_foreign
	check_errors
}
