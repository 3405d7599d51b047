#!/bin/bash
# xdg_dirs.sh - where `sluice shell` keeps its history: under an absolute
# $XDG_STATE_HOME, else under ~/.local/state.  A relative XDG_STATE_HOME is
# invalid (XDG base directory specification) and is ignored: the history
# must not land in whatever directory the shell was started from.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
cd "$T"
mkdir -p home work

# The interactive shell (readline, history) needs a terminal: script(1)
# gives it one and feeds it stdin.
shell_session() { # ENV...
	(cd work && env "$@" HOME="$T/home" \
		timeout 30 script -qec "$SLUICE shell" /dev/null <<<$'help\nquit' >/dev/null)
}

shell_session XDG_STATE_HOME=rel/state
[ ! -e work/rel ] || fail "a relative XDG_STATE_HOME was used: $(find work/rel)"
[ -f home/.local/state/sluice/shell_history ] ||
	fail "history not under ~/.local/state with a relative XDG_STATE_HOME"
assert_contains "$(cat home/.local/state/sluice/shell_history)" "help" "history"
rm -rf home/.local

shell_session XDG_STATE_HOME="$T/state"
[ -f state/sluice/shell_history ] || fail "history not under an absolute XDG_STATE_HOME"
[ ! -e home/.local ] || fail "history under ~/.local despite XDG_STATE_HOME"

shell_session -u XDG_STATE_HOME
[ -f home/.local/state/sluice/shell_history ] || fail "history not under ~/.local/state"
echo "xdg_dirs: ok"
