# testlib.sh - assertions and scratch space for shell tests.
#
# Source it first: it sets `set -eu`, makes $T (a scratch directory removed
# at exit) and defines fail/assert helpers that print what was expected and
# what was seen.  $SLUICE is the binary under test.

set -eu
SLUICE=${SLUICE_BIN:?SLUICE_BIN is not set; run through make check}
T=$(mktemp -d "${TMPDIR:-/tmp}/sluice-t.XXXXXX")
_testlib_cleanup_hooks=()
_testlib_cleanup() {
	local h
	for h in "${_testlib_cleanup_hooks[@]+"${_testlib_cleanup_hooks[@]}"}"; do
		$h || true
	done
	rm -rf "$T"
}
trap _testlib_cleanup EXIT
at_exit() { _testlib_cleanup_hooks+=("$1"); }

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

assert_eq() { # EXPECTED ACTUAL [WHAT]
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

assert_contains() { # HAYSTACK NEEDLE [WHAT]
	case "$1" in
	*"$2"*) ;;
	*) printf '%s\n' "$1" >&2; fail "${3:-output} does not contain '$2'" ;;
	esac
}

assert_not_contains() { # HAYSTACK NEEDLE [WHAT]
	case "$1" in
	*"$2"*) printf '%s\n' "$1" >&2; fail "${3:-output} contains '$2'" ;;
	*) ;;
	esac
}

# Run sluice, capturing stdout, stderr and the exit code in OUT, ERR, RC.
run_sluice() {
	set +e
	OUT=$("$SLUICE" "$@" 2>"$T/.stderr")
	RC=$?
	set -e
	ERR=$(cat "$T/.stderr")
}

# JSON with the blanks around its punctuation removed, so assertions match
# '"state":"FAILED"' whether the output is compact or pretty-printed.
json_squeeze() {
	sed -e 's/"[[:space:]]*:[[:space:]]*/":/g' -e 's/,[[:space:]]*/,/g'
}

# The sqlite3 shell, waiting for a lock as sluice does.  Tests read and
# write stores and warehouses that running engines hold; the shell's
# default is to fail at once with "database is locked" (CI saw it).
sqlite3() { command sqlite3 -cmd '.timeout 10000' "$@"; }

# Wait up to SECONDS for a command to succeed.
wait_until() { # SECONDS CMD...
	local limit=$1 i
	shift
	for i in $(seq 1 $((limit * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# ---- another local user ----------------------------------------------------------
# Tests of what another local user can see or do run commands as a user
# with no privileges: as root, $SLUICE_TEST_USER (default nobody, created
# with useradd when missing); otherwise the current user, who has none.
# unprivileged_setup opens $T to that user (it needs to reach the files the
# test puts there) and exits 77, the skip status, when no such user can be
# had.  unprivileged CMD... then runs CMD as that user, HOME in $T.
unprivileged_setup() {
	UNPRIV_HOME=$T/unpriv-home
	if [ "$(id -u)" != 0 ]; then
		UNPRIV_UID=$(id -u)
		mkdir -p "$UNPRIV_HOME"
		return 0
	fi
	local user=${SLUICE_TEST_USER:-nobody}
	if ! id "$user" >/dev/null 2>&1; then
		useradd --system --no-create-home "$user" >/dev/null 2>&1 ||
			{ echo "SKIP: no unprivileged user ($user) and useradd failed" >&2; exit 77; }
	fi
	command -v setpriv >/dev/null ||
		{ echo "SKIP: setpriv is needed to run as $user" >&2; exit 77; }
	UNPRIV_UID=$(id -u "$user")
	UNPRIV_GID=$(id -g "$user")
	chmod 755 "$T"
	mkdir -p "$UNPRIV_HOME"
	chown "$UNPRIV_UID:$UNPRIV_GID" "$UNPRIV_HOME"
	setpriv --reuid="$UNPRIV_UID" --regid="$UNPRIV_GID" --clear-groups \
		test -x "$SLUICE" ||
		{ echo "SKIP: $user cannot run $SLUICE" >&2; exit 77; }
}

unprivileged() {
	if [ "$(id -u)" != 0 ]; then
		HOME=$UNPRIV_HOME "$@"
	else
		setpriv --reuid="$UNPRIV_UID" --regid="$UNPRIV_GID" --clear-groups \
			env HOME="$UNPRIV_HOME" "$@"
	fi
}

# Hand a directory to the unprivileged user (a no-op when that is us).
give_unprivileged() { # DIR
	[ "$(id -u)" != 0 ] || chown -R "$UNPRIV_UID:$UNPRIV_GID" "$1"
}

# ---- the project's worker daemon ---------------------------------------------------
# Its pid (first line of .sluice/worker.pid in the current project), and
# a SIGKILL for it, for at_exit in tests that start one.
daemon_pid() { sed -n 1p .sluice/worker.pid 2>/dev/null; }
kill_daemon() {
	local pid
	pid=$(daemon_pid) && [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	return 0
}
