#!/bin/bash
# graph.sh - the flow graph (k9s xray) of the demo's warehouse flow after a
# run: its 18 steps in the layers their needs make, each with its kind,
# its state, rows and time in the newest run and the tables it reads and
# writes; and the run detail's timeline of a run's steps (the fixture's
# run 1: two steps, overlapping, bars scaled to the run's 42 s).
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
cd "$T"
"$SLUICE" init --demo demo >/dev/null || fail "init --demo"
cd demo
"$SLUICE" run totesys_ingest >/dev/null 2>&1 || fail "the demo's ingest run"
"$SLUICE" run totesys_warehouse >/dev/null 2>&1 || fail "the demo's warehouse run"

console_script "$T/steps" \
	'5' '/warehouse<Enter>' 'x' ':save-screen graph.screen' \
	'G' ':save-screen graph-end.screen' \
	':quit'
console_run_script 80 24 xterm-256color "$T/steps" monitor
# the steps' times are the machine's: right-aligned, so the blanks before
# a time and the time together keep their width
took='s/( +)(\d+(?:\.\d+)?(?:ms|s))\b/" " x (length($1) + length($2) - 1) . "#"/ge'
console_assert_screen graph "$T/demo/graph.screen" 's/took \S+/took #/' "$took"
console_assert_screen graph-end "$T/demo/graph-end.screen" "$took"

fixture_project "$T/p"
cd "$T/p"
console_script "$T/steps-run" ':runs 1' '<Enter>' 'G' ':save-screen timeline.screen' ':quit'
console_run_script 80 24 xterm-256color "$T/steps-run" monitor
console_assert_screen timeline "$T/p/timeline.screen"
echo "ok: the flow graph and a run's timeline"
