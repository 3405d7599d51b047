# disk_full_pg.sh - a full disk under a PostgreSQL control store stops the
# engine as one under a SQLite store does (disk_full.sh): the store's
# tables live in a tablespace on a small tmpfs, the rest of which a filler
# table takes; `sluice worker`, running a flow every second, stops (exit
# 1) with the store's "No space left on device" (SQLSTATE 53100, which db/
# reports as ERR_IO) instead of logging the failures for ever.  Then, with
# room again, the next command settles the run left behind.
# Mounting needs root (CI runs as root); without it the test is skipped.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
[ -n "${SLUICE_TEST_PG:-}" ] || fail "SLUICE_TEST_PG is not set: no PostgreSQL server"

cd "$T"
# The server's user must reach and own the tablespace: not under $T.
MNT=$(mktemp -d /tmp/sluice-full-XXXXXX)
unmount() {
	[ -n "${WPID:-}" ] && kill -KILL "$WPID" 2>/dev/null
	umount -l "$MNT" 2>/dev/null
	rmdir "$MNT" 2>/dev/null
	return 0
}
at_exit unmount
data=$(psql -At -c 'SHOW data_directory')
if ! mount -t tmpfs -o "size=16m,mode=0700,uid=$(stat -c %u "$data"),gid=$(stat -c %g "$data")" \
		tmpfs "$MNT" 2> mount.err; then
	echo "SKIP: cannot mount a tmpfs on $MNT ($(cat mount.err)): this test needs root" >&2
	exit 77
fi
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS full_ctl" -c "CREATE TABLESPACE full_ctl LOCATION '$MNT'" \
	-c "CREATE DATABASE full_ctl" \
	-c "ALTER DATABASE full_ctl SET default_tablespace = full_ctl" >/dev/null
cat > sluice.json <<JSON
{ "control": "$SLUICE_TEST_PG dbname=full_ctl",
  "connections": { "wh": { "url": "sqlite:wh.db" } },
  "flows": [
    { "name": "quick", "steps": [
        { "name": "s", "kind": "sql", "connection": "wh",
          "sql": "CREATE TABLE IF NOT EXISTS q(x int); INSERT INTO q VALUES (1)" } ] } ],
  "tasks": [ { "name": "often", "schedule": "every 1 second", "flow": "quick" } ] }
JSON

run_sluice run quick --wait
assert_eq 0 "$RC" "a run with room: $ERR"

# ---- the store's disk fills: the worker stops with the error (exit 1).
psql -q -d full_ctl -c "CREATE TABLE filler (pad text)" >/dev/null
for i in $(seq 1 100); do
	psql -q -d full_ctl -c "INSERT INTO filler SELECT string_agg(md5(g::text || ':' || k::text), '')
		FROM generate_series(1, 20000) g, generate_series(1, 8) k GROUP BY g" \
		>/dev/null 2> fill.err || break
done
assert_contains "$(cat fill.err)" "No space left on device"
"$SLUICE" worker --grace 1s 2> w.log &
WPID=$!
timeout 90 tail --pid="$WPID" -f /dev/null ||
	fail "the worker was still running 90s after its control store filled: $(tail -5 w.log)"
set +e; wait "$WPID"; rc=$?; set -e
WPID=
assert_eq 1 "$rc" "worker on a full control store: $(tail -5 w.log)"
assert_contains "$(cat w.log)" "control store 127.0.0.1:$PGPORT/full_ctl: could not extend file"
assert_contains "$(cat w.log)" "No space left on device"

# ---- with room again, the next command settles what was left behind.
psql -q -d full_ctl -c "DROP TABLE filler" >/dev/null
run_sluice run quick --wait
assert_eq 0 "$RC" "a run after the disk was freed: $ERR"
assert_eq 0 "$(psql -At -d full_ctl -c "SELECT count(*) FROM runs WHERE state = 'RUNNING'")" \
	"runs still RUNNING after recovery"
echo "disk_full_pg: ok"
