#!/bin/bash
# problems.sh - the overview lists what needs an operator, one selectable
# row each (a file that failed to load, a failed run, a backfill waiting
# for approval), with the key that acts on it; Enter opens the failed run,
# R retries it after asking, and the row then says which run retried it.
# The fixture's worker is alive, so the console starts no engine and the
# retry stays PENDING: what the screens show is what the console did.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
fixture_project "$T/p"
cd "$T/p"

console_script "$T/steps" \
	':save-screen problems.screen' \
	'j<Enter>' ':save-screen problems-run.screen' \
	'<Esc>R' ':save-screen problems-retry.screen' \
	'y' '<F5>' ':save-screen problems-retried.screen' \
	':quit'
console_run_script 80 24 xterm-256color "$T/steps"
spark='s/^(ROWS\/MIN  )(\S+)/$1 . ("#" x length $2)/e'
console_assert_screen problems "$T/p/problems.screen" "$spark"
console_assert_screen problems-run "$T/p/problems-run.screen"
console_assert_screen problems-retry "$T/p/problems-retry.screen" "$spark"
console_assert_screen problems-retried "$T/p/problems-retried.screen" "$spark"

# the retry is in the store: a new run of the failed run's flow, its child
runs=$("$SLUICE" show runs --json)
assert_contains "$runs" '"parent_run":7' "a run retrying run 7"
echo "ok: the problem overview opens a failed run and retries it"
