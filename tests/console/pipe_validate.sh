#!/bin/bash
# pipe_validate.sh - the console offers 'pipe validate' on a pipe: v in the
# pipes view lists every error of the selected pipe's pending files (file,
# line, column, column name), in read-only mode too since it loads
# nothing, and the files stay pending.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
mkdir -p "$T/p/lake/sales"
cd "$T/p"
cat >sluice.json <<'JSON'
{ "connections": { "wh": { "url": "sqlite:wh.db" } },
  "pipes": [
    { "name": "sales", "path": "sales/", "format": "csv", "connection": "wh",
      "table": "raw_sales",
      "columns": [ { "name": "id", "type": "integer" }, { "name": "sold", "type": "date" } ] } ] }
JSON
"$SLUICE" show pipes >/dev/null || fail "show pipes (makes the control store)"
printf 'id,sold\n1,2024-01-01\nx,2024-01-02\n3,2024-13-01\n' >lake/sales/a.csv

console_start 160 30 xterm-256color monitor
console_wait "READ-ONLY"
console_keys 2
console_wait "sales"
console_keys v
console_wait "COLUMN NAME"
screen=$(console_screen)
assert_contains "$screen" "sales/a.csv  3     1       id" "the bad id, where it is"
assert_contains "$screen" "expected an integer, got \"x\"" "why"
assert_contains "$screen" "sales/a.csv  4     3       sold" "the bad date, where it is"
assert_contains "$screen" "pipe sales: 1 file, 3 records read, 2 errors; nothing was loaded"
assert_contains "$screen" "pipe sales: 2 errors in its pending files" "the status line"
console_stop
"$SLUICE" show loads sales | grep -q "has loaded nothing yet" || fail "validate loaded something"
echo ok
