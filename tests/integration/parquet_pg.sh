#!/bin/bash
# parquet_pg.sh - Parquet written and read against hyparquet, on
# PostgreSQL (see parquet_lib.sh): every type the extract maps, with
# extremes, NaN and the infinities, decimals at their scale, dates and
# timestamps before 1970, JSON.
. "$SLUICE_SRCDIR/tests/integration/parquet_lib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS parquet" -c "CREATE DATABASE parquet" >/dev/null
SRC_URL="$SLUICE_TEST_PG dbname=parquet"
WH_URL=$SRC_URL
src() { psql -At -q -v ON_ERROR_STOP=1 -d parquet -c "$1"; }
wh() { src "$1"; }

make_sales() {
	src "CREATE TABLE sales (id bigint, qty integer, price double precision,
	       amount numeric(12,2), ratio numeric, big numeric(38,10), note text, paid boolean,
	       day date, at time, ts timestamp, doc jsonb, last_updated timestamp);
	     INSERT INTO sales VALUES
	      (9223372036854775807, 2147483647, 1.5, 1234567890.12, 3.14159,
	       1234567890123456789012345678.0123456789, 'plain', true, '2024-02-29',
	       '23:59:59.999999', '2024-02-29 23:59:59.999999', '{\"a\": [1, 2.5]}', '2020-01-01'),
	      (-9223372036854775808, -2147483648, 'NaN', -0.01, -0.000001,
	       -9999999999999999999999999999.9999999999, '', false, '0001-01-01', '00:00:00',
	       '1900-01-01 00:00:00.000001', '[]', '2020-01-01'),
	      (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2020-01-01'),
	      (4, 0, 'Infinity', 0, 0, 0, 'ünïcödé ✓ 日本 🚀', true, '1969-12-31', '12:00:00',
	       '1969-07-20 20:17:40.123456', '\"text\"', '2020-01-01'),
	      (5, 7, '-Infinity', 99.5, 100, -0.0000000001, E'comma, \"quote\"\\nline', false,
	       '9999-12-31', '00:00:00.000001', '0001-01-01 00:00:00', '{}', '2020-01-01');
	     INSERT INTO sales SELECT 100 + n, n, n / 8.0, n * 1.25, n, n, 'city ' || (n % 7),
	       n % 2 = 0, date '2000-01-01' + n, time '00:00' + n * interval '1 second',
	       timestamp '2020-01-01' + n * interval '1 minute', jsonb_build_object('n', n),
	       '2020-01-01 00:00:01' FROM generate_series(0, 999) n;
	     CREATE TABLE codes (id bigint, code text, last_updated timestamp);
	     INSERT INTO codes VALUES (1, '1', '2020-01-01'), (2, '2', '2020-01-01'),
	                              (3, '3', '2020-01-01'), (4, 'x1', '2020-01-01');" >/dev/null
}

BACK_COLUMNS='[ { "name": "id", "type": "bigint" }, { "name": "qty", "type": "bigint" },
    { "name": "price", "type": "text" }, { "name": "amount", "type": "numeric(12,2)" },
    { "name": "ratio", "type": "numeric" }, { "name": "big", "type": "numeric(38,10)" },
    { "name": "note", "type": "text" }, { "name": "paid", "type": "boolean" },
    { "name": "day", "type": "date" }, { "name": "at", "type": "time" },
    { "name": "ts", "type": "timestamp" }, { "name": "doc", "type": "jsonb" },
    { "name": "last_updated", "type": "timestamp" } ]'
# price goes back as text: a numeric column cannot hold the infinities, and
# text shows the value exactly as sluice read it
SALES_COLS="id, qty, amount, ratio, big, note, paid, day, at, ts, doc, last_updated"
BACK_DIFF="SELECT (SELECT count(*) FROM (SELECT $SALES_COLS, price::text FROM sales
	   EXCEPT SELECT $SALES_COLS, price::float8::text FROM raw_sales) a)
	 + (SELECT count(*) FROM (SELECT $SALES_COLS, price::float8::text FROM raw_sales
	   EXCEPT SELECT $SALES_COLS, price::text FROM sales) b)"

