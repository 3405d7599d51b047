#!/bin/bash
# nocolor.sh - NO_COLOR (any non-empty value) and --no-color take every
# colour off the screen, while bold and reverse still mark the header,
# the current view and the key hints; without them colours are used.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
cd "$T"

# The SGR parameters on screen, one per line.  tmux writes the cells'
# attributes as SGR sequences; 39 and 49 (default colours) are resets,
# not colours.
sgr_params() {
	console_screen_escapes | grep -o $'\e\[[0-9;]*m' | tr -d $'\e[m' | tr ';' '\n' | sort -u
}

is_colour() { # PARAM
	case "$1" in
	3[0-8] | 4[0-8] | 9[0-7] | 10[0-7]) return 0 ;;
	*) return 1 ;;
	esac
}

check() { # WHAT EXPECT_COLOUR
	local what=$1 expect=$2 p colours=0 bold=0 reverse=0
	console_wait "OPERATOR"
	console_keys 6
	console_wait "TRIGGER"
	for p in $(sgr_params); do
		is_colour "$p" && colours=$((colours + 1))
		[ "$p" = 1 ] && bold=1
		[ "$p" = 7 ] && reverse=1
	done
	if [ "$expect" = yes ]; then
		[ "$colours" -gt 0 ] || fail "$what: no colour on screen"
	else
		[ "$colours" = 0 ] || {
			console_screen_escapes | cat -v >&2
			fail "$what: colour SGR codes on screen: $(sgr_params | tr '\n' ' ')"
		}
		[ "$bold" = 1 ] || fail "$what: no bold left on screen"
		[ "$reverse" = 1 ] || fail "$what: no reverse video left on screen"
	fi
	console_keys q
	console_exited
	assert_eq 0 "$CONSOLE_STATUS" "$what: exit status"
	console_stop
}

base_socket=$CONSOLE_SOCKET
CONSOLE_SOCKET=$base_socket-colour
console_start 80 24 xterm-256color
check "default" yes

CONSOLE_SOCKET=$base_socket-empty
CONSOLE_ENV=(NO_COLOR=)
console_start 80 24 xterm-256color
check "NO_COLOR empty" yes

CONSOLE_SOCKET=$base_socket-env
CONSOLE_ENV=(NO_COLOR=1)
console_start 80 24 xterm-256color
check "NO_COLOR=1" no

CONSOLE_SOCKET=$base_socket-option
CONSOLE_ENV=()
console_start 80 24 xterm-256color --no-color
check "--no-color" no

# a terminal without colours gets the same monochrome theme
CONSOLE_SOCKET=$base_socket-vt100
console_start 80 24 vt100
check "vt100" no

# ---- states keep their mark without colour: FAILED is bold reverse -----------------
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
fixture_project "$T/p"
cd "$T/p"
CONSOLE_SOCKET=$base_socket-states
CONSOLE_ENV=(NO_COLOR=1)
console_start 100 30 xterm-256color monitor
console_wait "READ-ONLY"
console_keys 6
console_wait_line -1 "runs 1/14"
line=$(console_screen_escapes | grep 'FAILED')
case "$line" in
*$'\e[1m\e[7mFAILED'* | *$'\e[7m\e[1mFAILED'* | *$'\e[1;7mFAILED'* | *$'\e[7;1mFAILED'*) ;;
*) printf '%s\n' "$line" | cat -v >&2; fail "FAILED is not bold reverse without colour" ;;
esac
for p in $(sgr_params); do
	is_colour "$p" && fail "colour on the runs view with NO_COLOR: $p"
done
console_keys q
console_exited
