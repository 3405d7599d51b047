#!/bin/bash
# watermarks.sh - a flow's detail (Enter on it in the flows view) shows,
# above its runs, the watermark of each table its extract steps read, when
# it moved and which run moved it; a table with nothing extracted yet says
# so.  The watermarks are made by the real binary extracting a SQLite
# source into a file lake, twice.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
mkdir -p "$T/p/lake"
cd "$T/p"
cat >sluice.json <<'JSON'
{ "project": "watermarks",
  "connections": { "source": { "url": "sqlite:source.db" } },
  "lake": { "url": "file:lake" },
  "flows": [ { "name": "pull", "description": "orders into the lake", "steps": [
    { "name": "extract", "kind": "extract", "connection": "source",
      "tables": [ "orders", "returns" ] } ] } ] }
JSON
sqlite3 source.db "CREATE TABLE orders (id integer PRIMARY KEY, last_updated timestamp);
	CREATE INDEX orders_lu ON orders (last_updated);
	CREATE TABLE returns (id integer PRIMARY KEY, last_updated timestamp);
	CREATE INDEX returns_lu ON returns (last_updated);
	INSERT INTO orders VALUES (1, '2024-01-01 10:00:00')"
run_sluice run pull --wait
assert_eq 0 "$RC" "run 1: $OUT $ERR"
sqlite3 source.db "INSERT INTO orders VALUES (2, '2024-01-02 09:30:00')"
run_sluice run pull --wait
assert_eq 0 "$RC" "run 2: $OUT $ERR"

# driven by a script and compared whole at 80x24: the runs below are
# real, so how long they took is masked
console_script "$T/steps" '5' '<Enter>' ':save-screen watermarks.screen' ':quit'
console_run_script 80 24 xterm-256color "$T/steps" monitor
console_assert_screen watermarks "$T/p/watermarks.screen" \
	's/( +)(\d+(?:\.\d+)?m?s)$/" " x (length($&) - 6) . "<took>"/e' \
	's/( +)(\d+(?:\.\d+)?m?s)( +)/" " x (length($1 . $2) - 6) . "<took>" . $3/e'
line=$(grep '^  extract  *orders ' "$T/p/watermarks.screen")
assert_eq "2" "$(printf '%s\n' "$line" | awk '{ print $NF }')" "moved by run 2"
case $line in *"just now"*|*"s ago"*) ;; *) fail "when it moved: $line" ;; esac

# wider, the column of rows pending past the watermark is there too
console_start 120 30 xterm-256color monitor
console_wait "READ-ONLY"
console_keys 5
console_wait "TRIGGERED BY"
console_keys Enter
console_wait "WATERMARKS"
assert_contains "$(console_screen)" "BY RUN PENDING" "the pending column"
echo "ok: a flow's watermarks in its detail"
