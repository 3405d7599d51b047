# worker_journal.sh - `sluice worker` under systemd: when JOURNAL_STREAM
# names the stream its stderr is, every log record is one line with
# journald's level prefix (<3> error, <6> info, <7> debug) and no time
# stamp of its own; with JOURNAL_STREAM naming another stream (inherited
# by a process whose stderr went elsewhere) the log keeps its text form;
# and a daemon detached under the journal writes its log file in the text
# form, its stderr being that file and no longer the journal.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

cd "$T"
cat > sluice.json <<EOF2
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "flows": [
    { "name": "bad", "steps": [
        { "name": "s", "kind": "sql", "connection": "wh",
          "sql": "SELECT * FROM no_such_table" } ] } ] }
EOF2

worker_log() { # JOURNAL_STREAM-VALUE LOG
	local log=$2 wp
	(JOURNAL_STREAM=$1 exec "$SLUICE" --log-level debug worker --grace 1s 2>>"$log") &
	wp=$!
	wait_until 20 grep -q 'ready' "$log" || { kill "$wp"; fail "worker did not start: $(cat "$log")"; }
	run_sluice run bad
	wait_until 20 grep -q 'RUNNING -> FAILED' "$log" || { kill "$wp"; fail "the run did not fail: $(cat "$log")"; }
	kill -TERM "$wp"
	wait "$wp" || fail "worker exit $?"
}

touch journal.log
worker_log "$(stat -c '%d:%i' journal.log)" journal.log
bad=$(grep -v '^<[3-7]>' journal.log || true)
[ -z "$bad" ] || fail "lines without a journald level prefix: $bad"
grep -q '^<6>engine: worker .* ready' journal.log || fail "no <6> info line: $(cat journal.log)"
grep -q '^<7>\[run 1 s\] ' journal.log || fail "no <7> debug line: $(cat journal.log)"
grep -q '^<3>\[run 1 s\] sql step failed' journal.log || fail "no <3> error line: $(cat journal.log)"
grep -Eq '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z' journal.log && fail "time stamps in the journal form: $(cat journal.log)"

# Another stream's JOURNAL_STREAM: the text form, time stamps and level names.
touch other text.log
worker_log "$(stat -c '%d:%i' other)" text.log
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z INFO  engine: worker .* ready' text.log ||
	fail "the text form was not kept: $(cat text.log)"
grep -q '^<' text.log && fail "journald prefixes on a stream that is not the journal: $(cat text.log)"

# A daemon detached under the journal (a unit that runs `worker --detach`):
# its stderr is the log file now, not the journal, so the file has the
# text form; the command's own words before it detached went to the journal.
touch detach.log
(JOURNAL_STREAM=$(stat -c '%d:%i' detach.log) exec "$SLUICE" worker --detach --grace 1s \
	2>>detach.log) || fail "worker --detach: $(cat detach.log)"
at_exit kill_daemon
wait_until 20 grep -q 'ready' .sluice/worker.log || fail "the daemon is not ready: $(cat .sluice/worker.log)"
run_sluice run bad
wait_until 20 grep -q 'RUNNING -> FAILED' .sluice/worker.log ||
	fail "the run did not fail: $(cat .sluice/worker.log)"
run_sluice worker stop
assert_eq 0 "$RC" "worker stop: $ERR"
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z INFO  engine: worker .* ready' .sluice/worker.log ||
	fail "the detached daemon's log file is not in the text form: $(cat .sluice/worker.log)"
grep -q '^<' .sluice/worker.log &&
	fail "journald prefixes in the detached daemon's log file: $(cat .sluice/worker.log)"
exit 0
