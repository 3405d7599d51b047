# pg.sh - a throwaway PostgreSQL server for one test.
#
#   pg_start   initdb in a temporary directory (copied from a cached template
#              when one exists), start postgres on 127.0.0.1 and a free port,
#              export SLUICE_TEST_PG, PGHOST, PGPORT, PGUSER, PGDATABASE.
#   pg_stop    stop that server by its pid and remove its directory.
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
		pg_as_server_user "$PG_BIN/postgres" -D "$PG_DIR/data" -k "$PG_DIR" \
			-h 127.0.0.1 -p "$port" -c fsync=off -c synchronous_commit=off \
			-c full_page_writes=off -c max_connections=200 \
			>"$PG_DIR/server.log" 2>&1 &
		PG_WRAPPER_PID=$!
		PG_PID=$!
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
