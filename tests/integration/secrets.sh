#!/bin/bash
# secrets.sh - what another local user could read of sluice's: the control
# store and logs are created for their owner alone (.sluice/ 0700, the
# store and its -wal/-shm 0600, log files 0600), a stricter umask still
# applies, and existing modes are left as the operator set them; a running
# sluice's memory (/proc/PID/environ with PGPASSWORD, a core dump) cannot be
# read by another process of the same user unless core dumps are asked for.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
cd "$T"

mode() { stat -c %a "$1"; }

make_project() { # DIR
	mkdir -p "$1"
	cat >"$1/sluice.json" <<'JSON'
{ "project": "secrets",
  "connections": { "wh": { "url": "sqlite:wh.db" } },
  "flows": [ { "name": "f", "steps": [
    { "name": "s", "kind": "sql", "connection": "wh", "sql": "SELECT 1" } ] } ] }
JSON
}

# ---- a new store: owner only, whatever the umask's leniency ------------------------
for mask in 022 002 000; do
	make_project "p$mask"
	(umask "$mask" && cd "p$mask" && "$SLUICE" --log-file run.log run f --wait >/dev/null 2>&1) ||
		fail "run under umask $mask"
	assert_eq 700 "$(mode "p$mask/.sluice")" ".sluice/ under umask $mask"
	assert_eq 600 "$(mode "p$mask/.sluice/control.db")" "control.db under umask $mask"
	assert_eq 600 "$(mode "p$mask/run.log")" "--log-file under umask $mask"
done
# a stricter umask is honoured
make_project p077
(umask 077 && cd p077 && "$SLUICE" run f --wait >/dev/null 2>&1) || fail "run under umask 077"
assert_eq 700 "$(mode p077/.sluice)" ".sluice/ under umask 077"
assert_eq 600 "$(mode p077/.sluice/control.db)" "control.db under umask 077"

# -wal and -shm, while a worker holds the store open
make_project live
(cd live && exec "$SLUICE" worker --workers 1 2>worker.log) &
wpid=$!
stop_worker() { kill "$wpid" 2>/dev/null || true; wait "$wpid" 2>/dev/null || true; }
at_exit stop_worker
wait_until 20 grep -q ready live/worker.log || fail "worker did not start: $(cat live/worker.log)"
for f in control.db-wal control.db-shm; do
	[ -e "live/.sluice/$f" ] || fail "no $f while the worker runs"
	assert_eq 600 "$(mode "live/.sluice/$f")" "$f"
done
stop_worker

# ---- existing modes are the operator's: neither loosened nor tightened ------------
make_project shared
mkdir -m 0750 shared/.sluice
(cd shared && "$SLUICE" run f --wait >/dev/null 2>&1) || fail "run in shared"
chmod 0640 shared/.sluice/control.db
(cd shared && "$SLUICE" run f --wait >/dev/null 2>&1) || fail "second run in shared"
assert_eq 750 "$(mode shared/.sluice)" "an existing .sluice/ opened to a group"
assert_eq 640 "$(mode shared/.sluice/control.db)" "an existing store opened to a group"

# ---- memory: no core dump, no reading by another process of the same user ---------
unprivileged_setup
make_project mem
give_unprivileged mem
# worker_as_user LOG [GLOBAL OPTIONS...]: a worker with a password in its
# environment and no core size limit, as the unprivileged user; its pid in
# wpid (setpriv and env exec it, so the pid is sluice's own).
worker_as_user() { # LOG [GLOBAL OPTIONS...]
	local log=$1
	shift
	(cd mem && ulimit -c unlimited &&
		PGPASSWORD=Pa55-in-environ exec setpriv --reuid="$UNPRIV_UID" \
			--regid="${UNPRIV_GID:-$(id -g)}" --clear-groups \
			env HOME="$UNPRIV_HOME" "$SLUICE" "$@" worker --workers 1 2>"$T/$log") &
	wpid=$!
	wait_until 20 grep -qs ready "$T/$log" || fail "worker did not start: $(cat "$T/$log")"
}
if [ "$(id -u)" != 0 ]; then
	worker_as_user() { # LOG [GLOBAL OPTIONS...]
		local log=$1
		shift
		(cd mem && ulimit -c unlimited &&
			PGPASSWORD=Pa55-in-environ exec "$SLUICE" "$@" worker --workers 1 \
				2>"$T/$log") &
		wpid=$!
		wait_until 20 grep -qs ready "$T/$log" ||
			fail "worker did not start: $(cat "$T/$log")"
	}
fi
core_limit() { awk '/^Max core file size/ { print $5, $6 }' "/proc/$wpid/limits"; }
read_environ() { unprivileged cat "/proc/$wpid/environ" 2>/dev/null | tr '\0' '\n'; }

worker_as_user w1.log
assert_eq "0 0" "$(core_limit)" "core file size of a worker"
env_seen=$(read_environ || true)
assert_not_contains "$env_seen" "Pa55-in-environ" "the worker's environment, read by its own user"
stop_worker

for how in "--allow-core-dumps" "SLUICE_DEBUG_CORE=1"; do
	if [ "$how" = --allow-core-dumps ]; then
		worker_as_user w2.log --allow-core-dumps
	else
		SLUICE_DEBUG_CORE=1 worker_as_user w3.log
	fi
	# the hard limit (a sanitizer build lowers the soft one itself)
	assert_eq "unlimited" "$(core_limit | cut -d' ' -f2)" "core file size with $how"
	assert_contains "$(read_environ)" "Pa55-in-environ" "the environment with $how"
	stop_worker
done
echo "secrets: ok"
