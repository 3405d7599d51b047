# taxi_example.sh - data/examples/taxi end to end, from HTTP to the
# warehouse: a month of yellow_tripdata-shaped trips (generated here,
# realistic: the TLC header, a tail of rows without vendor, passenger count
# and payment type, as the 2021 files have) gzipped and served by a local
# web server (tests/lib/http_files.py) at the URL the example names; one run
# downloads it, the pipe loads it typed, the load cleans it into
# yellow_taxi_trips.  Running the month again asks the server (304) and
# changes nothing.
#
# taxi_example_pg.sh runs it with the warehouse and the control store on
# PostgreSQL (BACKEND=pg).
. "${SLUICE_SRCDIR:?}/tests/lib/testlib.sh"

BACKEND=${BACKEND:-sqlite}
P=$T/taxi
W=$T/web
cp -r "$SLUICE_SRCDIR/data/examples/taxi" "$P"
chmod -R u+w "$P"
rm -f "$P/local.mk"
mkdir -p "$W/yellow"
/usr/bin/python3 "$SLUICE_SRCDIR/tests/lib/http_files.py" "$W" "$T/http.port" "$T/http.log" \
	2>"$T/http.err" &
HTTP_PID=$!
at_exit "kill $HTTP_PID"
wait_until 20 test -s "$T/http.port" || { cat "$T/http.err" >&2; fail "web server did not start"; }
export no_proxy='*'
BASE="http://127.0.0.1:$(cat "$T/http.port")"
sed -i "s|https://github.com/DataTalksClub/nyc-tlc-data/releases/download|$BASE|" "$P/sluice.json"
grep -q "$BASE/yellow/yellow_tripdata_:month.csv.gz" "$P/sluice.json" || fail "the example's URL moved"
if [ "$BACKEND" = pg ]; then
	db="taxi_$$"
	psql -q -d postgres -c "CREATE DATABASE $db" -c "CREATE DATABASE ${db}_ctl" >/dev/null
	sed -i "s|\"sqlite:warehouse.db\"|\"$SLUICE_TEST_PG dbname=$db\"|" "$P/sluice.json"
	sed -i "s|^{|{ \"control\": \"$SLUICE_TEST_PG dbname=${db}_ctl\",|" "$P/sluice.json"
	sql() { psql -q -A -t -d "$db" -c "$1"; }
else
	sql() { sqlite3 "$P/warehouse.db" "$1"; }
fi
run_sluice -C "$P" check
assert_eq 0 "$RC" "check: $OUT $ERR"

# A month of trips, and what the warehouse must hold of them.
python3 - "$W/yellow/yellow_tripdata_2021-01.csv" >"$T/expect" <<'PY'
import random, sys
random.seed(2021)
n, tail = 20000, 1200           # the last rows lack vendor, passengers, payment
cols = ("VendorID,tpep_pickup_datetime,tpep_dropoff_datetime,passenger_count,trip_distance,"
        "RatecodeID,store_and_fwd_flag,PULocationID,DOLocationID,payment_type,fare_amount,"
        "extra,mta_tax,tip_amount,tolls_amount,improvement_surcharge,total_amount,"
        "congestion_surcharge")
cents = 0
with open(sys.argv[1], "w", newline="") as f:
    f.write(cols + "\n")
    for i in range(n):
        start = 1609459200 + i * 130 + random.randint(0, 100)
        secs = random.randint(120, 3600)
        def ts(t):
            import time
            return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))
        fare = random.randint(250, 9000)
        extra, mta, imp = random.choice((0, 50, 100)), 50, 30
        tip, tolls = random.choice((0, 0, random.randint(100, 2000))), random.choice((0, 0, 0, 612))
        cong = random.choice((0, 250))
        total = fare + extra + mta + tip + tolls + imp + cong
        cents += total
        d = lambda c: "%d.%02d" % (c // 100, c % 100)
        if i < n - tail:
            row = [str(random.choice((1, 2))), ts(start), ts(start + secs),
                   str(random.randint(0, 6)), "%.2f" % (secs / 300), "1",
                   random.choice("NNNNY"), str(random.randint(1, 265)),
                   str(random.randint(1, 265)), str(random.choice((1, 1, 2, 3))),
                   d(fare), d(extra), d(mta), d(tip), d(tolls), d(imp), d(total), d(cong)]
        else:
            row = ["", ts(start), ts(start + secs), "", "%.2f" % (secs / 300), "", "",
                   str(random.randint(1, 265)), str(random.randint(1, 265)), "",
                   d(fare), d(extra), d(mta), d(tip), d(tolls), d(imp), d(total), d(cong)]
        f.write(",".join(row) + "\n")
print(n, cents, tail)
PY
read -r ROWS CENTS TAIL <"$T/expect"
gzip -9 "$W/yellow/yellow_tripdata_2021-01.csv"
SERVED=$W/yellow/yellow_tripdata_2021-01.csv.gz

run_sluice -C "$P" run etl_web_to_warehouse month=2021-01
assert_eq 0 "$RC" "run: $OUT $ERR"
cmp -s "$SERVED" "$P/lake/taxi/2021-01/yellow_tripdata_2021-01.csv.gz" ||
	fail "the lake does not hold the served file: $(cd "$P/lake" && find . -type f)"
assert_eq "$ROWS" "$(sql "SELECT count(*) FROM raw_yellow_tripdata")" "raw rows"
assert_eq "$ROWS" "$(sql "SELECT count(*) FROM yellow_taxi_trips")" "warehouse rows"
assert_eq "$CENTS" "$(sql "SELECT CAST(round(sum(total_amount) * 100) AS integer) FROM yellow_taxi_trips")" \
	"total_amount, to the cent"
assert_eq 0 "$(sql "SELECT count(*) FROM yellow_taxi_trips WHERE passenger_count IS NULL")" \
	"no NULL passenger count"
assert_eq "$TAIL" "$(sql "SELECT count(*) FROM raw_yellow_tripdata WHERE passenger_count IS NULL")" \
	"the raw table keeps them NULL"
assert_eq "$TAIL" "$(sql "SELECT count(*) FROM yellow_taxi_trips WHERE vendor_id IS NULL")" \
	"rows without a vendor"
first=$(head -2 <(zcat "$SERVED") | tail -1)
assert_eq "2021-01-01 $(echo "$first" | cut -d, -f2 | cut -c12-19)" \
	"$(sql "SELECT substr(CAST(pickup_at AS text), 1, 19) FROM yellow_taxi_trips WHERE source_line = 2")" \
	"the first trip's pick-up time"
if [ "$BACKEND" = pg ]; then
	assert_eq "total_amount|numeric
pickup_at|timestamp without time zone
passenger_count|bigint" "$(sql "SELECT column_name, data_type FROM information_schema.columns
		WHERE table_name = 'yellow_taxi_trips' AND column_name IN
		('pickup_at', 'passenger_count', 'total_amount') ORDER BY column_name DESC")" "types"
fi

# The month again: the server is asked, answers 304, nothing changes.
run_sluice -C "$P" run etl_web_to_warehouse month=2021-01
assert_eq 0 "$RC" "run again: $OUT $ERR"
assert_contains "$(tail -1 "$T/http.log")" '"status": 304'
assert_eq "$ROWS" "$(sql "SELECT count(*) FROM yellow_taxi_trips")" "warehouse rows after a rerun"
assert_eq "$ROWS" "$(sql "SELECT count(*) FROM raw_yellow_tripdata")" "raw rows after a rerun"
