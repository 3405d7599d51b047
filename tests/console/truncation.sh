#!/bin/bash
# truncation.sh - what is cut never hides the difference: pipes whose long
# names differ only at the end stay different on screen at 80 and 120
# columns (cut in the middle, their name column given the spare width),
# the files they loaded are cut in the middle of the path keeping the
# file name, and at 80 columns the header of a production environment
# whose project lives under a long path still says PRODUCTION and which
# store it is.  Whole screens against goldens.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
P="$T/projects/acme-totesys-warehouse-eu-central-1"
mkdir -p "$P"
cd "$P"
cat >sluice.json <<'JSON'
{ "project": "acme totesys warehouse eu-central-1",
  "connections": { "wh": { "url": "sqlite:wh.db" } },
  "lake": { "url": "file:lake" },
  "environments": { "production": { "production": true } },
  "pipes": [
    { "name": "orders_partner_feed_from_the_european_warehouse_region_west",
      "path": "west/", "connection": "wh", "table": "raw_west" },
    { "name": "orders_partner_feed_from_the_european_warehouse_region_east",
      "path": "east/", "connection": "wh", "table": "raw_east" },
    { "name": "orders_partner_feed_from_the_european_warehouse_region_north",
      "path": "north/", "connection": "wh", "table": "raw_north" } ] }
JSON
n=0
for region in west east north; do
	mkdir -p "lake/$region/2026/11/21"
	printf '{"id": 1}\n' >"lake/$region/2026/11/21/16592520336$((++n)).json"
	"$SLUICE" pipe refresh "orders_partner_feed_from_the_european_warehouse_region_$region" \
		>/dev/null || fail "refresh $region"
done

console_script "$T/steps" '2' ':save-screen pipes.screen' ':quit'
for cols in 80 120; do
	CONSOLE_SOCKET=$CONSOLE_SOCKET-$cols
	console_run_script "$cols" 24 xterm-256color "$T/steps" monitor
	screen=$(cat "$P/pipes.screen")
	# three different names, three different texts
	names=$(printf '%s\n' "$screen" | sed -n '4,6p' | cut -d' ' -f1 | sort -u | wc -l)
	assert_eq 3 "$names" "distinct pipe names at $cols columns"
	console_assert_screen "truncation-pipes-$cols" "$P/pipes.screen"
done

# ---- the header at 80 columns: production, and which store ---------------------------
console_script "$T/steps-prod" ':save-screen prod.screen' ':quit'
CONSOLE_SOCKET=$CONSOLE_SOCKET-prod
CONSOLE_ENV=(SLUICE_ENV=production)
console_run_script 80 24 xterm-256color "$T/steps-prod" monitor
CONSOLE_ENV=()
header=$(head -1 "$P/prod.screen")
# No engine serves this project: "no engine" (red) is the most urgent news
# and always shows; the environment is never cut and the store keeps its
# scheme and the end of its path, so the project's name gives way first.
assert_eq " sluice  env: PRODUCTION │ sqlite:…l-1/.sluice/control.db  no engine  READ-ONLY" \
	"$header" "the production header at 80 columns"
