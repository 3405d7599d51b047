# metrics_pg.sh - metrics.sh with the control store on PostgreSQL.
BACKEND=pg
. "${SLUICE_SRCDIR:?}/tests/integration/metrics.sh"
