# sqlite_lock.sh - hold a SQLite database's write lock from another
# process, the way a long transaction elsewhere would (source after
# testlib.sh).
#
#   lock_hold FILE    an sqlite3 process takes BEGIN IMMEDIATE on FILE and
#                     keeps it; returns once the lock is held
#   lock_release      commits, so the lock is free again
#
# One lock at a time; the sqlite3 process is stopped at exit in any case.

lock_hold() { # FILE
	rm -f "$T/.lock.in" "$T/.lock.out"
	mkfifo "$T/.lock.in"
	sqlite3 "$1" < "$T/.lock.in" > "$T/.lock.out" 2>&1 &
	LOCK_PID=$!
	exec {LOCK_FD}>"$T/.lock.in"
	printf 'BEGIN IMMEDIATE;\nSELECT %s;\n' "'lock held'" >&"$LOCK_FD"
	wait_until 20 grep -q 'lock held' "$T/.lock.out" ||
		fail "sqlite3 did not take the write lock on $1: $(cat "$T/.lock.out")"
}

lock_release() {
	# .quit, not EOF: processes started meanwhile hold the FIFO open too.
	printf 'COMMIT;\n.quit\n' >&"$LOCK_FD"
	exec {LOCK_FD}>&-
	wait "$LOCK_PID" 2>/dev/null || true
	LOCK_PID=
}

_lock_cleanup() {
	[ -n "${LOCK_PID:-}" ] && kill "$LOCK_PID" 2>/dev/null
	return 0
}
at_exit _lock_cleanup
