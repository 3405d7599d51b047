#!/bin/bash
# readonly_user.sh - a user who may only read a project monitors it, and a
# console that cannot open the project or its store says why.
#
# The project belongs to another user (files 0644, directories 0755, the
# store opened to readers as sluice(1) says): `sluice monitor` as a user
# with no write permission anywhere in it shows the runs, whether the
# store's -shm file is there (a writer kept it) or not (an idle store last
# closed by the sqlite3 shell: read as a snapshot, and read again once it
# changes).  A project file with a mistake and a store that cannot be
# opened are named on screen with the real error.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
base_socket=$CONSOLE_SOCKET
REAL_SLUICE=$SLUICE

# The screen as one line of text, box and line breaks taken out, so that a
# message wrapped in a notice can be matched whole.
joined_screen() { console_screen | tr -d '│\n' | tr -s ' '; }
wait_joined() { # TEXT
	local i
	for i in $(seq 1 200); do
		case "$(joined_screen)" in *"$1"*) return 0 ;; esac
		sleep 0.05
	done
	console_screen >&2
	fail "'$1' did not appear on screen"
}

# ---- the console names what is wrong with the project file -------------------------
mkdir "$T/typo"
cat >"$T/typo/sluice.json" <<'JSON'
{ "project": "typo",
  "connections": { "wh": { "url": "sqlite:wh.db", "passwrd_env": "X" } } }
JSON
cd "$T/typo"
CONSOLE_SOCKET=$base_socket-typo
console_start 120 30 xterm-256color
wait_joined 'No project is loaded: sluice.json:2:51: connections.wh.passwrd_env: unknown key "passwrd_env" (did you mean "password_env"?)'
console_keys q
console_exited
console_stop

# ---- ... and why the store cannot be opened ----------------------------------------
mkdir "$T/nostore"
printf 'not a directory\n' >"$T/nostore/state"
cat >"$T/nostore/sluice.json" <<'JSON'
{ "project": "nostore", "control": "sqlite:state/control.db",
  "connections": { "wh": { "url": "sqlite:wh.db" } } }
JSON
cd "$T/nostore"
CONSOLE_SOCKET=$base_socket-nostore
console_start 120 30 xterm-256color
wait_joined "The control store cannot be read: control store sqlite:$T/nostore/state/control.db: cannot create $T/nostore/state/control.db: Not a directory"
console_keys q
console_exited
console_stop

# ---- a user who may only read ----------------------------------------------------------
unprivileged_setup
fixture_project "$T/p"
cd "$T/p"
# What an operator does to let readers in (sluice(1), FILES); nothing more.
chmod -R a+rX "$T/p"
[ -e .sluice/control.db-shm ] || fail "the store's -shm file was not kept"
# The console runs as the reader through this wrapper.
{
	echo '#!/bin/sh'
	if [ "$(id -u)" = 0 ]; then
		printf 'exec setpriv --reuid=%s --regid=%s --clear-groups %q "$@"\n' \
			"$UNPRIV_UID" "$UNPRIV_GID" "$REAL_SLUICE"
	else
		printf 'exec %q "$@"\n' "$REAL_SLUICE"
	fi
} >"$T/as-reader"
chmod 755 "$T/as-reader"
if [ "$(id -u)" != 0 ]; then
	# the reader is us: no write permission in the project, for the reader
	chmod -R a-w "$T/p"
	give_back() { chmod -R u+w "$T/p"; }
	at_exit give_back
	owner_run() { chmod -R u+w "$T/p"; "$REAL_SLUICE" "$@"; local rc=$?; chmod -R a-w "$T/p"; return $rc; }
else
	owner_run() { "$REAL_SLUICE" "$@"; }
fi
CONSOLE_ENV=(HOME="$UNPRIV_HOME" XDG_STATE_HOME="$UNPRIV_HOME/state")

monitor_as_reader() { # NAME
	CONSOLE_SOCKET=$base_socket-$1
	SLUICE=$T/as-reader console_start 100 30 xterm-256color monitor
	console_wait "READ-ONLY"
}

# a store whose -shm a writer kept; what the owner changes shows
monitor_as_reader kept
console_keys 6
console_wait_line -1 "runs 1/14"
assert_not_contains "$(console_screen)" "cannot" "a reader's console"
console_keys 2
console_wait "PAUSED"
owner_run pipe resume returns_pipe >/dev/null 2>&1 || fail "the owner resumes a pipe"
console_wait_gone "PAUSED" 15
console_keys q
console_exited
assert_eq 0 "$CONSOLE_STATUS" "exit status"
console_stop

# an idle store the sqlite3 shell closed last: no -shm, and none can be made
sqlite3 .sluice/control.db 'SELECT count(*) FROM runs' >/dev/null
[ ! -e .sluice/control.db-shm ] || fail "the sqlite3 shell left the -shm file"
monitor_as_reader snapshot
console_wait "read as a snapshot"
console_keys 6
console_wait_line -1 "runs 1/14"
console_keys 2
console_wait "returns_pipe"
assert_not_contains "$(console_screen)" "PAUSED" "the pipes view"
owner_run pipe pause returns_pipe >/dev/null 2>&1 || fail "the owner pauses a pipe"
console_wait "PAUSED" 15
console_keys q
console_exited
assert_eq 0 "$CONSOLE_STATUS" "exit status"
console_stop

# a store its owner did not open to readers: the console says so
chmod 700 .sluice
monitor_as_reader closed
wait_joined "The control store cannot be read: control store sqlite:$T/p/.sluice/control.db: cannot read $T/p/.sluice/control.db: Permission denied"
console_keys q
console_exited
console_stop
echo "readonly_user: ok"
