# pg.sh - a throwaway PostgreSQL server for one test.
#
#   pg_start   initdb in a temporary directory (copied from a cached template
#              when one exists), start postgres on 127.0.0.1 and a free port,
#              export SLUICE_TEST_PG, PGHOST, PGPORT, PGUSER, PGDATABASE.
#   pg_stop    stop that server by its pid and remove its directory.
#   pg_extra_start NAME, pg_extra_stop NAME, pg_extra_crash_restart NAME
#              more servers for a test that needs several (a control store,
#              a warehouse and a source restarted one at a time); see below.
#
# PostgreSQL refuses to run as root; as root the server runs as the
# 'postgres' user (or 'nobody'), and the tests connect over TCP.

pg_bindir() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) /usr/bin; do
		if [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

pg_as_server_user() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$PG_SERVER_USER" -- "$@"
	else
		"$@"
	fi
}

pg_port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pg_make_template() {
	# One initdb per build tree, shared by every test: initdb is the slow part.
	local template=$1
	[ -f "$template/PG_VERSION" ] && return 0
	local tmp="$template.tmp.$$"
	mkdir -p "$tmp"
	[ "$(id -u)" = 0 ] && chown "$PG_SERVER_USER" "$tmp"
	pg_as_server_user "$PG_BIN/initdb" -D "$tmp" -U sluice -A trust \
		--no-sync -E UTF8 --locale=C >"$tmp.log" 2>&1 || {
		echo "pg.sh: initdb failed:" >&2
		cat "$tmp.log" >&2
		rm -rf "$tmp" "$tmp.log"
		return 1
	}
	rm -f "$tmp.log"
	mv "$tmp" "$template" 2>/dev/null || rm -rf "$tmp"
}

# Start postgres on DIR/data, listening on 127.0.0.1:PORT, in the background;
# PG_WRAPPER_PID is what to wait for.  OPTIONS (-c name=value) are added.
pg_launch() { # DIR PORT [OPTIONS...]
	local dir=$1 port=$2
	shift 2
	pg_as_server_user "$PG_BIN/postgres" -D "$dir/data" -k "$dir" \
		-h 127.0.0.1 -p "$port" -c fsync=off -c synchronous_commit=off \
		-c full_page_writes=off -c max_connections=200 "$@" \
		>>"$dir/server.log" 2>&1 &
	PG_WRAPPER_PID=$!
}

pg_start() {
	PG_BIN=$(pg_bindir) || {
		echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
		return 1
	}
	PG_SERVER_USER=postgres
	id -u postgres >/dev/null 2>&1 || PG_SERVER_USER=nobody
	local cache="${SLUICE_BUILDDIR:-${TMPDIR:-/tmp}}/tests/.pg-template"
	mkdir -p "$(dirname "$cache")"
	[ "$(id -u)" = 0 ] && chmod 755 "$(dirname "$cache")"
	pg_make_template "$cache" || return 1

	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sluice-pg.XXXXXX")
	chmod 755 "$PG_DIR"
	cp -a "$cache" "$PG_DIR/data"
	[ "$(id -u)" = 0 ] && chown -R "$PG_SERVER_USER" "$PG_DIR"
	chmod 700 "$PG_DIR/data"

	local attempt port
	for attempt in 1 2 3 4 5 6 7 8 9 10; do
		port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
		pg_port_free "$port" || continue
		pg_launch "$PG_DIR" "$port" ${PG_LAUNCH_OPTIONS:-}
		PG_PID=$PG_WRAPPER_PID
		local i
		for i in $(seq 1 100); do
			if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U sluice; then
				PG_PORT=$port
				# As root, $! is runuser's pid, which does not pass signals on;
				# the postmaster writes its own pid on the first line here.
				PG_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid")
				export PGHOST=127.0.0.1 PGPORT=$port PGUSER=sluice PGDATABASE=postgres
				export SLUICE_TEST_PG="host=127.0.0.1 port=$port user=sluice dbname=postgres"
				export SLUICE_TEST_PG_PID=$PG_PID SLUICE_TEST_PG_BIN=$PG_BIN
				return 0
			fi
			kill -0 "$PG_PID" 2>/dev/null || break
			sleep 0.1
		done
		[ -f "$PG_DIR/data/postmaster.pid" ] &&
			kill "$(head -n 1 "$PG_DIR/data/postmaster.pid")" 2>/dev/null
		kill "$PG_PID" 2>/dev/null
		wait "$PG_PID" 2>/dev/null
	done
	echo "pg.sh: could not start PostgreSQL; last log:" >&2
	cat "$PG_DIR/server.log" >&2
	rm -rf "$PG_DIR"
	return 1
}

