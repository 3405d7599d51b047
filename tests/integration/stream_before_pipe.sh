#!/bin/bash
# stream_before_pipe.sh - a stream over a pipe's table before the pipe's
# first file, on SQLite (see stream_before_pipe_lib.sh).
set -eu
. "$SLUICE_SRCDIR/tests/integration/stream_before_pipe_lib.sh"
WH_URL="sqlite:wh.db"
q() { sqlite3 "$P/wh.db" "$1"; }
stream_before_pipe
echo "stream_before_pipe: ok"
