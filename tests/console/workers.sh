#!/bin/bash
# workers.sh - the console's workers view and the header's engines: whole
# screens at 80x24 with no engine ("no engine" in the header, the view's
# empty state) and with one `sluice worker --pool A` and a LOST worker of
# another host (the row flagged LOST in red); then, in operator mode, the
# drain of a worker from the view, end to end: the confirmation names the
# worker, the worker process exits, its run goes back to PENDING.  On the
# way, a run of pool B (no live worker) says why it waits, in the runs list
# and the run's detail.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
mkdir -p "$T/p" && cd "$T/p"
cat > sluice.json <<'EOF'
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "flows": [
    { "name": "spin", "pool": "A", "steps": [ { "name": "s", "kind": "sql",
      "connection": "wh",
      "sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c" } ] },
    { "name": "fb", "pool": "B", "steps": [ { "name": "s", "kind": "sql",
      "connection": "wh", "sql": "SELECT 1" } ] } ] }
EOF
"$SLUICE" show runs >/dev/null
HOST=$(hostname)
# The machine's host name and a worker's pid, in the cells that show them.
MASK_HOST="s/\\Q$HOST\\E:\\d+:\\d+( *)/sprintf('%-*s', length \$&, 'HOST:PID:N')/ge; s/\\b\\Q$HOST\\E( +)\\d+ /sprintf('%-*sPID ', length(\$&) - 4, 'HOST')/ge"

# ---- no engine: the header says so, in red; the view's empty state.
console_script "$T/none" '0' ':save-screen workers-none.screen' ':quit'
console_run_script 80 24 xterm-256color "$T/none" monitor
console_assert_screen workers-none "$T/p/workers-none.screen"

WPIDS=()
stop_workers() { local p; for p in "${WPIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; }
at_exit stop_workers
"$SLUICE" worker --workers 1 --pool A --grace 1s 2> w.log &
W=$!
WPIDS+=("$W")
wait_until 20 grep -q 'ready' w.log || fail "worker did not start: $(cat w.log)"
# A worker of another host that stopped beating ten minutes ago.
now=$(date +%s)
sqlite3 .sluice/control.db "INSERT INTO workers (id, host, pid, started_at, heartbeat_at, pools)
	VALUES ('far-host:4242:1', 'far-host', 4242, ($now - 3600) * 1000000, ($now - 600) * 1000000, 'B')"

# ---- one engine, and a lost one: whole screen.
console_script "$T/one" '0' ':save-screen workers.screen' ':quit'
console_run_script 80 24 xterm-256color "$T/one" monitor
console_assert_screen workers "$T/p/workers.screen" "$MASK_HOST"

# The LOST row is red (bold red foreground); the header names the engine
# in full where there is room.
console_start 120 30 xterm-256color monitor
console_wait "READ-ONLY"
console_keys 0
console_wait "far-host"
# the selection (the first row) has colours of its own: keep it off the LOST row
if "$SLUICE" show workers | sed -n 2p | grep -q '^far-host'; then
	console_keys j
	sleep 0.5
fi
console_screen_escapes | grep 'far-host' | grep -q $'\e\[[0-9;]*31m[^\e]*LOST' ||
	fail "the LOST worker is not red: $(console_screen_escapes | grep far-host | cat -v)"
assert_contains "$(console_line 0)" "engine $HOST:$W since" "the header's engine"
# read-only mode views it but refuses the drain
console_keys D
console_wait "read-only mode: drain refused"
console_keys q
console_exited
console_stop

# ---- a run of pool B, which no live worker serves: the runs list and the
# run's detail say why it waits.
run_sluice run fb
assert_eq 0 "$RC" "sluice run fb: $ERR"
RB=$OUT
console_start 120 30 xterm-256color monitor
console_wait "READ-ONLY"
console_keys 6
console_wait "waiting: no live worker serves pool B"
assert_contains "$(console_screen | grep "^ *$RB ")" "PENDING" "the waiting run's row"
assert_contains "$(console_screen | grep "^ *$RB ")" "waiting: no live worker serves pool B" \
	"the waiting run's row"
console_keys / fb Enter Enter
console_wait "Run $RB"
console_wait "waiting: no live worker serves pool B"
assert_contains "$(console_screen)" "pool" "the run detail's pool"
console_keys Escape
console_wait_gone "Run $RB "
console_keys q
console_exited
console_stop

# ---- operator mode: drain the worker from the view.
run_sluice run spin
assert_eq 0 "$RC" "sluice run spin: $ERR"
RUN=$OUT
running() { "$SLUICE" show run "$RUN" --json | json_squeeze | grep -q '"state":"RUNNING"'; }
wait_until 30 running || fail "run $RUN did not start on the worker"
console_start 100 30 xterm-256color
console_wait "OPERATOR"
console_keys 0
console_wait "far-host"
console_keys / "$W" Enter
console_keys D
console_wait "Drain worker $HOST:$W:1?"
console_keys y
set +e
wait_until 30 sh -c "! kill -0 $W 2>/dev/null"
gone=$?
set -e
[ "$gone" = 0 ] || fail "the drained worker did not exit: $(cat w.log)"
assert_contains "$(cat w.log)" "drain requested by an operator" "the worker's log"
j=$("$SLUICE" show run "$RUN" --json | json_squeeze)
assert_contains "$j" '"state":"PENDING","reason":"handed back by draining worker ' "the run after the drain"
run_sluice show workers
assert_not_contains "$OUT" ":$W:" "the drained worker unregistered"
console_keys q
console_exited 20
echo "workers console: ok"
