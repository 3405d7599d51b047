# http_step.sh - the http step against a real web server
# (tests/lib/http_files.py) that drops connections, answers Range or not,
# sends ETags and 304s, and 429/503 with Retry-After: :month in url and to,
# the remote file's name in the key; a download cut short resumed with
# Range within the attempt and by the next attempt; a server without ranges
# sends the file again and the partial is dropped; If-None-Match when the
# key exists, a 304 writing nothing and saying so, a changed file fetched
# again; Retry-After waited out, one too long failing with what the server
# asked; partials untouched for a week pruned, not one in use;
# `sluice check` on parameters and keys.
. "${SLUICE_SRCDIR:?}/tests/lib/testlib.sh"

P=$T/p
W=$T/web
mkdir -p "$P" "$W/trips"
/usr/bin/python3 "$SLUICE_SRCDIR/tests/lib/http_files.py" "$W" "$T/http.port" "$T/http.log" \
	2>"$T/http.err" &
HTTP_PID=$!
at_exit "kill $HTTP_PID"
wait_until 20 test -s "$T/http.port" || { cat "$T/http.err" >&2; fail "web server did not start"; }
PORT=$(cat "$T/http.port")
: >>"$T/http.log"
BASE="http://127.0.0.1:$PORT"
export no_proxy='*'
control() { curl -sf "$BASE/_control?$1" >/dev/null || fail "control $1"; }

cat >"$P/sluice.json" <<JSON
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "flows": [
    { "name": "get", "params": { "month": { "type": "text", "default": "2021-01" } },
      "steps": [
        { "name": "dl", "kind": "http", "to": "taxi/:month/",
          "url": "$BASE/trips/yellow_tripdata_:month.csv.gz" } ] },
    { "name": "stamped", "steps": [
        { "name": "dl", "kind": "http", "url": "$BASE/trips/rates.json?run=:run_id", "to": "rates/",
          "key": "time" } ] } ] }
JSON
# A file big enough to be cut: random bytes, as a compressed file is.
make_file() { head -c 400000 /dev/urandom >"$W/trips/yellow_tripdata_$1.csv.gz"; }
# Run FLOW with ARGS; RUN is its id.
run_flow() {
	run_sluice -C "$P" run "$@"
	RUN=$(printf '%s\n' "$ERR$OUT" | sed -n 's/^run \([0-9]*\) [A-Z]* in .*/\1/p' | tail -1)
}
# What the step said it did (its summary, from the run's log).
said() { "$SLUICE" -C "$P" logs --run "$RUN" 2>&1 | grep '\] completed in' || true; }
# The requests since the log had $1 lines, as "STATUS SENT RANGE IF-RANGE INM" lines.
requests_since() {
	tail -n +"$(($1 + 1))" "$T/http.log" | python3 -c '
import json, sys
for l in sys.stdin:
    d = json.loads(l)
    if d["path"].startswith("/_control") or d["method"] != "GET":
        continue
    print(d["status"], d["sent"], d.get("Range", "-"), d.get("If-Range", "-"),
          d.get("If-None-Match", "-"), d["path"].split("?")[0].rsplit("/", 1)[1])'
}
mark() { wc -l <"$T/http.log"; }
lakefile() { echo "$P/lake/taxi/$1/yellow_tripdata_$1.csv.gz"; }

# ---- parameters, the remote file's name ----------------------------------------
make_file 2021-01
at=$(mark)
run_flow get
assert_eq 0 "$RC" "run get: $ERR"
cmp -s "$W/trips/yellow_tripdata_2021-01.csv.gz" "$(lakefile 2021-01)" ||
	fail "taxi/2021-01/yellow_tripdata_2021-01.csv.gz: $(cd "$P/lake" 2>/dev/null && find . -type f)"
assert_eq "200 400000 - - - yellow_tripdata_2021-01.csv.gz" "$(requests_since "$at")" "first GET"
assert_contains "$(said)" "downloaded 400000 bytes into taxi/2021-01/yellow_tripdata_2021-01.csv.gz"

