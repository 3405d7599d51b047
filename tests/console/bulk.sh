#!/bin/bash
# bulk.sh - marks and bulk actions (k9s's Space): three runs marked in the
# runs list, R asks once naming how many and which, and retries them all;
# the status line says how many were done and the store has one retry of
# each.  Esc forgets marks; a run not marked is left alone.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
fixture_project "$T/p"
cd "$T/p"

console_script "$T/steps" \
	'6' '<Space><Esc>g' ':save-screen bulk-unmarked.screen' \
	'jj<Space><Space><Space>' ':save-screen bulk-marked.screen' \
	'R' ':save-screen bulk-confirm.screen' \
	'y' ':save-screen bulk-done.screen' \
	':quit'
console_run_script 80 24 xterm-256color "$T/steps"
# run 13 is still running: its time so far grows
running='s/\b\d+m\d\ds\b/"#" x length $&/e'
console_assert_screen bulk-unmarked "$T/p/bulk-unmarked.screen" "$running"
console_assert_screen bulk-marked "$T/p/bulk-marked.screen" "$running"
console_assert_screen bulk-confirm "$T/p/bulk-confirm.screen" "$running"
console_assert_screen bulk-done "$T/p/bulk-done.screen" "$running"

# one retry of each marked run, and of nothing else
parents=$("$SLUICE" show runs --json | grep -oE '"parent_run":[0-9]+' | sort | tr '\n' ' ')
assert_eq '"parent_run":10 "parent_run":11 "parent_run":12 ' "$parents" "the retried runs"
echo "ok: a bulk retry of three marked runs"
