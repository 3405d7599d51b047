# disk_full.sh - a full disk under the control store, the warehouse and
# the lake, each on a small tmpfs of its own:
#   - control store: `run --wait` in the foreground fails at once, exit 1,
#     naming the control store and its path, instead of waiting for an
#     outcome it can never record; `sluice worker` stops (exit 1) with the
#     same message instead of logging heartbeat failures forever; once
#     there is room again the next command settles the run left behind,
#     and the step's rows are there exactly once;
#   - warehouse: the step fails naming the connection, nothing of it is
#     left in the table, the run is FAILED (exit 1);
#   - lake: the extract fails, no file or temporary file is left, the
#     watermark stays, and the next run (with room) writes every row.
# Mounting needs root (CI runs as root); without it the test is skipped.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/sqlite_lock.sh"

cd "$T"
MOUNTED=
mount_small() { # DIR SIZE
	mkdir -p "$1"
	if ! mount -t tmpfs -o "size=$2" tmpfs "$1" 2> mount.err; then
		echo "SKIP: cannot mount a tmpfs on $1 ($(cat mount.err)): this test needs root" >&2
		exit 77
	fi
	MOUNTED="$1 $MOUNTED"
}
unmount_all() {
	[ -n "${WPID:-}" ] && kill -KILL "$WPID" 2>/dev/null
	[ -n "${FG:-}" ] && kill -KILL "$FG" 2>/dev/null
	sleep 0.2
	local d
	for d in $MOUNTED; do umount -l "$d" 2>/dev/null; done
	return 0
}
at_exit unmount_all
fill() { dd if=/dev/zero of="$1/filler" bs=64k 2>/dev/null || true; }

mount_small "$T/.sluice" 4m
mount_small "$T/wh" 2m
mount_small "$T/lake" 1m
sqlite3 src.db "CREATE TABLE t(id integer primary key, pad text);
	WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 8000)
	INSERT INTO t SELECT x, hex(randomblob(200)) FROM c;"
cat > sluice.json <<'EOF'
{ "connections": { "wh": { "url": "sqlite:wh/wh.db" }, "src": { "url": "sqlite:src.db" } },
  "lake": { "url": "file:lake" },
  "flows": [
    { "name": "quick", "steps": [
        { "name": "s", "kind": "sql", "connection": "wh",
          "sql": "CREATE TABLE IF NOT EXISTS q(x int); INSERT INTO q VALUES (1)" } ] },
    { "name": "gated", "steps": [
        { "name": "gate", "kind": "sql", "connection": "wh",
          "sql": "CREATE TABLE IF NOT EXISTS g(x int); INSERT INTO g VALUES (1)" } ] },
    { "name": "big", "steps": [
        { "name": "fill", "kind": "sql", "connection": "wh",
          "sql": "CREATE TABLE big(x int, pad text); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) INSERT INTO big SELECT x, hex(randomblob(500)) FROM c" } ] },
    { "name": "dump", "steps": [
        { "name": "extract", "kind": "extract", "connection": "src",
          "tables": [ { "table": "t", "watermark": "id" } ], "format": "ndjson" } ] } ] }
EOF
STORE="$T/.sluice/control.db"
state_of() { sqlite3 "$STORE" "SELECT state FROM runs WHERE id = $1"; }

run_sluice run quick --wait
assert_eq 0 "$RC" "a run with room on every disk: $ERR"

# ---- the control store's disk fills while a foreground run is in its
# step (the step waits for a lock this test holds, so the disk fills at a
# known point): the run cannot be recorded; say so and exit 1.
lock_hold wh/wh.db
t0=$(date +%s)
timeout -k 5 120 "$SLUICE" run gated --wait > g.out 2> g.err &
FG=$!
wait_until 20 grep -qs 'step gate: RUNNING' g.err || fail "the gated step did not start: $(cat g.err)"
fill "$T/.sluice"
lock_release
set +e; wait "$FG"; rc=$?; set -e
FG=
took=$(( $(date +%s) - t0 ))
[ "$rc" != 124 ] && [ "$rc" != 137 ] ||
	fail "run --wait was still waiting after 120s (exit $rc): $(cat g.err)"
assert_eq 1 "$rc" "run --wait on a full control store: $(cat g.err)"
[ "$took" -le 30 ] || fail "run --wait took ${took}s to give up"
assert_contains "$(cat g.err)" "control store $STORE: database or disk is full"
gated=$(cat g.out)

# ---- a worker on a full control store stops with the error (exit 1).
rm -f "$T/.sluice/filler"
"$SLUICE" worker --grace 1s 2> w.log &
WPID=$!
wait_until 20 grep -q 'ready' w.log || fail "worker did not start: $(cat w.log)"
fill "$T/.sluice"
timeout 60 tail --pid="$WPID" -f /dev/null ||
	fail "the worker was still running 60s after its control store filled: $(tail -3 w.log)"
set +e; wait "$WPID"; rc=$?; set -e
WPID=
assert_eq 1 "$rc" "worker on a full control store: $(tail -5 w.log)"
assert_contains "$(cat w.log)" "control store $STORE: database or disk is full"

# ---- with room again, the next command settles the run left behind; its
# step had committed, and its row is there once.
rm -f "$T/.sluice/filler"
run_sluice run quick --wait
assert_eq 0 "$RC" "a run after the disk was freed: $ERR"
st=$(state_of "$gated")
[ "$st" != RUNNING ] || fail "run $gated is still RUNNING after recovery"
assert_eq 1 "$(sqlite3 wh/wh.db 'SELECT count(*) FROM g')" "rows of the gated step"

# ---- the warehouse's disk fills: the step fails naming the connection,
# nothing of it stays, the run is FAILED.
run_sluice run big --wait
assert_eq 1 "$RC" "run filling the warehouse"
assert_contains "$ERR" "wh: database or disk is full"
run_sluice show run "$(echo "$OUT" | head -1)" --json
assert_contains "$(printf '%s' "$OUT" | json_squeeze)" '"state":"FAILED"'
assert_eq 0 "$(sqlite3 wh/wh.db "SELECT count(*) FROM sqlite_master WHERE name = 'big'")" \
	"the half-filled table"
run_sluice run quick --wait
assert_eq 0 "$RC" "the warehouse works on: $ERR"

# ---- the lake's disk fills: the extract fails, leaves no file, and the
# next run with room writes every row.
run_sluice run dump --wait
assert_eq 1 "$RC" "run filling the lake"
assert_contains "$ERR" "No space left on device"
assert_eq 0 "$(find lake -type f | wc -l)" "files left in the full lake"
mount -o remount,size=64m "$T/lake"
run_sluice run dump --wait
assert_eq 0 "$RC" "extract with room: $ERR"
assert_eq 8000 "$(find lake -type f -name '*.ndjson' -exec cat {} + | wc -l)" \
	"rows extracted once there was room"
echo "disk_full: ok"