SALES_CHECK='
from decimal import Decimal
cols = {c["name"]: c for c in doc["columns"]}
def typ(name): return (cols[name]["type"], cols[name]["logical"])
assert typ("id") == ("INT64", None) and typ("qty") == ("INT64", None), cols
assert typ("price") == ("DOUBLE", None), cols["price"]
assert typ("amount") == ("INT64", {"type": "DECIMAL", "scale": 2, "precision": 12}), cols["amount"]
assert typ("big") == ("FIXED_LEN_BYTE_ARRAY", {"type": "DECIMAL", "scale": 10, "precision": 38}), cols["big"]
assert typ("ratio") == ("FIXED_LEN_BYTE_ARRAY", {"type": "DECIMAL", "scale": 6, "precision": 38}), cols["ratio"]
assert typ("note") == ("BYTE_ARRAY", {"type": "STRING"}), cols["note"]
assert typ("doc") == ("BYTE_ARRAY", {"type": "JSON"}), cols["doc"]
assert typ("paid") == ("BOOLEAN", None), cols["paid"]
assert typ("day") == ("INT32", {"type": "DATE"}), cols["day"]
assert typ("at") == ("INT64", {"type": "TIME", "isAdjustedToUTC": False, "unit": "MICROS"}), cols["at"]
assert typ("ts") == ("INT64", {"type": "TIMESTAMP", "isAdjustedToUTC": True, "unit": "MICROS"}), cols["ts"]
assert all(c["codec"] == {"none": "UNCOMPRESSED"}.get(codec, codec.upper()) for c in cols.values()), cols
assert "RLE_DICTIONARY" in cols["note"]["encodings"], cols["note"]
by = {r["id"]: r for r in rows}
def check(id, **want):
    r = by[id]
    for k, v in want.items():
        assert r[k] == v, "id %s, %s: hyparquet read %r, the source holds %r" % (id, k, r[k], v)
check("9223372036854775807", qty="2147483647", price={"double": "1.5"}, amount="1234567890.12",
      ratio="3.141590", big="1234567890123456789012345678.0123456789", note="plain", paid=True,
      day="2024-02-29", at="23:59:59.999999", ts="2024-02-29 23:59:59.999999",
      doc={"json": {"a": [1, 2.5]}})
check("-9223372036854775808", qty="-2147483648", price={"double": "NaN"}, amount="-0.01",
      ratio="-0.000001", big="-9999999999999999999999999999.9999999999", note="", paid=False,
      day="0001-01-01", at="00:00:00.000000", ts="1900-01-01 00:00:00.000001", doc={"json": []})
check("3", qty=None, price=None, amount=None, ratio=None, big=None, note=None, paid=None,
      day=None, at=None, ts=None, doc=None)
check("4", qty="0", price={"double": "Infinity"}, amount="0.00", ratio="0.000000",
      big="0.0000000000", note="ünïcödé ✓ 日本 🚀", paid=True, day="1969-12-31",
      at="12:00:00.000000", ts="1969-07-20 20:17:40.123456")
assert by["4"]["doc"] in ("text", {"json": "text"}), by["4"]["doc"]
check("5", price={"double": "-Infinity"}, amount="99.50", ratio="100.000000",
      big="-0.0000000001", note="comma, \"quote\"\nline", paid=False, day="9999-12-31",
      at="00:00:00.000001", ts="0001-01-01 00:00:00.000000", doc={"json": {}})
check("1099", qty="999", price={"double": "124.875"}, amount="1248.75", ratio="999.000000",
      note="city 5", paid=False, day="2002-09-26", at="00:16:39.000000", ts="2020-01-01 16:39:00.000000")
assert sum(1 for r in rows if r["note"] == "city 3") == 143
'

foreign_rows() { # KEY
	src "SELECT coalesce(json_agg(json_build_array(i32::text, i64::text, f64::text, txt,
	       flag::text, day::text, ts::text, dec::text, dec9::text, tsu::text) ORDER BY _sluice_id), '[]')
	     FROM raw_foreign WHERE _sluice_file = '$1'"
}

run_parquet
echo "ok: parquet on PostgreSQL"
