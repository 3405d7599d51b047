#!/bin/bash
# audit.sh - the audit of operators' actions: a run cancelled from the
# console is listed by the audit view (`:audit`) with who, from which host
# and through what; `sluice show audit` gives the same record as JSON and
# CSV; an action that failed leaves no record.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
fixture_project "$T/p"
cd "$T/p"

# a failed action: there is no run 999, nothing is recorded
"$SLUICE" cancel 999 >/dev/null 2>&1 && fail "cancel 999 succeeded"

console_script "$T/steps" \
	':audit' ':save-screen audit-empty.screen' \
	'6' 'j' 'c' 'y' \
	':audit' ':save-screen audit.screen' \
	':quit'
console_run_script 80 24 xterm-256color "$T/steps"
console_assert_screen audit-empty "$T/p/audit-empty.screen"
console_assert_screen audit "$T/p/audit.screen"

json=$("$SLUICE" show audit --json)
me=$(id -un)
assert_contains "$json" '"action":"cancel","object":"run 13"' "the cancel, as JSON"
assert_contains "$json" "\"user\":\"$me\",\"host\":\"$(hostname)\",\"via\":\"console\"" "who, where, how"
assert_contains "$json" '"command":"cancel 13"' "the command"
assert_eq 1 "$(printf '%s' "$json" | grep -o '"action"' | wc -l)" "one record: the failed cancel left none"
csv=$("$SLUICE" show audit --format csv)
assert_eq "AT,ACTION,OBJECT,USER,HOST,VIA,COMMAND" "$(printf '%s\n' "$csv" | head -1 | tr -d '\r')" "CSV header"
assert_contains "$csv" ",cancel,run 13,$me,$(hostname),console,cancel 13" "the cancel, as CSV"
echo "ok: the audit lists a cancel"
