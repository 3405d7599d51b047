#!/bin/bash
# definition.sh - a step's definition from a run (issue 16): a transform
# fails on a table that does not exist; its SQL file is fixed on disk; d
# on the run opens the failed step's definition, which shows the change
# between the SQL the run used and the file now, line by line ('-' the
# run's, '+' on disk).  ] moves to the next step.  e opens the file in
# $EDITOR in operator mode (the page then shows the edit too) and is
# refused in monitor mode.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
cp -r "$SLUICE_SRCDIR/tests/data/projects/definitions" "$T/p"
mkdir -p "$T/p/sql"
cd "$T/p"
printf '%s\n' 'DELETE FROM stg;' 'INSERT INTO stg (id)' 'SELECT id FROM orders_raw;' \
	'-- the nightly transform' >sql/transform.sql
"$SLUICE" run nightly >/dev/null 2>&1 && fail "run 1 should fail: orders_raw does not exist"
# the fix, on disk after the run
printf '%s\n' 'DELETE FROM stg;' 'INSERT INTO stg (id)' 'SELECT 1;' \
	'-- the nightly transform' >sql/transform.sql

console_script "$T/steps" \
	'6' '<Enter>' 'd' ':save-screen definition.screen' \
	']' ':save-screen definition-next.screen' \
	'e' ':save-screen definition-monitor.screen' \
	'<Esc><Esc><Esc>5' 'x' 'd' ':save-screen definition-graph.screen' ':quit'
console_run_script 80 24 xterm-256color "$T/steps" monitor
console_assert_screen definition "$T/p/definition.screen"
console_assert_screen definition-next "$T/p/definition-next.screen"
grep -q "edit.*read-only\|read-only.*edit\|refused" "$T/p/definition-monitor.screen" ||
	{ cat "$T/p/definition-monitor.screen" >&2; fail "e in monitor mode should be refused"; }

# from the flow graph, d opens the newest run's failed step the same way
grep -q "^Step transform  run 1  flow nightly" "$T/p/definition-graph.screen" &&
	grep -q "^+SELECT 1;" "$T/p/definition-graph.screen" ||
	{ cat "$T/p/definition-graph.screen" >&2; fail "d in the flow graph"; }

# operator mode: e runs $EDITOR on the file, and the page shows its edit
cat >"$T/editor" <<'SH'
#!/bin/sh
echo '-- checked by the operator' >>"$1"
SH
chmod +x "$T/editor"
CONSOLE_ENV=("EDITOR=$T/editor")
console_script "$T/steps-edit" '6' '<Enter>' 'd' 'e' ':save-screen definition-edited.screen' ':quit'
console_run_script 80 24 xterm-256color "$T/steps-edit"
assert_contains "$(cat sql/transform.sql)" "-- checked by the operator" "the editor's change"
# the operator console's header names the store by its path under $T, cut
console_assert_screen definition-edited "$T/p/definition-edited.screen" \
	's/^.* (1 engine +OPERATOR)$/ <header> $1/ if $. == 1'
grep -q "OPERATOR" "$T/p/definition-edited.screen" || fail "the edit ran in operator mode"
echo "ok: a step's definition, its diff since the run, and e"