pg_stop() {
	[ -n "${PG_PID:-}" ] || return 0
	# SIGINT is PostgreSQL's fast shutdown: roll back and exit.
	kill -INT "$PG_PID" 2>/dev/null
	local i
	for i in $(seq 1 100); do
		kill -0 "$PG_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$PG_PID" 2>/dev/null; then
		kill -KILL "$PG_PID" 2>/dev/null
		sleep 0.2
	fi
	wait "${PG_WRAPPER_PID:-$PG_PID}" 2>/dev/null
	rm -rf "$PG_DIR"
	PG_PID=
}

# ---- more servers in one test -------------------------------------------------
# pg_extra_start NAME starts one more throwaway server and sets
# PG_NAME_DIR, PG_NAME_PORT, PG_NAME_PID and PG_NAME_CONNINFO (NAME in
# capitals), leaving the test's own server and PG* variables as they were.
# Stop it with pg_extra_stop NAME (register that with at_exit).  These
# servers are for crashing: they keep synchronous_commit on, so that a
# commit they acknowledged survives pg_extra_crash as it would in
# production (with it off, the last acknowledged commits die with the
# server, which is no fault of the client's).
PG_EXTRA_OPTIONS="-c synchronous_commit=on"
pg_extra_start() { # NAME
	local name=$1 saved
	saved=$(declare -p PG_DIR PG_PID PG_PORT PG_WRAPPER_PID PGHOST PGPORT PGUSER \
		PGDATABASE SLUICE_TEST_PG SLUICE_TEST_PG_PID 2>/dev/null || true)
	PG_LAUNCH_OPTIONS=$PG_EXTRA_OPTIONS pg_start || return 1
	declare -g "PG_${name}_DIR=$PG_DIR" "PG_${name}_PORT=$PG_PORT" \
		"PG_${name}_PID=$PG_PID" \
		"PG_${name}_CONNINFO=host=127.0.0.1 port=$PG_PORT user=sluice"
	unset PG_DIR PG_PID PG_PORT PG_WRAPPER_PID
	eval "$(printf '%s\n' "$saved" | sed 's/^declare /declare -g /')"
}

pg_extra_stop() { # NAME
	local dir="PG_${1}_DIR" pid="PG_${1}_PID"
	[ -n "${!dir:-}" ] || return 0
	PG_DIR=${!dir} PG_PID=${!pid} PG_WRAPPER_PID= pg_stop
	declare -g "PG_${1}_DIR="
}

# What a crash of the database host looks like to its clients: the server
# stops at once (pg_ctl stop -m immediate: every connection is cut, no
# checkpoint), stays down for SECONDS (default 0), then starts again on the
# same port and recovers.  PG_NAME_PID is the new postmaster.
pg_extra_crash_restart() { # NAME [SECONDS]
	pg_extra_crash "$1" || return 1
	sleep "${2:-0}"
	pg_extra_restart "$1"
}

pg_extra_crash() { # NAME
	local dir="PG_${1}_DIR"
	pg_as_server_user "$PG_BIN/pg_ctl" -D "${!dir}/data" stop -m immediate -w \
		>>"${!dir}/server.log" 2>&1
}

pg_extra_restart() { # NAME
	local dir="PG_${1}_DIR" port="PG_${1}_PORT" i
	pg_launch "${!dir}" "${!port}" $PG_EXTRA_OPTIONS
	for i in $(seq 1 100); do
		if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "${!port}" -U sluice; then
			declare -g "PG_${1}_PID=$(head -n 1 "${!dir}/data/postmaster.pid")"
			return 0
		fi
		sleep 0.1
	done
	echo "pg.sh: server $1 did not come back; last log:" >&2
	tail -20 "${!dir}/server.log" >&2
	return 1
}
