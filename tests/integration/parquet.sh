#!/bin/bash
# parquet.sh - Parquet written and read against hyparquet, on SQLite (see
# parquet_lib.sh).  SQLite's columns are integers, reals and text.
. "$SLUICE_SRCDIR/tests/integration/parquet_lib.sh"

SRC_URL=sqlite:data.db
WH_URL=sqlite:data.db
src() { sqlite3 -bail "$P/data.db" "$1"; }
wh() { sqlite3 -bail "$P/data.db" "$1"; }

make_sales() {
	src "CREATE TABLE sales (id integer, qty integer, price real, note text, last_updated text);
	     INSERT INTO sales VALUES
	      (9223372036854775807, 2147483647, 1.5, 'plain', '2020-01-01 00:00:00'),
	      (-9223372036854775808, -2147483648, -0.1, '', '2020-01-01 00:00:00'),
	      (3, NULL, NULL, NULL, '2020-01-01 00:00:00'),
	      (4, 0, 1e300, 'ünïcödé ✓ 日本 🚀', '2020-01-01 00:00:00'),
	      (5, 7, 2.2250738585072014e-308, 'comma, \"quote\"' || char(10) || 'line', '2020-01-01 00:00:00');
	     WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < 999)
	     INSERT INTO sales SELECT 100 + n, n, n / 8.0, 'city ' || (n % 7), '2020-01-01 00:00:01' FROM k;
	     CREATE TABLE codes (id integer, code text, last_updated text);
	     INSERT INTO codes VALUES (1, '1', '2020-01-01'), (2, '2', '2020-01-01'),
	                              (3, '3', '2020-01-01'), (4, 'x1', '2020-01-01');"
}

BACK_COLUMNS='[ { "name": "id", "type": "bigint" }, { "name": "qty", "type": "bigint" },
    { "name": "price", "type": "double precision" }, { "name": "note", "type": "text" },
    { "name": "last_updated", "type": "text" } ]'
SALES_COLS="id, qty, price, note, last_updated"
BACK_DIFF="SELECT (SELECT count(*) FROM (SELECT $SALES_COLS FROM sales EXCEPT SELECT $SALES_COLS FROM raw_sales))
	 + (SELECT count(*) FROM (SELECT $SALES_COLS FROM raw_sales EXCEPT SELECT $SALES_COLS FROM sales))"

SALES_CHECK='
cols = {c["name"]: c for c in doc["columns"]}
assert [c["name"] for c in doc["columns"]] == ["id", "qty", "price", "note", "last_updated"]
assert cols["id"]["type"] == "INT64" and cols["qty"]["type"] == "INT64", cols
assert cols["price"]["type"] == "DOUBLE", cols
assert cols["note"]["type"] == "BYTE_ARRAY" and cols["note"]["logical"] == {"type": "STRING"}, cols
assert all(c["codec"] == {"none": "UNCOMPRESSED"}.get(codec, codec.upper()) for c in cols.values()), cols
assert "RLE_DICTIONARY" in cols["note"]["encodings"], cols["note"]
by = {r["id"]: r for r in rows}
r = by["9223372036854775807"]
assert (r["qty"], r["price"], r["note"]) == ("2147483647", {"double": "1.5"}, "plain"), r
r = by["-9223372036854775808"]
assert (r["qty"], r["price"], r["note"]) == ("-2147483648", {"double": "-0.1"}, ""), r
r = by["3"]
assert (r["qty"], r["price"], r["note"]) == (None, None, None), r
r = by["4"]
assert (r["price"], r["note"]) == ({"double": "1e+300"}, "ünïcödé ✓ 日本 🚀"), r
r = by["5"]
assert float(r["price"]["double"]) == 2.2250738585072014e-308, r
assert r["note"] == "comma, \"quote\"\nline", r
assert by["1099"] == {"id": "1099", "qty": "999", "price": {"double": "124.875"}, "note": "city 5",
                      "last_updated": "2020-01-01 00:00:01"}, by["1099"]
assert sum(1 for r in rows if r["note"] == "city 3") == 143
'

foreign_rows() { # KEY
	python3 - "$P/data.db" "$1" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT i32, i64, f64, txt, flag, day, ts, dec, dec9, tsu FROM raw_foreign "
                  "WHERE _sluice_file = ? ORDER BY _sluice_id", (sys.argv[2],)).fetchall()
text = lambda v: None if v is None else repr(v) if isinstance(v, float) else str(v)
print(json.dumps([[text(v) for v in r] for r in rows]))
PY
}

run_parquet
echo "ok: parquet on SQLite"