# ---- the key exists: conditional, 304 writes nothing ---------------------------
etag=$(curl -sI "$BASE/trips/yellow_tripdata_2021-01.csv.gz" | sed -n 's/^ETag: \(.*\)\r$/\1/p')
before=$(stat -c '%i %Y' "$(lakefile 2021-01)")
sleep 1
at=$(mark)
run_flow get month=2021-01
assert_eq 0 "$RC" "run get again: $ERR"
assert_eq "304 0 - - $etag yellow_tripdata_2021-01.csv.gz" "$(requests_since "$at")" \
	"If-None-Match with the ETag"
assert_contains "$(said)" "not modified since the last download: taxi/2021-01/yellow_tripdata_2021-01.csv.gz unchanged, nothing written"
assert_eq "$before" "$(stat -c '%i %Y' "$(lakefile 2021-01)")" "the file was not rewritten"
# No record of the last download (another host made it): the key's time.
rm -f "$P"/.sluice/downloads/*.done
at=$(mark)
run_flow get
assert_eq 0 "$RC" "run get without a record: $ERR"
assert_eq "304 0 - - - yellow_tripdata_2021-01.csv.gz" "$(requests_since "$at")" "no ETag to send"
assert_contains "$(tail -1 "$T/http.log")" '"If-Modified-Since": "'
# Changed upstream: fetched whole again.
make_file 2021-01
touch -d '+2 seconds' "$W/trips/yellow_tripdata_2021-01.csv.gz"
run_flow get
assert_eq 0 "$RC" "run get, changed: $ERR"
cmp -s "$W/trips/yellow_tripdata_2021-01.csv.gz" "$(lakefile 2021-01)" || fail "changed file not fetched"
assert_contains "$(said)" "downloaded 400000 bytes"

# ---- cut short: resumed with Range in the same attempt -------------------------
make_file 2021-02
control "drop=/trips/yellow_tripdata_2021-02.csv.gz:1:100000"
at=$(mark)
run_flow get month=2021-02
assert_eq 0 "$RC" "run get 2021-02: $ERR"
etag=$(curl -sI "$BASE/trips/yellow_tripdata_2021-02.csv.gz" | sed -n 's/^ETag: \(.*\)\r$/\1/p')
assert_eq "200 100000 - - - yellow_tripdata_2021-02.csv.gz
206 300000 bytes=100000- $etag - yellow_tripdata_2021-02.csv.gz" "$(requests_since "$at")" "resumed"
cmp -s "$W/trips/yellow_tripdata_2021-02.csv.gz" "$(lakefile 2021-02)" || fail "resumed file differs"
assert_contains "$(said)" "downloaded 400000 bytes into taxi/2021-02/yellow_tripdata_2021-02.csv.gz; resumed 1 time after the connection broke"

# ---- a server without ranges: started again cleanly ----------------------------
make_file 2021-03
control "ranges=0&drop=/trips/yellow_tripdata_2021-03.csv.gz:1:150000"
at=$(mark)
run_flow get month=2021-03
assert_eq 0 "$RC" "run get 2021-03: $ERR"
got=$(requests_since "$at")
assert_contains "$got" "200 150000 - - -"
assert_contains "$got" "200 400000 bytes=150000-"
cmp -s "$W/trips/yellow_tripdata_2021-03.csv.gz" "$(lakefile 2021-03)" || fail "restarted file differs"
assert_contains "$(said)" "the server sent the file whole, so the partial was dropped"
control "reset=1"

# ---- cut short in every transfer: the next attempt resumes ---------------------
make_file 2021-04
control "drop=/trips/yellow_tripdata_2021-04.csv.gz:5:50000"
run_flow get month=2021-04
assert_eq 1 "$RC" "run get 2021-04 fails: $ERR"
assert_contains "$ERR$OUT" "after 250000 bytes (kept to resume)"
[ -e "$(lakefile 2021-04)" ] && fail "a partial file reached the lake"
at=$(mark)
run_flow get month=2021-04
assert_eq 0 "$RC" "run get 2021-04 again: $ERR"
assert_contains "$(requests_since "$at")" "206 150000 bytes=250000-"
cmp -s "$W/trips/yellow_tripdata_2021-04.csv.gz" "$(lakefile 2021-04)" || fail "file resumed across attempts differs"
assert_contains "$(said)" "resumed an earlier attempt's partial at byte 250000"
assert_eq 0 "$(find "$P/.sluice/downloads" -name '*.part' | wc -l)" "no partial left"
# What is kept there names URLs by digest only: a URL may carry a secret.
grep -rq "127.0.0.1" "$P/.sluice/downloads" &&
	fail ".sluice/downloads holds a URL: $(grep -r "127.0.0.1" "$P/.sluice/downloads")"

# ---- partials never resumed are pruned when a download starts -------------------
# One untouched for 8 days goes (with its .meta); one written an hour ago
# stays; so does one as old that another process has open (it holds the
# lock a download holds on its partial); the validators (.done) stay.
D=$P/.sluice/downloads
for n in stale fresh busy; do
	printf 'partial bytes' >"$D/$n.part"
	printf 'digest\n"etag"\n\n' >"$D/$n.meta"
done
touch -d '8 days ago' "$D/stale.part" "$D/stale.meta" "$D/busy.part" "$D/busy.meta"
touch -d '1 hour ago' "$D/fresh.part" "$D/fresh.meta"
touch -d '30 days ago' "$D"/*.done
dones=$(ls "$D"/*.done | wc -l)
rm -f "$T/busy.locked"
flock -s "$D/busy.part" sh -c "touch '$T/busy.locked'; sleep 60" &
BUSY=$!
at_exit "kill $BUSY"
wait_until 10 test -e "$T/busy.locked" || fail "flock did not take the partial"
run_flow get month=2021-01
assert_eq 0 "$RC" "run get with old partials about: $ERR"
[ -e "$D/stale.part" ] && fail "a partial untouched for 8 days was not pruned"
[ -e "$D/stale.meta" ] && fail "the pruned partial's .meta was left"
[ -e "$D/fresh.part" ] && [ -e "$D/fresh.meta" ] || fail "an hour-old partial was pruned"
[ -e "$D/busy.part" ] && [ -e "$D/busy.meta" ] || fail "a partial another process has open was pruned"
assert_eq "$dones" "$(ls "$D"/*.done | wc -l)" "the validators of finished downloads"
kill "$BUSY" 2>/dev/null || true
rm -f "$D"/fresh.* "$D"/busy.*

# ---- Retry-After ---------------------------------------------------------------
make_file 2021-05
control "throttle=/trips/yellow_tripdata_2021-05.csv.gz:2:503:1"
at=$(mark)
run_flow get month=2021-05
assert_eq 0 "$RC" "run get 2021-05: $ERR"
assert_eq "503 10 - - - yellow_tripdata_2021-05.csv.gz
503 10 - - - yellow_tripdata_2021-05.csv.gz
200 400000 - - - yellow_tripdata_2021-05.csv.gz" "$(requests_since "$at")" "throttled twice"
gaps=$(tail -n 3 "$T/http.log" | python3 -c '
import json, sys
t = [json.loads(l)["at"] for l in sys.stdin]
print(all(b - a >= 0.95 for a, b in zip(t, t[1:])))')
assert_eq True "$gaps" "a second between tries, as Retry-After said"
assert_contains "$(said)" "waited 2.0 s as the server asked (Retry-After)"
make_file 2021-06
control "throttle=/trips/yellow_tripdata_2021-06.csv.gz:1:429:3600"
run_flow get month=2021-06
assert_eq 1 "$RC" "run get 2021-06 fails: $ERR"
assert_contains "$ERR$OUT" "GET $BASE/trips/yellow_tripdata_2021-06.csv.gz: HTTP 429 (the server asks to retry after 3600 s)"

# ---- one key downloaded by two processes at once: the second waits for the
# first's partial (it used to truncate or append to it), one whole file lands.
Q=$T/q
mkdir -p "$Q"
step_to_09="{ \"name\": \"dl\", \"kind\": \"http\", \"to\": \"taxi/2021-09/\",
    \"url\": \"$BASE/trips/yellow_tripdata_2021-09.csv.gz\" }"
cat >"$Q/sluice.json" <<JSON
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "flows": [ { "name": "a", "steps": [ $step_to_09 ] },
             { "name": "b", "steps": [ $step_to_09 ] } ] }
JSON
make_file 2021-09
control "pace=/trips/yellow_tripdata_2021-09.csv.gz:2:100"
at=$(mark)
"$SLUICE" -C "$Q" run a >"$T/a.out" 2>&1 &
pa=$!
# b starts while a's body is coming (a 400000-byte body takes 2.5 s here).
wait_until 20 sh -c "find '$Q/.sluice/downloads' -name '*.part' -size +20k 2>/dev/null | grep -q ." ||
	fail "no partial of a's download: $(cat "$T/a.out")"
"$SLUICE" -C "$Q" run b >"$T/b.out" 2>&1 &
pb=$!
set +e; wait "$pa"; ra=$?; wait "$pb"; rb=$?; set -e
assert_eq 0 "$ra" "run a at the same time as b: $(cat "$T/a.out")"
assert_eq 0 "$rb" "run b at the same time as a: $(cat "$T/b.out")"
cmp -s "$W/trips/yellow_tripdata_2021-09.csv.gz" "$Q/lake/taxi/2021-09/yellow_tripdata_2021-09.csv.gz" ||
	fail "two downloads at once spoiled the file: $(stat -c %s "$Q/lake/taxi/2021-09/yellow_tripdata_2021-09.csv.gz")" \
		"bytes, not the server's 400000"
# The server logs a request once its body is sent, which the client may
# outrun: wait for both.
two_logged() { [ "$(requests_since "$at" | wc -l)" -ge 2 ]; }
wait_until 10 two_logged || true
seen=$(requests_since "$at")
assert_eq "200 400000 - - - yellow_tripdata_2021-09.csv.gz" \
	"$(printf '%s\n' "$seen" | grep -v '^304 0 - - "')" "one whole body sent, the other told 304: $seen"
assert_eq 0 "$(find "$Q/.sluice/downloads" -name '*.part' | wc -l)" "partials left behind"

# ---- time-based keys stay as they were -----------------------------------------
echo '{"eur": 1}' >"$W/trips/rates.json"
run_flow stamped
assert_eq 0 "$RC" "run stamped: $ERR"
f=$(cd "$P/lake" && find rates -type f)
[[ $f =~ ^rates/[0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{12}\.json$ ]] || fail "time-based key: $f"
assert_contains "$(tail -1 "$T/http.log")" "\"path\": \"/trips/rates.json?run=$RUN\"" ":run_id"

# ---- sluice check ----------------------------------------------------------------
sed -i 's/yellow_tripdata_:month/yellow_tripdata_:mnth/; s/"key": "time"/"key": "stamp"/' "$P/sluice.json"
run_sluice -C "$P" check
assert_eq 1 "$RC" "check"
assert_contains "$OUT$ERR" "sluice.json:6:18: flows[0].steps[0].url: unknown parameter :mnth (known: :month, :run_id)"
assert_contains "$OUT$ERR" 'sluice.json:9:18: flows[1].steps[0].key: expected "name" (the remote file'"'"'s name) or "time"'
sed -i 's|/trips/rates.json?run=:run_id", "to"|/trips/", "to"|; s/"key": "stamp"/"ext": "json", "key": "name"/' "$P/sluice.json"
run_sluice -C "$P" check
assert_contains "$OUT$ERR" 'flows[1].steps[0].ext: "ext" names the extension of time-based keys'
sed -i 's/"ext": "json", //' "$P/sluice.json"
run_sluice -C "$P" check
assert_contains "$OUT$ERR" 'flows[1].steps[0].url: the URL names no file to keep the name of; add "key": "time"'
