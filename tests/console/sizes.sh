#!/bin/bash
# sizes.sh - below 80x24 the console degrades instead of giving up: list
# views drop their least important columns (each view declares which),
# the header drops its labels and user@host but keeps the environment and
# the store, the key bar keeps help and quit; the list still moves and
# opens.  Whole screens at 60x15 and 40x12 against goldens; below 40x12 it
# says what size it needs.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
fixture_project "$T/p"
cd "$T/p"

mask_bars='s/^(ROWS\/MIN  )(\S+)/$1 . ("#" x length $2)/e'
mask_took='s/\b\d+m\d\ds\b/"#" x length $&/e'
# the engine's heartbeat, a relative time cut at the screen's edge
mask_beat='s/(heartbeat ).*/$1<ago>/'
# the same cut elsewhere: a relative time in brackets, the store's path
mask_cut='s/\((\d+[smhd]?|just)( a?g?o?)?$/(<ago>/; s/(STORE +sqlite +sqlite:).*/$1<path>/'

for size in 60x15 40x12; do
	cols=${size%x*} rows=${size#*x}
	console_script "$T/steps-$size" \
		":save-screen overview-$size.screen" \
		'6' ":save-screen runs-$size.screen" \
		'2' ":save-screen pipes-$size.screen" \
		'6/failed<Enter><Enter>' ":save-screen run-$size.screen" \
		':quit'
	CONSOLE_SOCKET=$CONSOLE_SOCKET-$size
	console_run_script "$cols" "$rows" xterm-256color "$T/steps-$size" monitor
	for screen in overview runs pipes run; do
		# the golden masks the header's fields: they are asserted here
		header=$(head -1 "$T/p/$screen-$size.screen")
		assert_contains "$header" "env: default" "environment in the header at $size"
		assert_contains "$header" "sqli" "store in the header at $size"
		assert_contains "$header" "READ-ONLY" "mode in the header at $size"
		console_assert_screen "$screen-$size" "$T/p/$screen-$size.screen" \
			"$mask_bars" "$mask_took" "$mask_beat" "$mask_cut"
	done
done

# ---- below 40x12: what it needs ---------------------------------------------------
CONSOLE_SOCKET=$CONSOLE_SOCKET-small
console_start 39 12 xterm-256color monitor
console_wait "need 40x12, have 39x12"
assert_contains "$(console_screen)" "terminal too small" "the too-small screen"
console_resize 40 12
console_wait "READ-ONLY"
console_resize 40 11
console_wait "need 40x12, have 40x11"
console_keys q
console_exited
assert_eq 0 "$CONSOLE_STATUS" "exit status"
