# pipe_kill_pg.sh - pipe_kill.sh against PostgreSQL: a refresh killed with
# SIGKILL mid-COPY leaves no partial file and no duplicate.
BACKEND=pg
. "${SLUICE_SRCDIR:?}/tests/integration/pipe_kill.sh"
