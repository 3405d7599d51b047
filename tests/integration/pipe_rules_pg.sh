# pipe_rules_pg.sh - pipe_rules.sh with the warehouse and the control store
# on PostgreSQL.
BACKEND=pg
. "${SLUICE_SRCDIR:?}/tests/integration/pipe_rules.sh"
