#!/bin/bash
# small.sh - small things an operator trips on: the cancel dialog names
# its action on the button that takes it ("[ Cancel run ]" beside
# "[ Cancel ]"); c on a finished run is refused up front instead of asking;
# `:run FLOW` and a retry answer in words, not with a bare run id; an
# operator's own cancel is not logged as a warning; a RUNNING run whose
# worker is lost says so; a stream's page is "Stream NAME".
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
fixture_project "$T/p"
cd "$T/p"

console_script "$T/steps" \
	'3' '<Enter>' ':save-screen stream-detail.screen' '<Esc>' \
	'6' 'j' 'c' ':save-screen cancel-dialog.screen' '<Esc>' \
	'j' 'c' ':save-screen cancel-finished.screen' \
	':run orders_etl' ':save-screen run-answer.screen' \
	':quit'
console_run_script 80 24 xterm-256color "$T/steps"
running='s/\b\d+m\d\ds\b/"#" x length $&/e'
console_assert_screen cancel-dialog "$T/p/cancel-dialog.screen" "$running"
console_assert_screen cancel-finished "$T/p/cancel-finished.screen" "$running"
assert_contains "$(tail -1 "$T/p/run-answer.screen")" "run 15: orders_etl" "the answer to :run"
assert_contains "$(sed -n 2p "$T/p/stream-detail.screen")" "streams › Stream orders_stream" \
	"a stream's page: its title"

# the command line keeps the bare id, for scripts
assert_eq 16 "$("$SLUICE" retry 7 2>/dev/null)" "retry on the command line"
# an operator's own cancel is news, not a warning
out=$("$SLUICE" cancel 13 2>&1)
assert_contains "$out" "run 13: CANCELLING" "the cancel"
assert_not_contains "$out" "WARN" "the cancel's log line"

# a RUNNING run whose worker is lost says so, in the list and its detail
fixture_project "$T/q"
cd "$T/q"
now=$(date +%s)
sqlite3 .sluice/control.db "UPDATE workers SET heartbeat_at = ($now - 600) * 1000000
	WHERE id = 'fixture-host:1:1'"
console_script "$T/steps-lost" '6' ':save-screen runs-lost.screen' \
	'j<Enter>' ':save-screen run-lost.screen' ':quit'
console_run_script 80 24 xterm-256color "$T/steps-lost" monitor
console_assert_screen runs-lost "$T/q/runs-lost.screen" "$running"
console_assert_screen run-lost "$T/q/run-lost.screen" "$running"
echo "ok: small things"
